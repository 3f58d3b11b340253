// The floor of a call: the host's round trip (launch a CUDA graph, wait for it) of graphs of empty kernels,
// one kernel, two in sequence, and two where the second is a programmatic dependent of the first
// (griddepcontrol.wait at its start), each with the host's default wait and with cudaDeviceScheduleSpin (argv[1] = 1).
//   nvcc -O2 -std=c++17 -arch=sm_90a empty.cu -o empty && ./empty 0 && ./empty 1
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <chrono>
#include <algorithm>
#include <cuda_runtime.h>
#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(e_)); exit(1); } } while (0)
__global__ void first() {}
__global__ void second() { asm volatile("griddepcontrol.wait;" ::: "memory"); }
int main(int argc, char** argv) {
  if (argc > 1 && atoi(argv[1])) CK(cudaSetDeviceFlags(cudaDeviceScheduleSpin));
  cudaStream_t s; CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  auto launch = [&](void (*k)(), int blocks, bool pdl) {
    cudaLaunchConfig_t cfg = {}; cfg.gridDim = dim3(blocks); cfg.blockDim = dim3(128); cfg.stream = s;
    cudaLaunchAttribute at[1]; at[0].id = cudaLaunchAttributeProgrammaticStreamSerialization; at[0].val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = at; cfg.numAttrs = pdl ? 1 : 0;
    CK(cudaLaunchKernelEx(&cfg, k));
  };
  auto time = [&](const char* label, auto fn) {
    cudaGraph_t g; cudaGraphExec_t e;
    CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal)); fn(); CK(cudaStreamEndCapture(s, &g)); CK(cudaGraphInstantiate(&e, g, 0));
    std::vector<double> t;
    for (int i = 0; i < 5300; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      CK(cudaGraphLaunch(e, s)); CK(cudaStreamSynchronize(s));
      if (i >= 300) t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    printf("spin=%s %-28s median %.2f us (p10 %.2f p90 %.2f)\n", argc > 1 ? argv[1] : "0", label, t[t.size() / 2], t[t.size() / 10], t[t.size() * 9 / 10]);
  };
  time("one empty kernel", [&] { launch(first, 128, false); });
  time("two, in sequence", [&] { launch(first, 128, false); launch(second, 48, false); });
  time("two, the second PDL", [&] { launch(first, 128, false); launch(second, 48, true); });
  time("three, in sequence", [&] { launch(first, 128, false); launch(first, 128, false); launch(second, 48, false); });
}
