package qflash.cuda;

/**
 * Which positions of a register-resident tile a thread holds: the accumulator layout of
 * {@code mma.sync} m16n8 (PTX ISA, "Matrix Fragments for mma.m16n8k*"). A warp owns {@code mt}
 * 16-row slabs of the block's query rows; in each, lane (g = lane/4, t = lane%4) holds rows g and
 * g+8 and, in each 8-column tile, columns 2t and 2t+1. Element {@code i} of a thread's array is
 * (slab, column tile, row half, column bit) = (i / (nt*4), (i/4) % nt, (i/2) % 2, i % 2).
 * With a key split of {@code split} warps per row slab (the schedule's {@code ksplit}), a tile's columns
 * are dealt out in {@code split} equal runs: warp part p = {@code qf_wp} holds the {@code nt} tiles from
 * column p * nt * 8 on.
 */
sealed interface Layout {
    int count();

    /** A per-row vector (running max, row sum): 2 entries per slab. */
    record Rows(int mt) implements Layout {
        public int count() { return 2 * mt; }
    }

    /** A per-column vector over {@code nt} 8-column tiles (the warp's share): 2 entries per tile. */
    record Cols(int nt, int split) implements Layout {
        public int count() { return 2 * nt; }
    }

    /** A [rows, split*nt*8] tile in the accumulator layout, nt column tiles per warp. */
    record Frag(int mt, int nt, int split) implements Layout {
        public int count() { return 4 * mt * nt; }
    }
}
