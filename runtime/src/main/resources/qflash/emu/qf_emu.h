// qflash's CPU emulation of the emitted CUDA C: what a kernel source sees in place of the device prelude
// (templates/qflash/cuda/prelude.cuh), so that the very text NVRTC compiles also compiles with a host C++
// compiler and runs on the CPU, each CUDA thread a fiber (see qf_emu_driver.cpp). Every function here keeps
// the prelude function's exact semantics; the warp-wide ones (shuffles, mma.sync, ldmatrix) meet the other
// lanes of the warp in the driver. Force-included (-include) before the kernel's source, prelude removed.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __align__(n) __attribute__((aligned(n)))
// A static __shared__ array is one per block: the driver runs a block's fibers on one OS thread, one block at a
// time, so a thread_local (at block scope, implicitly static) is exactly that.
#define __shared__ thread_local
#define __builtin_assume(x) ((void)0)

typedef signed char i8;
typedef unsigned char u8;
typedef unsigned short f16;
typedef long long i64;
typedef unsigned int u32;
typedef unsigned long long u64;

struct qf_dim3 { unsigned x, y, z; };
// CUDA's vector types, aligned as on the device (a 16-byte load of one is one 16-byte access there).
#define QF_EMU_VEC2(T, N, A) struct __attribute__((aligned(A))) N##2 { T x, y; }; inline N##2 make_##N##2(T x, T y) { return {x, y}; }
#define QF_EMU_VEC4(T, N, A) struct __attribute__((aligned(A))) N##4 { T x, y, z, w; }; inline N##4 make_##N##4(T x, T y, T z, T w) { return {x, y, z, w}; }
QF_EMU_VEC2(signed char, char, 2) QF_EMU_VEC4(signed char, char, 4)
QF_EMU_VEC2(unsigned char, uchar, 2) QF_EMU_VEC4(unsigned char, uchar, 4)
QF_EMU_VEC2(short, short, 4) QF_EMU_VEC4(short, short, 8)
QF_EMU_VEC2(unsigned short, ushort, 4) QF_EMU_VEC4(unsigned short, ushort, 8)
QF_EMU_VEC2(int, int, 8) QF_EMU_VEC4(int, int, 16)
QF_EMU_VEC2(unsigned, uint, 8) QF_EMU_VEC4(unsigned, uint, 16)
QF_EMU_VEC2(float, float, 8) QF_EMU_VEC4(float, float, 16)
QF_EMU_VEC2(long long, longlong, 16)
QF_EMU_VEC2(double, double, 16)

// The driver's side (qf_emu_driver.cpp, exported from its executable).
namespace qf_emu {
qf_dim3 thread_idx();
qf_dim3 block_idx();
qf_dim3 block_dim();
qf_dim3 grid_dim();
unsigned char* dyn_smem();
void syncthreads();
// Lane exchange: every participating lane of the warp puts `words` 32-bit words in; returns the 32 lanes' words
// (row l = lane l's, 16 words each), valid until this lane's next exchange.
const u32 (*exchange(unsigned mask, const u32* words, int n))[16];
void cp_async(void* dst, const void* src, int bytes, int src_bytes);
void cp_async_commit();
void cp_async_wait(int n);
}  // namespace qf_emu

#define threadIdx (qf_emu::thread_idx())
#define blockIdx (qf_emu::block_idx())
#define blockDim (qf_emu::block_dim())
#define gridDim (qf_emu::grid_dim())

inline void __syncthreads() { qf_emu::syncthreads(); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// CUDA's min/max overloads: the usual arithmetic conversions for integers, fminf/fmaxf for floats.
template <class A, class B> inline typename std::common_type<A, B>::type min(A a, B b) {
  typedef typename std::common_type<A, B>::type T;
  return (T)a < (T)b ? (T)a : (T)b;
}
template <class A, class B> inline typename std::common_type<A, B>::type max(A a, B b) {
  typedef typename std::common_type<A, B>::type T;
  return (T)a > (T)b ? (T)a : (T)b;
}
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }

inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline unsigned __float_as_uint(float f) { unsigned i; std::memcpy(&i, &f, 4); return i; }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline float __uint_as_float(unsigned i) { float f; std::memcpy(&f, &i, 4); return f; }

// PTX cvt to an integer: NaN gives 0, values past the range saturate. r is already an integer (rounded in double,
// which holds every float exactly).
inline i64 qf_emu_sat64(double r) {
  if (r != r) return 0;
  if (r >= 9223372036854775808.0) return INT64_MAX;
  if (r < -9223372036854775808.0) return INT64_MIN;
  return (i64)r;
}
inline int qf_emu_sat32(double r) {
  if (r != r) return 0;
  if (r >= 2147483648.0) return INT32_MAX;
  if (r < -2147483648.0) return INT32_MIN;
  return (int)r;
}
inline i64 __float2ll_rn(float v) { return qf_emu_sat64(std::rint((double)v)); }
inline i64 __float2ll_rz(float v) { return qf_emu_sat64(std::trunc((double)v)); }
inline i64 __float2ll_rd(float v) { return qf_emu_sat64(std::floor((double)v)); }
inline i64 __double2ll_rn(double v) { return qf_emu_sat64(std::rint(v)); }
inline i64 __double2ll_rz(double v) { return qf_emu_sat64(std::trunc(v)); }
inline i64 __double2ll_rd(double v) { return qf_emu_sat64(std::floor(v)); }
inline int __float2int_rn(float v) { return qf_emu_sat32(std::rint((double)v)); }

// PTX prmt (default mode): byte n of the result is byte (s >> 4n) & 7 of y:x, or that byte's sign spread when
// bit 3 of the selector is set.
inline unsigned __byte_perm(unsigned x, unsigned y, unsigned s) {
  const u64 v = (u64)y << 32 | x;
  unsigned r = 0;
  for (int n = 0; n < 4; n++) {
    const unsigned sel = (s >> (4 * n)) & 15, b = (unsigned)(v >> (8 * (sel & 7))) & 0xff;
    r |= ((sel & 8) ? ((b & 0x80) ? 0xffu : 0u) : b) << (8 * n);
  }
  return r;
}

