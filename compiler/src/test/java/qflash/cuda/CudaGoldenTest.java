package qflash.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import qflash.TestFiles;

/**
 * The emitted CUDA of the plain sample, per pipeline, at the default schedule and D = 64, as it was when
 * the GPU tests last passed on the H200 (500 integer cases bit-exact with the interpreter). Any change to
 * code generation shows up here as a diff to review, and must be re-checked on a GPU
 * ({@code CudaBitExactTest}) before the golden is regenerated with
 * {@code mvn -pl compiler test -Dtest=CudaGoldenTest -Dgolden.update=true} (from the repository root).
 */
class CudaGoldenTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"int8", "qflash", "fp16"})
    void emittedCudaIsTheCheckedOne(String pipeline) throws IOException {
        check("flash_attention." + pipeline + ".cu", CudaEmitterTest.cuda("flash_attention.tile", pipeline, Map.of(), Map.of(), 64));
    }

    @ParameterizedTest(name = "{0} prologue")
    @ValueSource(strings = {"int8", "qflash"})
    void emittedPrologueIsTheCheckedOne(String pipeline) throws IOException {
        check("flash_attention." + pipeline + ".prologue.cu", CudaEmitterTest.source(new CudaEmitterTest.Case("flash_attention.tile", pipeline, Map.of(), Map.of(), -1)));
    }

    /** The per-head form (pro_blocks = 2): its prologue kernel (which computes the launch constants) and the body. */
    @org.junit.jupiter.api.Test
    void perHeadPrologueAndPreambleAreTheCheckedOnes() throws IOException {
        Map<String, Long> heads = Map.of("pro_blocks", 2L);
        check("flash_attention.int8.heads.prologue.cu", CudaEmitterTest.source(new CudaEmitterTest.Case("flash_attention.tile", "int8", Map.of(), heads, -1)));
        check("flash_attention.int8.heads.cu", CudaEmitterTest.cuda("flash_attention.tile", "int8", Map.of(), heads, 64));
    }

    private static void check(String name, String cu) throws IOException {
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(Path.of(System.getProperty("user.dir")).resolve("src/test/resources/cuda-golden").resolve(name), cu);
            return;
        }
        String want = Files.readString(TestFiles.dir("cuda-golden").resolve(name));
        assertEquals(want, cu, name + " changed: review the diff, run CudaBitExactTest on a GPU, then regenerate");
    }
}
