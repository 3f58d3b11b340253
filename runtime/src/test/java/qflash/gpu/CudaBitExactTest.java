package qflash.gpu;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import qflash.Compiler;
import qflash.diag.Source;
import qflash.host.CpuBackend;
import qflash.host.Inputs;
import qflash.host.Reference;
import qflash.host.Shape;
import qflash.host.Workload;
import qflash.interp.Arr;
import qflash.interp.Interpreter;
import qflash.ir.Kernel;
import qflash.pass.Pipeline;

/**
 * The GPU against the CPU interpreter, the oracle: every integer kernel's output equal bit for bit, for
 * both presets and every single option change, on A1-A7 and on N in {1, 7, 64, 197, 1000} x D in {32, 64,
 * 80, 128}, plain, bias and causal, under three schedules; fp16 within 1e-2 of float64 attention; and 10^4
 * launches leave device memory where it started. Skips without a GPU. Run on the GPU host (README, "GPU"):
 * {@code java -jar junit-platform-console-standalone.jar execute --class-path ... --select-class
 * qflash.gpu.CudaBitExactTest --include-tag gpu}.
 */
@Tag("gpu")
class CudaBitExactTest {
    static CudaBackend gpu;
    static final Map<String, CudaBackend.Compiled> compiled = new ConcurrentHashMap<>();
    static final List<String> SAMPLES = List.of("flash_attention.tile", "flash_attention_bias.tile", "flash_attention_causal.tile");

    @BeforeAll
    static void open() {
        try {
            gpu = CudaBackend.open();
        } catch (CudaDevice.Unavailable | Nvrtc.Unavailable e) {
            assumeTrue(false, "no GPU here: " + e.getMessage());
        }
        System.out.println("device: " + gpu.device() + ", " + gpu.nvrtc().describe());
    }

    @AfterAll
    static void close() {
        if (gpu != null) gpu.close();
    }

    static Source sample(String name) throws Exception {
        Path p = Path.of(System.getProperty("qflash.samples", "../samples"), name);
        return new Source(name, Files.readString(p));
    }

    record Case(String sample, String pipeline, Map<String, String> opts, Map<String, Long> tunables, Shape shape, Inputs.Model model) {
        @Override
        public String toString() {
            return sample + " " + pipeline + (opts.isEmpty() ? "" : " " + opts) + (tunables.isEmpty() ? "" : " " + tunables) + " " + shape + " " + model.text;
        }
    }

    static Kernel kernel(Case c) throws Exception {
        return Compiler.compile(sample(c.sample()), Pipeline.named(c.pipeline(), c.opts()), c.tunables());
    }

    static CudaBackend.Compiled compile(Case c) throws Exception {
        String key = c.sample() + c.pipeline() + c.opts() + c.tunables() + c.shape().d();
        CudaBackend.Compiled hit = compiled.get(key);
        if (hit != null) return hit;
        CudaBackend.Compiled k = gpu.compile(kernel(c), c.shape().d(), c.sample());
        compiled.put(key, k);
        return k;
    }

    /** Runs a case on both sides; returns the number of elements compared, fails on the first difference. */
    static int compare(Case c) throws Exception {
        CudaBackend.Compiled k = compile(c);
        Inputs in = Inputs.generate(c.model(), c.shape(), c.shape().n() * 31L + c.shape().d(), k.kernel().param("bias") != null);
        CpuBackend.Bound cpu = CpuBackend.bind(k.kernel(), in, null);
        Interpreter.run(k.kernel(), cpu.tensors(), cpu.scalars());
        CpuBackend.Bound dev = CpuBackend.bind(k.kernel(), in, null);
        Arr got = gpu.run(k, dev.tensors(), dev.scalars()).get("O");
        Arr want = cpu.out();
        for (int i = 0; i < want.size(); i++) {
            if (Double.doubleToLongBits(got.get(i)) != Double.doubleToLongBits(want.get(i))) {
                fail(c + ": element " + i + " of " + want.size() + ": GPU " + got.get(i) + ", CPU " + want.get(i));
            }
        }
        return want.size();
    }

