package qflash.host;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import qflash.Compiler;
import qflash.diag.Source;
import qflash.ir.Kernel;
import qflash.pass.Pipeline;

/**
 * The float pipelines on the CPU interpreter against naive float64 attention, for every sample, for
 * N in {1, 7, 49, 64, 197, 200} and block sizes that do and do not divide N: relative error
 * {@code |out - ref| / |ref|} at most 1e-12 in f64, 1e-5 in f32 and 1e-3 in fp16 (f16 products, f32 sums).
 * Run: {@code mvn -pl runtime test -Dtest=FloatPipelineAccuracyTest}.
 */
class FloatPipelineAccuracyTest {
    static final List<String> SAMPLES = List.of("flash_attention.tile", "flash_attention_bias.tile", "flash_attention_causal.tile");

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        long[][] blocks = {{16, 32}, {64, 64}, {32, 16}};
        for (String sample : SAMPLES) {
            for (int n : new int[] {1, 7, 49, 64, 197, 200}) {
                for (long[] b : blocks) {
                    out.add(Arguments.of(sample, "f64", n, b[0], b[1], 1e-12));
                    out.add(Arguments.of(sample, "f32", n, b[0], b[1], 1e-5));
                    // f16 operands into f32 products (FlashAttention's fp16): the issue asks for 1e-2 of f64.
                    out.add(Arguments.of(sample, "fp16", n, b[0], b[1], 1e-3));
                }
            }
        }
        return out.stream();
    }

    static Source sample(String name) throws IOException {
        try (InputStream in = FloatPipelineAccuracyTest.class.getResourceAsStream("/qflash/samples/" + name)) {
            return new Source(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @ParameterizedTest(name = "{0} {1} N={2} BLOCK_M={3} BLOCK_N={4}")
    @MethodSource("cases")
    void matchesFloat64Attention(String name, String pipeline, int n, long bm, long bn, double tolerance) throws IOException {
        Kernel k = Compiler.compile(sample(name), Pipeline.named(pipeline), Map.of("BLOCK_M", bm, "BLOCK_N", bn));
        Inputs in = Inputs.generate(Inputs.Model.GAUSS, new Shape(2, 2, n, 32), n * 31L + bm, k.param("bias") != null);
        double[] out = CpuBackend.run(k, in, null).out();
        double[] ref = Reference.attention(in, 1 / Math.sqrt(32), k.has("causal"));
        double num = 0, den = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (out[i] - ref[i]) * (out[i] - ref[i]);
            den += ref[i] * ref[i];
        }
        double rel = Math.sqrt(num / den);
        assertTrue(rel <= tolerance, "relative error " + rel + " > " + tolerance);
        // With one key the output is V itself, exact in any precision; otherwise f32 must show its rounding.
        assertTrue(rel > 0 || n == 1 || pipeline.equals("f64"), "an f32 kernel that equals float64 exactly is suspicious");
    }
}
