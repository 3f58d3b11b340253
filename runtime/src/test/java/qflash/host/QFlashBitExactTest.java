package qflash.host;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import qflash.Compiler;
import qflash.ir.Kernel;
import qflash.pass.Pipeline;

/**
 * {@code --pipeline qflash} against an independent, straight-line Java transcription of ALGORITHM.md §2
 * (below; it shares no code with the passes or the interpreter), bit for bit, over N in
 * {1, 7, 49, 197, 1000} (plus 64, 128, 256, which block sizes divide), D in {16, 32, 64, 80, 128} and
 * key-block sizes that do and do not divide N.
 * Arithmetic the formulas leave open is fixed as the pipeline documents it: scales, sm and the
 * constants in f32; round half to even; shifts by 32 or more give 0 (or -1); the P cast wraps.
 * Run: {@code mvn -pl runtime test -Dtest=QFlashBitExactTest}.
 */
class QFlashBitExactTest {
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        int[] ns = {1, 7, 49, 197, 1000};
        int[] ds = {16, 32, 64, 80, 128};
        long[] bns = {16, 32, 64};
        int i = 0;
        for (int n : ns) {
            for (int d : ds) {
                long bn = bns[i % 3];
                out.add(Arguments.of(n, d, bn, i % 2 == 0 ? Inputs.Model.UNIFORM : Inputs.Model.GAUSS_OUTLIER));
                i++;
            }
        }
        // None of the listed N is a multiple of a block size: add lengths that are, so whole blocks are covered too.
        out.add(Arguments.of(64, 64, 16L, Inputs.Model.UNIFORM));
        out.add(Arguments.of(128, 80, 64L, Inputs.Model.GAUSS_OUTLIER));
        out.add(Arguments.of(256, 32, 32L, Inputs.Model.K_BIAS));
        return out.stream();
    }

    @ParameterizedTest(name = "N={0} D={1} BLOCK_N={2} {3}")
    @MethodSource("cases")
    void pipelineEqualsTheFormulas(int n, int d, long blockN, Inputs.Model model) throws IOException {
        Kernel k = Compiler.compile(FloatPipelineAccuracyTest.sample("flash_attention.tile"), Pipeline.named("qflash"),
                Map.of("BLOCK_N", blockN, "BLOCK_M", 32L));
        int heads = n >= 1000 ? 1 : 2;
        Inputs in = Inputs.generate(model, new Shape(1, heads, n, d), 1000L * n + d, false);
        double[] got = CpuBackend.run(k, in, null).out();
        double[] want = reference(in, (int) blockN);
        for (int i = 0; i < want.length; i++) {
            if (Double.doubleToLongBits(got[i]) != Double.doubleToLongBits(want[i])) {
                fail("element " + i + ": pipeline " + got[i] + ", formulas " + want[i]);
            }
        }
    }

    // ------------------------------------------------------------------ ALGORITHM.md §2, transcribed

    static final int NEG = -(1 << 20);

    static float amaxScale(double[] x) {
        float amax = 0;
        for (double v : x) amax = Math.max(amax, Math.abs((float) v));
        return amax == 0 ? 1f : amax / 127f;
    }

    static byte[] quantize(double[] x, float s) {
        byte[] q = new byte[x.length];
        for (int i = 0; i < x.length; i++) q[i] = (byte) Math.max(-128, Math.min(127, Math.rint((float) x[i] / s)));
        return q;
    }

    /** floor(a / 2^n) for any n >= 0. */
    static int shr(int a, int n) {
        return n >= 32 ? (a < 0 ? -1 : 0) : a >> n;
    }

    static long shr(long a, int n) {
        return n >= 64 ? (a < 0 ? -1 : 0) : a >> n;
    }

    static int exp2Shift(int x, int expM, int rs) {
        int q = shr(x * expM, 16);
        int r = x + q * rs;
        return shr(shr(r, 1) + rs, q);
    }

    static double[] reference(Inputs in, int blockN) {
        Shape s = in.shape();
        int n = s.n(), d = s.d();
        float sq = amaxScale(in.q()), sk = amaxScale(in.k()), sv = amaxScale(in.v());
        byte[] q8 = quantize(in.q(), sq), k8 = quantize(in.k(), sk), v8 = quantize(in.v(), sv);
        float scale = (float) (1 / Math.sqrt((float) d));
        float qkScale = scale * (float) 1.4426950408889634;
        float sm = (sq * sk) * qkScale;
        int rs = (int) Math.rint(1f / sm);
        int expM = (int) Math.rint(sm * -65536f);
        int reqM = (int) Math.rint(sm * 8323072f);
        int lM = (int) Math.rint(1073741824f / (float) rs);
        double[] out = new double[s.elements()];
        for (int zh = 0; zh < s.z() * s.h(); zh++) {
            int base = zh * n * d;
            for (int i = 0; i < n; i++) {
                int m = NEG, l = 1;
                int[] acc = new int[d];
                for (int j0 = 0; j0 < n; j0 += blockN) {
                    int[] sc = new int[blockN];
                    int rowMax = Integer.MIN_VALUE;
                    for (int c = 0; c < blockN; c++) {
                        int j = j0 + c;
                        if (j >= n) {
                            sc[c] = NEG;
                        } else {
                            int dot = 0;
                            for (int e = 0; e < d; e++) dot += q8[base + i * d + e] * k8[base + j * d + e];
                            sc[c] = dot;
                        }
                        rowMax = Math.max(rowMax, sc[c]);
                    }
                    int mNew = Math.max(m, rowMax);
                    byte[] p8 = new byte[blockN];
                    int rowSum = 0;
                    for (int c = 0; c < blockN; c++) {
                        int p = exp2Shift(sc[c] - mNew, expM, rs);
                        p8[c] = (byte) shr(p * reqM + (1 << 15), 16); // the reference's wrapping cast
                        rowSum += p8[c];
                    }
                    int alpha = exp2Shift(m - mNew, expM, rs);
                    l = (int) shr((long) l * alpha * lM + (1L << 29), 30) + rowSum;
                    for (int e = 0; e < d; e++) {
                        int pv = 0;
                        for (int c = 0; c < blockN && j0 + c < n; c++) pv += p8[c] * v8[base + (j0 + c) * d + e];
                        acc[e] = (int) shr((long) acc[e] * alpha * lM + (1L << 29), 30) + pv;
                    }
                    m = mNew;
                }
                for (int e = 0; e < d; e++) {
                    float quotient = (float) acc[e] / (float) l;
                    byte out8 = (byte) (long) quotient; // truncation toward zero, then the wrapping cast
                    out[base + i * d + e] = (float) out8 * sv;
                }
            }
        }
        return out;
    }
}
