package qflash.gpu;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import qflash.Compiler;
import qflash.ast.Ast;
import qflash.cuda.CudaEmitter;
import qflash.diag.Source;
import qflash.host.CpuBackend;
import qflash.host.Inputs;
import qflash.host.Shape;
import qflash.interp.Arr;
import qflash.interp.Interpreter;
import qflash.ir.Elem;
import qflash.ir.Kernel;
import qflash.pass.Pipeline;
import qflash.pass.RangeCheck;

/**
 * The autotuner's search space (no GPU needed: which schedules exist, which the backend can lay out) and,
 * on a GPU, a whole tuning round: every schedule timed or skipped with a reason, the fastest kept and
 * remembered, and the chosen kernel still the interpreter's bits.
 */
class AutotunerTest {
    static Source sample() throws Exception {
        Path p = Path.of(System.getProperty("qflash.samples", "../samples"), "flash_attention.tile");
        return new Source("flash_attention.tile", Files.readString(p));
    }

    static Function<Map<String, Long>, Kernel> lowering(Source src, Ast.Program p, String pipeline) {
        return t -> Compiler.lower(Compiler.toIr(src, p, t), Pipeline.named(pipeline), null);
    }

    @Test
    void theSpaceIsEveryAssignmentOfTheCandidatesWithPinsHeld() throws Exception {
        Ast.Program p = Compiler.parse(sample());
        List<Map<String, Long>> all = Autotuner.space(p.tunables(), Map.of());
        assertEquals(4 * 5 * 2 * 3 * 3 * 6 * 2 * 4, all.size());
        assertEquals(all.size(), new HashSet<>(all).size(), "no schedule twice");
        assertEquals(List.of("BLOCK_M", "BLOCK_N", "warps", "stages", "ksplit", "pro_blocks", "pdl", "min_blocks"), new ArrayList<>(all.get(0).keySet()), "declaration order");
        assertEquals(Map.of("BLOCK_M", 16L, "BLOCK_N", 16L, "warps", 4L, "stages", 1L, "ksplit", 1L, "pro_blocks", 0L, "pdl", 0L, "min_blocks", 0L), all.get(0));
        assertEquals(Map.of("BLOCK_M", 16L, "BLOCK_N", 16L, "warps", 4L, "stages", 1L, "ksplit", 1L, "pro_blocks", 0L, "pdl", 0L, "min_blocks", 1L), all.get(1), "the last tunable varies fastest");
        List<Map<String, Long>> pinned = Autotuner.space(p.tunables(), Map.of("stages", 2L, "warps", 4L, "ksplit", 1L, "pro_blocks", 0L, "pdl", 0L, "min_blocks", 0L));
        assertEquals(20, pinned.size());
        assertTrue(pinned.stream().allMatch(m -> m.get("stages") == 2L && m.get("warps") == 4L));
        assertEquals("BLOCK_M=64 BLOCK_N=32 warps=4 stages=2 ksplit=1 pro_blocks=0 pdl=0 min_blocks=0", Autotuner.describe(pinned.get(11)));
    }

    /** A full timing fills about a millisecond per graph: 20 launches of a short kernel, one of L3's 2 ms kernels. */
    @Test
    void longKernelsAreTimedWithFewerLaunchesPerGraph() {
        assertEquals(CudaBackend.GRAPH_LAUNCHES, CudaBackend.launchesFor(0.007), "a launch-overhead-sized look");
        assertEquals(4, CudaBackend.launchesFor(0.3));
        assertEquals(1, CudaBackend.launchesFor(2.0));
        assertEquals(CudaBackend.GRAPH_LAUNCHES, CudaBackend.launchesFor(Double.NaN), "no look: the default");
    }

