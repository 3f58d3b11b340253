// Times one call as the runtime makes it, outside the JVM: a CUDA graph of the prologue (one 1024-thread
// block per SM) and the body, launched and waited for from the host (median of 3000), and each kernel alone
// (CUDA events around graphs of 20 back-to-back launches, median of 50), then a hash of the f16 output, so
// that a hand-edited prologue or body can be timed against the emitted one on the same inputs.
// The shape, schedule and argument lists come from CALL_INC, which GenCall.java writes beside body.cu and
// pro.cu (see its header). Build and run (CUDA 12 or later; no libcuda is needed at link time):
//   nvcc -O2 -std=c++17 -arch=sm_90a -Iout -DCALL_INC='"call.inc"' call.cu -o out/call
//   nvcc -cubin -arch=sm_90a -fmad=false -std=c++17 out/body.cu -o out/body.cubin   (likewise pro.cu)
//   out/call out/body.cubin out/pro.cubin label
#include "time_call.cuh"
int main(int argc, char** argv) {
  int sms; CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  cudaKernel_t fb = qf_kernel(argv[1], BODY_ENTRY), fp = qf_kernel(argv[2], PRO_ENTRY);
  if (BODY_SMEM > 48 * 1024) CK(cudaFuncSetAttribute((const void*)fb, cudaFuncAttributeMaxDynamicSharedMemorySize, BODY_SMEM));
  DevPtr buf[NBUF]; qf_buffers(buf);
  std::vector<void*> pro, bod; std::vector<long long> store; setup(buf, pro, bod, store);
  cudaStream_t s; CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  auto launchPro = [&] { CK(cudaLaunchKernel((const void*)fp, dim3(sms), dim3(1024), pro.data(), 0, s)); };
  auto launchBody = [&] { CK(cudaLaunchKernel((const void*)fb, dim3(GRID[0], GRID[1], GRID[2]), dim3(BODY_THREADS), bod.data(), BODY_SMEM, s)); };
  qf_time_call(launchPro, launchBody, s, buf[IDX_O], INPUT_ELEMS, argv[3]);
}
