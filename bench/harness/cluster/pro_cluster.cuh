// Timing prototype (not emitted by the compiler): the int8 per-head prologue with each staged track's QF_CB blocks of a
// head as one thread-block cluster that shares the head through distributed shared memory, instead of each block
// staging all of it. Appended by build.sh to the emitted prologue's prelude, for D = 64, 256 threads, f16 inputs, K in
// groups of QF_KG tokens and pro_blocks = QF_CB; its output must hash like the emitted prologue's (call.cu prints both).
//
// Per K or V block (rank r of its cluster): stage only rows [r0, r1) of the head, a multiple of 16 tokens (V's key-major
// words span 16 keys), then:
//  K  the column means, summed by every block over all N rows in token order (rank by rank, each rank's rows read from
//     its shared memory through the cluster window: the interpreter's order, so the same bits); the column extremes of
//     its own rows at the same time; after a block barrier the group maxima of its own rows, folded by atomics into
//     rank 0's; after a cluster barrier each block reads the group maxima from rank 0 and quantizes its own rows.
//  V  the channel maxima of its own rows, folded into rank 0's; after a cluster barrier each block reads them and
//     quantizes its own 16-key groups into the key-major copy.
// A block leaves only after every block of its cluster has passed its last read of another's shared memory. Q's light
// blocks are the emitted prologue's, spliced in by build.sh.
// Measured (session 26, H100, bench/results/harness-s26-cluster.txt): the emitted prologue's bits, but 1.5-2.7x its time
// (the token-order means through the cluster window are N remote loads per column thread); not built into the emitter.
// Limits of the prototype: a block's rows span at most two K groups (N <= 128 * QF_CB at QF_KG = 128).
#define QF_THREADS 256
__device__ __forceinline__ unsigned qf_cl_rank() { unsigned r; asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(r)); return r; }
// The generic address of the same shared-memory object in block `rank` of this cluster (loads and atomics through it reach that block).
template <class T> __device__ __forceinline__ T* qf_cl_map(T* p, unsigned rank) {
  unsigned long long r; asm volatile("mapa.u64 %0, %1, %2;" : "=l"(r) : "l"(p), "r"(rank)); return reinterpret_cast<T*>(r);
}
__device__ __forceinline__ void qf_cl_arrive() { asm volatile("barrier.cluster.arrive.release.aligned;" ::: "memory"); }
__device__ __forceinline__ void qf_cl_wait() { asm volatile("barrier.cluster.wait.acquire.aligned;" ::: "memory"); }
__device__ __forceinline__ void qf_cl_sync() { qf_cl_arrive(); qf_cl_wait(); }

// f16 rows [r0, r1) of a 64-wide head into dst as f32, two 16-byte stores per 8 elements
__device__ __forceinline__ void qf_cl_stage(float* dst, const f16* src, int r0, int r1) {
  const int len = (r1 - r0) * 64;
  #pragma unroll 4
  for (int i = threadIdx.x * 8; i < len; i += QF_THREADS * 8) {
    const uint4 v = *reinterpret_cast<const uint4*>(&src[r0 * 64 + i]);
    *reinterpret_cast<float4*>(&dst[i + 0]) = make_float4(qf_h2f((f16)(v.x & 0xffffu)), qf_h2f((f16)(v.x >> 16)), qf_h2f((f16)(v.y & 0xffffu)), qf_h2f((f16)(v.y >> 16)));
    *reinterpret_cast<float4*>(&dst[i + 4]) = make_float4(qf_h2f((f16)(v.z & 0xffffu)), qf_h2f((f16)(v.z >> 16)), qf_h2f((f16)(v.w & 0xffffu)), qf_h2f((f16)(v.w >> 16)));
  }
}

__device__ __forceinline__ float qf_cl_kscale(int gm) { return __int_as_float(gm) == 0.0f ? 1.0f : __int_as_float(gm) / (0x1.fcp6f); }

