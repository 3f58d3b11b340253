// Timing prototype (session 19): the int8 prologue of a small batch, B blocks per (z, h) head and no grid
// barrier. Each block stages one tensor of its head and recomputes that tensor's statistics: the first B/2 stage K
// only (its means, centring and block scales, then their share of K), the others V only (its maxima, then
// their share of V); Q's tokens are shared by all B. Each block walks one tensor of its head instead of two.
extern "C" __global__ void __launch_bounds__(QF_PT) qf_headpro(const f16* __restrict__ Q, const f16* __restrict__ K, const f16* __restrict__ V,
    i8* __restrict__ Qq, float* __restrict__ Qs, i8* __restrict__ Kq, float* __restrict__ Ks, i8* __restrict__ Vq, float* __restrict__ Vs,
    float* __restrict__ kpart, int n_N) {
  extern __shared__ float qf_sh[];
  float* sX = qf_sh;   // this block's tensor (K or V), f32
  __shared__ float sMean[QF_D], sVs[QF_D], sKs[8];
  __shared__ int sRed[QF_PT / 32][8];
  const int head = blockIdx.x / QF_B, part = blockIdx.x % QF_B, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int half = QF_B / 2, kSide = part < half, sub = kSide ? part : part - half;
  const int NE = n_N * QF_D, base = head * NE;
  const f16* X = kSide ? K : V;
  const int qps = (n_N + QF_B - 1) / QF_B, q0 = min(n_N, part * qps), q1 = min(n_N, q0 + qps);   // Q tokens
  const int tps = (n_N + half - 1) / half, t0 = min(n_N, sub * tps), t1 = min(n_N, t0 + tps);     // K tokens
  const int npad = (n_N + 15) & ~15, nw = QF_D * (npad / 4), wps = (nw + half - 1) / half, w0 = min(nw, sub * wps), w1 = min(nw, w0 + wps);
  #pragma unroll 4
  for (int i = tid * 8; i < NE; i += QF_PT * 8) {
    const uint4 x8 = *reinterpret_cast<const uint4*>(&X[base + i]);
    const u32 xw[4] = {x8.x, x8.y, x8.z, x8.w};
    #pragma unroll
    for (int u = 0; u < 4; ++u) { sX[i + 2 * u] = qf_h2f((f16)(xw[u] & 0xffffu)); sX[i + 2 * u + 1] = qf_h2f((f16)(xw[u] >> 16)); }
  }
  __syncthreads();
  if (tid < QF_D) {
    if (kSide) {
      float s = 0.0f;
      #pragma unroll 8
      for (int r = 0; r < n_N; ++r) s = s + sX[r * QF_D + tid];
      sMean[tid] = s / (float)n_N;
    } else {
      int m = 0;
      #pragma unroll 8
      for (int r = 0; r < n_N; ++r) m = max(m, __float_as_int(fabsf(sX[r * QF_D + tid])));
      const float sc = __int_as_float(m) == 0.0f ? 1.0f : __int_as_float(m) / (0x1.fcp6f);
      sVs[tid] = sc;
      if (sub == 0) Vs[head * QF_D + tid] = sc;
    }
  } else if (warp >= 2) {
    for (int t = q0 + warp - 2; t < q1; t += QF_PT / 32 - 2) {
      const int o = base + t * QF_D;
      float x[QF_D / 32];
      int m = 0;
      #pragma unroll
      for (int u = 0; u < QF_D / 32; ++u) { x[u] = qf_h2f(Q[o + lane + 32 * u]); m = max(m, __float_as_int(fabsf(x[u]))); }
      for (int s = 16; s > 0; s /= 2) m = max(m, __shfl_xor_sync(0xffffffffu, m, s));
      const float a = __int_as_float(m), sc = a == 0.0f ? 1.0f : a / (0x1.fcp6f);
      #pragma unroll
      for (int u = 0; u < QF_D / 32; ++u) Qq[o + lane + 32 * u] = (i8)qf_sat_f2i_rne(x[u] / sc, -128, 127);
      if (lane == 0) Qs[head * n_N + t] = sc;
    }
  }
  __syncthreads();
  if (kSide) {
    const int nb = (n_N + QF_KB - 1) / QF_KB;
    int bm[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = tid; i < NE; i += QF_PT) {
      const float c = sX[i] - sMean[i % QF_D];
      sX[i] = c;
      const int b = (i / QF_D) / QF_KB;
      #pragma unroll
      for (int u = 0; u < 8; ++u) if (u == b) bm[u] = max(bm[u], __float_as_int(fabsf(c)));
    }
    for (int u = 0; u < nb; ++u) {
      int v = bm[0];
      #pragma unroll
      for (int w = 1; w < 8; ++w) if (w == u) v = bm[w];
      for (int s = 16; s > 0; s /= 2) v = max(v, __shfl_xor_sync(0xffffffffu, v, s));
      if (lane == 0) sRed[warp][u] = v;
    }
    __syncthreads();
    if (tid < nb) {
      int m = 0;
      for (int w = 0; w < QF_PT / 32; ++w) m = max(m, sRed[w][tid]);
      sKs[tid] = __int_as_float(m) == 0.0f ? 1.0f : __int_as_float(m) / (0x1.fcp6f);
    }
    __syncthreads();
    if (tid == 0 && sub == 0) { float m = -qf_inf(); for (int b = 0; b < nb; ++b) m = fmaxf(m, sKs[b]); kpart[head] = m; }
    for (int i = t0 * QF_D + tid * 4; i < t1 * QF_D; i += QF_PT * 4) {
      const float s = sKs[(i / QF_D) / QF_KB];
      *reinterpret_cast<u32*>(&Kq[base + i]) = qf_pack4((i8)qf_sat_f2i_rne(sX[i] / s, -128, 127), (i8)qf_sat_f2i_rne(sX[i + 1] / s, -128, 127),
          (i8)qf_sat_f2i_rne(sX[i + 2] / s, -128, 127), (i8)qf_sat_f2i_rne(sX[i + 3] / s, -128, 127));
    }
    for (int t = t0 + tid; t < t1; t += QF_PT) Ks[head * n_N + t] = sKs[t / QF_KB];
  } else {
    for (int w = w0 + tid; w < w1; w += QF_PT) {
      const int c = w / (npad / 4), p4 = w % (npad / 4), g16 = p4 / 4, t = p4 % 4;
      u32 b[4];
      #pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int key = g16 * 16 + (j < 2 ? 2 * t + j : 2 * t + 8 + j - 2);
        b[j] = key < n_N ? (u32)(u8)(i8)qf_sat_f2i_rne(sX[key * QF_D + c] / sVs[c], -128, 127) : 0u;
      }
      *reinterpret_cast<u32*>(&Vq[(head * QF_D + c) * npad + g16 * 16 + 4 * t]) = b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24;
    }
  }
}
