// Timing prototype harness (session 19): one b = 1 call as a graph of qf_headpro (headpro.cuh: QB blocks per
// head, PT threads each) and the body with the launch constants computed in its preamble (pre.cuh), timed as
// call.cu times the emitted call (../time_call.cuh), to compare with it. build.sh compiles it for a shape:
//   X/protocall X/bodypre.cubin X/headpro.cubin label
#include "../time_call.cuh"
static int idx(const char* n) { for (int i = 0; i < NBUF; ++i) if (!strcmp(NAMES[i], n)) return i; printf("no buffer %s\n", n); exit(1); }
int main(int argc, char** argv) {
  cudaKernel_t fb = qf_kernel(argv[1], BODY_ENTRY), fp = qf_kernel(argv[2], "qf_headpro");
  if (BODY_SMEM > 48 * 1024) CK(cudaFuncSetAttribute((const void*)fb, cudaFuncAttributeMaxDynamicSharedMemorySize, BODY_SMEM));
  int Z = ZZ, H = HH, N = NN;   // from -D
  const int proSmem = PSM * N * DD * 4;
  if (proSmem > 48 * 1024) CK(cudaFuncSetAttribute((const void*)fp, cudaFuncAttributeMaxDynamicSharedMemorySize, proSmem));
  DevPtr buf[NBUF]; qf_buffers(buf);
  DevPtr kpart; CK(cudaMalloc(&kpart, 4 * Z * H + 16));
  std::vector<void*> pro0, bod; std::vector<long long> store; setup(buf, pro0, bod, store);
  float scale = (float)ARG_scale;   // the sample's scale argument as the call binds it
  bod.push_back(&buf[idx("b_Q_s")]); bod.push_back(&buf[idx("b_K_s")]); bod.push_back(&kpart); bod.push_back(&scale);
  int n = N;
  std::vector<void*> pro = {&buf[IDX_Q], &buf[IDX_K], &buf[IDX_V], &buf[idx("b_Q_q")], &buf[idx("b_Q_s")], &buf[idx("b_K_q")], &buf[idx("b_K_s")],
                            &buf[idx("b_V_q")], &buf[idx("b_V_s")], &kpart, &n};
  cudaStream_t s; CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  auto launchPro = [&] { CK(cudaLaunchKernel((const void*)fp, dim3(Z * H * QB), dim3(PT), pro.data(), proSmem, s)); };
  auto launchBody = [&] { CK(cudaLaunchKernel((const void*)fb, dim3(GRID[0], GRID[1], GRID[2]), dim3(BODY_THREADS), bod.data(), BODY_SMEM, s)); };
  qf_time_call(launchPro, launchBody, s, buf[IDX_O], INPUT_ELEMS, argv[3]);
}
