// Times the prototype of bench/harness/fused/fuse.py: one kernel (fused.cubin) in place of the graph of the
// prologue and the body, launched and waited for from the host like call.cu's graph, then the output hash, which
// must equal call.cu's on the same directory. Build (from OUT, after GenCall and fuse.py):
//   nvcc -cubin -arch=sm_90a -fmad=false -std=c++17 fused.cu -o fused.cubin
//   nvcc -O2 -std=c++17 -arch=sm_90a -I. -DCALL_INC='"call.inc"' .../fused/call_fused.cu -o call_fused
//   ./call_fused fused.cubin label
#include "../time_call.cuh"
#include "fused.inc"
int main(int argc, char** argv) {
  cudaKernel_t f = qf_kernel(argv[1], "qf_fused");
  const int smem = std::max(BODY_SMEM, PRO_SMEM);
  if (smem > 48 * 1024) CK(cudaFuncSetAttribute((const void*)f, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
  DevPtr buf[NBUF]; qf_buffers(buf);
  std::vector<void*> pro, bod; std::vector<long long> store; setup(buf, pro, bod, store);
  DevPtr ctr; CK(cudaMalloc(&ctr, 1024 + 32 * FUSED_BLOCKS)); CK(cudaMemset(ctr, 0, 1024 + 32 * FUSED_BLOCKS));
  std::vector<void*> args(pro); args.insert(args.end(), bod.begin(), bod.end()); args.push_back(&ctr);
  cudaStream_t s; CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  auto launch = [&] { CK(cudaLaunchKernel((const void*)f, dim3(FUSED_BLOCKS), dim3(FUSED_THREADS), args.data(), smem, s)); };
  qf_time_call(launch, [] {}, s, buf[IDX_O], INPUT_ELEMS, argv[2], false);   // "prologue" is the fused kernel
  {   // one call on zeroed intermediate buffers and output: a body that did not wait would read zeros
    for (int i = 0; i < NBUF; ++i) if (i != IDX_Q && i != IDX_K && i != IDX_V) CK(cudaMemset(buf[i], 0, BIG));
    launch(); CK(cudaStreamSynchronize(s));
    std::vector<unsigned short> o(INPUT_ELEMS); CK(cudaMemcpy(o.data(), buf[IDX_O], o.size() * 2, cudaMemcpyDeviceToHost));
    unsigned long long hh = 1469598103934665603ULL; for (auto x : o) { hh ^= x; hh *= 1099511628211ULL; }
    printf("  first call on zeroed buffers: hash %016llx\n", hh);
  }
  if (argc > 3) {   // a fused kernel built with FUSE_STAMP=1: its blocks' timeline in one more call
    launch(); CK(cudaStreamSynchronize(s));
    std::vector<unsigned long long> st(4 * FUSED_BLOCKS);
    CK(cudaMemcpy(st.data(), (char*)ctr + 1024, st.size() * 8, cudaMemcpyDeviceToHost));
    unsigned long long t0 = ~0ull; for (int b = 0; b < FUSED_BLOCKS; ++b) t0 = std::min(t0, st[4 * b]);
    auto us = [&](unsigned long long x) { return (x - t0) / 1000.0; };
    std::vector<int> per(1024); int sms = 0, most = 0;
    for (int b = PRO_BLOCKS; b < FUSED_BLOCKS; ++b) { int& c = per[st[4 * b + 3] & 1023]; sms += c == 0; most = std::max(most, ++c); }
    double ps1 = 0, pe0 = 1e9, pe1 = 0, bs0 = 1e9, bs1 = 0, bw0 = 1e9, bw1 = 0, be1 = 0;
    for (int b = 0; b < FUSED_BLOCKS; ++b) {
      double s0 = us(st[4 * b]), e = us(st[4 * b + 2]);
      if (b < PRO_BLOCKS) { ps1 = std::max(ps1, s0); pe0 = std::min(pe0, e); pe1 = std::max(pe1, e); }
      else { double w = us(st[4 * b + 1]); bs0 = std::min(bs0, s0); bs1 = std::max(bs1, s0); bw0 = std::min(bw0, w); bw1 = std::max(bw1, w); be1 = std::max(be1, e); }
    }
    printf("  timeline us: prologue starts 0..%.2f ends %.2f..%.2f | body starts %.2f..%.2f waits end %.2f..%.2f ends ..%.2f\n", ps1, pe0, pe1, bs0, bs1, bw0, bw1, be1);
  }
}
