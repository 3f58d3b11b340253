package qflash.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import qflash.gpu.Autotuner;
import qflash.gpu.CudaBackend;
import qflash.gpu.DeviceTensor;
import qflash.ir.Kernel;

/**
 * {@code qflash tune}: the autotuner on its own. Per workload row and batch, every schedule the kernel's
 * tunables allow (--tune pins some), each compiled and its body timed on the GPU, the fastest marked and
 * remembered for {@code qflash bench --autotune}. Schedules the CUDA emitter cannot lay out are listed
 * with the reason.
 */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = {"Time every schedule of a kernel's tunables on the GPU and remember the fastest per shape.",
                "Tunables set with --tune stay fixed; the rest are searched."})
public final class TuneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    KernelOptions kernel;

    @Option(names = "--rows", split = ",", paramLabel = "A1,..", description = "workloads (default: A3)")
    List<String> rows = List.of("A3");

    @Option(names = "--batches", split = ",", paramLabel = "1,8,..", description = "batches for A rows (default: 8; L rows run at 1)")
    List<Integer> batches = List.of(8);

    @Option(names = "--reps", description = "timed repetitions per schedule (default: " + BenchCommand.TUNE_REPS + ")")
    int reps = BenchCommand.TUNE_REPS;

    @Option(names = "--warmup", description = "untimed repetitions first (default: " + BenchCommand.TUNE_WARMUP + ")")
    int warmup = BenchCommand.TUNE_WARMUP;

    @Option(names = "--retune", description = "measure again instead of taking a remembered choice")
    boolean retune;

    @Option(names = "--list", description = "list the schedules and what each would be (threads, shared memory, blocks per SM), "
            + "or why it cannot be emitted; times nothing, needs no GPU")
    boolean list;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        KernelOptions.Tuning tuning = kernel.tuning();
        List<Map<String, Long>> space = tuning.space();
        if (list) return list(out, tuning, space);
        try (CudaBackend gpu = GpuRun.open()) {
            Kernel k = kernel.lowered(null);   // the declared schedule: which inputs the prologue reads, whether there is a bias
            out.printf("qflash tune on %s, %s; pipeline %s; %d schedule%s%n", gpu.device(), gpu.nvrtc().describe(), kernel.pipeline, space.size(), space.size() == 1 ? "" : "s");
            Autotuner tuner = new Autotuner(gpu, tuning.source().name(), GpuRun.halfInputs(k), java.util.Set.of("O"), tuning.lower());
            for (BenchCommand.Row row : BenchCommand.table(rows, batches)) {
                Map<String, DeviceTensor> dev = BenchCommand.tensors(k, row);
                try {
                    Autotuner.Result r = tuner.tune(space, tuning.identity(), row.shape().dims(), dev, Map.of(), warmup, reps, retune);
                    out.printf("%s b=%d %s%n", row.name(), row.batch(), row.shape());
                    Map<String, List<Map<String, Long>>> skipped = new java.util.LinkedHashMap<>();
                    for (Autotuner.Trial t : r.trials()) {
                        if (t.skipped() != null) {
                            skipped.computeIfAbsent(t.skipped(), x -> new java.util.ArrayList<>()).add(t.config());
                            continue;
                        }
                        out.printf(Locale.ROOT, "  %-48s %.4f ms%s%s%n", Autotuner.describe(t.config()), t.kernelMs(),
                                Double.isNaN(t.callMs()) ? "" : String.format(Locale.ROOT, ", call %.4f ms", t.callMs()), t.config().equals(r.best()) ? "  <- best" : "");
                    }
                    printRefused(out, "skipped", skipped);
                    out.printf(Locale.ROOT, "  best: %s, %.4f ms%s%n", Autotuner.describe(r.best()), r.bestMs(), r.cached() ? " (remembered; --retune measures again)" : "");
                } finally {
                    dev.values().forEach(DeviceTensor::close);
                }
                out.flush();
            }
        }
        return Main.OK;
    }

    /** Schedules one reason refuses, a line per reason: how many, the first of them, the reason. */
    private static void printRefused(PrintWriter out, String verb, Map<String, List<Map<String, Long>>> byReason) {
        byReason.forEach((why, cs) -> out.printf("  %s %d (%s%s): %s%n", verb, cs.size(), Autotuner.describe(cs.get(0)), cs.size() > 1 ? ", ..." : "", why));
    }

    /** --list: each schedule emitted for the rows' head dimensions, nothing compiled or timed. */
    private int list(PrintWriter out, KernelOptions.Tuning tuning, List<Map<String, Long>> space) {
        out.printf("%s, pipeline %s: %d schedule%s (listed, not timed)%n", tuning.source().name(), kernel.pipeline, space.size(), space.size() == 1 ? "" : "s");
        java.util.Set<Integer> dims = new java.util.TreeSet<>();
        for (BenchCommand.Row row : BenchCommand.table(rows, batches)) dims.add(row.shape().d());
        Map<Map<String, Long>, Kernel> lowered = new java.util.HashMap<>();
        Map<Map<String, Long>, String> unproven = new java.util.HashMap<>();   // schedules the range proof refuses, and why
        for (Map<String, Long> config : space) {
            try {
                lowered.put(config, tuning.lower().apply(config));
            } catch (qflash.pass.RangeCheck.Overflow e) {
                unproven.put(config, e.getMessage());
            }
        }
        for (int d : dims) {
            out.printf("D=%d%n", d);
            Map<String, List<Map<String, Long>>> refused = new java.util.LinkedHashMap<>();
            for (Map<String, Long> config : space) {
                String why = unproven.get(config);
                if (why == null) {
                    try {
                        qflash.cuda.CudaEmitter.CudaKernel c = qflash.cuda.CudaEmitter.emit(lowered.get(config), Map.of("D", d), tuning.source().name(), java.util.Set.of());
                        out.printf(Locale.ROOT, "  %-48s %4d threads, %6.1f KiB shared, registers budgeted for %d block%s per SM%n", Autotuner.describe(config),
                                c.threads(), c.smemBytes() / 1024.0, c.minBlocks(), c.minBlocks() == 1 ? "" : "s");
                        continue;
                    } catch (qflash.cuda.CudaEmitter.Unsupported e) {
                        why = e.getMessage();
                    }
                }
                refused.computeIfAbsent(why, x -> new java.util.ArrayList<>()).add(config);
            }
            printRefused(out, "refused", refused);
        }
        out.flush();
        return Main.OK;
    }
}
