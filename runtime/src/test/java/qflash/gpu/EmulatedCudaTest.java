package qflash.gpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import qflash.emu.Emulator;
import qflash.gpu.CudaBitExactTest.Case;
import qflash.gpu.CudaBitExactTest.WholeCall;
import qflash.host.CpuBackend;
import qflash.host.Inputs;
import qflash.host.Reference;
import qflash.host.Shape;
import qflash.host.Workload;
import qflash.interp.Arr;
import qflash.ir.Kernel;

/**
 * The emitted CUDA, run on the CPU by {@link Emulator}, against the interpreter: the GPU tests' whole calls
 * (f16 or f32 in, the prologue's kernels, the body, f32 or f16 out) bit for bit, under both prologue forms, the
 * dependent launch and a range of schedules, the body-only cases' presets and option changes as whole calls, and fp16
 * within 1e-2 of float64. Runs without a GPU (CI), wherever a host C++ compiler is; a share of each GPU case list by
 * default (every 7th call, every 29th of the body-only lists: the lists cycle through options and layouts with periods
 * 2 to 5), all of them with {@code -Dqflash.emu.all=true}.
 */
class EmulatedCudaTest {
    static Emulator emu;
    static final boolean ALL = Boolean.getBoolean("qflash.emu.all");

    @BeforeAll
    static void open() {
        emu = qflash.emu.Emulators.orSkip();
        System.out.println("emulator: " + emu.describe());
    }

    static <T> List<T> share(List<T> all) {
        return share(all, 7);
    }

    /** Every {@code stride}-th of {@code all} (all of them with -Dqflash.emu.all=true). */
    static <T> List<T> share(List<T> all, int stride) {
        if (ALL) return all;
        List<T> some = new ArrayList<>();
        for (int i = 0; i < all.size(); i += stride) some.add(all.get(i));
        return some;
    }

    static final CudaBitExactTest.CallRunner EMULATED = (call, tensors) -> {
        Kernel k = CudaBitExactTest.kernel(call.c());
        CudaBackend.Emitted e = CudaBackend.emit(k, call.c().shape().d(), call.c().sample(), CudaBitExactTest.halfInputs(call), CudaBitExactTest.halfOutputs(call));
        return emu.call(e, call.c().sample(), tensors, Map.of()).get("O");
    };

    @Test
    void wholeCallsWithTheGridWidePrologueEqualTheInterpreter() throws Exception {
        CudaBitExactTest.runCalls(share(CudaBitExactTest.wholeCalls()), "emulated, grid-wide prologue", EMULATED);
    }

    @Test
    void wholeCallsWithThePerHeadPrologueEqualTheInterpreter() throws Exception {
        CudaBitExactTest.runCalls(share(CudaBitExactTest.perHeadCalls()), "emulated, per-head prologue", EMULATED);
    }

    /**
     * The GPU tests' body-only cases (presets on A1-A7 and N x D, every single option change) as whole calls from
     * f16: every 29th here (their shapes and options are the whole-call lists' too), all with -Dqflash.emu.all=true.
     */
    @Test
    void presetsAndOptionChangesOnTheirShapesEqualTheInterpreter() throws Exception {
        List<Case> cases = new ArrayList<>(CudaBitExactTest.integerCases());
        cases.addAll(CudaBitExactTest.optionCases());
        List<WholeCall> calls = new ArrayList<>();
        for (Case c : cases) calls.add(new WholeCall(c, true, false, c.shape().n() * 31L + c.shape().d()));
        CudaBitExactTest.runCalls(share(calls, 29), "emulated, presets and option changes", EMULATED);
    }

    /** The GPU tests' schedules (tile sizes, warps, stages, key splits, register budgets), as whole calls. */
    @Test
    void otherSchedulesEqualTheInterpreter() throws Exception {
        List<WholeCall> calls = new ArrayList<>();
        for (String p : List.of("int8", "qflash")) {
            for (String s : CudaBitExactTest.SAMPLES) {
                for (Map<String, Long> t : CudaBitExactTest.SCHEDULES) {
                    int n = calls.size();
                    Shape sh = n % 2 == 0 ? new Shape(1, 2, 197, 64) : new Shape(1, 2, 300, 128);
                    calls.add(new WholeCall(new Case(s, p, Map.of(), t, sh, n % 2 == 0 ? Inputs.Model.UNIFORM : Inputs.Model.GAUSS_OUTLIER), n % 3 != 2, n % 2 == 1, n));
                }
            }
        }
        CudaBitExactTest.runCalls(share(calls), "emulated, other schedules", EMULATED);
    }

    @Test
    void fp16IsWithinOnePercentOfFloat64() throws Exception {
        double worst = 0;
        List<Case> cases = new ArrayList<>();
        for (String s : CudaBitExactTest.SAMPLES) {
            cases.add(new Case(s, "fp16", Map.of(), Map.of(), Workload.named("A2").shape(1), Inputs.Model.UNIFORM));
            for (Map<String, Long> t : List.of(Map.<String, Long>of(), Map.of("warps", 8L, "ksplit", 2L), Map.of("BLOCK_N", 32L))) {
                cases.add(new Case(s, "fp16", Map.of(), t, new Shape(1, 2, 97, s.contains("bias") ? 80 : 128), Inputs.Model.GAUSS_OUTLIER));
            }
        }
        for (Case c : share(cases)) {
            Kernel k = CudaBitExactTest.kernel(c);
            Inputs in = Inputs.generate(c.model(), c.shape(), 7, k.param("bias") != null);
            CpuBackend.Bound b = CpuBackend.bind(k, in, null);
            Map<String, Arr> t = new LinkedHashMap<>(b.tensors());
            CudaBackend.Emitted e = CudaBackend.emit(k, c.shape().d(), c.sample(), java.util.Set.of(), java.util.Set.of());
            double[] got = CpuBackend.values(emu.call(e, c.sample(), t, b.scalars()).get("O"));
            double[] ref = Reference.attention(in, 1 / Math.sqrt(c.shape().d()), k.has("causal"));
            double rel = CudaBitExactTest.relativeError(got, ref);
            worst = Math.max(worst, rel);
            assertTrue(rel <= 1e-2, c + ": max |err| / max |ref| = " + rel);
        }
        System.out.printf("emulated fp16: worst max|err|/max|ref| = %.3g%n", worst);
    }
}