    /** What the tuner relies on: every schedule either emits or is rejected with a reason it can print. */
    @Test
    void everyScheduleOfTheSampleEmitsOrSaysWhyNot() throws Exception {
        Source src = sample();
        Ast.Program p = Compiler.parse(src);
        Function<Map<String, Long>, Kernel> lower = lowering(src, p, "int8");
        Set<Map<String, Long>> emitted = new HashSet<>();
        for (Map<String, Long> t : Autotuner.space(p.tunables(), Map.of("stages", 2L, "pro_blocks", 0L, "pdl", 0L, "min_blocks", 0L))) {   // pro_blocks, pdl: the prologue and the launch only; min_blocks: the registers only
            try {
                CudaEmitter.CudaKernel k = CudaEmitter.emit(lower.apply(t), Map.of("D", 64), src.name(), Set.of("O"));
                assertTrue(k.source().contains("BLOCK_M=" + t.get("BLOCK_M") + ", BLOCK_N=" + t.get("BLOCK_N")), k.source().lines().findFirst().orElse(""));
                emitted.add(t);
            } catch (CudaEmitter.Unsupported | RangeCheck.Overflow e) {
                assertFalse(e.getMessage().isBlank(), t.toString());
            }
        }
        Map<String, Long> dflt = new LinkedHashMap<>(Map.of("BLOCK_M", 64L, "BLOCK_N", 64L, "warps", 4L, "stages", 2L, "ksplit", 1L, "pro_blocks", 0L, "pdl", 0L, "min_blocks", 0L));
        assertTrue(emitted.stream().anyMatch(dflt::equals), "the declared default is emitted");
        assertTrue(emitted.stream().anyMatch(m -> m.get("BLOCK_M") == 128L && m.get("warps") == 8L), "a 128-row, 8-warp schedule is emitted");
        assertTrue(emitted.stream().noneMatch(m -> m.get("BLOCK_M") * m.get("ksplit") < 16L * m.get("warps")), "every warp owns at least one 16-row slab (shared by ksplit warps)");
        assertTrue(emitted.stream().anyMatch(m -> m.get("BLOCK_M") == 32L && m.get("warps") == 4L && m.get("ksplit") == 2L), "two warps per slab make 32-row blocks of 4 warps");
    }

