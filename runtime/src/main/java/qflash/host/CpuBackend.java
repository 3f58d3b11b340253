package qflash.host;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import qflash.interp.Arr;
import qflash.interp.Interpreter;
import qflash.ir.Kernel;
import qflash.ir.Type;

/**
 * Runs an attention kernel on the CPU interpreter. Tensors bind by parameter name — {@code Q},
 * {@code K}, {@code V}, {@code O} and the optional {@code bias} — which is how the samples name them.
 */
public final class CpuBackend {
    public static final List<String> ROLES = List.of("Q", "K", "V", "O");

    /** The output (row-major {@code [Z,H,N,D]}) and the wall time of the kernel alone. */
    public record Result(double[] out, double millis) {}

    private CpuBackend() {}

    /** Fails with a {@link UserError} unless {@code k} has the tensors an attention run binds. */
    public static void requireAttention(Kernel k) {
        for (String role : ROLES) {
            Kernel.Param p = k.param(role);
            if (p == null || !p.isTensor() || p.value().type().rank() != 4) {
                throw new UserError("kernel '" + k.name() + "' has no rank-4 tensor parameter '" + role
                        + "': `qflash run` binds attention tensors by the names Q, K, V, O (and bias)");
            }
        }
        if (!k.param("O").out()) throw new UserError("kernel '" + k.name() + "': tensor O must be an output (out)");
    }

    /** The arguments of one attention call, by parameter name: tensors (O zero-filled) and scalars. */
    public record Bound(Map<String, Arr> tensors, Map<String, Double> scalars) {
        public Arr out() {
            return tensors.get("O");
        }
    }

    /** Binds {@code in} to {@code k}'s parameters, rounding each input to the parameter's element type. */
    public static Bound bind(Kernel k, Inputs in, Double scale) {
        requireAttention(k);
        Shape s = in.shape();
        Map<String, Arr> tensors = new HashMap<>();
        tensors.put("Q", Arr.floats(elem(k, "Q"), in.q(), s.dims()));
        tensors.put("K", Arr.floats(elem(k, "K"), in.k(), s.dims()));
        tensors.put("V", Arr.floats(elem(k, "V"), in.v(), s.dims()));
        tensors.put("O", new Arr(elem(k, "O"), s.dims()));
        Kernel.Param bias = k.param("bias");
        if (in.bias() != null) {
            if (bias == null || !bias.isTensor()) throw new UserError("inputs carry a bias but kernel '" + k.name() + "' takes none");
            tensors.put("bias", Arr.floats(bias.value().type().elem(), in.bias(), in.biasShape()));
        }
        Map<String, Double> scalars = new HashMap<>();
        if (scale != null) scalars.put("scale", scale);
        return new Bound(tensors, scalars);
    }

    public static Result run(Kernel k, Inputs in, Double scale) {
        Bound b = bind(k, in, scale);
        long t0 = System.nanoTime();
        try {
            Interpreter.run(k, b.tensors(), b.scalars());
        } catch (Interpreter.BadArguments e) {
            throw new UserError(e.getMessage());
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        return new Result(values(b.out()), ms);
    }

    public static double[] values(Arr o) {
        double[] out = new double[o.size()];
        for (int i = 0; i < out.length; i++) out[i] = o.get(i);
        return out;
    }

    private static qflash.ir.Elem elem(Kernel k, String name) {
        return ((Type.Tensor) k.param(name).value().type()).elem();
    }
}
