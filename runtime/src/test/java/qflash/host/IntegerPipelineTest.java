package qflash.host;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import qflash.Compiler;
import qflash.ir.Elem;
import qflash.ir.Kernel;
import qflash.ir.Op;
import qflash.ir.Verifier;
import qflash.pass.Pipeline;

/**
 * The integer presets on the CPU interpreter: integer-only between the quantized loads and the
 * epilogue, and the accuracy the issue asks for on a representative subset (the full table is
 * docs/accuracy.md, made by {@code bin/qflash accuracy}). Run: {@code mvn -pl runtime test -Dtest=IntegerPipelineTest}.
 */
class IntegerPipelineTest {
    static final List<String> SAMPLES = FloatPipelineAccuracyTest.SAMPLES;

    @Test
    void bothPresetsAreIntegerOnlyOnEverySample() throws IOException {
        for (String preset : List.of("qflash", "int8")) {
            for (String sample : SAMPLES) {
                Kernel k = Compiler.compile(FloatPipelineAccuracyTest.sample(sample), Pipeline.named(preset), Map.of());
                assertNull(Verifier.firstFloatOpBeforeEpilogue(k), preset + " " + sample);
                // The key loop really is integer: its loop-carried values and its products.
                Op.For loop = (Op.For) k.body().ops().stream().filter(o -> o instanceof Op.For).findFirst().orElseThrow();
                assertTrue(loop.results().stream().allMatch(r -> r.type().elem().isInt), preset + " " + sample + " carries floats");
                long intDots = loop.body().ops().stream().filter(o -> o instanceof Op.Dot d && d.result().type().elem() == Elem.I32).count();
                assertEquals(2, intDots, preset + " " + sample + ": Q·Kᵀ and P·V in i32");
            }
        }
    }

    /**
     * One image's output does not depend on the rest of its batch: every scale of the int8 pipeline is per token, per
     * key block or per channel of one head, and so is the reference the K blocks' scores are re-aligned to (k_ref, one
     * per head). Image 0 of a batch whose image 1 has keys 64x larger gives the bits image 0 gives alone.
     */
    @Test
    void int8GivesAnImageTheSameBitsInAnyBatch() throws IOException {
        Kernel k = Compiler.compile(FloatPipelineAccuracyTest.sample("flash_attention.tile"), Pipeline.named("int8"), Map.of());
        Shape one = new Shape(1, 3, 49, 32), two = new Shape(2, 3, 49, 32);
        Inputs pair = Inputs.generate(Inputs.Model.GAUSS_OUTLIER, two, 5, false);
        int n = one.elements();
        double[] kk = pair.k().clone();
        for (int i = n; i < 2 * n; i++) kk[i] *= 64;   // image 1's K blocks get scales 64x image 0's
        Inputs batch = new Inputs(two, pair.q(), kk, pair.v(), null, null, pair.model());
        Inputs alone = new Inputs(one, java.util.Arrays.copyOf(pair.q(), n), java.util.Arrays.copyOf(kk, n), java.util.Arrays.copyOf(pair.v(), n), null, null, pair.model());
        qflash.interp.Arr inBatch = run(k, batch), byItself = run(k, alone);
        for (int i = 0; i < n; i++) {
            assertEquals(Double.doubleToRawLongBits(byItself.get(i)), Double.doubleToRawLongBits(inBatch.get(i)), "element " + i + " of image 0");
        }
    }

    private static qflash.interp.Arr run(Kernel k, Inputs in) {
        CpuBackend.Bound b = CpuBackend.bind(k, in, null);
        qflash.interp.Interpreter.run(k, b.tensors(), b.scalars());
        return b.out();
    }

    @Test
    void theFloatPipelinesAreNotHeldToIt() throws IOException {
        Kernel k = Compiler.compile(FloatPipelineAccuracyTest.sample("flash_attention.tile"), Pipeline.named("f32"), Map.of());
        assertNotNull(Verifier.firstFloatOpBeforeEpilogue(k), "the check must be able to fail");
    }

    static double sqnr(String pipeline, String sample, String workload, Inputs.Model model) throws IOException {
        Kernel k = Compiler.compile(FloatPipelineAccuracyTest.sample(sample), Pipeline.named(pipeline), Map.of());
        Inputs in = Inputs.generate(model, Workload.named(workload).shape(1), 0, k.param("bias") != null);
        return Evaluation.cpu(k, in, null).sqnrDb();
    }

    @Test
    void qflashReproducesThePublishedAccuracy() throws IOException {
        double db = sqnr("qflash", "flash_attention.tile", "A2", Inputs.Model.UNIFORM);
        assertEquals(32.5, db, 0.6, "published: 32.5 dB on ViT-S, uniform inputs");
    }

    @ParameterizedTest(name = "int8 {0} {1} {2} >= {3} dB")
    @CsvSource({
            "flash_attention.tile, A2, UNIFORM, 36", "flash_attention.tile, A6, UNIFORM, 36",
            "flash_attention_bias.tile, A4, UNIFORM, 36", "flash_attention_causal.tile, A1, UNIFORM, 36",
            "flash_attention.tile, A1, GAUSS_OUTLIER, 28", "flash_attention_causal.tile, A1, GAUSS_OUTLIER, 28",
            "flash_attention.tile, A3, K_BIAS, 28", "flash_attention_bias.tile, A1, K_BIAS, 28"})
    void int8MeetsItsTargets(String sample, String workload, Inputs.Model model, double floor) throws IOException {
        double db = sqnr("int8", sample, workload, model);
        assertTrue(db >= floor, sample + " " + workload + " " + model + ": " + db + " dB");
        assertTrue(db > sqnr("qflash", sample, workload, model), "int8 must beat the published scheme");
    }
}
