package qflash.host;

import qflash.ir.Kernel;

/** One kernel run judged against the float64 reference on the same inputs. */
public record Evaluation(double sqnrDb, double maxAbsErr, double millis) {

    /** Runs {@code k} on the CPU interpreter; {@code scale} null means the kernel's default, 1/sqrt(D). */
    public static Evaluation cpu(Kernel k, Inputs in, Double scale) {
        CpuBackend.Result r = CpuBackend.run(k, in, scale);
        return of(k, in, scale, r.out(), r.millis());
    }

    /** Judges an output computed anywhere (the GPU, say) against the float64 reference. */
    public static Evaluation of(Kernel k, Inputs in, Double scale, double[] out, double millis) {
        double s = scale != null ? scale : 1 / Math.sqrt(in.shape().d());
        double[] ref = Reference.attention(in, s, k.has("causal"));
        return new Evaluation(Reference.sqnrDb(ref, out), Reference.maxAbsError(ref, out), millis);
    }
}