    static List<Case> integerCases() {
        List<Case> cases = new ArrayList<>();
        for (String p : List.of("int8", "qflash")) {
            for (String s : SAMPLES) {
                for (Workload w : Workload.ALL.values()) {
                    if (w.name().startsWith("A")) cases.add(new Case(s, p, Map.of(), Map.of(), w.shape(1), Inputs.Model.UNIFORM));
                }
                int j = 0;
                for (int n : new int[] {1, 7, 64, 197, 1000}) {
                    for (int d : new int[] {32, 64, 80, 128}) {
                        Inputs.Model m = List.of(Inputs.Model.UNIFORM, Inputs.Model.GAUSS_OUTLIER, Inputs.Model.K_BIAS).get(j++ % 3);
                        cases.add(new Case(s, p, Map.of(), Map.of(), new Shape(1, n >= 1000 ? 1 : 2, n, d), m));
                    }
                }
            }
        }
        return cases;
    }

    @Test
    void integerPresetsEqualTheInterpreterBitForBit() throws Exception {
        runAll(integerCases(), "presets");
    }

    @Test
    void everySingleOptionChangeEqualsTheInterpreter() throws Exception {
        runAll(optionCases(), "option changes");
    }

    /** Both presets with each single option change, on the three samples at A2-like sizes and one odd shape. */
    static List<Case> optionCases() {
        List<Case> cases = new ArrayList<>();
        for (String p : List.of("int8", "qflash")) {
            for (var e : Pipeline.OPTIONS.entrySet()) {
                for (String v : e.getValue()) {
                    for (String s : SAMPLES) {
                        cases.add(new Case(s, p, Map.of(e.getKey(), v), Map.of(), new Shape(1, 3, 197, 64), Inputs.Model.GAUSS_OUTLIER));
                    }
                    cases.add(new Case("flash_attention.tile", p, Map.of(e.getKey(), v), Map.of(), new Shape(2, 2, 77, 80), Inputs.Model.K_BIAS));
                }
            }
        }
        return cases;
    }

    /** Schedules besides the default: tile sizes, warps, stages, key splits 2 and 4, register budgets. */
    static final List<Map<String, Long>> SCHEDULES = List.of(
            Map.of("BLOCK_M", 128L, "warps", 8L, "stages", 3L),
            Map.of("BLOCK_M", 128L, "warps", 4L, "BLOCK_N", 128L),
            Map.of("BLOCK_M", 64L, "warps", 4L, "BLOCK_N", 32L, "stages", 1L),
            Map.of("BLOCK_M", 64L, "warps", 8L, "ksplit", 2L),
            Map.of("BLOCK_M", 32L, "warps", 4L, "ksplit", 2L, "BLOCK_N", 128L),
            Map.of("BLOCK_M", 32L, "warps", 8L, "ksplit", 4L, "BLOCK_N", 128L),
            Map.of("BLOCK_M", 32L, "warps", 8L, "ksplit", 4L, "BLOCK_N", 256L, "min_blocks", 2L),
            Map.of("BLOCK_M", 16L, "warps", 4L, "ksplit", 4L, "BLOCK_N", 256L, "min_blocks", 1L),
            Map.of("BLOCK_M", 64L, "warps", 4L, "BLOCK_N", 256L, "stages", 1L, "min_blocks", 4L));

    @Test
    void otherSchedulesEqualTheInterpreter() throws Exception {
        List<Case> cases = new ArrayList<>();
        for (String p : List.of("int8", "qflash")) {
            for (String s : SAMPLES) {
                for (Map<String, Long> t : SCHEDULES) {
                    cases.add(new Case(s, p, Map.of(), t, new Shape(1, 2, 197, 64), Inputs.Model.UNIFORM));
                    cases.add(new Case(s, p, Map.of(), t, new Shape(1, 2, 300, 128), Inputs.Model.GAUSS_OUTLIER));
                }
            }
        }
        runAll(cases, "schedules");
    }

