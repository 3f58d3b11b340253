package qflash.host;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The reference itself, checked by hand on cases whose answer is known. */
class ReferenceTest {
    @Test
    void equalScoresAverageTheValues() {
        // q = 0 makes every score equal: each output row is the mean of the visible value rows.
        Shape s = new Shape(1, 1, 3, 2);
        double[] q = new double[6], k = {1, 2, 3, 4, 5, 6}, v = {1, 10, 2, 20, 3, 30};
        Inputs in = new Inputs(s, q, k, v, null, null, "test");
        double[] full = Reference.attention(in, 1, false);
        assertArrayEquals(new double[] {2, 20, 2, 20, 2, 20}, full, 1e-12);
        double[] causal = Reference.attention(in, 1, true);
        assertArrayEquals(new double[] {1, 10, 1.5, 15, 2, 20}, causal, 1e-12);
    }

    @Test
    void aHugeBiasSelectsOneKey() {
        Shape s = new Shape(1, 1, 2, 1);
        Inputs in = new Inputs(s, new double[2], new double[2], new double[] {7, 9}, new int[] {1, 2, 2}, new double[] {0, 100, 100, 0}, "test");
        assertArrayEquals(new double[] {9, 7}, Reference.attention(in, 1, false), 1e-12);
    }

    @Test
    void sqnrIsTwentyLogOfTheNormRatio() {
        assertEquals(20, Reference.sqnrDb(new double[] {10, 0}, new double[] {11, 0}), 1e-12);
        assertEquals(Double.POSITIVE_INFINITY, Reference.sqnrDb(new double[] {1}, new double[] {1}));
    }

    @Test
    void inputsAreF16RoundedAndSeeded() {
        Inputs a = Inputs.generate(Inputs.Model.UNIFORM, new Shape(1, 2, 5, 4), 7, true);
        Inputs b = Inputs.generate(Inputs.Model.UNIFORM, new Shape(1, 2, 5, 4), 7, true);
        assertArrayEquals(a.q(), b.q());
        for (double x : a.q()) {
            assertEquals(Inputs.f16(x), x);
            assertTrue(x >= -4 && x <= 4);
        }
        assertEquals(2 * 5 * 5, a.bias().length);
        Inputs o = Inputs.generate(Inputs.Model.GAUSS_OUTLIER, new Shape(1, 1, 400, 8), 1, false);
        double[] rms = new double[8];
        for (int i = 0; i < o.k().length; i++) rms[i % 8] += o.k()[i] * o.k()[i] / 400;
        long outliers = java.util.Arrays.stream(rms).filter(r -> r > 16).count();
        assertEquals(2, outliers, "two channels carry the x8 outliers");
    }
}
