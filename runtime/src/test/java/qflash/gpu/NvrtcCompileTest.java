package qflash.gpu;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import qflash.Compiler;
import qflash.cuda.CudaEmitter;
import qflash.diag.Source;
import qflash.ir.Kernel;
import qflash.pass.Pipeline;

/**
 * The emitted kernels compile under NVRTC, the run-time compiler (no GPU needed: NVRTC is a library),
 * for Hopper and Ampere, with the options the backend uses; and an NVRTC error names the DSL line.
 * Skips when no NVRTC loads (bin/test puts the toolkit's library folder on LD_LIBRARY_PATH when nvcc
 * is on the PATH). Run: {@code bin/test -pl runtime -Dtest=NvrtcCompileTest}.
 */
class NvrtcCompileTest {
    static Nvrtc nvrtc() {
        try {
            return Nvrtc.load();
        } catch (Nvrtc.Unavailable e) {
            assumeTrue(false, "NVRTC is not loadable here: " + e.getMessage());
            return null;
        }
    }

    static Kernel kernel(String sample, String pipeline) throws Exception {
        Path p = Path.of(System.getProperty("qflash.samples", "../samples"), sample);
        Source src = new Source(sample, Files.readString(p));
        return Compiler.compile(src, Pipeline.named(pipeline), Map.of());
    }

    @Test
    void everySampleAndPipelineCompilesAtRunTime() throws Exception {
        Nvrtc nvrtc = nvrtc();
        for (String sample : List.of("flash_attention.tile", "flash_attention_bias.tile", "flash_attention_causal.tile")) {
            for (String pipeline : List.of("int8", "qflash", "fp16")) {
                String cu = CudaEmitter.emit(kernel(sample, pipeline), Map.of("D", 64), sample).source();
                for (String arch : List.of("sm_90a", "sm_80")) {
                    byte[] cubin = nvrtc.compileCubin(cu, sample, arch, CudaBackend.NVRTC_OPTIONS);
                    assertTrue(cubin.length > 1000, sample + " " + pipeline + " " + arch + ": a cubin of " + cubin.length + " bytes");
                }
            }
        }
    }

    @Test
    void anNvrtcErrorPointsAtTheDslLine() throws Exception {
        Nvrtc nvrtc = nvrtc();
        String cu = CudaEmitter.emit(kernel("flash_attention.tile", "int8"), Map.of("D", 64), "flash_attention.tile").source();
        // Break the code generated for the score line (25) of the sample.
        String broken = cu.replaceFirst("qf_mma_s8s8\\(&", "qf_no_such_function(&");
        Nvrtc.CompileError e = assertThrows(Nvrtc.CompileError.class, () -> nvrtc.compileCubin(broken, "flash_attention.tile", "sm_90a", CudaBackend.NVRTC_OPTIONS));
        assertTrue(e.log().contains("flash_attention.tile(25)"), e.log());
    }
}