extern "C" __global__ void __cluster_dims__(QF_CB, 1, 1) __launch_bounds__(256) qf_prologue(f16* __restrict__ p_Q, f16* __restrict__ p_K, f16* __restrict__ p_V, i8* __restrict__ b_Q_q, float* __restrict__ b_Q_s, i8* __restrict__ b_K_q, float* __restrict__ b_K_s, i8* __restrict__ b_V_q, float* __restrict__ b_V_s, float* __restrict__ b_K_scale_max_2_part, int n_N) {
  extern __shared__ float qf_dyn[];   // this block's rows of the head as f32
  __shared__ float qf_col[64];
  __shared__ int qf_colm[64];
  __shared__ int qf_gm[16];
  const int qf_lane = threadIdx.x & 31, qf_warp = threadIdx.x / 32;
  const int qf_head = (int)blockIdx.x / (3 * QF_CB);
  const int qf_part = (int)blockIdx.x % (3 * QF_CB);
  const int qf_track = qf_part / QF_CB;
  const int qf_sub = qf_part % QF_CB;   // = the block's rank in its cluster: a cluster is QF_CB consecutive blocks
  const int qf_base = qf_head * n_N * 64;
  const int qf_per = (n_N + 16 * QF_CB - 1) / (16 * QF_CB) * 16;   // rows per block, a multiple of 16
  const int qf_r0 = min(n_N, qf_sub * qf_per), qf_r1 = min(n_N, qf_r0 + qf_per);
  if (qf_track == 0) {
    const int qf_groups = (n_N + QF_KG - 1) / QF_KG;
    if ((int)threadIdx.x < 16) qf_gm[threadIdx.x] = 0;
    qf_cl_stage(qf_dyn, p_K + qf_base, qf_r0, qf_r1);
    qf_cl_sync();   // every block's rows staged (and rank 0's group maxima zeroed) before any block reads them
    const int qf_g0 = qf_r0 / QF_KG;
    float qf_hi = -qf_inf(), qf_lo = qf_inf();
    int qf_pg = -1, qf_pc = 0;
    if ((int)threadIdx.x < 64) {
      const int c = threadIdx.x;
      float qf_sum = 0.0f;
      for (int q = 0; q < QF_CB; ++q) {
        const float* qf_rows = qf_cl_map(qf_dyn, (unsigned)q);
        const int qf_n = min(n_N, (q + 1) * qf_per) - min(n_N, q * qf_per);
        #pragma unroll 16
        for (int r = 0; r < qf_n; ++r) {
          qf_sum = qf_sum + qf_rows[r * 64 + c];
        }
      }
      qf_col[c] = qf_sum / (float)n_N;
    }
    else if ((int)threadIdx.x - 64 < 128) {
      // (group, column) pairs of the block's own rows: at most two groups
      const int qf_pr = (int)threadIdx.x - 64;
      const int g = qf_g0 + qf_pr / 64;
      const int c = qf_pr % 64;
      if (qf_r1 > qf_r0 && g * QF_KG < qf_r1) {
        qf_pg = g; qf_pc = c;
        #pragma unroll 8
        for (int r = max(qf_r0, g * QF_KG); r < min(qf_r1, (g + 1) * QF_KG); ++r) {
          qf_hi = fmaxf(qf_hi, qf_dyn[(r - qf_r0) * 64 + c]);
          qf_lo = fminf(qf_lo, qf_dyn[(r - qf_r0) * 64 + c]);
        }
      }
    }
    __syncthreads();   // the means
    if (qf_pg >= 0) {
      atomicMax(qf_cl_map(&qf_gm[qf_pg], 0u), max(__float_as_int(fabsf(qf_hi - qf_col[qf_pc])), __float_as_int(fabsf(qf_lo - qf_col[qf_pc]))));
    }
    qf_cl_sync();   // every block's group maxima folded into rank 0's
    __shared__ int qf_gl[16];
    if ((int)threadIdx.x < qf_groups) qf_gl[threadIdx.x] = *qf_cl_map(&qf_gm[threadIdx.x], 0u);
    __syncthreads();
    qf_cl_arrive();   // done reading the others' shared memory; waited for before leaving
    if (qf_sub == 0 && qf_warp == 0) {
      float qf_p = -qf_inf();
      for (int g = qf_lane; g < qf_groups; g += 32) qf_p = fmaxf(qf_p, qf_cl_kscale(qf_gl[g]));
      for (int qf_s = 16; qf_s > 0; qf_s /= 2) qf_p = fmaxf(qf_p, __shfl_xor_sync(0xffffffffu, qf_p, qf_s));
      if (qf_lane == 0) b_K_scale_max_2_part[qf_head] = qf_p;
    }
    for (int i = qf_r0 * 64 + threadIdx.x * 4; i < qf_r1 * 64; i += QF_THREADS * 4) {
      const float qf_s = qf_cl_kscale(qf_gl[(i / 64) / QF_KG]);
      const float* x = &qf_dyn[i - qf_r0 * 64];
      *reinterpret_cast<u32*>(&b_K_q[qf_base + i]) = qf_pack4((i8)qf_sat_f2i_rne((x[0] - qf_col[(i + 0) % 64]) / qf_s, -128, 127), (i8)qf_sat_f2i_rne((x[1] - qf_col[(i + 1) % 64]) / qf_s, -128, 127), (i8)qf_sat_f2i_rne((x[2] - qf_col[(i + 2) % 64]) / qf_s, -128, 127), (i8)qf_sat_f2i_rne((x[3] - qf_col[(i + 3) % 64]) / qf_s, -128, 127));
    }
    for (int i = qf_r0 + threadIdx.x; i < qf_r1; i += QF_THREADS) b_K_s[qf_head * n_N + i] = qf_cl_kscale(qf_gl[i / QF_KG]);
    qf_cl_wait();
  }
  else if (qf_track == 1) {
    if ((int)threadIdx.x < 64) qf_colm[threadIdx.x] = 0;
    qf_cl_stage(qf_dyn, p_V + qf_base, qf_r0, qf_r1);
    qf_cl_sync();   // rank 0's maxima zeroed before any block folds into them
    {
      const int c = threadIdx.x % 64;
      int qf_m = 0;
      #pragma unroll 8
      for (int r = threadIdx.x / 64; r < qf_r1 - qf_r0; r += 4) qf_m = max(qf_m, __float_as_int(fabsf(qf_dyn[r * 64 + c])));
      atomicMax(qf_cl_map(&qf_colm[c], 0u), qf_m);
    }
    qf_cl_sync();   // every block's channel maxima folded into rank 0's
    if ((int)threadIdx.x < 64) {
      const int c = threadIdx.x;
      const int m = *qf_cl_map(&qf_colm[c], 0u);
      qf_col[c] = __int_as_float(m) == 0.0f ? 1.0f : __int_as_float(m) / (0x1.fcp6f);
      if (qf_sub == 0) b_V_s[qf_head * 64 + c] = qf_col[c];
    }
    __syncthreads();
    qf_cl_arrive();
    // its own 16-key groups into the key-major copy: a word per column and 4 keys, the column fastest across a warp
    const int qf_npad = (n_N + 15) & ~15;
    const int qf_w0 = 64 * (qf_r0 / 4), qf_w1 = qf_r1 <= qf_r0 ? qf_w0 : qf_r1 == n_N ? 64 * (qf_npad / 4) : 64 * (qf_r1 / 4);   // none for a block past N
    for (int w = qf_w0 + threadIdx.x; w < qf_w1; w += QF_THREADS) {
      const int c = w % 64;
      const int qf_p4 = w / 64;
      const int qf_g16 = qf_p4 / 4;
      const int qf_t = qf_p4 % 4;
      const int k0 = qf_g16 * 16 + 2 * qf_t, k1 = k0 + 1, k2 = k0 + 8, k3 = k0 + 9;
      #define QF_VQ(k) ((k) < n_N ? (i8)qf_sat_f2i_rne(qf_dyn[((k) - qf_r0) * 64 + c] / qf_col[c], -128, 127) : (i8)0)
      *reinterpret_cast<u32*>(&b_V_q[(qf_head * 64 + c) * qf_npad + qf_g16 * 16 + 4 * qf_t]) = qf_pack4(QF_VQ(k0), QF_VQ(k1), QF_VQ(k2), QF_VQ(k3));
      #undef QF_VQ
    }
    qf_cl_wait();
  }
  // QF_LIGHT_TRACK: build.sh puts the emitted prologue's Q branch here (`else { ... }`, Q per token on the head's light blocks)
  qf_pdl_trigger();
}
