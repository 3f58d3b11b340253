// kernel @flash_attention for CUDA: schedule {BLOCK_M=64, BLOCK_N=64, warps=4, stages=2, ksplit=1, pro_blocks=0, pdl=0, min_blocks=0}, {D=64}, from flash_attention.tile
#define QF_D 64
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

extern "C" __global__ void __launch_bounds__(128, 4) qf_flash_attention(const int* __restrict__ r_exp_m_arg, const int* __restrict__ r_rs_arg, const int* __restrict__ r_req_m_arg, const i64* __restrict__ r_82_arg, int n_H, int n_N, i8* __restrict__ p_Q_i8, int n_Z, float* __restrict__ p_V_scale, i8* __restrict__ p_K_i8, i8* __restrict__ p_V_i8, float* __restrict__ p_O) {
  extern __shared__ __align__(16) unsigned char qf_smem[];
  const int qf_warp = threadIdx.x / 32, qf_lane = threadIdx.x & 31;
  const int qf_g = qf_lane / 4, qf_t = qf_lane & 3;   // mma.sync fragment coordinates: row group, thread in group
  const int qf_wrow = qf_warp * 16;          // the first query row of this warp in the block
  const int s_exp_m_arg = *r_exp_m_arg;
  const int s_rs_arg = *r_rs_arg;
  const int s_req_m_arg = *r_req_m_arg;
  const i64 s_82_arg = *r_82_arg;
  #line 20 "flash_attention.tile"
  // stage %q.i8 = %Q.i8[...] in shared memory: 64 rows of 64 x i8
  {
    const bool qf_uok = true;
    const unsigned char* qf_tile = reinterpret_cast<const unsigned char*>(p_Q_i8 + ((((i64)((int)blockIdx.z) * n_H + ((int)blockIdx.y)) * n_N + (0)) * QF_D + (0)) + (i64)(qf_mul_int((int)blockIdx.x, 64)) * 1LL * QF_D);
    #pragma unroll
    for (int qf_round = 0; qf_round < 2; ++qf_round) {
      const int qf_c = threadIdx.x + qf_round * 128;
      const int qf_r = qf_c / 4, qf_k = qf_c % 4;
      const bool qf_ok = qf_uok && (unsigned)(qf_mul_int((int)blockIdx.x, 64) + qf_r) < (unsigned)n_N;
      // The address is formed whether or not the row is read (a source size of 0 reads no byte).
      qf_cp_async16(qf_smem + 0 + qf_r * 80 + qf_k * 16, qf_tile + (qf_r * (int)(1LL * QF_D) * 1 + qf_k * 16), qf_ok ? 16 : 0);
    }
  }
  qf_cp_async_commit();
  #line 28 "flash_attention.tile"
  const float v_v_scale = (true ? p_V_scale[0LL] : (float)0);
  #line 25 "flash_attention.tile"
  int v_m_1_i[2];
  int v_l_1_i[2];
  int v_acc_1_i[32];
  // whether any row of this warp is stored: a warp past the last row does only its share of the block's copies and barriers
  const bool qf_live = (unsigned)(qf_mul_int((int)blockIdx.x, 64) + qf_wrow) < (unsigned)n_N;
  if (qf_live) {
    // for %kb in [%26, %32), 2-stage cp.async pipeline
    {
      const int qf_lo_v_kb = 0, qf_hi_v_kb = (int)qf_floordiv64(qf_add_int(n_N, 63), 64);
      #pragma unroll
      for (int i = 0; i < 2; ++i) {
        v_m_1_i[i] = -1048576;
      }
      #pragma unroll
      for (int i = 0; i < 2; ++i) {
        v_l_1_i[i] = 1;
      }
      #pragma unroll
      for (int i = 0; i < 32; ++i) {
        v_acc_1_i[i] = 0;
      }
       {
        const int qf_next = qf_lo_v_kb + 0;
        if (qf_next < qf_hi_v_kb) {
          const int v_kb = qf_next;
          const int qf_sbuf = (v_kb - qf_lo_v_kb) % 2;
          // stage %k.i8 = %K.i8[...] in shared memory: 64 rows of 64 x i8
          {
            const bool qf_uok = true;
            const unsigned char* qf_tile = reinterpret_cast<const unsigned char*>(p_K_i8 + ((((i64)((int)blockIdx.z) * n_H + ((int)blockIdx.y)) * n_N + (0)) * QF_D + (0)) + (i64)(qf_mul_int(v_kb, 64)) * 1LL * QF_D);
            #pragma unroll
            for (int qf_round = 0; qf_round < 2; ++qf_round) {
              const int qf_c = threadIdx.x + qf_round * 128;
              const int qf_r = qf_c / 4, qf_k = qf_c % 4;
              const bool qf_ok = qf_uok && (unsigned)(qf_mul_int(v_kb, 64) + qf_r) < (unsigned)n_N;
              // The address is formed whether or not the row is read (a source size of 0 reads no byte).
              qf_cp_async16(qf_smem + 5120 + qf_sbuf * 5120 + qf_r * 80 + qf_k * 16, qf_tile + (qf_r * (int)(1LL * QF_D) * 1 + qf_k * 16), qf_ok ? 16 : 0);
            }
          }
          // stage %v.i8 = %V.i8[...] in shared memory from its key-major copy: 64 rows of 64 keys in the A fragment's k order
          {
            const bool qf_uok = true;
            const unsigned char* qf_tile = reinterpret_cast<const unsigned char*>(p_V_i8 + (((i64)((int)blockIdx.z) * n_H + ((int)blockIdx.y)) * QF_D) * ((i64)(n_N + 15) & ~15LL) + (qf_mul_int(v_kb, 64)));
            #pragma unroll
            for (int qf_round = 0; qf_round < 2; ++qf_round) {
              const int qf_c = threadIdx.x + qf_round * 128;
              const int qf_r = qf_c / 4, qf_k = qf_c % 4;
              const bool qf_ok = qf_uok && (unsigned)(qf_mul_int(v_kb, 64) + qf_k * 16) < (unsigned)n_N;
              // The address is formed whether or not the chunk is read (a source size of 0 reads no byte): selecting it
              // against the tensor's start kept more registers live across the loop (ptxas: 8 bytes spilled at D = 32).
              qf_cp_async16(qf_smem + 15360 + qf_sbuf * 5120 + qf_r * 80 + qf_k * 16, qf_tile + (qf_r * (int)((i64)(n_N + 15) & ~15LL) + qf_k * 16), qf_ok ? 16 : 0);
            }
          }
        }
        qf_cp_async_commit();
      }
      for (int v_kb = qf_lo_v_kb; v_kb < qf_hi_v_kb; ++v_kb) {
        qf_cp_async_wait<0>();
        __syncthreads();
         {
          const int qf_next = v_kb + 1;
          if (qf_next < qf_hi_v_kb) {
            const int v_kb = qf_next;
            const int qf_sbuf = (v_kb - qf_lo_v_kb) % 2;
            // stage %k.i8 = %K.i8[...] in shared memory: 64 rows of 64 x i8
            {
              const bool qf_uok = true;
              const unsigned char* qf_tile = reinterpret_cast<const unsigned char*>(p_K_i8 + ((((i64)((int)blockIdx.z) * n_H + ((int)blockIdx.y)) * n_N + (0)) * QF_D + (0)) + (i64)(qf_mul_int(v_kb, 64)) * 1LL * QF_D);
              #pragma unroll
              for (int qf_round = 0; qf_round < 2; ++qf_round) {
                const int qf_c = threadIdx.x + qf_round * 128;
                const int qf_r = qf_c / 4, qf_k = qf_c % 4;
                const bool qf_ok = qf_uok && (unsigned)(qf_mul_int(v_kb, 64) + qf_r) < (unsigned)n_N;
                // The address is formed whether or not the row is read (a source size of 0 reads no byte).
                qf_cp_async16(qf_smem + 5120 + qf_sbuf * 5120 + qf_r * 80 + qf_k * 16, qf_tile + (qf_r * (int)(1LL * QF_D) * 1 + qf_k * 16), qf_ok ? 16 : 0);
              }
            }
            // stage %v.i8 = %V.i8[...] in shared memory from its key-major copy: 64 rows of 64 keys in the A fragment's k order
            {
              const bool qf_uok = true;
              const unsigned char* qf_tile = reinterpret_cast<const unsigned char*>(p_V_i8 + (((i64)((int)blockIdx.z) * n_H + ((int)blockIdx.y)) * QF_D) * ((i64)(n_N + 15) & ~15LL) + (qf_mul_int(v_kb, 64)));
              #pragma unroll
              for (int qf_round = 0; qf_round < 2; ++qf_round) {
                const int qf_c = threadIdx.x + qf_round * 128;
                const int qf_r = qf_c / 4, qf_k = qf_c % 4;
                const bool qf_ok = qf_uok && (unsigned)(qf_mul_int(v_kb, 64) + qf_k * 16) < (unsigned)n_N;
                // The address is formed whether or not the chunk is read (a source size of 0 reads no byte): selecting it
                // against the tensor's start kept more registers live across the loop (ptxas: 8 bytes spilled at D = 32).
                qf_cp_async16(qf_smem + 15360 + qf_sbuf * 5120 + qf_r * 80 + qf_k * 16, qf_tile + (qf_r * (int)((i64)(n_N + 15) & ~15LL) + qf_k * 16), qf_ok ? 16 : 0);
              }
            }
          }
          qf_cp_async_commit();
        }
        const int qf_buf_v_kb = (v_kb - qf_lo_v_kb) % 2;
        // every key is below N in all steps but the last: the padding test is written only there; the last computes only the 8-key tiles within its span, and the warp's last tile
        if (v_kb + 1 < qf_hi_v_kb) {
          const bool qf_full_v_kb = true;
          const int qf_span_v_kb = 64;
          #line 29 "flash_attention.tile"
          int v_44_i32[32];
          // %44.i32 = dot(%q.i8, %43.i) on tensor cores (qf_mma_s8s8)
          #pragma unroll
          for (int i = 0; i < 32; ++i) v_44_i32[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_ldmatrix_x4(qf_a, &reinterpret_cast<const i8*>(qf_smem + 0)[(qf_wrow + qf_mt * 16 + (qf_lane & 7) + ((qf_lane >> 3) & 1) * 8) * 80 + qf_kc * 32 + (qf_lane >> 4) * 16]);
              // B fragments of two n tiles at a time: qf_b = {b0, b1} of tile qf_np * 2, then of the next
              #pragma unroll
              for (int qf_np = 0; qf_np < 8 / 2; ++qf_np) {
                if (!(qf_np * 16 < qf_span_v_kb)) continue;   // scores past N are masked
                u32 qf_b[4];
                qf_ldmatrix_x4(qf_b, &reinterpret_cast<const i8*>(qf_smem + 5120 + qf_buf_v_kb * 5120)[(qf_kc * 32 + ((qf_lane >> 3) & 1) * 16) * 1 + ((qf_np * 2 + (qf_lane >> 4)) * 8 + (qf_lane & 7)) * 80]);
                qf_mma_s8s8(&v_44_i32[(qf_mt * 8 + qf_np * 2) * 4], qf_a, qf_b[0], qf_b[1]);
                qf_mma_s8s8(&v_44_i32[(qf_mt * 8 + qf_np * 2 + 1) * 4], qf_a, qf_b[2], qf_b[3]);
              }
            }
          }
          int v_s_i[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
              v_s_i[i] = ((qf_full_v_kb || (qf_add_int(qf_mul_int(v_kb, 64), (((i / 4) % 8) * 8 + 2 * qf_t + i % 2)) < n_N)) ? v_44_i32[i] : -1048576);
            }
          }
          #line 30 "flash_attention.tile"
          int v_50_i[2];
          // %50.i = reduce max %s.i [1]
          #pragma unroll
          for (int r = 0; r < 2; ++r) {
            int qf_a = (-2147483647 - 1);
            #pragma unroll
            for (int c = 0; c < 16; ++c) {
              const int i = (r / 2) * 8 * 4 + (c / 2) * 4 + (r & 1) * 2 + (c & 1);
              if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
                const int qf_x = v_s_i[i];
                qf_a = (int)max(qf_a, qf_x);
              }
            }
            // the four threads of a row group hold the row's other columns
            { int qf_x = __shfl_xor_sync(0xffffffffu, qf_a, 1); qf_a = (int)max(qf_a, qf_x); }
            { int qf_x = __shfl_xor_sync(0xffffffffu, qf_a, 2); qf_a = (int)max(qf_a, qf_x); }
            v_50_i[r] = qf_a;
          }
          int v_m_new_i[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_m_new_i[i] = (int)max(v_m_1_i[i], v_50_i[i]);
          }
          #line 31 "flash_attention.tile"
          int v_54_i[32];
          int v_22[32];
          int v_halvings[32];
          int v_24[32];
          int v_rem[32];
          int v_25[32];
          int v_28[32];
          int v_p_i[32];
          int v_66[32];
          int v_70[32];
          int v_p_q[32];
          i8 v_p8[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
              v_54_i[i] = qf_sub_int(v_s_i[i], v_m_new_i[((i / 32) * 2 + (i / 2) % 2)]);
              v_22[i] = qf_mul_int(v_54_i[i], s_exp_m_arg);
              v_halvings[i] = (int)qf_shr_int(v_22[i], 16);
              v_24[i] = qf_mul_int(v_halvings[i], s_rs_arg);
              v_rem[i] = qf_add_int(v_54_i[i], v_24[i]);
              v_25[i] = (int)qf_shr_int(v_rem[i], 1);
              v_28[i] = qf_add_int(v_25[i], s_rs_arg);
              v_p_i[i] = (int)qf_shr_int(v_28[i], v_halvings[i]);
              v_66[i] = qf_mul_int(v_p_i[i], s_req_m_arg);
              v_70[i] = qf_add_int(v_66[i], 32768);
              v_p_q[i] = (int)qf_shr_int(v_70[i], 16);
              v_p8[i] = (i8)((i64)(v_p_q[i]));
            }
            else {
              v_p8[i] = 0;
            }
          }
          #line 32 "flash_attention.tile"
          int v_56_i[2];
          int v_41[2];
          int v_halvings_1[2];
          int v_47[2];
          int v_rem_1[2];
          int v_49[2];
          int v_51[2];
          int v_alpha_i[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_56_i[i] = qf_sub_int(v_m_1_i[i], v_m_new_i[i]);
            v_41[i] = qf_mul_int(v_56_i[i], s_exp_m_arg);
            v_halvings_1[i] = (int)qf_shr_int(v_41[i], 16);
            v_47[i] = qf_mul_int(v_halvings_1[i], s_rs_arg);
            v_rem_1[i] = qf_add_int(v_56_i[i], v_47[i]);
            v_49[i] = (int)qf_shr_int(v_rem_1[i], 1);
            v_51[i] = qf_add_int(v_49[i], s_rs_arg);
            v_alpha_i[i] = (int)qf_shr_int(v_51[i], v_halvings_1[i]);
          }
          #line 33 "flash_attention.tile"
          int v_59_i[2];
          int v_59_i_mma[4];
          // %59.i = reduce sum %p8 [1] on tensor cores: P times ones
          #pragma unroll
          for (int i = 0; i < 4; ++i) v_59_i_mma[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_a[0] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 0], v_p8[qf_mt * 32 + qf_kc * 16 + 1], v_p8[qf_mt * 32 + qf_kc * 16 + 4], v_p8[qf_mt * 32 + qf_kc * 16 + 5]);
              qf_a[1] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 2], v_p8[qf_mt * 32 + qf_kc * 16 + 3], v_p8[qf_mt * 32 + qf_kc * 16 + 6], v_p8[qf_mt * 32 + qf_kc * 16 + 7]);
              qf_a[2] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 8], v_p8[qf_mt * 32 + qf_kc * 16 + 9], v_p8[qf_mt * 32 + qf_kc * 16 + 12], v_p8[qf_mt * 32 + qf_kc * 16 + 13]);
              qf_a[3] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 10], v_p8[qf_mt * 32 + qf_kc * 16 + 11], v_p8[qf_mt * 32 + qf_kc * 16 + 14], v_p8[qf_mt * 32 + qf_kc * 16 + 15]);
              #pragma unroll
              for (int qf_nt = 0; qf_nt < 1; ++qf_nt) {
                u32 qf_b0, qf_b1;
                qf_b0 = 0x01010101u;
                qf_b1 = 0x01010101u;
                qf_mma_s8s8(&v_59_i_mma[(qf_mt * 1 + qf_nt) * 4], qf_a, qf_b0, qf_b1);
              }
            }
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_59_i[i] = qf_add_int(v_59_i_mma[(i / 2) * 4 + (i % 2) * 2], qf_mul_int((7 - min(7, (qf_span_v_kb + 7) / 8)) * 8, (int)v_p8[(i / 2) * 32 + 28 + (i & 1) * 2]));
          }
          #line 34 "flash_attention.tile"
          int v_64_i32[32];
          // %64.i32 = dot(%p8, %v.i8) on tensor cores (qf_mma_s8s8)
          #pragma unroll
          for (int i = 0; i < 32; ++i) v_64_i32[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            if (!(qf_kc * 32 < qf_span_v_kb)) continue;   // keys past N: V's rows there are zero
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_a[0] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 0], v_p8[qf_mt * 32 + qf_kc * 16 + 1], v_p8[qf_mt * 32 + qf_kc * 16 + 4], v_p8[qf_mt * 32 + qf_kc * 16 + 5]);
              qf_a[1] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 2], v_p8[qf_mt * 32 + qf_kc * 16 + 3], v_p8[qf_mt * 32 + qf_kc * 16 + 6], v_p8[qf_mt * 32 + qf_kc * 16 + 7]);
              qf_a[2] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 8], v_p8[qf_mt * 32 + qf_kc * 16 + 9], v_p8[qf_mt * 32 + qf_kc * 16 + 12], v_p8[qf_mt * 32 + qf_kc * 16 + 13]);
              qf_a[3] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 10], v_p8[qf_mt * 32 + qf_kc * 16 + 11], v_p8[qf_mt * 32 + qf_kc * 16 + 14], v_p8[qf_mt * 32 + qf_kc * 16 + 15]);
              // B fragments of two n tiles at a time: qf_b = {b0, b1} of tile qf_np * 2, then of the next
              #pragma unroll
              for (int qf_np = 0; qf_np < 8 / 2; ++qf_np) {
                u32 qf_b[4];
                qf_ldmatrix_x4(qf_b, &reinterpret_cast<const i8*>(qf_smem + 15360 + qf_buf_v_kb * 5120)[(qf_kc * 32 + ((qf_lane >> 3) & 1) * 16) * 1 + ((qf_np * 2 + (qf_lane >> 4)) * 8 + (qf_lane & 7)) * 80]);
                qf_mma_s8s8(&v_64_i32[(qf_mt * 8 + qf_np * 2) * 4], qf_a, qf_b[0], qf_b[1]);
                qf_mma_s8s8(&v_64_i32[(qf_mt * 8 + qf_np * 2 + 1) * 4], qf_a, qf_b[2], qf_b[3]);
              }
            }
          }
          #line 25 "flash_attention.tile"
          i64 v_80[2];
          i64 v_81[2];
          i64 v_83[2];
          int v_l_1_factor[2];
          i64 v_84[2];
          i64 v_85[2];
          i64 v_87[2];
          i64 v_89[2];
          int v_l_1_kept[2];
          int v_l_1_next[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_80[i] = (i64)(v_l_1_i[i]);
            v_81[i] = (i64)(v_alpha_i[i]);
            v_83[i] = qf_mul_i64(v_81[i], s_82_arg);
            v_l_1_factor[i] = qf_sat_i32(v_83[i]);
            v_84[i] = (i64)(v_l_1_factor[i]);
            v_85[i] = qf_mul_wide((int)(v_80[i]), (int)(v_84[i]));
            v_87[i] = qf_add_i64(v_85[i], 536870912LL);
            v_89[i] = qf_shr_i64(v_87[i], 30LL);
            v_l_1_kept[i] = (int)((i64)(v_89[i]));
            v_l_1_next[i] = qf_add_int(v_l_1_kept[i], v_59_i[i]);
          }
          i64 v_94[32];
          i64 v_99[32];
          i64 v_101[32];
          i64 v_103[32];
          int v_acc_1_kept[32];
          int v_acc_1_next[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            v_94[i] = (i64)(v_acc_1_i[i]);
            v_99[i] = qf_mul_wide((int)(v_94[i]), (int)(v_84[((i / 32) * 2 + (i / 2) % 2)]));
            v_101[i] = qf_add_i64(v_99[i], 536870912LL);
            v_103[i] = qf_shr_i64(v_101[i], 30LL);
            v_acc_1_kept[i] = (int)((i64)(v_103[i]));
            v_acc_1_next[i] = qf_add_int(v_acc_1_kept[i], v_64_i32[i]);
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_m_1_i[i] = v_m_new_i[i];
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_l_1_i[i] = v_l_1_next[i];
          }
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            v_acc_1_i[i] = v_acc_1_next[i];
          }
        }
        else if ((n_N - qf_mul_int(v_kb, 64)) <= 8) {
          const bool qf_full_v_kb = false;
          const int qf_span_v_kb = 8;
          #line 29 "flash_attention.tile"
          int v_44_i32[32];
          // %44.i32 = dot(%q.i8, %43.i) on tensor cores (qf_mma_s8s8)
          #pragma unroll
          for (int i = 0; i < 32; ++i) v_44_i32[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_ldmatrix_x4(qf_a, &reinterpret_cast<const i8*>(qf_smem + 0)[(qf_wrow + qf_mt * 16 + (qf_lane & 7) + ((qf_lane >> 3) & 1) * 8) * 80 + qf_kc * 32 + (qf_lane >> 4) * 16]);
              // B fragments of two n tiles at a time: qf_b = {b0, b1} of tile qf_np * 2, then of the next
              #pragma unroll
              for (int qf_np = 0; qf_np < 8 / 2; ++qf_np) {
                if (!(qf_np * 16 < qf_span_v_kb)) continue;   // scores past N are masked
                u32 qf_b[4];
                qf_ldmatrix_x4(qf_b, &reinterpret_cast<const i8*>(qf_smem + 5120 + qf_buf_v_kb * 5120)[(qf_kc * 32 + ((qf_lane >> 3) & 1) * 16) * 1 + ((qf_np * 2 + (qf_lane >> 4)) * 8 + (qf_lane & 7)) * 80]);
                qf_mma_s8s8(&v_44_i32[(qf_mt * 8 + qf_np * 2) * 4], qf_a, qf_b[0], qf_b[1]);
                qf_mma_s8s8(&v_44_i32[(qf_mt * 8 + qf_np * 2 + 1) * 4], qf_a, qf_b[2], qf_b[3]);
              }
            }
          }
          int v_s_i[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
              v_s_i[i] = ((qf_full_v_kb || (qf_add_int(qf_mul_int(v_kb, 64), (((i / 4) % 8) * 8 + 2 * qf_t + i % 2)) < n_N)) ? v_44_i32[i] : -1048576);
            }
          }
          #line 30 "flash_attention.tile"
          int v_50_i[2];
          // %50.i = reduce max %s.i [1]
          #pragma unroll
          for (int r = 0; r < 2; ++r) {
            int qf_a = (-2147483647 - 1);
            #pragma unroll
            for (int c = 0; c < 16; ++c) {
              const int i = (r / 2) * 8 * 4 + (c / 2) * 4 + (r & 1) * 2 + (c & 1);
              if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
                const int qf_x = v_s_i[i];
                qf_a = (int)max(qf_a, qf_x);
              }
            }
            // the four threads of a row group hold the row's other columns
            { int qf_x = __shfl_xor_sync(0xffffffffu, qf_a, 1); qf_a = (int)max(qf_a, qf_x); }
            { int qf_x = __shfl_xor_sync(0xffffffffu, qf_a, 2); qf_a = (int)max(qf_a, qf_x); }
            v_50_i[r] = qf_a;
          }
          int v_m_new_i[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_m_new_i[i] = (int)max(v_m_1_i[i], v_50_i[i]);
          }
          #line 31 "flash_attention.tile"
          int v_54_i[32];
          int v_22[32];
          int v_halvings[32];
          int v_24[32];
          int v_rem[32];
          int v_25[32];
          int v_28[32];
          int v_p_i[32];
          int v_66[32];
          int v_70[32];
          int v_p_q[32];
          i8 v_p8[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
              v_54_i[i] = qf_sub_int(v_s_i[i], v_m_new_i[((i / 32) * 2 + (i / 2) % 2)]);
              v_22[i] = qf_mul_int(v_54_i[i], s_exp_m_arg);
              v_halvings[i] = (int)qf_shr_int(v_22[i], 16);
              v_24[i] = qf_mul_int(v_halvings[i], s_rs_arg);
              v_rem[i] = qf_add_int(v_54_i[i], v_24[i]);
              v_25[i] = (int)qf_shr_int(v_rem[i], 1);
              v_28[i] = qf_add_int(v_25[i], s_rs_arg);
              v_p_i[i] = (int)qf_shr_int(v_28[i], v_halvings[i]);
              v_66[i] = qf_mul_int(v_p_i[i], s_req_m_arg);
              v_70[i] = qf_add_int(v_66[i], 32768);
              v_p_q[i] = (int)qf_shr_int(v_70[i], 16);
              v_p8[i] = (i8)((i64)(v_p_q[i]));
            }
            else {
              v_p8[i] = 0;
            }
          }
          #line 32 "flash_attention.tile"
          int v_56_i[2];
          int v_41[2];
          int v_halvings_1[2];
          int v_47[2];
          int v_rem_1[2];
          int v_49[2];
          int v_51[2];
          int v_alpha_i[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_56_i[i] = qf_sub_int(v_m_1_i[i], v_m_new_i[i]);
            v_41[i] = qf_mul_int(v_56_i[i], s_exp_m_arg);
            v_halvings_1[i] = (int)qf_shr_int(v_41[i], 16);
            v_47[i] = qf_mul_int(v_halvings_1[i], s_rs_arg);
            v_rem_1[i] = qf_add_int(v_56_i[i], v_47[i]);
            v_49[i] = (int)qf_shr_int(v_rem_1[i], 1);
            v_51[i] = qf_add_int(v_49[i], s_rs_arg);
            v_alpha_i[i] = (int)qf_shr_int(v_51[i], v_halvings_1[i]);
          }
          #line 33 "flash_attention.tile"
          int v_59_i[2];
          int v_59_i_mma[4];
          // %59.i = reduce sum %p8 [1] on tensor cores: P times ones
          #pragma unroll
          for (int i = 0; i < 4; ++i) v_59_i_mma[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_a[0] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 0], v_p8[qf_mt * 32 + qf_kc * 16 + 1], v_p8[qf_mt * 32 + qf_kc * 16 + 4], v_p8[qf_mt * 32 + qf_kc * 16 + 5]);
              qf_a[1] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 2], v_p8[qf_mt * 32 + qf_kc * 16 + 3], v_p8[qf_mt * 32 + qf_kc * 16 + 6], v_p8[qf_mt * 32 + qf_kc * 16 + 7]);
              qf_a[2] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 8], v_p8[qf_mt * 32 + qf_kc * 16 + 9], v_p8[qf_mt * 32 + qf_kc * 16 + 12], v_p8[qf_mt * 32 + qf_kc * 16 + 13]);
              qf_a[3] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 10], v_p8[qf_mt * 32 + qf_kc * 16 + 11], v_p8[qf_mt * 32 + qf_kc * 16 + 14], v_p8[qf_mt * 32 + qf_kc * 16 + 15]);
              #pragma unroll
              for (int qf_nt = 0; qf_nt < 1; ++qf_nt) {
                u32 qf_b0, qf_b1;
                qf_b0 = 0x01010101u;
                qf_b1 = 0x01010101u;
                qf_mma_s8s8(&v_59_i_mma[(qf_mt * 1 + qf_nt) * 4], qf_a, qf_b0, qf_b1);
              }
            }
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_59_i[i] = qf_add_int(v_59_i_mma[(i / 2) * 4 + (i % 2) * 2], qf_mul_int((7 - min(7, (qf_span_v_kb + 7) / 8)) * 8, (int)v_p8[(i / 2) * 32 + 28 + (i & 1) * 2]));
          }
          #line 34 "flash_attention.tile"
          int v_64_i32[32];
          // %64.i32 = dot(%p8, %v.i8) on tensor cores (qf_mma_s8s8)
          #pragma unroll
          for (int i = 0; i < 32; ++i) v_64_i32[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            if (!(qf_kc * 32 < qf_span_v_kb)) continue;   // keys past N: V's rows there are zero
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_a[0] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 0], v_p8[qf_mt * 32 + qf_kc * 16 + 1], v_p8[qf_mt * 32 + qf_kc * 16 + 4], v_p8[qf_mt * 32 + qf_kc * 16 + 5]);
              qf_a[1] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 2], v_p8[qf_mt * 32 + qf_kc * 16 + 3], v_p8[qf_mt * 32 + qf_kc * 16 + 6], v_p8[qf_mt * 32 + qf_kc * 16 + 7]);
              qf_a[2] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 8], v_p8[qf_mt * 32 + qf_kc * 16 + 9], v_p8[qf_mt * 32 + qf_kc * 16 + 12], v_p8[qf_mt * 32 + qf_kc * 16 + 13]);
              qf_a[3] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 10], v_p8[qf_mt * 32 + qf_kc * 16 + 11], v_p8[qf_mt * 32 + qf_kc * 16 + 14], v_p8[qf_mt * 32 + qf_kc * 16 + 15]);
              // B fragments of two n tiles at a time: qf_b = {b0, b1} of tile qf_np * 2, then of the next
              #pragma unroll
              for (int qf_np = 0; qf_np < 8 / 2; ++qf_np) {
                u32 qf_b[4];
                qf_ldmatrix_x4(qf_b, &reinterpret_cast<const i8*>(qf_smem + 15360 + qf_buf_v_kb * 5120)[(qf_kc * 32 + ((qf_lane >> 3) & 1) * 16) * 1 + ((qf_np * 2 + (qf_lane >> 4)) * 8 + (qf_lane & 7)) * 80]);
                qf_mma_s8s8(&v_64_i32[(qf_mt * 8 + qf_np * 2) * 4], qf_a, qf_b[0], qf_b[1]);
                qf_mma_s8s8(&v_64_i32[(qf_mt * 8 + qf_np * 2 + 1) * 4], qf_a, qf_b[2], qf_b[3]);
              }
            }
          }
          #line 25 "flash_attention.tile"
          i64 v_80[2];
          i64 v_81[2];
          i64 v_83[2];
          int v_l_1_factor[2];
          i64 v_84[2];
          i64 v_85[2];
          i64 v_87[2];
          i64 v_89[2];
          int v_l_1_kept[2];
          int v_l_1_next[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_80[i] = (i64)(v_l_1_i[i]);
            v_81[i] = (i64)(v_alpha_i[i]);
            v_83[i] = qf_mul_i64(v_81[i], s_82_arg);
            v_l_1_factor[i] = qf_sat_i32(v_83[i]);
            v_84[i] = (i64)(v_l_1_factor[i]);
            v_85[i] = qf_mul_wide((int)(v_80[i]), (int)(v_84[i]));
            v_87[i] = qf_add_i64(v_85[i], 536870912LL);
            v_89[i] = qf_shr_i64(v_87[i], 30LL);
            v_l_1_kept[i] = (int)((i64)(v_89[i]));
            v_l_1_next[i] = qf_add_int(v_l_1_kept[i], v_59_i[i]);
          }
          i64 v_94[32];
          i64 v_99[32];
          i64 v_101[32];
          i64 v_103[32];
          int v_acc_1_kept[32];
          int v_acc_1_next[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            v_94[i] = (i64)(v_acc_1_i[i]);
            v_99[i] = qf_mul_wide((int)(v_94[i]), (int)(v_84[((i / 32) * 2 + (i / 2) % 2)]));
            v_101[i] = qf_add_i64(v_99[i], 536870912LL);
            v_103[i] = qf_shr_i64(v_101[i], 30LL);
            v_acc_1_kept[i] = (int)((i64)(v_103[i]));
            v_acc_1_next[i] = qf_add_int(v_acc_1_kept[i], v_64_i32[i]);
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_m_1_i[i] = v_m_new_i[i];
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_l_1_i[i] = v_l_1_next[i];
          }
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            v_acc_1_i[i] = v_acc_1_next[i];
          }
        }
        else if ((n_N - qf_mul_int(v_kb, 64)) <= 16) {
          const bool qf_full_v_kb = false;
          const int qf_span_v_kb = 16;
          #line 29 "flash_attention.tile"
          int v_44_i32[32];
          // %44.i32 = dot(%q.i8, %43.i) on tensor cores (qf_mma_s8s8)
          #pragma unroll
          for (int i = 0; i < 32; ++i) v_44_i32[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_ldmatrix_x4(qf_a, &reinterpret_cast<const i8*>(qf_smem + 0)[(qf_wrow + qf_mt * 16 + (qf_lane & 7) + ((qf_lane >> 3) & 1) * 8) * 80 + qf_kc * 32 + (qf_lane >> 4) * 16]);
              // B fragments of two n tiles at a time: qf_b = {b0, b1} of tile qf_np * 2, then of the next
              #pragma unroll
              for (int qf_np = 0; qf_np < 8 / 2; ++qf_np) {
                if (!(qf_np * 16 < qf_span_v_kb)) continue;   // scores past N are masked
                u32 qf_b[4];
                qf_ldmatrix_x4(qf_b, &reinterpret_cast<const i8*>(qf_smem + 5120 + qf_buf_v_kb * 5120)[(qf_kc * 32 + ((qf_lane >> 3) & 1) * 16) * 1 + ((qf_np * 2 + (qf_lane >> 4)) * 8 + (qf_lane & 7)) * 80]);
                qf_mma_s8s8(&v_44_i32[(qf_mt * 8 + qf_np * 2) * 4], qf_a, qf_b[0], qf_b[1]);
                qf_mma_s8s8(&v_44_i32[(qf_mt * 8 + qf_np * 2 + 1) * 4], qf_a, qf_b[2], qf_b[3]);
              }
            }
          }
          int v_s_i[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
              v_s_i[i] = ((qf_full_v_kb || (qf_add_int(qf_mul_int(v_kb, 64), (((i / 4) % 8) * 8 + 2 * qf_t + i % 2)) < n_N)) ? v_44_i32[i] : -1048576);
            }
          }
          #line 30 "flash_attention.tile"
          int v_50_i[2];
          // %50.i = reduce max %s.i [1]
          #pragma unroll
          for (int r = 0; r < 2; ++r) {
            int qf_a = (-2147483647 - 1);
            #pragma unroll
            for (int c = 0; c < 16; ++c) {
              const int i = (r / 2) * 8 * 4 + (c / 2) * 4 + (r & 1) * 2 + (c & 1);
              if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
                const int qf_x = v_s_i[i];
                qf_a = (int)max(qf_a, qf_x);
              }
            }
            // the four threads of a row group hold the row's other columns
            { int qf_x = __shfl_xor_sync(0xffffffffu, qf_a, 1); qf_a = (int)max(qf_a, qf_x); }
            { int qf_x = __shfl_xor_sync(0xffffffffu, qf_a, 2); qf_a = (int)max(qf_a, qf_x); }
            v_50_i[r] = qf_a;
          }
          int v_m_new_i[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_m_new_i[i] = (int)max(v_m_1_i[i], v_50_i[i]);
          }
          #line 31 "flash_attention.tile"
          int v_54_i[32];
          int v_22[32];
          int v_halvings[32];
          int v_24[32];
          int v_rem[32];
          int v_25[32];
          int v_28[32];
          int v_p_i[32];
          int v_66[32];
          int v_70[32];
          int v_p_q[32];
          i8 v_p8[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
              v_54_i[i] = qf_sub_int(v_s_i[i], v_m_new_i[((i / 32) * 2 + (i / 2) % 2)]);
              v_22[i] = qf_mul_int(v_54_i[i], s_exp_m_arg);
              v_halvings[i] = (int)qf_shr_int(v_22[i], 16);
              v_24[i] = qf_mul_int(v_halvings[i], s_rs_arg);
              v_rem[i] = qf_add_int(v_54_i[i], v_24[i]);
              v_25[i] = (int)qf_shr_int(v_rem[i], 1);
              v_28[i] = qf_add_int(v_25[i], s_rs_arg);
              v_p_i[i] = (int)qf_shr_int(v_28[i], v_halvings[i]);
              v_66[i] = qf_mul_int(v_p_i[i], s_req_m_arg);
              v_70[i] = qf_add_int(v_66[i], 32768);
              v_p_q[i] = (int)qf_shr_int(v_70[i], 16);
              v_p8[i] = (i8)((i64)(v_p_q[i]));
            }
            else {
              v_p8[i] = 0;
            }
          }
          #line 32 "flash_attention.tile"
          int v_56_i[2];
          int v_41[2];
          int v_halvings_1[2];
          int v_47[2];
          int v_rem_1[2];
          int v_49[2];
          int v_51[2];
          int v_alpha_i[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_56_i[i] = qf_sub_int(v_m_1_i[i], v_m_new_i[i]);
            v_41[i] = qf_mul_int(v_56_i[i], s_exp_m_arg);
            v_halvings_1[i] = (int)qf_shr_int(v_41[i], 16);
            v_47[i] = qf_mul_int(v_halvings_1[i], s_rs_arg);
            v_rem_1[i] = qf_add_int(v_56_i[i], v_47[i]);
            v_49[i] = (int)qf_shr_int(v_rem_1[i], 1);
            v_51[i] = qf_add_int(v_49[i], s_rs_arg);
            v_alpha_i[i] = (int)qf_shr_int(v_51[i], v_halvings_1[i]);
          }
          #line 33 "flash_attention.tile"
          int v_59_i[2];
          int v_59_i_mma[4];
          // %59.i = reduce sum %p8 [1] on tensor cores: P times ones
          #pragma unroll
          for (int i = 0; i < 4; ++i) v_59_i_mma[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_a[0] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 0], v_p8[qf_mt * 32 + qf_kc * 16 + 1], v_p8[qf_mt * 32 + qf_kc * 16 + 4], v_p8[qf_mt * 32 + qf_kc * 16 + 5]);
              qf_a[1] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 2], v_p8[qf_mt * 32 + qf_kc * 16 + 3], v_p8[qf_mt * 32 + qf_kc * 16 + 6], v_p8[qf_mt * 32 + qf_kc * 16 + 7]);
              qf_a[2] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 8], v_p8[qf_mt * 32 + qf_kc * 16 + 9], v_p8[qf_mt * 32 + qf_kc * 16 + 12], v_p8[qf_mt * 32 + qf_kc * 16 + 13]);
              qf_a[3] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 10], v_p8[qf_mt * 32 + qf_kc * 16 + 11], v_p8[qf_mt * 32 + qf_kc * 16 + 14], v_p8[qf_mt * 32 + qf_kc * 16 + 15]);
              #pragma unroll
              for (int qf_nt = 0; qf_nt < 1; ++qf_nt) {
                u32 qf_b0, qf_b1;
                qf_b0 = 0x01010101u;
                qf_b1 = 0x01010101u;
                qf_mma_s8s8(&v_59_i_mma[(qf_mt * 1 + qf_nt) * 4], qf_a, qf_b0, qf_b1);
              }
            }
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_59_i[i] = qf_add_int(v_59_i_mma[(i / 2) * 4 + (i % 2) * 2], qf_mul_int((7 - min(7, (qf_span_v_kb + 7) / 8)) * 8, (int)v_p8[(i / 2) * 32 + 28 + (i & 1) * 2]));
          }
          #line 34 "flash_attention.tile"
          int v_64_i32[32];
          // %64.i32 = dot(%p8, %v.i8) on tensor cores (qf_mma_s8s8)
          #pragma unroll
          for (int i = 0; i < 32; ++i) v_64_i32[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            if (!(qf_kc * 32 < qf_span_v_kb)) continue;   // keys past N: V's rows there are zero
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_a[0] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 0], v_p8[qf_mt * 32 + qf_kc * 16 + 1], v_p8[qf_mt * 32 + qf_kc * 16 + 4], v_p8[qf_mt * 32 + qf_kc * 16 + 5]);
              qf_a[1] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 2], v_p8[qf_mt * 32 + qf_kc * 16 + 3], v_p8[qf_mt * 32 + qf_kc * 16 + 6], v_p8[qf_mt * 32 + qf_kc * 16 + 7]);
              qf_a[2] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 8], v_p8[qf_mt * 32 + qf_kc * 16 + 9], v_p8[qf_mt * 32 + qf_kc * 16 + 12], v_p8[qf_mt * 32 + qf_kc * 16 + 13]);
              qf_a[3] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 10], v_p8[qf_mt * 32 + qf_kc * 16 + 11], v_p8[qf_mt * 32 + qf_kc * 16 + 14], v_p8[qf_mt * 32 + qf_kc * 16 + 15]);
              // B fragments of two n tiles at a time: qf_b = {b0, b1} of tile qf_np * 2, then of the next
              #pragma unroll
              for (int qf_np = 0; qf_np < 8 / 2; ++qf_np) {
                u32 qf_b[4];
                qf_ldmatrix_x4(qf_b, &reinterpret_cast<const i8*>(qf_smem + 15360 + qf_buf_v_kb * 5120)[(qf_kc * 32 + ((qf_lane >> 3) & 1) * 16) * 1 + ((qf_np * 2 + (qf_lane >> 4)) * 8 + (qf_lane & 7)) * 80]);
                qf_mma_s8s8(&v_64_i32[(qf_mt * 8 + qf_np * 2) * 4], qf_a, qf_b[0], qf_b[1]);
                qf_mma_s8s8(&v_64_i32[(qf_mt * 8 + qf_np * 2 + 1) * 4], qf_a, qf_b[2], qf_b[3]);
              }
            }
          }
          #line 25 "flash_attention.tile"
          i64 v_80[2];
          i64 v_81[2];
          i64 v_83[2];
          int v_l_1_factor[2];
          i64 v_84[2];
          i64 v_85[2];
          i64 v_87[2];
          i64 v_89[2];
          int v_l_1_kept[2];
          int v_l_1_next[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_80[i] = (i64)(v_l_1_i[i]);
            v_81[i] = (i64)(v_alpha_i[i]);
            v_83[i] = qf_mul_i64(v_81[i], s_82_arg);
            v_l_1_factor[i] = qf_sat_i32(v_83[i]);
            v_84[i] = (i64)(v_l_1_factor[i]);
            v_85[i] = qf_mul_wide((int)(v_80[i]), (int)(v_84[i]));
            v_87[i] = qf_add_i64(v_85[i], 536870912LL);
            v_89[i] = qf_shr_i64(v_87[i], 30LL);
            v_l_1_kept[i] = (int)((i64)(v_89[i]));
            v_l_1_next[i] = qf_add_int(v_l_1_kept[i], v_59_i[i]);
          }
          i64 v_94[32];
          i64 v_99[32];
          i64 v_101[32];
          i64 v_103[32];
          int v_acc_1_kept[32];
          int v_acc_1_next[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            v_94[i] = (i64)(v_acc_1_i[i]);
            v_99[i] = qf_mul_wide((int)(v_94[i]), (int)(v_84[((i / 32) * 2 + (i / 2) % 2)]));
            v_101[i] = qf_add_i64(v_99[i], 536870912LL);
            v_103[i] = qf_shr_i64(v_101[i], 30LL);
            v_acc_1_kept[i] = (int)((i64)(v_103[i]));
            v_acc_1_next[i] = qf_add_int(v_acc_1_kept[i], v_64_i32[i]);
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_m_1_i[i] = v_m_new_i[i];
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_l_1_i[i] = v_l_1_next[i];
          }
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            v_acc_1_i[i] = v_acc_1_next[i];
          }
        }
        else if ((n_N - qf_mul_int(v_kb, 64)) <= 32) {
          const bool qf_full_v_kb = false;
          const int qf_span_v_kb = 32;
          #line 29 "flash_attention.tile"
          int v_44_i32[32];
          // %44.i32 = dot(%q.i8, %43.i) on tensor cores (qf_mma_s8s8)
          #pragma unroll
          for (int i = 0; i < 32; ++i) v_44_i32[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_ldmatrix_x4(qf_a, &reinterpret_cast<const i8*>(qf_smem + 0)[(qf_wrow + qf_mt * 16 + (qf_lane & 7) + ((qf_lane >> 3) & 1) * 8) * 80 + qf_kc * 32 + (qf_lane >> 4) * 16]);
              // B fragments of two n tiles at a time: qf_b = {b0, b1} of tile qf_np * 2, then of the next
              #pragma unroll
              for (int qf_np = 0; qf_np < 8 / 2; ++qf_np) {
                if (!(qf_np * 16 < qf_span_v_kb)) continue;   // scores past N are masked
                u32 qf_b[4];
                qf_ldmatrix_x4(qf_b, &reinterpret_cast<const i8*>(qf_smem + 5120 + qf_buf_v_kb * 5120)[(qf_kc * 32 + ((qf_lane >> 3) & 1) * 16) * 1 + ((qf_np * 2 + (qf_lane >> 4)) * 8 + (qf_lane & 7)) * 80]);
                qf_mma_s8s8(&v_44_i32[(qf_mt * 8 + qf_np * 2) * 4], qf_a, qf_b[0], qf_b[1]);
                qf_mma_s8s8(&v_44_i32[(qf_mt * 8 + qf_np * 2 + 1) * 4], qf_a, qf_b[2], qf_b[3]);
              }
            }
          }
          int v_s_i[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
              v_s_i[i] = ((qf_full_v_kb || (qf_add_int(qf_mul_int(v_kb, 64), (((i / 4) % 8) * 8 + 2 * qf_t + i % 2)) < n_N)) ? v_44_i32[i] : -1048576);
            }
          }
          #line 30 "flash_attention.tile"
          int v_50_i[2];
          // %50.i = reduce max %s.i [1]
          #pragma unroll
          for (int r = 0; r < 2; ++r) {
            int qf_a = (-2147483647 - 1);
            #pragma unroll
            for (int c = 0; c < 16; ++c) {
              const int i = (r / 2) * 8 * 4 + (c / 2) * 4 + (r & 1) * 2 + (c & 1);
              if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
                const int qf_x = v_s_i[i];
                qf_a = (int)max(qf_a, qf_x);
              }
            }
            // the four threads of a row group hold the row's other columns
            { int qf_x = __shfl_xor_sync(0xffffffffu, qf_a, 1); qf_a = (int)max(qf_a, qf_x); }
            { int qf_x = __shfl_xor_sync(0xffffffffu, qf_a, 2); qf_a = (int)max(qf_a, qf_x); }
            v_50_i[r] = qf_a;
          }
          int v_m_new_i[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_m_new_i[i] = (int)max(v_m_1_i[i], v_50_i[i]);
          }
          #line 31 "flash_attention.tile"
          int v_54_i[32];
          int v_22[32];
          int v_halvings[32];
          int v_24[32];
          int v_rem[32];
          int v_25[32];
          int v_28[32];
          int v_p_i[32];
          int v_66[32];
          int v_70[32];
          int v_p_q[32];
          i8 v_p8[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
              v_54_i[i] = qf_sub_int(v_s_i[i], v_m_new_i[((i / 32) * 2 + (i / 2) % 2)]);
              v_22[i] = qf_mul_int(v_54_i[i], s_exp_m_arg);
              v_halvings[i] = (int)qf_shr_int(v_22[i], 16);
              v_24[i] = qf_mul_int(v_halvings[i], s_rs_arg);
              v_rem[i] = qf_add_int(v_54_i[i], v_24[i]);
              v_25[i] = (int)qf_shr_int(v_rem[i], 1);
              v_28[i] = qf_add_int(v_25[i], s_rs_arg);
              v_p_i[i] = (int)qf_shr_int(v_28[i], v_halvings[i]);
              v_66[i] = qf_mul_int(v_p_i[i], s_req_m_arg);
              v_70[i] = qf_add_int(v_66[i], 32768);
              v_p_q[i] = (int)qf_shr_int(v_70[i], 16);
              v_p8[i] = (i8)((i64)(v_p_q[i]));
            }
            else {
              v_p8[i] = 0;
            }
          }
          #line 32 "flash_attention.tile"
          int v_56_i[2];
          int v_41[2];
          int v_halvings_1[2];
          int v_47[2];
          int v_rem_1[2];
          int v_49[2];
          int v_51[2];
          int v_alpha_i[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_56_i[i] = qf_sub_int(v_m_1_i[i], v_m_new_i[i]);
            v_41[i] = qf_mul_int(v_56_i[i], s_exp_m_arg);
            v_halvings_1[i] = (int)qf_shr_int(v_41[i], 16);
            v_47[i] = qf_mul_int(v_halvings_1[i], s_rs_arg);
            v_rem_1[i] = qf_add_int(v_56_i[i], v_47[i]);
            v_49[i] = (int)qf_shr_int(v_rem_1[i], 1);
            v_51[i] = qf_add_int(v_49[i], s_rs_arg);
            v_alpha_i[i] = (int)qf_shr_int(v_51[i], v_halvings_1[i]);
          }
          #line 33 "flash_attention.tile"
          int v_59_i[2];
          int v_59_i_mma[4];
          // %59.i = reduce sum %p8 [1] on tensor cores: P times ones
          #pragma unroll
          for (int i = 0; i < 4; ++i) v_59_i_mma[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_a[0] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 0], v_p8[qf_mt * 32 + qf_kc * 16 + 1], v_p8[qf_mt * 32 + qf_kc * 16 + 4], v_p8[qf_mt * 32 + qf_kc * 16 + 5]);
              qf_a[1] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 2], v_p8[qf_mt * 32 + qf_kc * 16 + 3], v_p8[qf_mt * 32 + qf_kc * 16 + 6], v_p8[qf_mt * 32 + qf_kc * 16 + 7]);
              qf_a[2] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 8], v_p8[qf_mt * 32 + qf_kc * 16 + 9], v_p8[qf_mt * 32 + qf_kc * 16 + 12], v_p8[qf_mt * 32 + qf_kc * 16 + 13]);
              qf_a[3] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 10], v_p8[qf_mt * 32 + qf_kc * 16 + 11], v_p8[qf_mt * 32 + qf_kc * 16 + 14], v_p8[qf_mt * 32 + qf_kc * 16 + 15]);
              #pragma unroll
              for (int qf_nt = 0; qf_nt < 1; ++qf_nt) {
                u32 qf_b0, qf_b1;
                qf_b0 = 0x01010101u;
                qf_b1 = 0x01010101u;
                qf_mma_s8s8(&v_59_i_mma[(qf_mt * 1 + qf_nt) * 4], qf_a, qf_b0, qf_b1);
              }
            }
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_59_i[i] = qf_add_int(v_59_i_mma[(i / 2) * 4 + (i % 2) * 2], qf_mul_int((7 - min(7, (qf_span_v_kb + 7) / 8)) * 8, (int)v_p8[(i / 2) * 32 + 28 + (i & 1) * 2]));
          }
          #line 34 "flash_attention.tile"
          int v_64_i32[32];
          // %64.i32 = dot(%p8, %v.i8) on tensor cores (qf_mma_s8s8)
          #pragma unroll
          for (int i = 0; i < 32; ++i) v_64_i32[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            if (!(qf_kc * 32 < qf_span_v_kb)) continue;   // keys past N: V's rows there are zero
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_a[0] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 0], v_p8[qf_mt * 32 + qf_kc * 16 + 1], v_p8[qf_mt * 32 + qf_kc * 16 + 4], v_p8[qf_mt * 32 + qf_kc * 16 + 5]);
              qf_a[1] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 2], v_p8[qf_mt * 32 + qf_kc * 16 + 3], v_p8[qf_mt * 32 + qf_kc * 16 + 6], v_p8[qf_mt * 32 + qf_kc * 16 + 7]);
              qf_a[2] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 8], v_p8[qf_mt * 32 + qf_kc * 16 + 9], v_p8[qf_mt * 32 + qf_kc * 16 + 12], v_p8[qf_mt * 32 + qf_kc * 16 + 13]);
              qf_a[3] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 10], v_p8[qf_mt * 32 + qf_kc * 16 + 11], v_p8[qf_mt * 32 + qf_kc * 16 + 14], v_p8[qf_mt * 32 + qf_kc * 16 + 15]);
              // B fragments of two n tiles at a time: qf_b = {b0, b1} of tile qf_np * 2, then of the next
              #pragma unroll
              for (int qf_np = 0; qf_np < 8 / 2; ++qf_np) {
                u32 qf_b[4];
                qf_ldmatrix_x4(qf_b, &reinterpret_cast<const i8*>(qf_smem + 15360 + qf_buf_v_kb * 5120)[(qf_kc * 32 + ((qf_lane >> 3) & 1) * 16) * 1 + ((qf_np * 2 + (qf_lane >> 4)) * 8 + (qf_lane & 7)) * 80]);
                qf_mma_s8s8(&v_64_i32[(qf_mt * 8 + qf_np * 2) * 4], qf_a, qf_b[0], qf_b[1]);
                qf_mma_s8s8(&v_64_i32[(qf_mt * 8 + qf_np * 2 + 1) * 4], qf_a, qf_b[2], qf_b[3]);
              }
            }
          }
          #line 25 "flash_attention.tile"
          i64 v_80[2];
          i64 v_81[2];
          i64 v_83[2];
          int v_l_1_factor[2];
          i64 v_84[2];
          i64 v_85[2];
          i64 v_87[2];
          i64 v_89[2];
          int v_l_1_kept[2];
          int v_l_1_next[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_80[i] = (i64)(v_l_1_i[i]);
            v_81[i] = (i64)(v_alpha_i[i]);
            v_83[i] = qf_mul_i64(v_81[i], s_82_arg);
            v_l_1_factor[i] = qf_sat_i32(v_83[i]);
            v_84[i] = (i64)(v_l_1_factor[i]);
            v_85[i] = qf_mul_wide((int)(v_80[i]), (int)(v_84[i]));
            v_87[i] = qf_add_i64(v_85[i], 536870912LL);
            v_89[i] = qf_shr_i64(v_87[i], 30LL);
            v_l_1_kept[i] = (int)((i64)(v_89[i]));
            v_l_1_next[i] = qf_add_int(v_l_1_kept[i], v_59_i[i]);
          }
          i64 v_94[32];
          i64 v_99[32];
          i64 v_101[32];
          i64 v_103[32];
          int v_acc_1_kept[32];
          int v_acc_1_next[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            v_94[i] = (i64)(v_acc_1_i[i]);
            v_99[i] = qf_mul_wide((int)(v_94[i]), (int)(v_84[((i / 32) * 2 + (i / 2) % 2)]));
            v_101[i] = qf_add_i64(v_99[i], 536870912LL);
            v_103[i] = qf_shr_i64(v_101[i], 30LL);
            v_acc_1_kept[i] = (int)((i64)(v_103[i]));
            v_acc_1_next[i] = qf_add_int(v_acc_1_kept[i], v_64_i32[i]);
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_m_1_i[i] = v_m_new_i[i];
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_l_1_i[i] = v_l_1_next[i];
          }
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            v_acc_1_i[i] = v_acc_1_next[i];
          }
        }
        else {
          const bool qf_full_v_kb = false;
          const int qf_span_v_kb = 64;
          #line 29 "flash_attention.tile"
          int v_44_i32[32];
          // %44.i32 = dot(%q.i8, %43.i) on tensor cores (qf_mma_s8s8)
          #pragma unroll
          for (int i = 0; i < 32; ++i) v_44_i32[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_ldmatrix_x4(qf_a, &reinterpret_cast<const i8*>(qf_smem + 0)[(qf_wrow + qf_mt * 16 + (qf_lane & 7) + ((qf_lane >> 3) & 1) * 8) * 80 + qf_kc * 32 + (qf_lane >> 4) * 16]);
              // B fragments of two n tiles at a time: qf_b = {b0, b1} of tile qf_np * 2, then of the next
              #pragma unroll
              for (int qf_np = 0; qf_np < 8 / 2; ++qf_np) {
                if (!(qf_np * 16 < qf_span_v_kb)) continue;   // scores past N are masked
                u32 qf_b[4];
                qf_ldmatrix_x4(qf_b, &reinterpret_cast<const i8*>(qf_smem + 5120 + qf_buf_v_kb * 5120)[(qf_kc * 32 + ((qf_lane >> 3) & 1) * 16) * 1 + ((qf_np * 2 + (qf_lane >> 4)) * 8 + (qf_lane & 7)) * 80]);
                qf_mma_s8s8(&v_44_i32[(qf_mt * 8 + qf_np * 2) * 4], qf_a, qf_b[0], qf_b[1]);
                qf_mma_s8s8(&v_44_i32[(qf_mt * 8 + qf_np * 2 + 1) * 4], qf_a, qf_b[2], qf_b[3]);
              }
            }
          }
          int v_s_i[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
              v_s_i[i] = ((qf_full_v_kb || (qf_add_int(qf_mul_int(v_kb, 64), (((i / 4) % 8) * 8 + 2 * qf_t + i % 2)) < n_N)) ? v_44_i32[i] : -1048576);
            }
          }
          #line 30 "flash_attention.tile"
          int v_50_i[2];
          // %50.i = reduce max %s.i [1]
          #pragma unroll
          for (int r = 0; r < 2; ++r) {
            int qf_a = (-2147483647 - 1);
            #pragma unroll
            for (int c = 0; c < 16; ++c) {
              const int i = (r / 2) * 8 * 4 + (c / 2) * 4 + (r & 1) * 2 + (c & 1);
              if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
                const int qf_x = v_s_i[i];
                qf_a = (int)max(qf_a, qf_x);
              }
            }
            // the four threads of a row group hold the row's other columns
            { int qf_x = __shfl_xor_sync(0xffffffffu, qf_a, 1); qf_a = (int)max(qf_a, qf_x); }
            { int qf_x = __shfl_xor_sync(0xffffffffu, qf_a, 2); qf_a = (int)max(qf_a, qf_x); }
            v_50_i[r] = qf_a;
          }
          int v_m_new_i[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_m_new_i[i] = (int)max(v_m_1_i[i], v_50_i[i]);
          }
          #line 31 "flash_attention.tile"
          int v_54_i[32];
          int v_22[32];
          int v_halvings[32];
          int v_24[32];
          int v_rem[32];
          int v_25[32];
          int v_28[32];
          int v_p_i[32];
          int v_66[32];
          int v_70[32];
          int v_p_q[32];
          i8 v_p8[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {
              v_54_i[i] = qf_sub_int(v_s_i[i], v_m_new_i[((i / 32) * 2 + (i / 2) % 2)]);
              v_22[i] = qf_mul_int(v_54_i[i], s_exp_m_arg);
              v_halvings[i] = (int)qf_shr_int(v_22[i], 16);
              v_24[i] = qf_mul_int(v_halvings[i], s_rs_arg);
              v_rem[i] = qf_add_int(v_54_i[i], v_24[i]);
              v_25[i] = (int)qf_shr_int(v_rem[i], 1);
              v_28[i] = qf_add_int(v_25[i], s_rs_arg);
              v_p_i[i] = (int)qf_shr_int(v_28[i], v_halvings[i]);
              v_66[i] = qf_mul_int(v_p_i[i], s_req_m_arg);
              v_70[i] = qf_add_int(v_66[i], 32768);
              v_p_q[i] = (int)qf_shr_int(v_70[i], 16);
              v_p8[i] = (i8)((i64)(v_p_q[i]));
            }
            else {
              v_p8[i] = 0;
            }
          }
          #line 32 "flash_attention.tile"
          int v_56_i[2];
          int v_41[2];
          int v_halvings_1[2];
          int v_47[2];
          int v_rem_1[2];
          int v_49[2];
          int v_51[2];
          int v_alpha_i[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_56_i[i] = qf_sub_int(v_m_1_i[i], v_m_new_i[i]);
            v_41[i] = qf_mul_int(v_56_i[i], s_exp_m_arg);
            v_halvings_1[i] = (int)qf_shr_int(v_41[i], 16);
            v_47[i] = qf_mul_int(v_halvings_1[i], s_rs_arg);
            v_rem_1[i] = qf_add_int(v_56_i[i], v_47[i]);
            v_49[i] = (int)qf_shr_int(v_rem_1[i], 1);
            v_51[i] = qf_add_int(v_49[i], s_rs_arg);
            v_alpha_i[i] = (int)qf_shr_int(v_51[i], v_halvings_1[i]);
          }
          #line 33 "flash_attention.tile"
          int v_59_i[2];
          int v_59_i_mma[4];
          // %59.i = reduce sum %p8 [1] on tensor cores: P times ones
          #pragma unroll
          for (int i = 0; i < 4; ++i) v_59_i_mma[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_a[0] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 0], v_p8[qf_mt * 32 + qf_kc * 16 + 1], v_p8[qf_mt * 32 + qf_kc * 16 + 4], v_p8[qf_mt * 32 + qf_kc * 16 + 5]);
              qf_a[1] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 2], v_p8[qf_mt * 32 + qf_kc * 16 + 3], v_p8[qf_mt * 32 + qf_kc * 16 + 6], v_p8[qf_mt * 32 + qf_kc * 16 + 7]);
              qf_a[2] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 8], v_p8[qf_mt * 32 + qf_kc * 16 + 9], v_p8[qf_mt * 32 + qf_kc * 16 + 12], v_p8[qf_mt * 32 + qf_kc * 16 + 13]);
              qf_a[3] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 10], v_p8[qf_mt * 32 + qf_kc * 16 + 11], v_p8[qf_mt * 32 + qf_kc * 16 + 14], v_p8[qf_mt * 32 + qf_kc * 16 + 15]);
              #pragma unroll
              for (int qf_nt = 0; qf_nt < 1; ++qf_nt) {
                u32 qf_b0, qf_b1;
                qf_b0 = 0x01010101u;
                qf_b1 = 0x01010101u;
                qf_mma_s8s8(&v_59_i_mma[(qf_mt * 1 + qf_nt) * 4], qf_a, qf_b0, qf_b1);
              }
            }
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_59_i[i] = qf_add_int(v_59_i_mma[(i / 2) * 4 + (i % 2) * 2], qf_mul_int((7 - min(7, (qf_span_v_kb + 7) / 8)) * 8, (int)v_p8[(i / 2) * 32 + 28 + (i & 1) * 2]));
          }
          #line 34 "flash_attention.tile"
          int v_64_i32[32];
          // %64.i32 = dot(%p8, %v.i8) on tensor cores (qf_mma_s8s8)
          #pragma unroll
          for (int i = 0; i < 32; ++i) v_64_i32[i] = 0;
          #pragma unroll
          for (int qf_kc = 0; qf_kc < 2; ++qf_kc) {
            if (!(qf_kc * 32 < qf_span_v_kb)) continue;   // keys past N: V's rows there are zero
            #pragma unroll
            for (int qf_mt = 0; qf_mt < 1; ++qf_mt) {
              u32 qf_a[4];
              qf_a[0] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 0], v_p8[qf_mt * 32 + qf_kc * 16 + 1], v_p8[qf_mt * 32 + qf_kc * 16 + 4], v_p8[qf_mt * 32 + qf_kc * 16 + 5]);
              qf_a[1] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 2], v_p8[qf_mt * 32 + qf_kc * 16 + 3], v_p8[qf_mt * 32 + qf_kc * 16 + 6], v_p8[qf_mt * 32 + qf_kc * 16 + 7]);
              qf_a[2] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 8], v_p8[qf_mt * 32 + qf_kc * 16 + 9], v_p8[qf_mt * 32 + qf_kc * 16 + 12], v_p8[qf_mt * 32 + qf_kc * 16 + 13]);
              qf_a[3] = qf_pack4(v_p8[qf_mt * 32 + qf_kc * 16 + 10], v_p8[qf_mt * 32 + qf_kc * 16 + 11], v_p8[qf_mt * 32 + qf_kc * 16 + 14], v_p8[qf_mt * 32 + qf_kc * 16 + 15]);
              // B fragments of two n tiles at a time: qf_b = {b0, b1} of tile qf_np * 2, then of the next
              #pragma unroll
              for (int qf_np = 0; qf_np < 8 / 2; ++qf_np) {
                u32 qf_b[4];
                qf_ldmatrix_x4(qf_b, &reinterpret_cast<const i8*>(qf_smem + 15360 + qf_buf_v_kb * 5120)[(qf_kc * 32 + ((qf_lane >> 3) & 1) * 16) * 1 + ((qf_np * 2 + (qf_lane >> 4)) * 8 + (qf_lane & 7)) * 80]);
                qf_mma_s8s8(&v_64_i32[(qf_mt * 8 + qf_np * 2) * 4], qf_a, qf_b[0], qf_b[1]);
                qf_mma_s8s8(&v_64_i32[(qf_mt * 8 + qf_np * 2 + 1) * 4], qf_a, qf_b[2], qf_b[3]);
              }
            }
          }
          #line 25 "flash_attention.tile"
          i64 v_80[2];
          i64 v_81[2];
          i64 v_83[2];
          int v_l_1_factor[2];
          i64 v_84[2];
          i64 v_85[2];
          i64 v_87[2];
          i64 v_89[2];
          int v_l_1_kept[2];
          int v_l_1_next[2];
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_80[i] = (i64)(v_l_1_i[i]);
            v_81[i] = (i64)(v_alpha_i[i]);
            v_83[i] = qf_mul_i64(v_81[i], s_82_arg);
            v_l_1_factor[i] = qf_sat_i32(v_83[i]);
            v_84[i] = (i64)(v_l_1_factor[i]);
            v_85[i] = qf_mul_wide((int)(v_80[i]), (int)(v_84[i]));
            v_87[i] = qf_add_i64(v_85[i], 536870912LL);
            v_89[i] = qf_shr_i64(v_87[i], 30LL);
            v_l_1_kept[i] = (int)((i64)(v_89[i]));
            v_l_1_next[i] = qf_add_int(v_l_1_kept[i], v_59_i[i]);
          }
          i64 v_94[32];
          i64 v_99[32];
          i64 v_101[32];
          i64 v_103[32];
          int v_acc_1_kept[32];
          int v_acc_1_next[32];
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            v_94[i] = (i64)(v_acc_1_i[i]);
            v_99[i] = qf_mul_wide((int)(v_94[i]), (int)(v_84[((i / 32) * 2 + (i / 2) % 2)]));
            v_101[i] = qf_add_i64(v_99[i], 536870912LL);
            v_103[i] = qf_shr_i64(v_101[i], 30LL);
            v_acc_1_kept[i] = (int)((i64)(v_103[i]));
            v_acc_1_next[i] = qf_add_int(v_acc_1_kept[i], v_64_i32[i]);
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_m_1_i[i] = v_m_new_i[i];
          }
          #pragma unroll
          for (int i = 0; i < 2; ++i) {
            v_l_1_i[i] = v_l_1_next[i];
          }
          #pragma unroll
          for (int i = 0; i < 32; ++i) {
            v_acc_1_i[i] = v_acc_1_next[i];
          }
        }
      }
    }
  }
  else {
    // for %kb in [%26, %32), 2-stage cp.async pipeline, the block's share only (this warp's rows are never stored)
    {
      const int qf_lo_v_kb = 0, qf_hi_v_kb = (int)qf_floordiv64(qf_add_int(n_N, 63), 64);
      #pragma unroll
      for (int i = 0; i < 2; ++i) {
        v_m_1_i[i] = -1048576;
      }
      #pragma unroll
      for (int i = 0; i < 2; ++i) {
        v_l_1_i[i] = 1;
      }
      #pragma unroll
      for (int i = 0; i < 32; ++i) {
        v_acc_1_i[i] = 0;
      }
       {
        const int qf_next = qf_lo_v_kb + 0;
        if (qf_next < qf_hi_v_kb) {
          const int v_kb = qf_next;
          const int qf_sbuf = (v_kb - qf_lo_v_kb) % 2;
          // stage %k.i8 = %K.i8[...] in shared memory: 64 rows of 64 x i8
          {
            const bool qf_uok = true;
            const unsigned char* qf_tile = reinterpret_cast<const unsigned char*>(p_K_i8 + ((((i64)((int)blockIdx.z) * n_H + ((int)blockIdx.y)) * n_N + (0)) * QF_D + (0)) + (i64)(qf_mul_int(v_kb, 64)) * 1LL * QF_D);
            #pragma unroll
            for (int qf_round = 0; qf_round < 2; ++qf_round) {
              const int qf_c = threadIdx.x + qf_round * 128;
              const int qf_r = qf_c / 4, qf_k = qf_c % 4;
              const bool qf_ok = qf_uok && (unsigned)(qf_mul_int(v_kb, 64) + qf_r) < (unsigned)n_N;
              // The address is formed whether or not the row is read (a source size of 0 reads no byte).
              qf_cp_async16(qf_smem + 5120 + qf_sbuf * 5120 + qf_r * 80 + qf_k * 16, qf_tile + (qf_r * (int)(1LL * QF_D) * 1 + qf_k * 16), qf_ok ? 16 : 0);
            }
          }
          // stage %v.i8 = %V.i8[...] in shared memory from its key-major copy: 64 rows of 64 keys in the A fragment's k order
          {
            const bool qf_uok = true;
            const unsigned char* qf_tile = reinterpret_cast<const unsigned char*>(p_V_i8 + (((i64)((int)blockIdx.z) * n_H + ((int)blockIdx.y)) * QF_D) * ((i64)(n_N + 15) & ~15LL) + (qf_mul_int(v_kb, 64)));
            #pragma unroll
            for (int qf_round = 0; qf_round < 2; ++qf_round) {
              const int qf_c = threadIdx.x + qf_round * 128;
              const int qf_r = qf_c / 4, qf_k = qf_c % 4;
              const bool qf_ok = qf_uok && (unsigned)(qf_mul_int(v_kb, 64) + qf_k * 16) < (unsigned)n_N;
              // The address is formed whether or not the chunk is read (a source size of 0 reads no byte): selecting it
              // against the tensor's start kept more registers live across the loop (ptxas: 8 bytes spilled at D = 32).
              qf_cp_async16(qf_smem + 15360 + qf_sbuf * 5120 + qf_r * 80 + qf_k * 16, qf_tile + (qf_r * (int)((i64)(n_N + 15) & ~15LL) + qf_k * 16), qf_ok ? 16 : 0);
            }
          }
        }
        qf_cp_async_commit();
      }
      for (int v_kb = qf_lo_v_kb; v_kb < qf_hi_v_kb; ++v_kb) {
        qf_cp_async_wait<0>();
        __syncthreads();
         {
          const int qf_next = v_kb + 1;
          if (qf_next < qf_hi_v_kb) {
            const int v_kb = qf_next;
            const int qf_sbuf = (v_kb - qf_lo_v_kb) % 2;
            // stage %k.i8 = %K.i8[...] in shared memory: 64 rows of 64 x i8
            {
              const bool qf_uok = true;
              const unsigned char* qf_tile = reinterpret_cast<const unsigned char*>(p_K_i8 + ((((i64)((int)blockIdx.z) * n_H + ((int)blockIdx.y)) * n_N + (0)) * QF_D + (0)) + (i64)(qf_mul_int(v_kb, 64)) * 1LL * QF_D);
              #pragma unroll
              for (int qf_round = 0; qf_round < 2; ++qf_round) {
                const int qf_c = threadIdx.x + qf_round * 128;
                const int qf_r = qf_c / 4, qf_k = qf_c % 4;
                const bool qf_ok = qf_uok && (unsigned)(qf_mul_int(v_kb, 64) + qf_r) < (unsigned)n_N;
                // The address is formed whether or not the row is read (a source size of 0 reads no byte).
                qf_cp_async16(qf_smem + 5120 + qf_sbuf * 5120 + qf_r * 80 + qf_k * 16, qf_tile + (qf_r * (int)(1LL * QF_D) * 1 + qf_k * 16), qf_ok ? 16 : 0);
              }
            }
            // stage %v.i8 = %V.i8[...] in shared memory from its key-major copy: 64 rows of 64 keys in the A fragment's k order
            {
              const bool qf_uok = true;
              const unsigned char* qf_tile = reinterpret_cast<const unsigned char*>(p_V_i8 + (((i64)((int)blockIdx.z) * n_H + ((int)blockIdx.y)) * QF_D) * ((i64)(n_N + 15) & ~15LL) + (qf_mul_int(v_kb, 64)));
              #pragma unroll
              for (int qf_round = 0; qf_round < 2; ++qf_round) {
                const int qf_c = threadIdx.x + qf_round * 128;
                const int qf_r = qf_c / 4, qf_k = qf_c % 4;
                const bool qf_ok = qf_uok && (unsigned)(qf_mul_int(v_kb, 64) + qf_k * 16) < (unsigned)n_N;
                // The address is formed whether or not the chunk is read (a source size of 0 reads no byte): selecting it
                // against the tensor's start kept more registers live across the loop (ptxas: 8 bytes spilled at D = 32).
                qf_cp_async16(qf_smem + 15360 + qf_sbuf * 5120 + qf_r * 80 + qf_k * 16, qf_tile + (qf_r * (int)((i64)(n_N + 15) & ~15LL) + qf_k * 16), qf_ok ? 16 : 0);
              }
            }
          }
          qf_cp_async_commit();
        }
      }
    }
  }
  #line 25 "flash_attention.tile"
  float v_l_2_f[2];
  #pragma unroll
  for (int i = 0; i < 2; ++i) {
    v_l_2_f[i] = (float)(v_l_1_i[i]);
  }
  float v_acc_2_f[32];
  float v_quotient[32];
  i8 v_out8[32];
  float v_107[32];
  float v_68[32];
  #pragma unroll
  for (int i = 0; i < 32; ++i) {
    v_acc_2_f[i] = (float)(v_acc_1_i[i]);
    v_quotient[i] = (v_acc_2_f[i] / v_l_2_f[((i / 32) * 2 + (i / 2) % 2)]);
    v_out8[i] = (i8)(qf_f2ll_trunc(v_quotient[i]));
    v_107[i] = (float)(v_out8[i]);
    v_68[i] = (v_107[i] * v_v_scale);
  }
  #line 37 "flash_attention.tile"
  #pragma unroll
  for (int qf_i2 = 0; qf_i2 < 32; qf_i2 += 2) {
    float qf_x0, qf_x1;
    { const int i = qf_i2; qf_x0 = v_68[i]; }
    { const int i = qf_i2 + 1; qf_x1 = v_68[i]; }
    { const int i = qf_i2; if ((unsigned)(qf_add_int(qf_mul_int((int)blockIdx.x, 64), (qf_wrow + (i / 32) * 16 + qf_g + ((i / 2) % 2) * 8))) < (unsigned)n_N && (unsigned)((((i / 4) % 8) * 8 + 2 * qf_t + i % 2)) < (unsigned)QF_D) *reinterpret_cast<float2*>(&p_O[((((i64)((int)blockIdx.z) * n_H + ((int)blockIdx.y)) * n_N + (qf_add_int(qf_mul_int((int)blockIdx.x, 64), (qf_wrow + (i / 32) * 16 + qf_g + ((i / 2) % 2) * 8)))) * QF_D + ((((i / 4) % 8) * 8 + 2 * qf_t + i % 2)))]) = make_float2(qf_x0, qf_x1); }
  }
}