    static void runAll(List<Case> cases, String what) throws Exception {
        compileAll(cases);
        long elements = 0;
        for (Case c : cases) elements += compare(c);
        System.out.printf("bit-exact %s: %d cases, %d output elements, all equal%n", what, cases.size(), elements);
    }

    /** One whole call of {@link #gpuPrologueCallsEqualTheInterpreterBitForBit}: f16 or f32 inputs, f16 or f32 output. */
    record WholeCall(Case c, boolean halfIn, boolean halfOut, long seed) {}

    /** The whole call on the GPU: f16 (or f32) inputs, the prologue as kernels, the body; equal to the interpreter's output. */
    @Test
    void gpuPrologueCallsEqualTheInterpreterBitForBit() throws Exception {
        runCalls(wholeCalls(), "with the prologue on the GPU", gpuCalls(wholeCalls()));
    }

    /** Both presets x the samples x five shapes x the quantization options, with f16 or f32 inputs and f16 or f32 output. */
    static List<WholeCall> wholeCalls() {
        List<WholeCall> calls = new ArrayList<>();
        for (String p : List.of("int8", "qflash")) {
            for (String s : SAMPLES) {
                List<Shape> shapes = List.of(Workload.named("A1").shape(2), Workload.named("A4").shape(1), new Shape(1, 2, 1000, 128), new Shape(2, 3, 7, 80), new Shape(1, 1, 1, 32));
                for (Shape sh : shapes) {
                    for (Map<String, String> opts : List.of(Map.<String, String>of(), Map.of("quant", "tensor"), Map.of("quant", "block"), Map.of("v-quant", "channel"), Map.of("smooth-k", "true"))) {
                        int n = calls.size();
                        // every other call ends in f16 (the interpreter's f32, rounded); every third starts from f32 tensors (the prologue's f32 loads)
                        calls.add(new WholeCall(new Case(s, p, opts, Map.of(), sh, Inputs.Model.GAUSS_OUTLIER), n % 3 != 2, n % 2 == 1, sh.n() * 7L + n));
                    }
                }
            }
        }
        return calls;
    }

    /**
     * The per-head prologue (pro_blocks > 0: blocks per head, no grid barrier, the body folding the heads'
     * partials): the same bits, at b = 1 and past it, at every block count tried, for each option it takes, with
     * the body launched after the prologue or as its programmatic dependent (pdl = 1; also with the grid-wide prologue).
     */
    @Test
    void perHeadPrologueCallsEqualTheInterpreterBitForBit() throws Exception {
        runCalls(perHeadCalls(), "with the per-head prologue on the GPU", gpuCalls(perHeadCalls()));
    }

    static List<WholeCall> perHeadCalls() {
        List<WholeCall> calls = new ArrayList<>();
        List<Shape> shapes = List.of(Workload.named("A1").shape(1), Workload.named("A4").shape(1), Workload.named("A7").shape(2), new Shape(1, 2, 1000, 32),
                new Shape(2, 3, 7, 80), new Shape(1, 1, 1, 32), new Shape(1, 2, 64, 128));
        for (String s : SAMPLES) {
            for (Shape sh : shapes) {
                List<Map<String, String>> options = s.equals(SAMPLES.get(0)) ? List.of(Map.of(), Map.of("smooth-k", "false"), Map.of("exp", "shift"), Map.of("p", "s8")) : List.of(Map.of());
                for (Map<String, String> opts : options) {
                    for (long b : new long[] {1, 2, 4, 16}) {
                        int n = calls.size();
                        // every other call with the body a programmatic dependent launch (pdl = 1): it must still wait for every write
                        calls.add(new WholeCall(new Case(s, "int8", opts, Map.of("pro_blocks", b, "pdl", (long) (n / 2 % 2)), sh, Inputs.Model.GAUSS_OUTLIER), n % 3 != 2, n % 2 == 1, sh.n() * 5L + n));
                    }
                    if (opts.isEmpty()) {   // and the grid-wide prologue with the dependent launch
                        int n = calls.size();
                        calls.add(new WholeCall(new Case(s, "int8", opts, Map.of("pro_blocks", 0L, "pdl", 1L), sh, Inputs.Model.GAUSS_OUTLIER), n % 3 != 2, n % 2 == 1, sh.n() * 5L + n));
                    }
                }
            }
        }
        return calls;
    }