    @Test
    @Tag("gpu")
    void aTuningRoundTimesEveryScheduleKeepsTheFastestAndRemembersIt() throws Exception {
        CudaBackend opened;
        try {
            opened = CudaBackend.open();
        } catch (CudaDevice.Unavailable | Nvrtc.Unavailable e) {
            assumeTrue(false, "no GPU here: " + e.getMessage());
            return;
        }
        Path dir = Files.createTempDirectory("qflash-tune-test");
        try (CudaBackend owner = opened) {
            CudaBackend gpu = owner.withCache(new CubinCache(dir));
            Source src = sample();
            Ast.Program p = Compiler.parse(src);
            Function<Map<String, Long>, Kernel> lower = lowering(src, p, "int8");
            List<Map<String, Long>> space = Autotuner.space(p.tunables(), Map.of("stages", 2L, "warps", 4L, "ksplit", 1L));
            Shape shape = new Shape(2, 3, 197, 64);
            Inputs in = Inputs.generate(Inputs.Model.GAUSS_OUTLIER, shape, 11, false);
            Map<String, DeviceTensor> dev = new LinkedHashMap<>();
            dev.put("Q", DeviceTensor.upload(Arr.floats(Elem.F16, in.q(), shape.dims())));
            dev.put("K", DeviceTensor.upload(Arr.floats(Elem.F16, in.k(), shape.dims())));
            dev.put("V", DeviceTensor.upload(Arr.floats(Elem.F16, in.v(), shape.dims())));
            dev.put("O", DeviceTensor.zeros(Elem.F16, shape.dims()));
            try {
                Autotuner tuner = new Autotuner(gpu, src.name(), Set.of("Q", "K", "V"), Set.of("O"), lower);
                Autotuner.Result r = tuner.tune(space, "test", shape.dims(), dev, Map.of(), 2, 5, false);
                assertFalse(r.cached());
                // Three rounds: every body schedule at pro_blocks = 0, pdl = 0, min_blocks = 0 by body time, the other min_blocks of
                // the fastest by body time, then every pro_blocks and pdl of the fastest of those by call time.
                List<Map<String, Long>> bodies = space.stream().filter(c -> c.get("pro_blocks") == 0 && c.get("pdl") == 0 && c.get("min_blocks") == 0).toList();
                List<Autotuner.Trial> forms = r.trials().stream().filter(t -> !Double.isNaN(t.callMs())
                        || (t.skipped() != null && (t.config().get("pro_blocks") > 0 || t.config().get("pdl") > 0))).toList();
                List<Autotuner.Trial> budgets = r.trials().stream().filter(t -> t.config().get("min_blocks") != 0 && !forms.contains(t)).toList();
                assertEquals(12, forms.size(), "each prologue form and launch of the fastest body: " + forms);
                // The three budgets of the fastest body besides the estimate (0); the one that won, if any, was timed again as a call with the forms.
                assertEquals(r.best().get("min_blocks") == 0 ? 3 : 2, budgets.size(), "each other register budget of the fastest body: " + budgets);
                assertEquals(1, budgets.stream().map(t -> { Map<String, Long> c = new java.util.HashMap<>(t.config()); c.remove("min_blocks"); return c; }).distinct().count(), "the budgets of one body: " + budgets);
                assertEquals(bodies.size() + 3 - 1 + forms.size(), r.trials().size(), "every body schedule and budget tried, the fastest again as a call");
                double fastest = Double.POSITIVE_INFINITY, fastestBody = Double.POSITIVE_INFINITY;
                boolean timedYet = false;
                for (Autotuner.Trial t : r.trials()) {
                    if (Autotuner.SCREENED.equals(t.skipped())) {
                        // A slow first look is measured against the fastest look so far: some schedule was timed before it.
                        assertTrue(timedYet && Double.isNaN(t.kernelMs()), "screened out before any schedule was timed: " + t);
                    } else if (t.skipped() != null) {
                        assertTrue(Double.isNaN(t.kernelMs()) && !t.skipped().isBlank(), t.toString());
                        assertTrue(t.config().get("BLOCK_M") < 64 || t.config().get("BLOCK_N") < 32, "only schedules the mma layout cannot take are skipped: " + t);
                    } else {
                        timedYet = true;
                        assertTrue(t.kernelMs() > 0, t.toString());
                        fastestBody = Math.min(fastestBody, t.kernelMs());
                        if (forms.contains(t)) fastest = Math.min(fastest, t.callMs());
                    }
                }
                Autotuner.Trial chosen = r.trials().stream().filter(t -> t.config().equals(r.best())).findFirst().orElseThrow();
                assertEquals(fastest, chosen.callMs(), "the fastest call among the forms");
                assertEquals(chosen.kernelMs(), r.bestMs());
                assertTrue(forms.stream().allMatch(t -> sameBut(t.config(), r.best())), "the forms differ only in pro_blocks and pdl");
                System.out.printf("autotuner: fastest body %.4f ms; calls by pro_blocks/pdl: %s%n", fastestBody,
                        forms.stream().map(t -> t.config().get("pro_blocks") + "/" + t.config().get("pdl") + "=" + (t.skipped() == null ? String.format(java.util.Locale.ROOT, "%.4f", t.callMs()) : "skipped")).toList());
                System.out.printf("autotuner: %d schedules, %d timed, best %s %.4f ms%n", r.trials().size(),
                        r.trials().stream().filter(t -> t.skipped() == null).count(), Autotuner.describe(r.best()), r.bestMs());
                Autotuner.Result again = new Autotuner(gpu, src.name(), Set.of("Q", "K", "V"), Set.of("O"), lower).tune(space, "test", shape.dims(), dev, Map.of(), 2, 5, false);
                assertTrue(again.cached(), "the second round is served from the tuning cache");
                assertEquals(r.best(), again.best());
                assertEquals(r.trials().size(), tuner.tune(space, "test", shape.dims(), dev, Map.of(), 1, 2, true).trials().size(), "--retune measures again");
                assertFalse(tuner.tune(space, "other kernel", shape.dims(), dev, Map.of(), 1, 2, false).cached(), "another kernel identity is another entry");

                // The chosen schedule, as the whole call it was timed as (f16 in, f16 out), is still the interpreter's bits.
                Kernel best = lower.apply(r.best());
                CpuBackend.Bound cpu = CpuBackend.bind(best, in, null);
                Interpreter.run(best, cpu.tensors(), cpu.scalars());
                try (CudaBackend.Call call = gpu.new Call(tuner.compile(r.best(), shape.d()), dev, Map.of())) {
                    call.run();
                    Arr got = dev.get("O").download();
                    for (int i = 0; i < cpu.out().size(); i++) {
                        double want = qflash.interp.Arith.round(Elem.F16, cpu.out().get(i));
                        assertEquals(Double.doubleToLongBits(want), Double.doubleToLongBits(got.get(i)), "element " + i);
                    }
                }
            } finally {
                dev.values().forEach(DeviceTensor::close);
            }
        }
    }

    private static boolean sameBut(Map<String, Long> a, Map<String, Long> b) {
        Map<String, Long> x = new java.util.HashMap<>(a), y = new java.util.HashMap<>(b);
        for (String key : List.of("pro_blocks", "pdl")) {
            x.remove(key);
            y.remove(key);
        }
        return x.equals(y);
    }
}
