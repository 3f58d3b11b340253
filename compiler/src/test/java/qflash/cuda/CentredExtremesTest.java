package qflash.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The identity the per-head prologue's centred group maxima rest on ({@link HeadPrologue}): over a column of a
 * group, the largest |fl(x - m)| is that of its largest or its smallest x, for the column's own mean m (so a NaN x
 * makes m NaN), as the bits the GPU compares. fmaxf and fminf skip NaN, as the emitted code's do. Checked on
 * 20000 random columns (seeded) of ordinary values with a few huge ones, infinities, NaNs, zeros and subnormals.
 */
class CentredExtremesTest {
    @Test
    void theLargestCentredMagnitudeIsAtAnExtreme() {
        Random rnd = new Random(21);
        for (int trial = 0; trial < 20000; trial++) {
            float[] column = new float[1 + rnd.nextInt(300)];
            for (int r = 0; r < column.length; r++) column[r] = value(rnd, trial % 4 == 0);
            check(column, rnd.nextInt(column.length));
        }
    }

    private static float value(Random rnd, boolean special) {
        int p = rnd.nextInt(1000);
        if (special && p < 3) return new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN}[p];
        if (special && p < 10) return new float[] {0f, -0f, 1e-45f, -3e-41f, 3.0e38f, -3.0e38f, 65504f}[p - 3];
        return p < 950 ? (rnd.nextFloat() - 0.5f) * 16f : (rnd.nextFloat() - 0.5f) * 140000f;
    }

    private static void check(float[] column, int from) {
        float sum = 0f;
        for (float x : column) sum += x;   // the interpreter's order: increasing token
        float m = sum / column.length;
        // the group: the column's tokens from `from` on
        int direct = 0;
        float hi = Float.NEGATIVE_INFINITY, lo = Float.POSITIVE_INFINITY;
        for (int r = from; r < column.length; r++) {
            direct = Math.max(direct, bits(column[r] - m));
            hi = fmaxf(hi, column[r]);
            lo = fminf(lo, column[r]);
        }
        assertEquals(direct, Math.max(bits(hi - m), bits(lo - m)), () -> "mean " + m + " of " + java.util.Arrays.toString(column));
    }

    /** The bits of |v| as the GPU's fabsf leaves them; any NaN is the canonical one its arithmetic returns. */
    private static int bits(float v) {
        return Float.isNaN(v) ? 0x7fffffff : Float.floatToRawIntBits(Math.abs(v));
    }

    /** CUDA's fmaxf: the other operand where one is NaN. */
    private static float fmaxf(float a, float b) {
        return Float.isNaN(a) ? b : Float.isNaN(b) ? a : Math.max(a, b);
    }

    private static float fminf(float a, float b) {
        return Float.isNaN(a) ? b : Float.isNaN(b) ? a : Math.min(a, b);
    }
}
