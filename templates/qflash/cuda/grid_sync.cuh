
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
