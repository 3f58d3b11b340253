// per-head prologue of kernel @flash_attention (pro_blocks = 2): [K, V] staged, 2 blocks each per head; [Q] per token, on 2 more
// qflash device prelude: the IR's scalar semantics in CUDA C (mirrors qflash.interp.Arith) and the
// tensor-core and cp.async primitives the kernels are built from. Included verbatim in every kernel.
typedef signed char i8;
typedef unsigned char u8;
typedef unsigned short f16;   // IEEE half, carried as its bits: no cuda_fp16.h needed under NVRTC
typedef long long i64;
typedef unsigned int u32;
typedef unsigned long long u64;

// Integer arithmetic wraps (two's complement) as the IR defines it: computed unsigned, never UB.
#define QF_WRAP_OPS(T, U) \
  __device__ __forceinline__ T qf_add_##T(T a, T b) { return (T)((U)a + (U)b); } \
  __device__ __forceinline__ T qf_sub_##T(T a, T b) { return (T)((U)a - (U)b); } \
  __device__ __forceinline__ T qf_mul_##T(T a, T b) { return (T)((U)a * (U)b); } \
  __device__ __forceinline__ T qf_neg_##T(T a) { return (T)(0 - (U)a); }
QF_WRAP_OPS(i8, u32)
QF_WRAP_OPS(u8, u32)
QF_WRAP_OPS(short, u32)
QF_WRAP_OPS(int, u32)
QF_WRAP_OPS(i64, u64)

// Shifts by any amount: a negative count shifts the other way, a count past the width gives 0 (left)
// or the sign (right), exactly Arith.shl/shr.
__device__ __forceinline__ i64 qf_shl64(i64 a, i64 n) { return n >= 64 ? 0 : (i64)((u64)a << n); }
__device__ __forceinline__ i64 qf_shr64(i64 a, i64 n) { return n >= 63 ? (a < 0 ? -1 : 0) : a >> n; }
// Narrow types shift in 32 bits: counts from 32 on give 0 (left) or the sign (right), as in 64.
__device__ __forceinline__ int qf_shr_int(int a, int n) { return n >= 0 ? a >> min(n, 31) : (n <= -32 ? 0 : (int)((u32)a << -n)); }
// A count known to be >= 0 but maybe past 31: PTX's shr takes the count unsigned and saturates it at 32,
// which gives the sign, as Arith.shr does. One instruction.
__device__ __forceinline__ int qf_shr_nonneg(int a, int n) { int d; asm("shr.s32 %0, %1, %2;" : "=r"(d) : "r"(a), "r"(n)); return d; }
__device__ __forceinline__ int qf_shl_int(int a, int n) { return n >= 0 ? (n >= 32 ? 0 : (int)((u32)a << n)) : a >> (n <= -31 ? 31 : -n); }
__device__ __forceinline__ i64 qf_shl_i64(i64 a, i64 n) { return n < 0 ? (n == (i64)0x8000000000000000LL ? 0 : qf_shr64(a, -n)) : qf_shl64(a, n); }
__device__ __forceinline__ i64 qf_shr_i64(i64 a, i64 n) { return n < 0 ? (n == (i64)0x8000000000000000LL ? 0 : qf_shl64(a, -n)) : qf_shr64(a, n); }

// Division by zero gives 0; computed in 64 bits so that min / -1 wraps instead of trapping.
__device__ __forceinline__ i64 qf_div64(i64 a, i64 b) { return b == 0 ? 0 : (b == -1 ? (i64)(0 - (u64)a) : a / b); }
__device__ __forceinline__ i64 qf_floordiv64(i64 a, i64 b) { if (b == 0) return 0; i64 q = qf_div64(a, b); return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q; }
__device__ __forceinline__ i64 qf_rem64(i64 a, i64 b) { return (b == 0 || b == -1) ? 0 : a % b; }

