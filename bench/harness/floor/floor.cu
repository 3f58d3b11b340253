// How a call's host round trip could end sooner: graphs of empty kernels launched and waited for in different ways.
//   sync   cudaStreamSynchronize (what the runtime does)
//   query  cudaStreamQuery in a loop
//   flag   the last kernel's last block stores a generation number to mapped host memory (system fence first);
//          the host spins on it
//   memop  a cuStreamWriteValue32 node after the kernels writes it instead
// and "direct": the same launches issued on the stream each call instead of as one graph.
// For each: one kernel, two (the second a programmatic dependent), and the flag forms with the second kernel's
// blocks taking tickets so the last one to finish writes the flag.
//   nvcc -O2 -std=c++17 -arch=sm_90a floor.cu -lcuda -o floor && ./floor
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <chrono>
#include <algorithm>
#include <cuda.h>
#include <cuda_runtime.h>
#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(e_)); exit(1); } } while (0)
#define DK(x) do { CUresult e_ = (x); if (e_ != CUDA_SUCCESS) { const char* m_; cuGetErrorString(e_, &m_); printf("%s: %s\n", #x, m_); exit(1); } } while (0)

__device__ unsigned tickets, generation;
__global__ void first() { asm volatile("griddepcontrol.launch_dependents;" ::: "memory"); }
__global__ void second() { asm volatile("griddepcontrol.wait;" ::: "memory"); }
// The last block to finish publishes: its thread 0 takes a ticket after the block's barrier.
__global__ void second_flag(unsigned* flag) {
  asm volatile("griddepcontrol.wait;" ::: "memory");
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();
    if (atomicAdd(&tickets, 1) == gridDim.x - 1) {
      tickets = 0;
      unsigned g = ++generation;
      __threadfence_system();
      *(volatile unsigned*) flag = g;
    }
  }
}

int main() {
  cudaStream_t s; CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  unsigned* hflag; CK(cudaHostAlloc(&hflag, 64, cudaHostAllocMapped)); *hflag = 0;
  unsigned* dflag; CK(cudaHostGetDevicePointer(&dflag, hflag, 0));
  volatile unsigned* vflag = hflag;
  auto launch = [&](auto k, int blocks, bool pdl, auto... args) {
    cudaLaunchConfig_t cfg = {}; cfg.gridDim = dim3(blocks); cfg.blockDim = dim3(128); cfg.stream = s;
    cudaLaunchAttribute at[1]; at[0].id = cudaLaunchAttributeProgrammaticStreamSerialization; at[0].val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = at; cfg.numAttrs = pdl ? 1 : 0;
    CK(cudaLaunchKernelEx(&cfg, k, args...));
  };
  unsigned expect = 0;
  // wait: 0 sync, 1 query, 2 flag (kernel-written generation), 3 flag (memop writes 1; the host clears it)
  // graph: launch fn's work as a graph captured once; else issue it on the stream each time (direct launches)
  auto time = [&](const char* label, int wait, auto fn, bool graph = true) {
    cudaGraph_t g; cudaGraphExec_t e;
    if (graph) { CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal)); fn(); CK(cudaStreamEndCapture(s, &g)); CK(cudaGraphInstantiate(&e, g, 0)); }
    auto go = [&] { if (graph) CK(cudaGraphLaunch(e, s)); else fn(); };
    go(); CK(cudaStreamSynchronize(s));
    expect = *vflag;
    std::vector<double> t;
    for (int i = 0; i < 10300; ++i) {
      if (wait == 3) *vflag = 0;
      auto t0 = std::chrono::steady_clock::now();
      go();
      if (wait == 0) CK(cudaStreamSynchronize(s));
      else if (wait == 1) { while (cudaStreamQuery(s) == cudaErrorNotReady) {} }
      else if (wait == 2) { ++expect; while (*vflag != expect) {} }
      else { while (*vflag != 1) {} }
      auto t1 = std::chrono::steady_clock::now();
      if (wait >= 2) CK(cudaStreamSynchronize(s));   // not timed: the next call would be stream-ordered after it anyway
      if (i >= 300) t.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::sort(t.begin(), t.end());
    printf("%-44s median %.2f us (p10 %.2f p90 %.2f)\n", label, t[t.size() / 2], t[t.size() / 10], t[t.size() * 9 / 10]);
    if (graph) { CK(cudaGraphExecDestroy(e)); CK(cudaGraphDestroy(g)); }
  };
  auto memop = [&] { DK(cuStreamWriteValue32((CUstream) s, (CUdeviceptr) dflag, 1, 0)); };
  for (int round = 0; round < 3; ++round) {
    printf("# round %d\n", round);
    time("one kernel, sync", 0, [&] { launch(first, 128, false); });
    time("one kernel, query", 1, [&] { launch(first, 128, false); });
    time("one kernel, memop flag", 3, [&] { launch(first, 128, false); memop(); });
    time("two (PDL), sync", 0, [&] { launch(first, 128, false); launch(second, 84, true); });
    time("two (PDL), query", 1, [&] { launch(first, 128, false); launch(second, 84, true); });
    time("two (PDL), last block's flag", 2, [&] { launch(first, 128, false); launch(second_flag, 84, true, dflag); });
    time("two (PDL), memop flag", 3, [&] { launch(first, 128, false); launch(second, 84, true); memop(); });
    time("two (PDL) + flag, sync", 0, [&] { launch(first, 128, false); launch(second_flag, 84, true, dflag); });
    time("one kernel, direct, memop flag", 3, [&] { launch(first, 128, false); memop(); }, false);
    time("two (PDL), direct, memop flag", 3, [&] { launch(first, 128, false); launch(second, 84, true); memop(); }, false);
    time("two (PDL), direct, sync", 0, [&] { launch(first, 128, false); launch(second, 84, true); }, false);
  }
}
