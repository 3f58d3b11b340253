// What call.cu and headmode/protocall.cu share: the includes, the call's buffers (CALL_INC, written by
// GenCall.java, is included here) with random f16 inputs, loading a cubin's kernel, and timing one call the way
// the runtime makes it: a CUDA graph of the prologue and the body, launched and waited for from the host (median
// of 3000 after 300; waited for by a stream sync, and, as the runtime waits, by a stream-written flag in mapped host
// memory, also with the two launches issued on the stream instead of from a graph), each kernel alone (CUDA events around graphs of 20 back-to-back launches, median of 50),
// then a hash of the f16 output.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <chrono>
#include <algorithm>
#include <cuda.h>
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#define CK(x) do { cudaError_t qf_e = (x); if (qf_e != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(qf_e)); exit(1); } } while (0)
typedef void* DevPtr;
static void* NULLPTR = 0;   // an absent optional tensor
#include CALL_INC

// Kernel `entry` of the cubin at `path`.
static cudaKernel_t qf_kernel(const char* path, const char* entry) {
  FILE* f = fopen(path, "rb");
  if (!f) { printf("no %s\n", path); exit(1); }
  std::vector<char> b; char t[65536]; size_t n;
  while ((n = fread(t, 1, sizeof t, f)) > 0) b.insert(b.end(), t, t + n);
  fclose(f);
  cudaLibrary_t lib; CK(cudaLibraryLoadData(&lib, b.data(), 0, 0, 0, 0, 0, 0));
  cudaKernel_t k; CK(cudaLibraryGetKernel(&k, lib, entry));
  return k;
}

// Every buffer of the call, zeroed as the runtime zeroes them, with Q, K and V uniform in [-4, 4] (seed 1).
static void qf_buffers(DevPtr* buf) {
  for (int i = 0; i < NBUF; ++i) { CK(cudaMalloc(&buf[i], BIG)); CK(cudaMemset(buf[i], 0, BIG)); }
  std::vector<__half> h(INPUT_ELEMS);
  srand(1);
  for (int t : {IDX_Q, IDX_K, IDX_V}) { for (auto& x : h) x = __float2half((rand() / (float)RAND_MAX) * 8.0f - 4.0f); CK(cudaMemcpy(buf[t], h.data(), h.size() * 2, cudaMemcpyHostToDevice)); }
}

template <class Pro, class Body>
void qf_time_call(Pro launchPro, Body launchBody, cudaStream_t s, const void* out, long long elems, const char* label, bool hasBody = true) {
  auto graphOf = [&](auto fn, int times) { cudaGraph_t g; cudaGraphExec_t e; CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal)); for (int i = 0; i < times; ++i) fn(); CK(cudaStreamEndCapture(s, &g)); CK(cudaGraphInstantiate(&e, g, 0)); return e; };
  cudaGraphExec_t call = graphOf([&] { launchPro(); launchBody(); }, 1);
  // Also waited for as the runtime waits (DoneFlag: a stream write of mapped host memory after the body, the host
  // spinning on it), from a graph and from the two launches issued on the stream each call.
  static unsigned* hflag = nullptr; static CUresult (*writeValue32)(cudaStream_t, void*, unsigned, unsigned) = nullptr;
  if (!hflag) {
    CK(cudaHostAlloc(&hflag, 64, cudaHostAllocMapped));
    cudaDriverEntryPointQueryResult q; CK(cudaGetDriverEntryPointByVersion("cuStreamWriteValue32", (void**)&writeValue32, 12000, cudaEnableDefault, &q));
  }
  unsigned* dflag; CK(cudaHostGetDevicePointer(&dflag, hflag, 0));
  volatile unsigned* vflag = hflag;
  auto memop = [&] { if (writeValue32(s, dflag, 1, 0) != 0) { printf("cuStreamWriteValue32 failed\n"); exit(1); } };
  cudaGraphExec_t flagged = graphOf([&] { launchPro(); launchBody(); memop(); }, 1);
  auto sortedTimes = [&](int how) {   // 0 graph + sync, 1 graph + flag, 2 direct + flag
    std::vector<double> t;
    for (int i = 0; i < 3300; ++i) {
      *vflag = 0;
      auto t0 = std::chrono::steady_clock::now();
      if (how == 0) { CK(cudaGraphLaunch(call, s)); CK(cudaStreamSynchronize(s)); }
      else {
        if (how == 1) CK(cudaGraphLaunch(flagged, s)); else { launchPro(); launchBody(); memop(); }
        while (*vflag != 1) {}
      }
      auto t1 = std::chrono::steady_clock::now();
      if (how > 0) CK(cudaStreamSynchronize(s));
      if (i >= 300) t.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::sort(t.begin(), t.end());
    return t;
  };
  std::vector<double> t = sortedTimes(0), tf = sortedTimes(1), td = sortedTimes(2);
  auto evt = [&](cudaGraphExec_t e) { cudaEvent_t a, b; cudaEventCreate(&a); cudaEventCreate(&b); std::vector<float> v; for (int r = 0; r < 60; ++r) { cudaEventRecord(a, s); CK(cudaGraphLaunch(e, s)); cudaEventRecord(b, s); cudaEventSynchronize(b); float ms; cudaEventElapsedTime(&ms, a, b); if (r >= 10) v.push_back(ms * 1000 / 20); } std::sort(v.begin(), v.end()); return v[v.size() / 2]; };
  double tp = evt(graphOf(launchPro, 20)), tb = hasBody ? evt(graphOf(launchBody, 20)) : 0;
  CK(cudaGraphLaunch(call, s)); CK(cudaStreamSynchronize(s));
  std::vector<unsigned short> o(elems); CK(cudaMemcpy(o.data(), out, o.size() * 2, cudaMemcpyDeviceToHost));
  unsigned long long hh = 1469598103934665603ULL; for (auto x : o) { hh ^= x; hh *= 1099511628211ULL; }
  printf("%-14s call median %.2f us (p10 %.2f p90 %.2f)  flag %.2f  direct+flag %.2f  prologue %.2f us  body %.2f us  hash %016llx\n", label, t[t.size() / 2], t[t.size() / 10], t[t.size() * 9 / 10],
         tf[tf.size() / 2], td[td.size() / 2], tp, tb, hh);
}