// Float to integer: round, NaN to 0, clamp to the i64 range (PTX cvt does all three), then narrow.
__device__ __forceinline__ i64 qf_f2ll_rne(float v) { return __float2ll_rn(v); }
__device__ __forceinline__ i64 qf_f2ll_trunc(float v) { return __float2ll_rz(v); }
__device__ __forceinline__ i64 qf_f2ll_floor(float v) { return __float2ll_rd(v); }
__device__ __forceinline__ i64 qf_f2ll_rne(double v) { return __double2ll_rn(v); }
__device__ __forceinline__ i64 qf_f2ll_trunc(double v) { return __double2ll_rz(v); }
__device__ __forceinline__ i64 qf_f2ll_floor(double v) { return __double2ll_rd(v); }
__device__ __forceinline__ i64 qf_sat(i64 v, i64 lo, i64 hi) { return v < lo ? lo : v > hi ? hi : v; }
// sat(rne(v)) into [lo, hi] within the i32 range: cvt.rni.s32 rounds, sends NaN to 0 and clamps to i32 as
// the i64 form does to i64, so the result is the same, from one 32-bit convert instead of a 64-bit one.
__device__ __forceinline__ int qf_sat_f2i_rne(float v, int lo, int hi) { return min(max(__float2int_rn(v), lo), hi); }
// i64 to i32, saturating: it fits exactly when the high word is the low word's sign.
__device__ __forceinline__ int qf_sat_i32(i64 v) {
  const int lo = (int)v, hi = (int)(v >> 32);
  return hi == (lo >> 31) ? lo : (hi < 0 ? (int)0x80000000 : 0x7fffffff);
}

// The exact product of two 32-bit values: one widening multiply. Written as PTX because the C form
// (i64)a * (i64)b loses its sign extensions to the optimizer when an operand is a select (a saturated
// value), and a full 64 x 64 product (five instructions) comes out.
__device__ __forceinline__ i64 qf_mul_wide(int a, int b) { i64 d; asm("mul.wide.s32 %0, %1, %2;" : "=l"(d) : "r"(a), "r"(b)); return d; }

// max(min(a, hi), 0), a clamp into [0, hi] for hi >= 0, as one instruction (PTX min.relu.s32, sm_90 on)
// where min and max would be two.
__device__ __forceinline__ int qf_clamp0(int a, int hi) {
#if __CUDA_ARCH__ >= 900
  int d; asm("min.relu.s32 %0, %1, %2;" : "=r"(d) : "r"(a), "r"(hi));
  __builtin_assume(d >= 0 && d <= hi);   // so that a u8 or u16 use needs no mask
  return d;
#else
  return max(min(a, hi), 0);
#endif
}

__device__ __forceinline__ float qf_h2f(f16 h) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }
__device__ __forceinline__ f16 qf_f2h(float f) { f16 h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }
__device__ __forceinline__ float qf_inf() { return __int_as_float(0x7f800000); }

