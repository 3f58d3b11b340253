package qflash.host;

/**
 * Plain float64 attention, written from the definition and sharing nothing with the compiler:
 * {@code softmax(q·kᵀ·scale + bias, masked) · v} per (z, h), the yardstick for every kernel.
 */
public final class Reference {
    private Reference() {}

    public static double[] attention(Inputs in, double scale, boolean causal) {
        Shape s = in.shape();
        int n = s.n(), d = s.d();
        double[] out = new double[s.elements()];
        double[] row = new double[n];
        for (int z = 0; z < s.z(); z++) {
            for (int h = 0; h < s.h(); h++) {
                int base = (z * s.h() + h) * n * d;
                for (int i = 0; i < n; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    int last = causal ? i : n - 1;
                    for (int j = 0; j <= last; j++) {
                        double dotp = 0;
                        for (int c = 0; c < d; c++) dotp += in.q()[base + i * d + c] * in.k()[base + j * d + c];
                        row[j] = dotp * scale + bias(in, z, h, i, j);
                        max = Math.max(max, row[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= last; j++) {
                        row[j] = Math.exp(row[j] - max);
                        sum += row[j];
                    }
                    for (int c = 0; c < d; c++) {
                        double acc = 0;
                        for (int j = 0; j <= last; j++) acc += row[j] * in.v()[base + j * d + c];
                        out[base + i * d + c] = acc / sum;
                    }
                }
            }
        }
        return out;
    }

    private static double bias(Inputs in, int z, int h, int i, int j) {
        if (in.bias() == null) return 0;
        int n = in.shape().n();
        int zh = in.biasShape().length == 4 ? z * in.shape().h() + h : h;
        return in.bias()[(zh * n + i) * n + j];
    }

    /** Signal-to-quantization-noise ratio in dB: {@code 20·log10(‖ref‖ / ‖out − ref‖)}; +inf when exact. */
    public static double sqnrDb(double[] ref, double[] out) {
        double signal = 0, noise = 0;
        for (int i = 0; i < ref.length; i++) {
            signal += ref[i] * ref[i];
            double e = out[i] - ref[i];
            noise += e * e;
        }
        return 10 * Math.log10(signal / noise);
    }

    public static double maxAbsError(double[] ref, double[] out) {
        double m = 0;
        for (int i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(out[i] - ref[i]));
        return m;
    }
}
