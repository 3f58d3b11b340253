package qflash.cuda;

import qflash.interp.Arr;

/**
 * The layout in which an int8 tensor [..., N, D] that is the right operand of P·V (V) is kept on the GPU
 * when the kernel computes it itself (the prologue's quantized V): transposed to [..., D, N16], N16 = N
 * rounded up to 16, and within every 16 keys reordered to the k order of P's register-held A fragment.
 *
 * <p>Why: {@code mma.m16n8k32} wants B as 4 consecutive k (keys) of one column in a register, but V is
 * stored a key per row, and {@code ldmatrix} cannot transpose 8-bit elements; and P, held in the QKᵀ
 * accumulator layout, gives lane t the keys {2t, 2t+1, 8+2t, 9+2t} of each 16 (PTX ISA, "Matrix Fragments
 * for mma.m16n8k32"), which the product uses as its k slots 4t..4t+3. So the body used to transpose each
 * V tile in shared memory, permuting keys the same way, behind a barrier every step. Written so by the
 * prologue (which writes V anyway), a V tile is copied as it stands and read like K. Slot 4t + 2h + e of a
 * 16-key group holds key 8h + 2t + e. Keys N..N16-1 hold zeros.
 */
public final class KeyMajor {
    private KeyMajor() {}

    /** The keys of a row, N rounded up to 16. */
    public static int paddedKeys(int n) {
        return (n + 15) & ~15;
    }

    /** Where key {@code key} sits in its row: its 16-key group, and in it slot 4t + 2h + e for key 8h + 2t + e. */
    public static int slot(int key) {
        int e = key & 1, t = (key >> 1) & 3, h = (key >> 3) & 1;
        return (key & ~15) | t << 2 | h << 1 | e;
    }

    /** The shape of the key-major copy of a tensor of {@code shape} [..., N, D]: [..., D, N16]. */
    public static int[] shape(int[] shape) {
        int r = shape.length;
        int[] s = shape.clone();
        s[r - 2] = shape[r - 1];
        s[r - 1] = paddedKeys(shape[r - 2]);
        return s;
    }

    /** The key-major copy of {@code a} [..., N, D] (what the prologue writes; padding keys zero). */
    public static Arr of(Arr a) {
        int r = a.shape.length;
        int n = a.shape[r - 2], d = a.shape[r - 1], np = paddedKeys(n);
        Arr out = new Arr(a.elem, shape(a.shape));
        int heads = n * d == 0 ? 0 : a.size() / (n * d);
        for (int h = 0; h < heads; h++) {
            for (int key = 0; key < n; key++) {
                for (int c = 0; c < d; c++) {
                    long v = a.i[(h * n + key) * d + c];
                    out.i[(h * d + c) * np + slot(key)] = v;
                }
            }
        }
        return out;
    }
}
