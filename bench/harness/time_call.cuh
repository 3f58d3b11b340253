// Times one call the way the runtime makes it, for call.cu and headmode/protocall.cu: a CUDA graph of the
// prologue and the body, launched and waited for from the host (median of 3000 after 300), each kernel alone
// (CUDA events around graphs of 20 back-to-back launches, median of 50), then a hash of the f16 output.
#pragma once
template <class Pro, class Body>
void qf_time_call(Pro launchPro, Body launchBody, cudaStream_t s, const void* out, long long elems, const char* label) {
  auto graphOf = [&](auto fn, int times) { cudaGraph_t g; cudaGraphExec_t e; CK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal)); for (int i = 0; i < times; ++i) fn(); CK(cudaStreamEndCapture(s, &g)); CK(cudaGraphInstantiate(&e, g, 0)); return e; };
  cudaGraphExec_t call = graphOf([&] { launchPro(); launchBody(); }, 1);
  std::vector<double> t;
  for (int i = 0; i < 3300; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    CK(cudaGraphLaunch(call, s)); CK(cudaStreamSynchronize(s));
    if (i >= 300) t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  auto evt = [&](cudaGraphExec_t e) { cudaEvent_t a, b; cudaEventCreate(&a); cudaEventCreate(&b); std::vector<float> v; for (int r = 0; r < 60; ++r) { cudaEventRecord(a, s); CK(cudaGraphLaunch(e, s)); cudaEventRecord(b, s); cudaEventSynchronize(b); float ms; cudaEventElapsedTime(&ms, a, b); if (r >= 10) v.push_back(ms * 1000 / 20); } std::sort(v.begin(), v.end()); return v[v.size() / 2]; };
  double tp = evt(graphOf(launchPro, 20)), tb = evt(graphOf(launchBody, 20));
  CK(cudaGraphLaunch(call, s)); CK(cudaStreamSynchronize(s));
  std::vector<unsigned short> o(elems); CK(cudaMemcpy(o.data(), out, o.size() * 2, cudaMemcpyDeviceToHost));
  unsigned long long hh = 1469598103934665603ULL; for (auto x : o) { hh ^= x; hh *= 1099511628211ULL; }
  printf("%-14s call median %.2f us (p10 %.2f p90 %.2f)  prologue %.2f us  body %.2f us  hash %016llx\n", label, t[t.size() / 2], t[t.size() / 10], t[t.size() * 9 / 10], tp, tb, hh);
}