// Programmatic dependent launch (PTX griddepcontrol, sm_90 on), for a schedule with pdl = 1. The runtime then
// launches the body as a programmatic dependent of the prologue: the body's blocks may be set up while the
// prologue's last blocks run. The prologue triggers that at its very end (each block after its last store), and
// the body waits, before it reads anything, until the prologue has finished and its writes are visible. Both are
// no-ops in a kernel launched the ordinary way, and compile to nothing before sm_90.
__device__ __forceinline__ void qf_pdl_trigger() {
#if __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}
__device__ __forceinline__ void qf_pdl_wait() {
#if __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

__device__ __forceinline__ u32 qf_pack4(u32 a, u32 b, u32 c, u32 d) { return (a & 0xff) | (b & 0xff) << 8 | (c & 0xff) << 16 | (d & 0xff) << 24; }
// Four 32-bit values saturated to 8 bits and packed, a in the low byte: cvt.pack.sat converts two and puts them
// below the low half of its third operand, so two instructions do four clamps and the packing.
#define QF_PACK4_SAT(T) \
  __device__ __forceinline__ u32 qf_pack4_sat_##T(int a, int b, int c, int d) { \
    u32 hi, r; \
    asm("cvt.pack.sat." #T ".s32.b32 %0, %1, %2, 0;" : "=r"(hi) : "r"(d), "r"(c)); \
    asm("cvt.pack.sat." #T ".s32.b32 %0, %1, %2, %3;" : "=r"(r) : "r"(b), "r"(a), "r"(hi)); \
    return r; \
  }
QF_PACK4_SAT(u8)
QF_PACK4_SAT(s8)
__device__ __forceinline__ u32 qf_pack2(u32 a, u32 b) { return (a & 0xffff) | (b & 0xffff) << 16; }

// One warp-wide tensor-core product, D = A B + D (PTX ISA, mma.sync.aligned.m16n8k32 / m16n8k16).
__device__ __forceinline__ void qf_mma_s8s8(int* c, const u32* a, u32 b0, u32 b1) {
  asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
__device__ __forceinline__ void qf_mma_u8s8(int* c, const u32* a, u32 b0, u32 b1) {
  asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.u8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
__device__ __forceinline__ void qf_mma_f16(float* c, const u32* a, u32 b0, u32 b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3]) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// 16 bytes global to shared without a register round trip; src_bytes = 0 fills zeros (padding rows).
__device__ __forceinline__ void qf_cp_async16(void* smem, const void* gmem, int src_bytes) {
  u32 s = (u32)__cvta_generic_to_shared(smem);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(s), "l"(gmem), "r"(src_bytes));
}
// 4 bytes global to shared (a vector element staged with the tiles of its loop step).
__device__ __forceinline__ void qf_cp_async4(void* smem, const void* gmem, int src_bytes) {
  u32 s = (u32)__cvta_generic_to_shared(smem);
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;" :: "r"(s), "l"(gmem), "r"(src_bytes));
}
__device__ __forceinline__ void qf_cp_async_commit() { asm volatile("cp.async.commit_group;"); }
template <int N> __device__ __forceinline__ void qf_cp_async_wait() { asm volatile("cp.async.wait_group %0;" :: "n"(N)); }

// Four 8x8 matrices of 16-bit elements (rows of 16 bytes) from shared memory, lane l giving the address of
// row l % 8 of matrix l / 8; each lane receives, per matrix, the 4 bytes at 4 * (l % 4) of row l / 4. For a
// row-major tile of 16-byte rows that is exactly an mma fragment register (8-bit k32 or 16-bit k16): one
// instruction instead of four 32-bit loads (PTX ISA, ldmatrix).
__device__ __forceinline__ void qf_ldmatrix_x4(u32* r, const void* smem) {
  u32 s = (u32)__cvta_generic_to_shared(smem);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(s));
}

// The same with each 8x8 matrix transposed: lane (g, t) receives elements (2t, g) and (2t + 1, g) of each, so
// for a tile with k down its rows (f16 V) that is a k16 B fragment register.
__device__ __forceinline__ void qf_ldmatrix_x4_trans(u32* r, const void* smem) {
  u32 s = (u32)__cvta_generic_to_shared(smem);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];" : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(s));
}

#define QF_THREADS 256   // the block size this kernel is launched with
extern "C" __global__ void __launch_bounds__(256) qf_prologue(f16* __restrict__ p_Q, f16* __restrict__ p_K, f16* __restrict__ p_V, i8* __restrict__ b_Q_q, float* __restrict__ b_Q_s, i8* __restrict__ b_K_q, float* __restrict__ b_K_s, i8* __restrict__ b_V_q, float* __restrict__ b_V_s, float* __restrict__ b_K_scale_max, int* __restrict__ b_rs_pro, int* __restrict__ b_exp_m_pro, int* __restrict__ b_exp_xmin_pro, int* __restrict__ b_poly_k2_pro, int* __restrict__ b_req_m_pro, int* __restrict__ b_align_m_pro, i64* __restrict__ b_126_pro, float s_scale, int n_N) {
  extern __shared__ float qf_dyn[];   // one head of the block's tensor as f32, then its group maxima
  const int qf_lane = threadIdx.x & 31, qf_warp = threadIdx.x / 32;
  const int qf_head = (int)blockIdx.x / 6;
  // 3 x 2 blocks per head: qf_track is the staged tensor (or, last, the light ones), qf_sub the block's share of it
  const int qf_part = (int)blockIdx.x % 6;
  const int qf_track = qf_part / 2;
  const int qf_sub = qf_part % 2;
  const int qf_len = n_N * 64;
  const int qf_base = qf_head * qf_len;
  // the tokens this block quantizes: its share of the head
  const int qf_per = (n_N + 1) / 2;
  const int qf_t0 = min(n_N, qf_sub * qf_per);
  const int qf_t1 = min(n_N, qf_t0 + qf_per);
  __shared__ float qf_col[64];
  __shared__ int qf_colm[64];
  // the column statistic; after the staged head, the run quantization's group maxima (the bits of |x|: a max of them is a max of |x|)
  int* qf_gm = reinterpret_cast<int*>(qf_dyn + qf_len);
  if (qf_track == 0) {
    // K: staged as f32, its statistics computed by each of its 2 blocks of the head
    const int qf_groups = (n_N + 63) / 64;
    for (int g = threadIdx.x; g < qf_groups; g += QF_THREADS) {
      qf_gm[g] = 0;
    }
    #pragma unroll 4
    for (int i = threadIdx.x * 8; i < qf_len; i += QF_THREADS * 8) {
      const uint4 qf_v = *reinterpret_cast<const uint4*>(&p_K[qf_base + i]);
      *reinterpret_cast<float4*>(&qf_dyn[i + 0]) = make_float4(qf_h2f((f16)(qf_v.x & 0xffffu)), qf_h2f((f16)(qf_v.x >> 16)), qf_h2f((f16)(qf_v.y & 0xffffu)), qf_h2f((f16)(qf_v.y >> 16)));
      *reinterpret_cast<float4*>(&qf_dyn[i + 4]) = make_float4(qf_h2f((f16)(qf_v.z & 0xffffu)), qf_h2f((f16)(qf_v.z >> 16)), qf_h2f((f16)(qf_v.w & 0xffffu)), qf_h2f((f16)(qf_v.w >> 16)));
    }
    __syncthreads();
    const bool qf_ext = qf_groups * 64 <= 384;
    float qf_hi[2];
    float qf_lo[2];
    if ((int)threadIdx.x < 64) {
      const int c = threadIdx.x;
      float qf_sum = 0.0f;
      #pragma unroll 16
      for (int r = 0; r < n_N; ++r) {
        qf_sum = qf_sum + qf_dyn[r * 64 + c];
      }
      qf_col[c] = qf_sum / (float)n_N;
    }
    else if (qf_ext) {
      #pragma unroll
      for (int u = 0; u < 2; ++u) {
        const int qf_pr = (int)threadIdx.x - 64 + u * 192;
        qf_hi[u] = -qf_inf();
        qf_lo[u] = qf_inf();
        if (qf_pr < qf_groups * 64) {
          const int g = qf_pr / 64;
          const int c = qf_pr % 64;
          #pragma unroll 8
          for (int r = g * 64; r < min(n_N, (g + 1) * 64); ++r) {
            qf_hi[u] = fmaxf(qf_hi[u], qf_dyn[r * 64 + c]);
            qf_lo[u] = fminf(qf_lo[u], qf_dyn[r * 64 + c]);
          }
        }
      }
    }
    __syncthreads();
    // %K.q, %K.s: the maxima of all the head's groups of 64 tokens, from each column's extremes
    if (qf_ext) {
      if ((int)threadIdx.x >= 64) {
        #pragma unroll
        for (int u = 0; u < 2; ++u) {
          const int qf_pr = (int)threadIdx.x - 64 + u * 192;
          if (qf_pr < qf_groups * 64) {
            const int c = qf_pr % 64;
            atomicMax(&qf_gm[qf_pr / 64], max(__float_as_int(fabsf(qf_hi[u] - qf_col[c])), __float_as_int(fabsf(qf_lo[u] - qf_col[c]))));
          }
        }
      }
    }
    else {
      // more groups than the spare threads hold: a pass over the centred head, qf_wpg warps a group where there are fewer groups than warps
      const int qf_wpg = max(1, 8 / qf_groups);
      for (int qf_it = qf_warp; qf_it < qf_groups * qf_wpg; qf_it += 8) {
        const int g = qf_it / qf_wpg;
        int qf_m = 0;
        #pragma unroll 8
        for (int i = g * 64 * 64 + (qf_it % qf_wpg) * 32 + qf_lane; i < min(n_N, (g + 1) * 64) * 64; i += 32 * qf_wpg) {
          qf_m = max(qf_m, __float_as_int(fabsf((qf_dyn[i] - qf_col[i % 64]))));
        }
        for (int qf_s = 16; qf_s > 0; qf_s /= 2) {
          qf_m = max(qf_m, __shfl_xor_sync(0xffffffffu, qf_m, qf_s));
        }
        if (qf_lane == 0) atomicMax(&qf_gm[g], qf_m);
      }
    }
    __syncthreads();
    // %K.scale.max: this head's, the max of its group scales (each token has its group's)
    if (qf_sub == 0 && qf_warp == 0) {
      float qf_p = -qf_inf();
      for (int g = qf_lane; g < qf_groups; g += 32) {
        qf_p = fmaxf(qf_p, (__int_as_float(qf_gm[g]) == 0.0f ? 1.0f : __int_as_float(qf_gm[g]) / (0x1.fcp6f)));
      }
      for (int qf_s = 16; qf_s > 0; qf_s /= 2) {
        qf_p = fmaxf(qf_p, __shfl_xor_sync(0xffffffffu, qf_p, qf_s));
      }
      if (qf_lane == 0) b_K_scale_max[qf_head] = qf_p;
    }
    for (int i = qf_t0 * 64 + threadIdx.x * 4; i < qf_t1 * 64; i += QF_THREADS * 4) {
      const float qf_s = (__int_as_float(qf_gm[(i / 64) / 64]) == 0.0f ? 1.0f : __int_as_float(qf_gm[(i / 64) / 64]) / (0x1.fcp6f));
      *reinterpret_cast<u32*>(&b_K_q[qf_base + i]) = qf_pack4((i8)qf_sat_f2i_rne((qf_dyn[i + 0] - qf_col[(i + 0) % 64]) / qf_s, -128, 127), (i8)qf_sat_f2i_rne((qf_dyn[i + 1] - qf_col[(i + 1) % 64]) / qf_s, -128, 127), (i8)qf_sat_f2i_rne((qf_dyn[i + 2] - qf_col[(i + 2) % 64]) / qf_s, -128, 127), (i8)qf_sat_f2i_rne((qf_dyn[i + 3] - qf_col[(i + 3) % 64]) / qf_s, -128, 127));
    }
    for (int i = qf_t0 + threadIdx.x; i < qf_t1; i += QF_THREADS) {
      b_K_s[qf_head * n_N + i] = (__int_as_float(qf_gm[i / 64]) == 0.0f ? 1.0f : __int_as_float(qf_gm[i / 64]) / (0x1.fcp6f));
    }
    // the launch constants of this block's tokens: %K.scale.max of the head, %K.s of each token's group, %Q.s recomputed
    float qf_max_K_scale_max = -qf_inf();
    for (int g = 0; g < qf_groups; ++g) {
      qf_max_K_scale_max = fmaxf(qf_max_K_scale_max, (__int_as_float(qf_gm[g]) == 0.0f ? 1.0f : __int_as_float(qf_gm[g]) / (0x1.fcp6f)));
    }
    for (int qf_tw = qf_t0 + qf_warp * 2; qf_tw < qf_t1; qf_tw += 16) {
      const int t = qf_tw + qf_lane / 16;
      const bool qf_in = t < qf_t1;
      const int qf_o = qf_base + min(t, n_N - 1) * 64;
      float qf_s_Q = 0.0f;
       {
        float qf_x[4];
        int qf_m = 0;
        #pragma unroll
        for (int u = 0; u < 4; ++u) {
          const int j = qf_lane % 16 + 16 * u;
          qf_x[u] = qf_in ? qf_h2f(p_Q[qf_o + j]) : 0.0f;
          qf_m = max(qf_m, __float_as_int(fabsf(qf_x[u])));
        }
        for (int qf_s = 8; qf_s > 0; qf_s /= 2) {
          qf_m = max(qf_m, __shfl_xor_sync(0xffffffffu, qf_m, qf_s));
        }
        qf_s_Q = __int_as_float(qf_m) == 0.0f ? 1.0f : __int_as_float(qf_m) / (0x1.fcp6f);
      }
      if (qf_in && qf_lane % 16 == 0) {
        const float e_q_scale_pro = (float)(qf_s_Q);
        const float e_37_pro = (e_q_scale_pro * qf_max_K_scale_max);
        const float e_sm_pro = (e_37_pro * (s_scale * (0x1.715476p0f)));
        const float e_inv_sm_pro = ((0x1.0p0f) / e_sm_pro);
        const int e_rs_pro = (int)qf_sat(qf_f2ll_rne(e_inv_sm_pro), -2147483648LL, 2147483647LL);
        b_rs_pro[qf_head * n_N + t] = e_rs_pro;
        const float e_41_pro = (float)(e_rs_pro);
        const float e_46_pro = ((-0x1.0p24f) / e_41_pro);
        const float e_52_pro = ((-0x1.0p5f) / e_sm_pro);
        const float e_73_pro = ((0x1.6068d6p28f) / e_41_pro);
        const float e_111_pro = ((0x1.fep23f) / e_41_pro);
        const float e_123_pro = ((0x1.0p30f) / e_41_pro);
        const float e_k_scale_pro = (float)((__int_as_float(qf_gm[t / 64]) == 0.0f ? 1.0f : __int_as_float(qf_gm[t / 64]) / (0x1.fcp6f)));
        const float e_13_pro = (e_k_scale_pro / qf_max_K_scale_max);
        const float e_16_pro = (e_13_pro * (0x1.0p16f));
        const int e_exp_m_pro = (int)qf_sat(qf_f2ll_rne(e_46_pro), -2147483648LL, 2147483647LL);
        b_exp_m_pro[qf_head * n_N + t] = e_exp_m_pro;
        const int e_exp_xmin_pro = (int)qf_sat(qf_f2ll_rne(e_52_pro), -2147483648LL, 2147483647LL);
        b_exp_xmin_pro[qf_head * n_N + t] = e_exp_xmin_pro;
        const int e_poly_k2_pro = (int)qf_sat(qf_f2ll_rne(e_73_pro), -2147483648LL, 2147483647LL);
        b_poly_k2_pro[qf_head * n_N + t] = e_poly_k2_pro;
        const int e_req_m_pro = (int)qf_sat(qf_f2ll_rne(e_111_pro), -2147483648LL, 2147483647LL);
        b_req_m_pro[qf_head * n_N + t] = e_req_m_pro;
        const int e_realign_m_pro = (int)qf_sat(qf_f2ll_rne(e_123_pro), -2147483648LL, 2147483647LL);
        const i64 e_126_pro = (i64)(e_realign_m_pro);
        b_126_pro[qf_head * n_N + t] = e_126_pro;
        const int e_align_m_raw_pro = (int)qf_sat(qf_f2ll_rne(e_16_pro), -2147483648LL, 2147483647LL);
        const int e_19_pro = (int)max(e_align_m_raw_pro, 0);
        const int e_align_m_pro = (int)min(e_19_pro, 65536);
        b_align_m_pro[qf_head * n_N + t] = e_align_m_pro;
      }
    }
  }
  else if (qf_track == 1) {
    // V: staged as f32, its statistics computed by each of its 2 blocks of the head
    if ((int)threadIdx.x < 64) qf_colm[threadIdx.x] = 0;
    #pragma unroll 4
    for (int i = threadIdx.x * 8; i < qf_len; i += QF_THREADS * 8) {
      const uint4 qf_v = *reinterpret_cast<const uint4*>(&p_V[qf_base + i]);
      *reinterpret_cast<float4*>(&qf_dyn[i + 0]) = make_float4(qf_h2f((f16)(qf_v.x & 0xffffu)), qf_h2f((f16)(qf_v.x >> 16)), qf_h2f((f16)(qf_v.y & 0xffffu)), qf_h2f((f16)(qf_v.y >> 16)));
      *reinterpret_cast<float4*>(&qf_dyn[i + 4]) = make_float4(qf_h2f((f16)(qf_v.z & 0xffffu)), qf_h2f((f16)(qf_v.z >> 16)), qf_h2f((f16)(qf_v.w & 0xffffu)), qf_h2f((f16)(qf_v.w >> 16)));
    }
    __syncthreads();
     {
      const int c = threadIdx.x % 64;
      int qf_m = 0;
      #pragma unroll 8
      for (int r = threadIdx.x / 64; r < n_N; r += 4) {
        qf_m = max(qf_m, __float_as_int(fabsf(qf_dyn[r * 64 + c])));
      }
      atomicMax(&qf_colm[c], qf_m);
    }
    __syncthreads();
    if ((int)threadIdx.x < 64) {
      const int c = threadIdx.x;
      qf_col[c] = __int_as_float(qf_colm[c]) == 0.0f ? 1.0f : __int_as_float(qf_colm[c]) / (0x1.fcp6f);
      if (qf_sub == 0) b_V_s[qf_head * 64 + c] = qf_col[c];
    }
    __syncthreads();
    // %V.q: quantized into its key-major copy, this block's share of the head's words
    const int qf_npad = (n_N + 15) & ~15;
    const int qf_words = 64 * (qf_npad / 4);
    const int qf_wper = (qf_words + 1) / 2;
    const int qf_w1 = min(qf_words, (qf_sub + 1) * qf_wper);
    for (int w = qf_sub * qf_wper + threadIdx.x; w < qf_w1; w += QF_THREADS) {
      const int c = w % 64;
      const int qf_p4 = w / 64;
      const int qf_g16 = qf_p4 / 4;
      const int qf_t = qf_p4 % 4;
      const int qf_key0 = qf_g16 * 16 + 2 * qf_t + 0;
      const int qf_key1 = qf_g16 * 16 + 2 * qf_t + 1;
      const int qf_key2 = qf_g16 * 16 + 2 * qf_t + 8;
      const int qf_key3 = qf_g16 * 16 + 2 * qf_t + 9;
      *reinterpret_cast<u32*>(&b_V_q[(qf_head * 64 + c) * qf_npad + qf_g16 * 16 + 4 * qf_t]) = qf_pack4(qf_key0 < n_N ? (i8)qf_sat_f2i_rne(qf_dyn[qf_key0 * 64 + c] / qf_col[c], -128, 127) : 0, qf_key1 < n_N ? (i8)qf_sat_f2i_rne(qf_dyn[qf_key1 * 64 + c] / qf_col[c], -128, 127) : 0, qf_key2 < n_N ? (i8)qf_sat_f2i_rne(qf_dyn[qf_key2 * 64 + c] / qf_col[c], -128, 127) : 0, qf_key3 < n_N ? (i8)qf_sat_f2i_rne(qf_dyn[qf_key3 * 64 + c] / qf_col[c], -128, 127) : 0);
    }
  }
  else {
    // %Q.q, %Q.s = quantize Q per token: 16 lanes a token, 2 tokens a warp at a time, the head's tokens shared by its blocks
    for (int qf_tw = (qf_sub * 8 + qf_warp) * 2; qf_tw < n_N; qf_tw += 32) {
      const int t = qf_tw + qf_lane / 16;
      const bool qf_in = t < n_N;
      const int qf_o = qf_base + min(t, n_N - 1) * 64;
      float qf_x[4];
      int qf_m = 0;
      #pragma unroll
      for (int u = 0; u < 4; ++u) {
        const int j = qf_lane % 16 + 16 * u;
        qf_x[u] = qf_in ? qf_h2f(p_Q[qf_o + j]) : 0.0f;
        qf_m = max(qf_m, __float_as_int(fabsf(qf_x[u])));
      }
      for (int qf_s = 8; qf_s > 0; qf_s /= 2) {
        qf_m = max(qf_m, __shfl_xor_sync(0xffffffffu, qf_m, qf_s));
      }
      const float qf_s = __int_as_float(qf_m) == 0.0f ? 1.0f : __int_as_float(qf_m) / (0x1.fcp6f);
      if (qf_in) {
        #pragma unroll
        for (int u = 0; u < 4; ++u) {
          const int j = qf_lane % 16 + 16 * u;
          b_Q_q[qf_o + j] = (i8)qf_sat_f2i_rne(qf_x[u] / qf_s, -128, 127);
        }
        if (qf_lane % 16 == 0) b_Q_s[qf_head * n_N + t] = qf_s;
      }
    }
  }
}