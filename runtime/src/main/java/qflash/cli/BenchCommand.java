package qflash.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import qflash.gpu.Autotuner;
import qflash.gpu.CubinCache;
import qflash.gpu.CudaBackend;
import qflash.gpu.DeviceTensor;
import qflash.host.Inputs;
import qflash.host.Shape;
import qflash.host.UserError;
import qflash.host.Workload;
import qflash.interp.Arr;
import qflash.ir.Elem;
import qflash.ir.Kernel;

/**
 * {@code qflash bench}: our kernels against PyTorch SDPA, same shapes, same run, same GPU. Per workload
 * row and batch: the body kernel's time (median over CUDA graphs of back-to-back launches timed with CUDA
 * events, so that a short kernel does not count the host's launch gap; inputs already quantized by
 * the prologue, as the paper measures), the time of one whole call from f16 device tensors to an f16
 * output (the prologue kernel included, one graph launch, host wall clock; median of --call-reps calls after --call-warmup), and PyTorch's flash / cuDNN / mem-efficient backends timed by
 * bench/sdpa.py in the same run; ratios are ours over the best PyTorch backend. Also the cold NVRTC
 * compile time and the cache-hit load time per kernel.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Time qflash kernels against PyTorch SDPA (needs a GPU; PyTorch for the reference).",
                "Writes a CSV with one line per row x batch x kernel, ratios against the best PyTorch backend, rewritten after every row."})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    KernelOptions kernel;

    @Option(names = "--rows", split = ",", paramLabel = "A1,..", description = "workloads (default: A1..A7, L1..L3)")
    List<String> rows = List.of("A1", "A2", "A3", "A4", "A5", "A6", "A7", "L1", "L2", "L3");

    @Option(names = "--batches", split = ",", paramLabel = "1,8,..", description = "batches for A rows (default: 1,8,64,256; L rows run at 1)")
    List<Integer> batches = List.of(1, 8, 64, 256);

    @Option(names = "--reps", description = "timed repetitions (default: 100)")
    int reps = 100;

    @Option(names = "--warmup", description = "untimed repetitions first (default: 10)")
    int warmup = 10;

    @Option(names = "--call-warmup", description = "untimed whole calls before the call column's (default: 1000)")
    int callWarmup = CALL_WARMUP;

    @Option(names = "--call-reps", description = "timed whole calls for the call column (default: 1000)")
    int callReps = CALL_REPS;

    @Option(names = "--sdpa", paramLabel = "SCRIPT|off", description = "the PyTorch reference script (default: bench/sdpa.py next to the samples; off to skip)")
    String sdpa = "bench/sdpa.py";

    @Option(names = "--python", description = "the Python that has PyTorch (default: python3)")
    String python = "python3";

    @Option(names = {"-o", "--output"}, description = "CSV to write (default: bench/results.csv)")
    Path output = Path.of("bench/results.csv");

    @Option(names = "--autotune", description = "per row, time every schedule the kernel's tunables allow (those --tune pins stay fixed) and bench the fastest; "
            + "the choice is remembered per shape and device (see qflash tune)")
    boolean autotune;

    @Option(names = "--retune", description = "with --autotune: measure again instead of taking a remembered choice")
    boolean retune;

    record Row(String name, int batch, Shape shape) {}

    /**
     * {@code prologueMs}: the prologue kernel alone (NaN for a pipeline without one); {@code bodyMs}: the body as the
     * call runs it (launched after the prologue, as a programmatic dependent under pdl = 1; else {@code kernelMs}); {@code schedule}: its tunables.
     */
    record Result(Row row, String kernel, double kernelMs, double callMs, double prologueMs, double bodyMs, String schedule) {}

    /** Workload rows by name, each at every batch (L rows at 1 only). */
    static List<Row> table(List<String> rows, List<Integer> batches) {
        List<Row> table = new ArrayList<>();
        for (String r : rows) {
            Workload w = Workload.named(r);
            for (int b : w.name().startsWith("L") ? List.of(1) : batches) table.add(new Row(w.name(), b, w.shape(b)));
        }
        return table;
    }

    /** One call's device tensors for a row: uniform inputs as f16 (the prologue reads f16), an f16 output. */
    static Map<String, DeviceTensor> tensors(Kernel k, Row row) {
        Inputs in = Inputs.generate(Inputs.Model.UNIFORM, row.shape(), 0, k.param("bias") != null);
        return GpuRun.deviceTensors(k, in, Elem.F16);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        // A median needs a timing; a negative warm-up is a typo. Before the reference or the GPU is touched.
        if (reps < 1 || callReps < 1) throw new UserError("--reps and --call-reps must be at least 1");
        if (warmup < 0 || callWarmup < 0) throw new UserError("--warmup and --call-warmup must not be negative");
        List<Row> table = table(rows, batches);
        KernelOptions.Tuning tuning = autotune ? kernel.tuning() : null;
        List<Map<String, Long>> space = tuning == null ? null : tuning.space();
        Map<String, Map<String, Double>> ref = sdpa.equals("off") ? Map.of() : reference(table);
        List<Result> results = new ArrayList<>();
        List<String> compileLines = new ArrayList<>();
        try (CudaBackend gpu = GpuRun.open()) {
            String device = gpu.device().toString();
            Kernel k = kernel.lowered(null);
            out.printf("qflash bench on %s, %s; pipeline %s, schedule %s%n", device, gpu.nvrtc().describe(), kernel.pipeline,
                    tuning == null ? k.schedule() : "autotuned per row over " + space.size() + " schedules");
            Set<String> halfInputs = GpuRun.halfInputs(k);
            Autotuner tuner = tuning == null ? null : new Autotuner(gpu, kernel.source().name(), halfInputs, Set.of("O"), tuning.lower());
            Map<Integer, CudaBackend.Compiled> byDim = new HashMap<>();
            printHead(out);
            for (Row row : table) {
                CudaBackend.Compiled c = byDim.get(row.shape().d());
                if (c == null) {
                    Path cold = Files.createTempDirectory("qflash-cold-cache");
                    CudaBackend.Compiled first = gpu.withCache(new CubinCache(cold)).compile(k, row.shape().d(), kernel.source().name(), halfInputs, Set.of("O"));
                    CudaBackend.Compiled hit = gpu.withCache(new CubinCache(cold)).compile(k, row.shape().d(), kernel.source().name(), halfInputs, Set.of("O"));
                    compileLines.add(String.format(Locale.ROOT, "D=%d: cold NVRTC compile %.0f ms (body%s), cache hit %.2f ms", row.shape().d(), first.compileMillis(),
                            first.prologue() == null ? "" : " + prologue (" + first.prologue().steps().get(0).what() + ")", hit.compileMillis()));
                    c = hit;
                    byDim.put(row.shape().d(), c);
                }
                Map<String, DeviceTensor> dev = tensors(k, row);
                String schedule = Autotuner.describe(k.schedule());
                try {
                    if (tuner != null) {
                        Autotuner.Result best = tuner.tune(space, tuning.identity(), row.shape().dims(), dev, Map.of(),
                                TUNE_WARMUP, TUNE_REPS, retune);
                        c = tuner.compile(best.best(), row.shape().d());
                        schedule = Autotuner.describe(best.best());
                    }
                    // The kernel column is the attention on quantized inputs and launch constants, as the paper
                    // measures it: the same schedule with the grid-wide prologue and an ordinary launch (under pdl = 1
                    // the body starts with griddepcontrol.wait), and the body as the call runs it is its own column.
                    CudaBackend.Compiled plain = c;
                    if (c.kernel().schedule().getOrDefault(Autotuner.PROLOGUE, 0L) > 0 || c.kernel().schedule().getOrDefault(Autotuner.DEPENDENT, 0L) > 0) {
                        Map<String, Long> grid = new LinkedHashMap<>(c.kernel().schedule());   // the code names neither: the same ops
                        grid.put(Autotuner.PROLOGUE, 0L);
                        if (grid.containsKey(Autotuner.DEPENDENT)) grid.put(Autotuner.DEPENDENT, 0L);
                        plain = gpu.compile(c.kernel().withSchedule(grid), row.shape().d(), kernel.source().name(), halfInputs, Set.of("O"));
                    }
                    double kernelMs;
                    try (CudaBackend.Call call = gpu.new Call(plain, dev, Map.of())) {
                        kernelMs = call.medianKernelMillis(warmup, reps);
                    }
                    try (CudaBackend.Call call = gpu.new Call(c, dev, Map.of())) {
                        double bodyMs = plain == c ? kernelMs : call.medianKernelMillis(warmup, reps);
                        double callMs = call.medianCallMillis(callWarmup, callReps);
                        results.add(new Result(row, kernel.pipeline, kernelMs, callMs, call.medianPrologueMillis(warmup, reps), bodyMs, schedule));
                        printRow(out, results.getLast(), ref);
                    }
                    write(results, ref, device);   // after every row: a run cut short (a time limit, a lost host) keeps what it measured
                } finally {
                    dev.values().forEach(DeviceTensor::close);
                }
            }
            out.println("ratio = ours / best PyTorch backend (below 1: we are faster); " + device);
            compileLines.forEach(out::println);
        }
        return Main.OK;
    }

    /**
     * The call column's counts: the median host wall time of a call in steady state, as a caller making one call
     * after another sees it. After only 10 calls a b = 1 call measured 1.6-3.6 µs longer than after 1000 or 3000
     * (H100, A1-A7, fixed schedules, fresh JVMs, {@code bench/results/bench-warmup-s24.txt}); a C++ program launching
     * the same graph, 3000 calls after 300, measured the warm number. PyTorch's calls get the same counts (bench/sdpa.py).
     */
    static final int CALL_WARMUP = 1000, CALL_REPS = 1000;

    /** How the autotuner times each candidate: enough to rank them; the winner is then timed with --reps. */
    static final int TUNE_WARMUP = 3, TUNE_REPS = 10;

    /** Runs the PyTorch script on the same shapes; returns row|batch -> backend -> kernel ms (and "call:" + backend -> call ms). */
    private Map<String, Map<String, Double>> reference(List<Row> table) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("qflash-bench");
        Path shapes = dir.resolve("shapes.csv"), csv = dir.resolve("sdpa.csv");
        StringBuilder sb = new StringBuilder("row,b,Z,H,N,D\n");
        for (Row r : table) sb.append(String.format("%s,%d,%d,%d,%d,%d%n", r.name(), r.batch(), r.shape().z(), r.shape().h(), r.shape().n(), r.shape().d()));
        Files.writeString(shapes, sb);
        Process p = new ProcessBuilder(python, sdpa, "--shapes", shapes.toString(), "--out", csv.toString(), "--reps", Integer.toString(reps), "--warmup", Integer.toString(warmup),
                "--call-reps", Integer.toString(callReps), "--call-warmup", Integer.toString(callWarmup))
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new UserError("the PyTorch reference failed (" + python + " " + sdpa + "; --sdpa off skips it): " + log.strip());
        // What the script says on success matters too: a backend timed eagerly instead of from a graph.
        log.lines().filter(l -> l.startsWith("sdpa.py:")).forEach(System.err::println);
        Map<String, Map<String, Double>> ref = new HashMap<>();
        List<String> lines = Files.readAllLines(csv);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            if (f[8].equals("unsupported")) continue;
            Map<String, Double> m = ref.computeIfAbsent(f[0] + "|" + f[1], x -> new LinkedHashMap<>());
            m.put(f[7], Double.parseDouble(f[8]));
            m.put("call:" + f[7], Double.parseDouble(f[9]));
        }
        return ref;
    }

    private static double best(Map<String, Double> m, String prefix) {
        double b = Double.NaN;
        for (var e : m.entrySet()) {
            boolean call = e.getKey().startsWith("call:");
            if (call == prefix.equals("call:") && (Double.isNaN(b) || e.getValue() < b)) b = e.getValue();
        }
        return b;
    }

    /** The table's head; rows follow as they are measured (a long run shows progress, and a cut-short one its rows so far). */
    private static void printHead(PrintWriter out) {
        out.printf("%-4s %4s %-22s %10s %10s %10s %10s %8s %10s %10s %8s %10s %10s  %s%n", "row", "b", "shape", "ours ms", "flash", "cudnn", "efficient", "ratio", "call ms", "torch call", "ratio", "prologue", "call body", "schedule");
        out.flush();
    }

    private static void printRow(PrintWriter out, Result r, Map<String, Map<String, Double>> ref) {
        Map<String, Double> m = ref.getOrDefault(r.row().name() + "|" + r.row().batch(), Map.of());
        double bk = best(m, ""), bc = best(m, "call:");
        out.printf(Locale.ROOT, "%-4s %4d %-22s %10.4f %10s %10s %10s %8s %10.4f %10s %8s %10s %10.4f  %s%n", r.row().name(), r.row().batch(), r.row().shape(), r.kernelMs(),
                fmt(m.get("flash")), fmt(m.get("cudnn")), fmt(m.get("efficient")), Double.isNaN(bk) ? "-" : String.format(Locale.ROOT, "%.2f", r.kernelMs() / bk),
                r.callMs(), fmt(Double.isNaN(bc) ? null : bc), Double.isNaN(bc) ? "-" : String.format(Locale.ROOT, "%.2f", r.callMs() / bc),
                fmt(Double.isNaN(r.prologueMs()) ? null : r.prologueMs()), r.bodyMs(), r.schedule());
        out.flush();
    }

    private static String fmt(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    private void write(List<Result> results, Map<String, Map<String, Double>> ref, String device) throws IOException {
        StringBuilder sb = new StringBuilder("row,b,Z,H,N,D,kernel,kernel_ms,call_ms,sdpa_flash_ms,sdpa_cudnn_ms,sdpa_efficient_ms,best_sdpa_ms,ratio,sdpa_best_call_ms,call_ratio,prologue_ms,call_body_ms,device,schedule\n");
        for (Result r : results) {
            Map<String, Double> m = ref.getOrDefault(r.row().name() + "|" + r.row().batch(), Map.of());
            double bk = best(m, ""), bc = best(m, "call:");
            Shape s = r.row().shape();
            sb.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%d,%d,%s,%.5f,%.5f,%s,%s,%s,%.5f,%.3f,%.5f,%.3f,%s,%.5f,%s,%s%n", r.row().name(), r.row().batch(), s.z(), s.h(), s.n(), s.d(),
                    r.kernel(), r.kernelMs(), r.callMs(), fmt(m.get("flash")), fmt(m.get("cudnn")), fmt(m.get("efficient")), bk, r.kernelMs() / bk, bc, r.callMs() / bc,
                    Double.isNaN(r.prologueMs()) ? "" : String.format(Locale.ROOT, "%.5f", r.prologueMs()), r.bodyMs(), device, r.schedule()));
        }
        if (output.getParent() != null) Files.createDirectories(output.getParent());
        Files.writeString(output, sb);
    }
}
