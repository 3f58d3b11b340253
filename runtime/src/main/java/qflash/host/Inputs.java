package qflash.host;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Attention inputs: Q, K, V as {@code [Z,H,N,D]} row-major doubles, an optional bias {@code [H,N,N]}
 * or {@code [Z,H,N,N]}, all rounded to float16 — the kernels and the float64 reference read the same
 * f16-rounded values, as ALGORITHM.md §5 prescribes.
 */
public record Inputs(Shape shape, double[] q, double[] k, double[] v, int[] biasShape, double[] bias, String model) {

    /** The input models of ALGORITHM.md §5. */
    public enum Model {
        /** uniform[-4, 4], the paper's. */
        UNIFORM("uniform"),
        /** standard Gaussian. */
        GAUSS("gauss"),
        /** standard Gaussian with two channels ×8 in Q, K and V (activation outliers). */
        GAUSS_OUTLIER("gauss-outlier"),
        /** Gaussian with a per-channel bias in K (σ=6) and a few ×6 outlier tokens in Q. */
        K_BIAS("k-bias");

        public final String text;

        Model(String text) {
            this.text = text;
        }

        public static Model parse(String s) {
            for (Model m : values()) if (m.text.equals(s)) return m;
            return null;
        }
    }

    public static double f16(double x) {
        return Float.float16ToFloat(Float.floatToFloat16((float) x));
    }

    /** Generates inputs of {@code model}; {@code withBias} adds a Swin-like {@code [H,N,N]} bias. */
    public static Inputs generate(Model model, Shape s, long seed, boolean withBias) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = s.elements();
        double[] q = new double[n], k = new double[n], v = new double[n];
        switch (model) {
            case UNIFORM -> {
                for (double[] t : new double[][] {q, k, v}) for (int i = 0; i < n; i++) t[i] = rnd.nextDouble(-4, 4);
            }
            case GAUSS -> {
                for (double[] t : new double[][] {q, k, v}) for (int i = 0; i < n; i++) t[i] = rnd.nextGaussian();
            }
            case GAUSS_OUTLIER -> {
                int c1 = rnd.nextInt(s.d()), c2 = s.d() == 1 ? c1 : (c1 + 1 + rnd.nextInt(s.d() - 1)) % s.d();
                for (double[] t : new double[][] {q, k, v}) {
                    for (int i = 0; i < n; i++) {
                        int c = i % s.d();
                        t[i] = rnd.nextGaussian() * (c == c1 || c == c2 ? 8 : 1);
                    }
                }
            }
            case K_BIAS -> {
                for (double[] t : new double[][] {q, k, v}) for (int i = 0; i < n; i++) t[i] = rnd.nextGaussian();
                int tokens = s.n(), d = s.d();
                for (int zh = 0; zh < s.z() * s.h(); zh++) {
                    double[] channelBias = new double[d];
                    for (int c = 0; c < d; c++) channelBias[c] = 6 * rnd.nextGaussian();
                    for (int t = 0; t < tokens; t++) for (int c = 0; c < d; c++) k[(zh * tokens + t) * d + c] += channelBias[c];
                    // About 2% of the query tokens (at least one) are outliers.
                    int outliers = Math.max(1, tokens / 50);
                    for (int o = 0; o < outliers; o++) {
                        int t = rnd.nextInt(tokens);
                        for (int c = 0; c < d; c++) q[(zh * tokens + t) * d + c] *= 6;
                    }
                }
            }
        }
        int[] biasShape = null;
        double[] bias = null;
        if (withBias) {
            biasShape = new int[] {s.h(), s.n(), s.n()};
            bias = new double[s.h() * s.n() * s.n()];
            for (int i = 0; i < bias.length; i++) bias[i] = 2 * rnd.nextGaussian();
        }
        return rounded(new Inputs(s, q, k, v, biasShape, bias, model.text));
    }

    private static Inputs rounded(Inputs in) {
        for (double[] t : new double[][] {in.q, in.k, in.v, in.bias}) {
            if (t != null) for (int i = 0; i < t.length; i++) t[i] = f16(t[i]);
        }
        return in;
    }

    /** Reads {@code q.npy}, {@code k.npy}, {@code v.npy} and, if present, {@code bias.npy} from {@code dir}. */
    public static Inputs read(Path dir) {
        if (!Files.isDirectory(dir)) throw new UserError(dir + ": not a directory (expected q.npy, k.npy, v.npy in it)");
        Npy.Array q = Npy.read(dir.resolve("q.npy")), k = Npy.read(dir.resolve("k.npy")), v = Npy.read(dir.resolve("v.npy"));
        if (q.shape().length != 4) throw new UserError(dir.resolve("q.npy") + ": shape " + Arrays.toString(q.shape()) + " is not [Z, H, N, D]");
        for (var e : new Object[][] {{"k.npy", k}, {"v.npy", v}}) {
            Npy.Array a = (Npy.Array) e[1];
            if (!Arrays.equals(a.shape(), q.shape())) {
                throw new UserError(dir.resolve((String) e[0]) + ": shape " + Arrays.toString(a.shape()) + " differs from q.npy's " + Arrays.toString(q.shape()));
            }
        }
        Shape s = new Shape(q.shape()[0], q.shape()[1], q.shape()[2], q.shape()[3]);
        int[] biasShape = null;
        double[] bias = null;
        Path bp = dir.resolve("bias.npy");
        if (Files.exists(bp)) {
            Npy.Array b = Npy.read(bp);
            boolean ok = b.shape().length == 3 && b.shape()[0] == s.h() && b.shape()[1] == s.n() && b.shape()[2] == s.n()
                    || b.shape().length == 4 && b.shape()[0] == s.z() && b.shape()[1] == s.h() && b.shape()[2] == s.n() && b.shape()[3] == s.n();
            if (!ok) throw new UserError(bp + ": shape " + Arrays.toString(b.shape()) + " is neither [H, N, N] nor [Z, H, N, N] for " + s);
            biasShape = b.shape();
            bias = b.data();
        }
        return rounded(new Inputs(s, q.data(), k.data(), v.data(), biasShape, bias, dir.toString()));
    }
}
