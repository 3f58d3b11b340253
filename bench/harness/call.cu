// Times one call as the runtime makes it, outside the JVM: a CUDA graph of the prologue (one 1024-thread
// block per SM) and the body, launched and waited for from the host (median of 3000), and each kernel alone
// (CUDA events around graphs of 20 back-to-back launches, median of 50), then a hash of the f16 output, so
// that a hand-edited prologue or body can be timed against the emitted one on the same inputs.
// The shape, schedule and argument lists come from CALL_INC, which GenCall.java writes beside body.cu and
// pro.cu (see its header). Build and run (CUDA 12 or later; no libcuda is needed at link time):
//   nvcc -O2 -std=c++17 -arch=sm_90a -DCALL_INC='"out/call.inc"' call.cu -o out/call
//   nvcc -cubin -arch=sm_90a -fmad=false -std=c++17 out/body.cu -o out/body.cubin   (likewise pro.cu)
//   out/call out/body.cubin out/pro.cubin label
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <chrono>
#include <algorithm>
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#define CK(x) do { cudaError_t qf_e = (x); if (qf_e != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(qf_e)); exit(1); } } while (0)
typedef void* DevPtr;
static void* NULLPTR = 0;   // an absent optional tensor
#include CALL_INC
#include "time_call.cuh"
static std::vector<char> slurp(const char* p) { FILE* f = fopen(p, "rb"); if (!f) { printf("no %s\n", p); exit(1); } std::vector<char> b; char t[65536]; size_t n; while ((n = fread(t, 1, sizeof t, f)) > 0) b.insert(b.end(), t, t + n); fclose(f); return b; }
int main(int argc, char** argv) {
  int sms; CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  auto bb = slurp(argv[1]), pb = slurp(argv[2]);
  cudaLibrary_t mb, mp; CK(cudaLibraryLoadData(&mb, bb.data(), 0, 0, 0, 0, 0, 0)); CK(cudaLibraryLoadData(&mp, pb.data(), 0, 0, 0, 0, 0, 0));
  cudaKernel_t fb, fp; CK(cudaLibraryGetKernel(&fb, mb, BODY_ENTRY)); CK(cudaLibraryGetKernel(&fp, mp, PRO_ENTRY));
  if (BODY_SMEM > 48 * 1024) CK(cudaFuncSetAttribute((const void*)fb, cudaFuncAttributeMaxDynamicSharedMemorySize, BODY_SMEM));
  DevPtr buf[NBUF];
  for (int i = 0; i < NBUF; ++i) { CK(cudaMalloc(&buf[i], BIG)); CK(cudaMemset(buf[i], 0, BIG)); }
  std::vector<__half> h(INPUT_ELEMS);
  srand(1);
  for (int t : {IDX_Q, IDX_K, IDX_V}) { for (auto& x : h) x = __float2half((rand() / (float)RAND_MAX) * 8.0f - 4.0f); CK(cudaMemcpy(buf[t], h.data(), h.size() * 2, cudaMemcpyHostToDevice)); }
  std::vector<void*> pro, bod; std::vector<long long> store; setup(buf, pro, bod, store);
  cudaStream_t s; CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  auto launchPro = [&] { CK(cudaLaunchKernel((const void*)fp, dim3(sms), dim3(1024), pro.data(), 0, s)); };
  auto launchBody = [&] { CK(cudaLaunchKernel((const void*)fb, dim3(GRID[0], GRID[1], GRID[2]), dim3(BODY_THREADS), bod.data(), BODY_SMEM, s)); };
  qf_time_call(launchPro, launchBody, s, buf[IDX_O], INPUT_ELEMS, argv[3]);
}