    /** Runs one whole call somewhere (the GPU, the CPU emulator) on host tensors by name; returns its output O. */
    interface CallRunner {
        Arr run(WholeCall call, Map<String, Arr> tensors) throws Exception;
    }

    /** The whole calls on the GPU, compiled in parallel first (one at a time, a cold cubin cache made a test alone take minutes). */
    static CallRunner gpuCalls(List<WholeCall> calls) {
        Map<WholeCall, CudaBackend.Compiled> comp = new ConcurrentHashMap<>();
        calls.parallelStream().forEach(call -> {
            try {
                comp.put(call, gpu.compile(kernel(call.c()), call.c().shape().d(), call.c().sample(), halfInputs(call), halfOutputs(call)));
            } catch (Exception e) {
                throw new RuntimeException(call + ": " + e.getMessage(), e);
            }
        });
        return (call, tensors) -> {
            Map<String, DeviceTensor> dev = new LinkedHashMap<>();
            try {
                tensors.forEach((n, t) -> dev.put(n, DeviceTensor.upload(t)));
                try (CudaBackend.Call run = gpu.new Call(comp.get(call), dev, Map.of())) {
                    run.run();
                    return dev.get("O").download();
                }
            } finally {
                dev.values().forEach(DeviceTensor::close);
            }
        };
    }

    static java.util.Set<String> halfInputs(WholeCall call) {
        return call.halfIn() ? java.util.Set.of("Q", "K", "V") : java.util.Set.of();
    }

    static java.util.Set<String> halfOutputs(WholeCall call) {
        return call.halfOut() ? java.util.Set.of("O") : java.util.Set.of();
    }

    /** Each whole call against the interpreter, element by element. */
    static void runCalls(List<WholeCall> calls, String what, CallRunner runner) throws Exception {
        int f32In = 0;
        long elements = 0;
        for (WholeCall call : calls) {
            Case c = call.c();
            Shape sh = c.shape();
            Kernel k = kernel(c);
            Inputs in = Inputs.generate(c.model(), sh, call.seed(), k.param("bias") != null);
            CpuBackend.Bound cpu = CpuBackend.bind(k, in, null);
            // The oracle on another thread while the runner works on this one (the GPU's context stays on the test's thread).
            java.util.concurrent.CompletableFuture<Void> oracle = java.util.concurrent.CompletableFuture.runAsync(() -> Interpreter.run(k, cpu.tensors(), cpu.scalars()));
            Map<String, Arr> host = new LinkedHashMap<>();
            for (String t : List.of("Q", "K", "V")) host.put(t, Arr.floats(call.halfIn() ? qflash.ir.Elem.F16 : qflash.ir.Elem.F32, values(in, t), sh.dims()));
            if (!call.halfIn()) f32In++;
            if (in.bias() != null) host.put("bias", Arr.floats(qflash.ir.Elem.F32, in.bias(), in.biasShape()));
            host.put("O", new Arr(call.halfOut() ? qflash.ir.Elem.F16 : qflash.ir.Elem.F32, sh.dims()));
            Arr got = runner.run(call, host);
            oracle.join();
            Arr want = cpu.out();
            for (int i = 0; i < want.size(); i++) {
                double w = call.halfOut() ? qflash.interp.Arith.round(qflash.ir.Elem.F16, want.get(i)) : want.get(i);
                if (Double.doubleToLongBits(got.get(i)) != Double.doubleToLongBits(w)) {
                    fail(call + " (" + what + (call.halfOut() ? ", f16 output" : "") + "): element " + i + ": got " + got.get(i) + ", CPU " + w);
                }
            }
            elements += want.size();
        }
        System.out.printf("bit-exact %s (f16 or f32 inputs, %d of them f32; f32 or f16 output): %d cases, %d output elements, all equal%n", what, f32In, calls.size(), elements);
    }

