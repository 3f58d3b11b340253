// Timing prototype (session 19): the int8 launch constants computed by the body itself, before its
// loop: K's largest scale folded from the per-head partials, then the block's rows and its head's keys.
#define QF_PRE(BM) \
  { \
    __shared__ float qf_pre_red[32]; \
    const int qf_head = (int)blockIdx.z * n_H + (int)blockIdx.y; \
    float qf_pf[2]; \
    for (int u = 0; u < 2; ++u) { const int j = threadIdx.x + u * blockDim.x; \
      qf_pf[u] = j < BM ? ((int)blockIdx.x * BM + j < n_N ? pre_Qs[qf_head * n_N + (int)blockIdx.x * BM + j] : 1.0f) : (j < BM + n_N ? pre_Ks[qf_head * n_N + j - BM] : 1.0f); } \
    float qf_m = -qf_inf(); \
    for (int i = threadIdx.x; i < n_Z * n_H; i += blockDim.x) qf_m = fmaxf(qf_m, pre_kpart[i]); \
    for (int s = 16; s > 0; s /= 2) qf_m = fmaxf(qf_m, __shfl_xor_sync(0xffffffffu, qf_m, s)); \
    if ((threadIdx.x & 31) == 0) qf_pre_red[threadIdx.x >> 5] = qf_m; \
    __syncthreads(); \
    float kref = qf_pre_red[0]; \
    for (int w = 1; w < (int)(blockDim.x >> 5); ++w) kref = fmaxf(kref, qf_pre_red[w]); \
    for (int j = threadIdx.x, qf_u = 0; j < BM + n_N; j += blockDim.x, ++qf_u) { const float qf_x = qf_u < 2 ? qf_pf[qf_u] : (j < BM ? pre_Qs[qf_head * n_N + (int)blockIdx.x * BM + j] : pre_Ks[qf_head * n_N + j - BM]); \
      if (j < BM) { \
        const int r = (int)blockIdx.x * BM + j; \
        if (r < n_N) { \
          const int k = qf_head * n_N + r; \
          const float e_sm = (qf_x * kref) * (pre_scale * (0x1.715476p0f)); \
          const int e_rs = (int)qf_sat(qf_f2ll_rne((0x1.0p0f) / e_sm), -2147483648LL, 2147483647LL); \
          const float e_47 = (float)e_rs; \
          p_rs_arg[k] = e_rs; \
          p_exp_m_arg[k] = (int)qf_sat(qf_f2ll_rne((-0x1.0p24f) / e_47), -2147483648LL, 2147483647LL); \
          p_exp_xmin_arg[k] = (int)qf_sat(qf_f2ll_rne((-0x1.0p5f) / e_sm), -2147483648LL, 2147483647LL); \
          p_poly_k2_arg[k] = (int)qf_sat(qf_f2ll_rne((0x1.6068d6p28f) / e_47), -2147483648LL, 2147483647LL); \
          p_req_m_arg[k] = (int)qf_sat(qf_f2ll_rne((0x1.fep23f) / e_47), -2147483648LL, 2147483647LL); \
          p_128_arg[k] = (i64)(int)qf_sat(qf_f2ll_rne((0x1.0p30f) / e_47), -2147483648LL, 2147483647LL); \
        } \
      } else { \
        const int k = qf_head * n_N + (j - BM); \
        const int a = (int)qf_sat(qf_f2ll_rne((qf_x / kref) * (0x1.0p16f)), -2147483648LL, 2147483647LL); \
        p_align_m_arg[k] = min(max(a, 0), 65536); \
      } \
    } \
    __syncthreads(); \
  }
