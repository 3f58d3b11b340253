package qflash.samples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import qflash.Compiler;
import qflash.diag.Source;
import qflash.interp.Arr;
import qflash.interp.Interpreter;
import qflash.ir.Elem;
import qflash.ir.IrPrinter;
import qflash.ir.Kernel;
import qflash.pass.Pipeline;

/**
 * The Java API in one page: compile a tile program with a pipeline and a schedule, look at its IR,
 * and run it on the CPU interpreter over arrays you own.
 *
 * <p>Run from the repository root, after {@code bin/qflash} has built the jars once:
 * {@code java -cp 'samples/target/classes:runtime/target/qflash-runtime.jar:runtime/target/lib/*' qflash.samples.ApiExample}.
 */
public final class ApiExample {
    private ApiExample() {}

    public static void main(String[] args) throws IOException {
        Path file = Path.of(args.length > 0 ? args[0] : "samples/flash_attention.tile");
        System.out.println(run(new Source(file.toString(), Files.readString(file))));
    }

    /** Compiles {@code src} for f32 with BLOCK_M=32, runs one small problem and reports it. */
    public static String run(Source src) {
        // 1. Compile: DSL -> AST -> tile IR -> f32 pipeline. Tunables not named keep their defaults.
        Kernel k = Compiler.compile(src, Pipeline.named("f32"), Map.of("BLOCK_M", 32L));

        // 2. Make inputs: [Z, H, N, D] row-major. Here Z=1, H=2, N=50, D=16 with a smooth pattern.
        int z = 1, h = 2, n = 50, d = 16;
        double[] q = new double[z * h * n * d], kk = new double[q.length], v = new double[q.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = Math.sin(0.37 * i);
            kk[i] = Math.cos(0.11 * i);
            v[i] = (i % d) - d / 2.0;
        }
        Map<String, Arr> tensors = new HashMap<>();
        tensors.put("Q", Arr.floats(Elem.F32, q, z, h, n, d));
        tensors.put("K", Arr.floats(Elem.F32, kk, z, h, n, d));
        tensors.put("V", Arr.floats(Elem.F32, v, z, h, n, d));
        Arr out = new Arr(Elem.F32, z, h, n, d);
        tensors.put("O", out);

        // 3. Run. The scale defaults to 1/sqrt(D), computed by the kernel's own defaults block.
        Interpreter.run(k, tensors, Map.of());

        // Every row of softmax weights sums to 1, so each output is a convex mix of V's rows:
        // channel c of every output row must lie in [min_c V, max_c V] = [c - 8, c - 8].
        double worst = 0;
        for (int i = 0; i < out.size(); i++) worst = Math.max(worst, Math.abs(out.get(i) - ((i % d) - d / 2.0)));
        String ir = IrPrinter.print(k);
        return "compiled " + k.name() + " (" + ir.lines().count() + " lines of lowered IR, schedule " + k.schedule() + ")\n"
                + "ran on the CPU interpreter: " + out.size() + " outputs, largest deviation from the exact answer " + worst;
    }
}
