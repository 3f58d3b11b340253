package qflash.cuda;

/**
 * Where an element expression is evaluated: C expressions for the logical row and column of position
 * {@code i} and for the index of that position in arrays of each compatible layout (null where the
 * context has no such coordinate or layout).
 */
record Ctx(Layout layout, String rowPos, String colPos, String rowReg, String colReg, String fragReg) {
    static Ctx of(Layout l) {
        return switch (l) {
            case Layout.Frag f -> new Ctx(l,
                    "(qf_wrow + (i / " + 4 * f.nt() + ") * 16 + qf_g + ((i / 2) % 2) * 8)",
                    "(" + part(f.split(), f.nt()) + "((i / 4) % " + f.nt() + ") * 8 + 2 * qf_t + i % 2)",
                    "((i / " + 4 * f.nt() + ") * 2 + (i / 2) % 2)",
                    "(((i / 4) % " + f.nt() + ") * 2 + i % 2)",
                    "i");
            case Layout.Rows r -> new Ctx(l, "(qf_wrow + (i / 2) * 16 + qf_g + (i % 2) * 8)", null, "i", null, null);
            case Layout.Cols c -> new Ctx(l, null, "(" + part(c.split(), c.nt()) + "(i / 2) * 8 + 2 * qf_t + i % 2)", null, "i", null);
        };
    }

    /** The first column of this warp's share of a tile split over {@code split} warps (nothing when not split). */
    static String part(int split, int nt) {
        return split == 1 ? "" : "qf_wp * " + nt * 8 + " + ";
    }

    /** Row {@code qf_r} of a tile being staged into shared memory, from its first column. */
    static Ctx stage() {
        return new Ctx(null, "qf_r", "0", null, null, null);
    }

    /** Column tiles of the context's layout, for checking that a column vector fits it. */
    int nt() {
        return switch (layout) {
            case Layout.Frag f -> f.nt();
            case Layout.Cols c -> c.nt();
            case null, default -> -1;
        };
    }

    /** Warps the context's columns are split over (1 for a per-row vector or a staging context). */
    int split() {
        return switch (layout) {
            case Layout.Frag f -> f.split();
            case Layout.Cols c -> c.split();
            case null, default -> 1;
        };
    }
}