    private static double[] values(Inputs in, String t) {
        return switch (t) {
            case "Q" -> in.q();
            case "K" -> in.k();
            default -> in.v();
        };
    }

    /** Compiles every case's kernel in parallel (NVRTC is thread-safe per program); the comparisons then share the cubins. */
    static void compileAll(List<Case> cases) {
        cases.parallelStream().forEach(c -> {
            try {
                compile(c);
            } catch (Exception e) {
                throw new RuntimeException(c + ": " + e.getMessage(), e);
            }
        });
    }

    @Test
    void fp16IsWithinOnePercentOfFloat64() throws Exception {
        double worst = 0;
        int n = 0;
        // A1-A7 at the default schedule, and head dims 80 and 128 under schedules whose P.V reads V differently
        // (ldmatrix's transposing form; with an odd count of 8-column tiles per warp, a transpose in shared memory).
        List<Case> cases = new ArrayList<>();
        for (String s : SAMPLES) {
            for (Workload w : Workload.ALL.values()) {
                if (w.name().startsWith("A")) cases.add(new Case(s, "fp16", Map.of(), Map.of(), w.shape(1), Inputs.Model.UNIFORM));
            }
            for (Map<String, Long> t : List.of(Map.<String, Long>of(), Map.of("warps", 8L, "ksplit", 2L), Map.of("BLOCK_N", 32L))) {
                for (int d : new int[] {80, 128}) cases.add(new Case(s, "fp16", Map.of(), t, new Shape(1, 2, 197, d), Inputs.Model.GAUSS_OUTLIER));
            }
        }
        compileAll(cases);
        for (Case c : cases) {
            CudaBackend.Compiled k = compile(c);
            Inputs in = Inputs.generate(c.model(), c.shape(), 7, k.kernel().param("bias") != null);
            CpuBackend.Bound b = CpuBackend.bind(k.kernel(), in, null);
            double[] got = CpuBackend.values(gpu.run(k, b.tensors(), b.scalars()).get("O"));
            double[] ref = Reference.attention(in, 1 / Math.sqrt(c.shape().d()), k.kernel().has("causal"));
            double rel = relativeError(got, ref);
            worst = Math.max(worst, rel);
            n++;
            assertTrue(rel <= 1e-2, c + ": max |err| / max |ref| = " + rel);
        }
        System.out.printf("fp16: %d cases, worst max|err|/max|ref| = %.3g%n", n, worst);
    }

    /** max |got - ref| / max |ref|: the fp16 tests' measure. */
    static double relativeError(double[] got, double[] ref) {
        double maxRef = 0;
        for (double r : ref) maxRef = Math.max(maxRef, Math.abs(r));
        return Reference.maxAbsError(ref, got) / maxRef;
    }

    @Test
    void tenThousandLaunchesLeaveDeviceMemoryWhereItStarted() throws Exception {
        Case c = new Case("flash_attention.tile", "int8", Map.of(), Map.of(), new Shape(1, 2, 64, 32), Inputs.Model.UNIFORM);
        CudaBackend.Compiled k = compile(c);
        Inputs in = Inputs.generate(c.model(), c.shape(), 1, false);
        CpuBackend.Bound b = CpuBackend.bind(k.kernel(), in, null);
        Map<String, Arr> args = new LinkedHashMap<>(b.tensors());
        gpu.run(k, args, b.scalars());   // the first call may allocate driver state
        long before = gpu.device().memory()[0];
        for (int i = 0; i < 10_000; i++) {
            try (CudaBackend.Launch l = gpu.bind(k, args, b.scalars())) {
                l.run();
            }
        }
        long after = gpu.device().memory()[0];
        System.out.printf("10^4 bind+launch+free rounds: free device memory %d -> %d bytes%n", before, after);
        assertEquals(before, after, "device memory leaked over 10^4 launches");
    }
}
