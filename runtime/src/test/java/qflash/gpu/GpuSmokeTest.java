package qflash.gpu;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The GPU plumbing on a real device: NVRTC (whichever binding loads) compiles CUDA C to a cubin for the
 * device's own architecture, JCuda loads and launches it, results come back right, a compile error comes
 * back with NVRTC's log, and repeated launches leave device memory where it was. Skips without a GPU.
 * Run on the GPU host (see README, "GPU"): {@code java -jar junit-platform-console-standalone.jar execute
 * --class-path ... --select-class qflash.gpu.GpuSmokeTest --include-tag gpu}.
 */
@Tag("gpu")
class GpuSmokeTest {
    static CudaDevice dev;
    static Nvrtc nvrtc;

    @BeforeAll
    static void open() {
        try {
            dev = CudaDevice.open();
            nvrtc = Nvrtc.load();
        } catch (CudaDevice.Unavailable | Nvrtc.Unavailable e) {
            assumeTrue(false, "no GPU here: " + e.getMessage());
        }
    }

    @AfterAll
    static void close() {
        if (dev != null) dev.close();
    }

    @Test
    void compileLaunchAndReadBack() {
        byte[] cubin = nvrtc.compileCubin(qflash.cli.DoctorCommandProbe.SOURCE, "probe.cu", dev.arch(), List.of("-std=c++17"));
        CUfunction f = dev.load(cubin, "qflash_probe");
        int n = 4097;
        float[] x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) x[i] = i * 0.5f - 7;
        long before = dev.memory()[0];
        for (int rep = 0; rep < 200; rep++) {
            CUdeviceptr dx = dev.upload(x), dy = dev.alloc((long) n * Float.BYTES);
            dev.launch(f, "qflash_probe", new int[] {(n + 127) / 128, 1, 1}, new int[] {128, 1, 1}, 0,
                    Pointer.to(Pointer.to(dx), Pointer.to(dy), Pointer.to(new int[] {n})));
            dev.download(dy, y);
            dev.free(dx);
            dev.free(dy);
        }
        for (int i = 0; i < n; i++) assertEquals(2 * x[i] + 1, y[i], "y[" + i + "]");
        assertEquals(before, dev.memory()[0], "device memory after 200 alloc/launch/free rounds");
    }

    @Test
    void compileErrorsComeBackWithTheLog() {
        Nvrtc.CompileError e = assertThrows(Nvrtc.CompileError.class,
                () -> nvrtc.compileCubin("extern \"C\" __global__ void k() { undeclared_thing = 1; }", "bad.cu", dev.arch(), List.of()));
        assertTrue(e.log().contains("undeclared_thing"), e.log());
    }
}
