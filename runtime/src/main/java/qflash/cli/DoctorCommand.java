package qflash.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import qflash.gpu.CubinCache;
import qflash.gpu.CudaDevice;
import qflash.gpu.Nvrtc;

/** {@code qflash doctor}: what this host offers — Java, GPU, driver, NVRTC — and one end-to-end launch. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Report the Java runtime, the CPU emulator of emitted CUDA, the CUDA device and driver, and which NVRTC binding loads;",
                "then compile a tiny kernel with NVRTC and run it. Exit 3 when no GPU or no NVRTC is usable."})
public final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("java:   " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
        out.println("emu:    " + emulator());
        Nvrtc nvrtc;
        CudaDevice dev;
        try {
            dev = CudaDevice.open();
        } catch (CudaDevice.Unavailable u) {
            out.flush();
            throw new NoDeviceError(u.getMessage());
        }
        try (dev) {
            long[] mem = dev.memory();
            out.printf("device: %s, %.1f GiB (%.1f GiB free)%n", dev, mem[1] / 1073741824.0, mem[0] / 1073741824.0);
            try {
                nvrtc = Nvrtc.load();
            } catch (Nvrtc.Unavailable u) {
                out.flush();
                throw new NoDeviceError(u.getMessage());
            }
            out.println("nvrtc:  " + nvrtc.describe());
            out.println("launch: " + dev.dependentLaunch());
            CubinCache cache = CubinCache.standard();
            long t0 = System.nanoTime();
            byte[] cubin = cache.cubin(nvrtc, DoctorCommandProbe.SOURCE, "qflash_probe.cu", dev.arch(), List.of("-std=c++17"));
            double ms = (System.nanoTime() - t0) / 1e6;
            out.println("cache:  " + cache.dir() + (cache.lastHit() ? " (hit)" : " (miss: compiled and stored)"));
            int n = 1000;
            float[] x = new float[n], y = new float[n];
            for (int i = 0; i < n; i++) x[i] = i;
            CUfunction f = dev.load(cubin, "qflash_probe");
            CUdeviceptr dx = dev.upload(x), dy = dev.alloc((long) n * Float.BYTES);
            dev.launch(f, "qflash_probe", new int[] {(n + 255) / 256, 1, 1}, new int[] {256, 1, 1}, 0,
                    Pointer.to(Pointer.to(dx), Pointer.to(dy), Pointer.to(new int[] {n})));
            dev.download(dy, y);
            dev.free(dx);
            dev.free(dy);
            for (int i = 0; i < n; i++) {
                if (y[i] != 2f * i + 1f) throw new IllegalStateException("probe kernel gave y[" + i + "] = " + y[i]);
            }
            out.printf("probe:  cubin in %.0f ms (%d bytes), launched, %d results correct%n", ms, cubin.length, n);
        }
        return Main.OK;
    }

    /** The CPU emulator of emitted CUDA ({@code --backend emu}): its host compiler, or why there is none. */
    private static String emulator() {
        try {
            return "CUDA emulator with " + qflash.emu.Emulator.open().describe() + " (qflash run --backend emu)";
        } catch (qflash.emu.Emulator.Unavailable e) {
            return "none: " + e.getMessage();
        }
    }
}
