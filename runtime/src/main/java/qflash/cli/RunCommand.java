package qflash.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import qflash.gpu.CudaBackend;
import qflash.host.Evaluation;
import qflash.host.Inputs;
import qflash.host.Shape;
import qflash.host.UserError;
import qflash.host.Workload;
import qflash.ir.Kernel;

/** {@code qflash run}: run a kernel on made or given inputs and judge it against float64 attention. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run a kernel and report its accuracy against a float64 reference attention",
                "computed from the same (f16-rounded) inputs: SQNR = 20*log10(|ref| / |out - ref|)."})
public final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    KernelOptions kernel;

    @Option(names = "--backend", paramLabel = "cpu|cuda|emu", description = "where to run: cpu (the interpreter, the default), cuda (the first GPU; time is the median call time) "
            + "or emu (the emitted CUDA on the CPU emulator: the GPU's bits without a GPU; time is the emulator's, not a GPU's)")
    String backend = "cpu";

    @Option(names = "--workload", paramLabel = "A1..A7|L1..L3", description = "a shape from ALGORITHM.md §5")
    String workload;

    @Option(names = "--batch", paramLabel = "b", description = "multiplies the workload's Z (default: 1)")
    int batch = 1;

    @Option(names = "--shape", paramLabel = "Z=..,H=..,N=..,D=..", description = "an explicit shape")
    String shape;

    @Option(names = "--inputs", paramLabel = "uniform|gauss|gauss-outlier|k-bias|DIR",
            description = "an input model, or a directory with q.npy, k.npy, v.npy [bias.npy] (default: uniform)")
    String inputs = "uniform";

    @Option(names = "--seed", paramLabel = "S", description = "random seed for generated inputs (default: 0)")
    long seed;

    @Option(names = "--scale", paramLabel = "X", description = "softmax scale (default: the kernel's, 1/sqrt(D))")
    Double scale;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Option(names = "--autotune", description = "with --backend cuda: run the fastest schedule for this shape (see qflash tune; --tune pins tunables)")
    boolean autotune;

    @Override
    public Integer call() {
        if (!List.of("cpu", "cuda", "emu").contains(backend)) throw new UserError("--backend must be cpu, cuda or emu, got '" + backend + "'");
        if (batch < 1) throw new UserError("--batch must be at least 1, got " + batch);
        if (autotune && !backend.equals("cuda")) throw new UserError("--autotune times schedules on the GPU: it needs --backend cuda");
        Kernel k = kernel.lowered(null);
        Inputs.Model model = Inputs.Model.parse(inputs);
        Inputs in;
        if (model == null) {
            if (workload != null || shape != null) throw new UserError("--inputs DIR takes the shape from the files; drop --workload/--shape");
            in = Inputs.read(Path.of(inputs));
        } else {
            Shape s;
            if (workload != null && shape != null) throw new UserError("give --workload or --shape, not both");
            if (workload != null) s = Workload.named(workload).shape(batch);
            else if (shape != null) s = Shape.parse(shape);
            else throw new UserError("give --workload, --shape or --inputs DIR");
            in = Inputs.generate(model, s, seed, k.param("bias") != null);
        }
        Evaluation e;
        if (autotune) {
            KernelOptions.Tuning tuning = kernel.tuning();
            try (CudaBackend gpu = GpuRun.open()) {
                k = GpuRun.tuned(gpu, tuning, k, in, scale);
                e = GpuRun.evaluate(gpu, k, in, scale, kernel.source().name());
            }
        } else {
            e = switch (backend) {
                case "cuda" -> GpuRun.evaluate(k, in, scale, kernel.source().name());
                case "emu" -> GpuRun.emulate(k, in, scale, kernel.source().name());
                default -> Evaluation.cpu(k, in, scale);
            };
        }
        PrintWriter out = spec.commandLine().getOut();
        Shape s = in.shape();
        if (json) {
            out.println(String.format(Locale.ROOT,
                    "{\"kernel\": \"%s\", \"backend\": \"%s\", \"pipeline\": \"%s\", \"workload\": %s, \"inputs\": \"%s\", \"seed\": %d, "
                            + "\"shape\": {\"Z\": %d, \"H\": %d, \"N\": %d, \"D\": %d}, \"schedule\": %s, "
                            + "\"sqnr_db\": %s, \"max_abs_err\": %s, \"time_ms\": %.3f}",
                    k.name(), backend, kernel.pipeline, workload == null ? "null" : "\"" + workload.toUpperCase() + "\"",
                    jsonEscape(in.model()), seed, s.z(), s.h(), s.n(), s.d(), schedule(k),
                    number(e.sqnrDb()), number(e.maxAbsErr()), e.millis()));
        } else {
            out.printf(Locale.ROOT, "%s on %s, pipeline %s, %s, inputs %s (seed %d)%n", k.name(), backend, kernel.pipeline, s, in.model(), seed);
            out.printf(Locale.ROOT, "  SQNR %.2f dB   max |err| %.3g   time %.3f ms%n", e.sqnrDb(), e.maxAbsErr(), e.millis());
        }
        return Main.OK;
    }

    private static String schedule(Kernel k) {
        StringBuilder sb = new StringBuilder("{");
        k.schedule().forEach((name, v) -> sb.append(sb.length() > 1 ? ", " : "").append('"').append(name).append("\": ").append(v));
        return sb.append('}').toString();
    }

    /** JSON has no infinity: an exact result's SQNR is reported as null. */
    private static String number(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "null";
    }

    private static String jsonEscape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
