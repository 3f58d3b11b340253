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
