// Timing prototype harness (session 19): one b = 1 call as a graph of qf_headpro (a block per head) and the
// body with the launch constants computed in its preamble; host wall clock (median of 3000), each kernel alone
// (CUDA events, graphs of 20), and the output hash, to compare with call.cu on the emitted kernels.
//   nvcc -O2 -std=c++17 -arch=sm_90a -DCALL_INC='"X/call.inc"' -DPT=1024 -DKB=128 protocall.cu -o X/protocall
//   X/protocall X/bodypre.cubin X/headpro.cubin label
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <string>
#include <chrono>
#include <algorithm>
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#define CK(x) do { cudaError_t qf_e = (x); if (qf_e != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(qf_e)); exit(1); } } while (0)
typedef void* DevPtr;
static void* NULLPTR = 0;
#include CALL_INC
#include "../time_call.cuh"
static std::vector<char> slurp(const char* p) { FILE* f = fopen(p, "rb"); if (!f) { printf("no %s\n", p); exit(1); } std::vector<char> b; char t[65536]; size_t n; while ((n = fread(t, 1, sizeof t, f)) > 0) b.insert(b.end(), t, t + n); fclose(f); return b; }
static int idx(const char* n) { for (int i = 0; i < NBUF; ++i) if (!strcmp(NAMES[i], n)) return i; printf("no buffer %s\n", n); exit(1); }
int main(int argc, char** argv) {
  auto bb = slurp(argv[1]), pb = slurp(argv[2]);
  cudaLibrary_t mb, mp; CK(cudaLibraryLoadData(&mb, bb.data(), 0, 0, 0, 0, 0, 0)); CK(cudaLibraryLoadData(&mp, pb.data(), 0, 0, 0, 0, 0, 0));
  cudaKernel_t fb, fp; CK(cudaLibraryGetKernel(&fb, mb, BODY_ENTRY)); CK(cudaLibraryGetKernel(&fp, mp, "qf_headpro"));
  if (BODY_SMEM > 48 * 1024) CK(cudaFuncSetAttribute((const void*)fb, cudaFuncAttributeMaxDynamicSharedMemorySize, BODY_SMEM));
  int Z = ZZ, H = HH, N = NN;   // from -D
  const int proSmem = PSM * N * DD * 4;
  if (proSmem > 48 * 1024) CK(cudaFuncSetAttribute((const void*)fp, cudaFuncAttributeMaxDynamicSharedMemorySize, proSmem));
  DevPtr buf[NBUF];
  for (int i = 0; i < NBUF; ++i) { CK(cudaMalloc(&buf[i], BIG)); CK(cudaMemset(buf[i], 0, BIG)); }
  DevPtr kpart; CK(cudaMalloc(&kpart, 4 * Z * H + 16));
  std::vector<__half> h(INPUT_ELEMS);
  srand(1);
  for (int t : {IDX_Q, IDX_K, IDX_V}) { for (auto& x : h) x = __float2half((rand() / (float)RAND_MAX) * 8.0f - 4.0f); CK(cudaMemcpy(buf[t], h.data(), h.size() * 2, cudaMemcpyHostToDevice)); }
  std::vector<void*> pro0, bod; std::vector<long long> store; setup(buf, pro0, bod, store);
  float scale = 1.0f / sqrtf((float)DD);
  bod.push_back(&buf[idx("b_Q_s")]); bod.push_back(&buf[idx("b_K_s")]); bod.push_back(&kpart); bod.push_back(&scale);
  int n = N;
  std::vector<void*> pro = {&buf[IDX_Q], &buf[IDX_K], &buf[IDX_V], &buf[idx("b_Q_q")], &buf[idx("b_Q_s")], &buf[idx("b_K_q")], &buf[idx("b_K_s")],
                            &buf[idx("b_V_q")], &buf[idx("b_V_s")], &kpart, &n};
  cudaStream_t s; CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  auto launchPro = [&] { CK(cudaLaunchKernel((const void*)fp, dim3(Z * H * QB), dim3(PT), pro.data(), proSmem, s)); };
  auto launchBody = [&] { CK(cudaLaunchKernel((const void*)fb, dim3(GRID[0], GRID[1], GRID[2]), dim3(BODY_THREADS), bod.data(), BODY_SMEM, s)); };
  qf_time_call(launchPro, launchBody, s, buf[IDX_O], INPUT_ELEMS, argv[3]);
}
