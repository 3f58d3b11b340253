
// Helpers of the prologue kernel.
//
// A barrier across the whole grid of a kernel whose blocks are all resident at once (the prologue
// launches one block per SM). bar[0] counts the blocks that arrived, bar[1] is the generation: the last
// block to arrive resets the count and bumps the generation, which releases the others. The counter
// returns to 0 each time, so the same two words serve every barrier of every launch. The fences make
// each block's writes before the barrier visible to every block after it (as cooperative groups do).
__device__ __forceinline__ void qf_grid_sync(unsigned* bar) {
  __syncthreads();
  if (threadIdx.x == 0) {
    volatile unsigned* gen = bar + 1;
    const unsigned g = *gen;
    __threadfence();
    if (atomicAdd(bar, 1u) == gridDim.x - 1) {
      bar[0] = 0;
      __threadfence();
      atomicAdd(bar + 1, 1u);
    } else {
      while (*gen == g) {}
    }
    __threadfence();
  }
  __syncthreads();
}

// Max into *p by the float's bits: a non-negative float orders like its bits as a signed int, a negative
// one in reverse, like its bits as an unsigned int. Exact in any order; a NaN is skipped, as fmaxf does.
__device__ __forceinline__ void qf_atomic_max(float* p, float v) {
  if (v != v) return;
  if (__float_as_int(v) >= 0) atomicMax(reinterpret_cast<int*>(p), __float_as_int(v));
  else atomicMin(reinterpret_cast<unsigned*>(p), __float_as_uint(v));
}

// Block b of the grid counted from block `off` on (a part's blocks begin after the footprints of its
// phase's earlier parts): b - off mod the grid, a bijection of the blocks. One division, by the grid.
__device__ __forceinline__ int qf_rotate(int b, int off) {
  const int d = b - off % (int)gridDim.x;
  return d < 0 ? d + (int)gridDim.x : d;
}
