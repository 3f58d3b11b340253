// Times one call as the runtime makes it, outside the JVM: a CUDA graph of the prologue and the body, launched
// and waited for from the host (median of 3000), and each kernel alone (CUDA events around graphs of 20
// back-to-back launches, median of 50), then a hash of the f16 output, so that a hand-edited prologue or body
// can be timed against the emitted one on the same inputs. The prologue runs in its grid-wide form (one
// 1024-thread block per SM) or, when GenCall found pro_blocks > 0, in its per-head form.
// Built with -DQF_PDL=1, the body is launched as a programmatic dependent of the prologue (its blocks may start
// while the prologue runs; the body must then wait with griddepcontrol.wait before it reads what the prologue wrote).
// Set QF_SPIN=1 in the environment to make the host spin while it waits (cudaDeviceScheduleSpin), QF_CARVE=P to give
// both kernels the preferred shared-memory carveout P percent.
// The shape, schedule and argument lists come from CALL_INC, which GenCall.java writes beside body.cu and
// pro.cu (see its header). Build and run (CUDA 12 or later; no libcuda is needed at link time):
//   nvcc -O2 -std=c++17 -arch=sm_90a -Iout -DCALL_INC='"call.inc"' call.cu -o out/call
//   nvcc -cubin -arch=sm_90a -fmad=false -std=c++17 out/body.cu -o out/body.cubin   (likewise pro.cu)
//   out/call out/body.cubin out/pro.cubin label
#include "time_call.cuh"
#ifndef QF_PDL
#define QF_PDL 0
#endif
int main(int argc, char** argv) {
  if (getenv("QF_SPIN") && atoi(getenv("QF_SPIN"))) CK(cudaSetDeviceFlags(cudaDeviceScheduleSpin));
  int sms; CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  cudaKernel_t fb = qf_kernel(argv[1], BODY_ENTRY), fp = qf_kernel(argv[2], PRO_ENTRY);
  if (BODY_SMEM > 48 * 1024) CK(cudaFuncSetAttribute((const void*)fb, cudaFuncAttributeMaxDynamicSharedMemorySize, BODY_SMEM));
  if (PRO_SMEM > 48 * 1024) CK(cudaFuncSetAttribute((const void*)fp, cudaFuncAttributeMaxDynamicSharedMemorySize, PRO_SMEM));
  if (getenv("QF_CARVE")) {   // one shared-memory carveout for both kernels (percent), so the SMs need not change it between them
    for (cudaKernel_t f : {fb, fp}) CK(cudaFuncSetAttribute((const void*)f, cudaFuncAttributePreferredSharedMemoryCarveout, atoi(getenv("QF_CARVE"))));
  }
  DevPtr buf[NBUF]; qf_buffers(buf);
  std::vector<void*> pro, bod; std::vector<long long> store; setup(buf, pro, bod, store);
  cudaStream_t s; CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  auto launchPro = [&] {
    if (PRO_BLOCKS > 0) CK(cudaLaunchKernel((const void*)fp, dim3(PRO_BLOCKS), dim3(PRO_THREADS), pro.data(), PRO_SMEM, s));
    else CK(cudaLaunchKernel((const void*)fp, dim3(sms), dim3(1024), pro.data(), 0, s));
  };
  auto launchBody = [&] {
    cudaLaunchConfig_t cfg = {};
    cfg.gridDim = dim3(GRID[0], GRID[1], GRID[2]); cfg.blockDim = dim3(BODY_THREADS); cfg.dynamicSmemBytes = BODY_SMEM; cfg.stream = s;
    cudaLaunchAttribute at[1]; at[0].id = cudaLaunchAttributeProgrammaticStreamSerialization; at[0].val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = at; cfg.numAttrs = QF_PDL ? 1 : 0;
    CK(cudaLaunchKernelExC(&cfg, (const void*)fb, bod.data()));
  };
  qf_time_call(launchPro, launchBody, s, buf[IDX_O], INPUT_ELEMS, argv[3]);
}