template <class T> inline T atomicAdd(T* p, T v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline float atomicAdd(float* p, float v) {
  u32* w = reinterpret_cast<u32*>(p);
  u32 old = __atomic_load_n(w, __ATOMIC_SEQ_CST);
  while (!__atomic_compare_exchange_n(w, &old, __float_as_uint(__uint_as_float(old) + v), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {}
  return __uint_as_float(old);
}
template <class T> inline T atomicMax(T* p, T v) {
  T old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
  while (old < v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {}
  return old;
}
template <class T> inline T atomicMin(T* p, T v) {
  T old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
  while (old > v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {}
  return old;
}

// Shuffles of 4- or 8-byte values; a source lane outside the segment of `width` lanes gives the lane's own value.
template <class T> inline T qf_emu_shfl(unsigned mask, T v, int src_of_lane_mode, int arg, int width) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8, "a shuffle moves 4 or 8 bytes");
  u32 w[2] = {0, 0};
  std::memcpy(w, &v, sizeof(T));
  const auto all = qf_emu::exchange(mask, w, 2);
  const int lane = (int)(threadIdx.x & 31), seg = lane & ~(width - 1);
  int src = lane;
  switch (src_of_lane_mode) {
    case 0: src = lane ^ arg; break;                                       // xor
    case 1: src = lane + arg; if (src >= seg + width) src = lane; break;   // down
    case 2: src = lane - arg; if (src < seg) src = lane; break;            // up
    default: src = seg + (arg & (width - 1)); break;                       // indexed
  }
  if ((src & ~(width - 1)) != seg || !(mask >> src & 1)) src = lane;
  T r;
  std::memcpy(&r, all[src], sizeof(T));
  return r;
}
template <class T> inline T __shfl_xor_sync(unsigned mask, T v, int m, int width = 32) { return qf_emu_shfl(mask, v, 0, m, width); }
template <class T> inline T __shfl_down_sync(unsigned mask, T v, int d, int width = 32) { return qf_emu_shfl(mask, v, 1, d, width); }
template <class T> inline T __shfl_up_sync(unsigned mask, T v, int d, int width = 32) { return qf_emu_shfl(mask, v, 2, d, width); }
template <class T> inline T __shfl_sync(unsigned mask, T v, int l, int width = 32) { return qf_emu_shfl(mask, v, 3, l, width); }

// ---- the prelude's functions (templates/qflash/cuda/prelude.cuh), same names, same results ----
#define QF_WRAP_OPS(T, U) \
  inline T qf_add_##T(T a, T b) { return (T)((U)a + (U)b); } \
  inline T qf_sub_##T(T a, T b) { return (T)((U)a - (U)b); } \
  inline T qf_mul_##T(T a, T b) { return (T)((U)a * (U)b); } \
  inline T qf_neg_##T(T a) { return (T)(0 - (U)a); }
QF_WRAP_OPS(i8, u32)
QF_WRAP_OPS(u8, u32)
QF_WRAP_OPS(short, u32)
QF_WRAP_OPS(int, u32)
QF_WRAP_OPS(i64, u64)

inline i64 qf_shl64(i64 a, i64 n) { return n >= 64 ? 0 : (i64)((u64)a << n); }
inline i64 qf_shr64(i64 a, i64 n) { return n >= 63 ? (a < 0 ? -1 : 0) : a >> n; }
inline int qf_shr_int(int a, int n) { return n >= 0 ? a >> min(n, 31) : (n <= -32 ? 0 : (int)((u32)a << -n)); }
inline int qf_shr_nonneg(int a, int n) { return a >> ((u32)n >= 32 ? 31 : n); }   // PTX shr.s32: the count saturates at 32
inline int qf_shl_int(int a, int n) { return n >= 0 ? (n >= 32 ? 0 : (int)((u32)a << n)) : a >> (n <= -31 ? 31 : -n); }
inline i64 qf_shl_i64(i64 a, i64 n) { return n < 0 ? (n == (i64)0x8000000000000000LL ? 0 : qf_shr64(a, -n)) : qf_shl64(a, n); }
inline i64 qf_shr_i64(i64 a, i64 n) { return n < 0 ? (n == (i64)0x8000000000000000LL ? 0 : qf_shl64(a, -n)) : qf_shr64(a, n); }

inline i64 qf_div64(i64 a, i64 b) { return b == 0 ? 0 : (b == -1 ? (i64)(0 - (u64)a) : a / b); }
inline i64 qf_floordiv64(i64 a, i64 b) { if (b == 0) return 0; i64 q = qf_div64(a, b); return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q; }
inline i64 qf_rem64(i64 a, i64 b) { return (b == 0 || b == -1) ? 0 : a % b; }

inline i64 qf_f2ll_rne(float v) { return __float2ll_rn(v); }
inline i64 qf_f2ll_trunc(float v) { return __float2ll_rz(v); }
inline i64 qf_f2ll_floor(float v) { return __float2ll_rd(v); }
inline i64 qf_f2ll_rne(double v) { return __double2ll_rn(v); }
inline i64 qf_f2ll_trunc(double v) { return __double2ll_rz(v); }
inline i64 qf_f2ll_floor(double v) { return __double2ll_rd(v); }
inline i64 qf_sat(i64 v, i64 lo, i64 hi) { return v < lo ? lo : v > hi ? hi : v; }
inline int qf_sat_f2i_rne(float v, int lo, int hi) { return min(max(__float2int_rn(v), lo), hi); }
inline int qf_sat_i32(i64 v) {
  const int lo = (int)v, hi = (int)(v >> 32);
  return hi == (lo >> 31) ? lo : (hi < 0 ? (int)0x80000000 : 0x7fffffff);
}
inline i64 qf_mul_wide(int a, int b) { return (i64)a * (i64)b; }
inline int qf_clamp0(int a, int hi) { return max(min(a, hi), 0); }

// IEEE half, round to nearest even (PTX cvt.rn.f16.f32 / cvt.f32.f16); a NaN becomes the canonical 0x7fff.
inline float qf_h2f(f16 h) {
  const u32 s = (u32)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  u32 bits;
  if (e == 0x1f) bits = s | 0x7f800000u | (m << 13);
  else if (e != 0) bits = s | ((e + 112) << 23) | (m << 13);
  else if (m == 0) bits = s;
  else return (s ? -1.0f : 1.0f) * std::ldexp((float)m, -24);   // subnormal: m * 2^-24, exact
  return __uint_as_float(bits);
}
inline f16 qf_f2h(float f) {
  const u32 x = __float_as_uint(f), s = (x >> 16) & 0x8000;
  const u32 ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) return 0x7fff;
  if (ax >= 0x477ff000u) return (f16)(s | 0x7c00);   // rounds to past 65504: infinity
  if (ax < 0x38800000u) {                            // below 2^-14: a subnormal half (or 0), m * 2^-24
    const float r = std::rint(std::fabs(f) * 16777216.0f);   // exact scaling by 2^24, then round to even
    return (f16)(s | (u32)r);
  }
  const u32 m = ax + 0xfffu + ((ax >> 13) & 1);   // round to nearest even at bit 13
  return (f16)(s | ((m - 0x38000000u) >> 13));
}
inline float qf_inf() { return __int_as_float(0x7f800000); }
inline void qf_pdl_trigger() {}   // the driver runs launches one after another: a dependent one starts after its primary
inline void qf_pdl_wait() {}

inline u32 qf_pack4(u32 a, u32 b, u32 c, u32 d) { return (a & 0xff) | (b & 0xff) << 8 | (c & 0xff) << 16 | (d & 0xff) << 24; }
inline u32 qf_pack4_sat_u8(int a, int b, int c, int d) {
  return qf_pack4((u32)qf_clamp0(a, 255), (u32)qf_clamp0(b, 255), (u32)qf_clamp0(c, 255), (u32)qf_clamp0(d, 255));
}
inline u32 qf_pack4_sat_s8(int a, int b, int c, int d) {
  return qf_pack4((u32)max(min(a, 127), -128), (u32)max(min(b, 127), -128), (u32)max(min(c, 127), -128), (u32)max(min(d, 127), -128));
}
inline u32 qf_pack2(u32 a, u32 b) { return (a & 0xffff) | (b & 0xffff) << 16; }

// mma.sync.aligned.m16n8k32 (8-bit A and B, s32 accumulators) and m16n8k16 (f16, f32), with the PTX ISA's fragment
// layouts, E elements to a 32-bit register (4 for 8 bits, 2 for f16), k running to 8 E: lane (g, t) = (lane / 4,
// lane % 4); A element (r, k) sits in lane (r % 8, (k % 4E) / E), register r / 8 + 2 (k / 4E), element k % E; B
// element (k, n) in lane (n, (k % 4E) / E), register k / 4E, element k % E; accumulator i of lane (g, t) is element
// (g + 8 (i / 2), 2 t + i % 2). `madd(acc, a, b, e)` adds the product of element e of A's word and of B's word.
template <int E, class C, class Acc, class MulAdd> inline void qf_emu_mma(C* c, const u32* a, u32 b0, u32 b1, MulAdd madd) {
  const u32 in[6] = {a[0], a[1], a[2], a[3], b0, b1};
  const auto all = qf_emu::exchange(0xffffffffu, in, 6);
  const int lane = (int)(threadIdx.x & 31), g = lane / 4, t = lane % 4;
  for (int i = 0; i < 4; i++) {
    const int r = g + 8 * (i / 2), n = 2 * t + i % 2;
    Acc acc = c[i];
    for (int k = 0; k < 8 * E; k++) madd(acc, all[(r % 8) * 4 + (k % (4 * E)) / E][r / 8 + 2 * (k / (4 * E))], all[n * 4 + (k % (4 * E)) / E][4 + k / (4 * E)], k % E);
    c[i] = (C)acc;
  }
}
// Integer products summed as the tensor core does, wrapping in 32 bits.
template <bool UA> inline void qf_emu_mma8(int* c, const u32* a, u32 b0, u32 b1) {
  qf_emu_mma<4, int, int>(c, a, b0, b1, [](int& acc, u32 aw, u32 bw, int e) {
    const int av = UA ? (int)(u8)(aw >> (8 * e)) : (int)(i8)(aw >> (8 * e)), bv = (int)(i8)(bw >> (8 * e));
    acc = (int)((u32)acc + (u32)(av * bv));
  });
}
inline void qf_mma_s8s8(int* c, const u32* a, u32 b0, u32 b1) { qf_emu_mma8<false>(c, a, b0, b1); }
inline void qf_mma_u8s8(int* c, const u32* a, u32 b0, u32 b1) { qf_emu_mma8<true>(c, a, b0, b1); }
// The tensor core's f32 sum is not IEEE's sequence of roundings; exact products summed in double, then one rounding,
// is as close to it as any order (fp16 results are compared within a tolerance, never bit for bit).
inline void qf_mma_f16(float* c, const u32* a, u32 b0, u32 b1) {
  qf_emu_mma<2, float, double>(c, a, b0, b1, [](double& acc, u32 aw, u32 bw, int e) {
    acc += (double)qf_h2f((f16)(aw >> (16 * e))) * (double)qf_h2f((f16)(bw >> (16 * e)));
  });
}

// cp.async: queued per thread and done at the wait that covers its group (the latest a GPU may do it), so a read
// of the tile before its wait sees stale shared memory here too. src_bytes < 16 fills the rest with zeros.
inline void qf_cp_async16(void* smem, const void* gmem, int src_bytes) { qf_emu::cp_async(smem, gmem, 16, src_bytes); }
inline void qf_cp_async4(void* smem, const void* gmem, int src_bytes) { qf_emu::cp_async(smem, gmem, 4, src_bytes); }
inline void qf_cp_async_commit() { qf_emu::cp_async_commit(); }
template <int N> inline void qf_cp_async_wait() { qf_emu::cp_async_wait(N); }

// ldmatrix.x4: lane l gives the address of row l % 8 of matrix l / 8 and receives, per matrix j, the 4 bytes at
// 4 (l % 4) of its row l / 4 (.trans: the 16-bit elements (2 (l % 4), l / 4) and (2 (l % 4) + 1, l / 4)).
inline void qf_emu_ldmatrix(u32* r, const void* smem, bool trans) {
  u32 in[2];
  std::memcpy(in, &smem, sizeof smem);
  const auto all = qf_emu::exchange(0xffffffffu, in, 2);
  const int lane = (int)(threadIdx.x & 31);
  auto row = [&](int j, int rr) { const unsigned char* p; std::memcpy(&p, all[j * 8 + rr], sizeof p); return p; };
  for (int j = 0; j < 4; j++) {
    if (!trans) {
      std::memcpy(&r[j], row(j, lane / 4) + 4 * (lane % 4), 4);
    } else {
      f16 lo, hi;
      std::memcpy(&lo, row(j, 2 * (lane % 4)) + 2 * (lane / 4), 2);
      std::memcpy(&hi, row(j, 2 * (lane % 4) + 1) + 2 * (lane / 4), 2);
      r[j] = qf_pack2(lo, hi);
    }
  }
}
inline void qf_ldmatrix_x4(u32* r, const void* smem) { qf_emu_ldmatrix(r, smem, false); }
inline void qf_ldmatrix_x4_trans(u32* r, const void* smem) { qf_emu_ldmatrix(r, smem, true); }

// The entry the driver calls: a kernel's arguments from an array of pointers to them, as cuLaunchKernel takes them.
namespace qf_emu {
template <class... P, std::size_t... I> inline void invoke(void (*f)(P...), void** a, std::index_sequence<I...>) {
  f(*static_cast<typename std::remove_reference<P>::type*>(a[I])...);
}
template <class... P> inline void invoke(void (*f)(P...), void** a) { invoke(f, a, std::index_sequence_for<P...>{}); }
}  // namespace qf_emu
#define QF_EMU_ENTRY(name) extern "C" __attribute__((visibility("default"))) void qf_emu_entry_##name(void** a) { qf_emu::invoke(name, a); }
