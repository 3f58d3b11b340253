package qflash.gpu;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import qflash.cuda.CudaEmitter;
import qflash.cuda.CudaEmitter.Arg;
import qflash.interp.Arr;
import qflash.interp.Interpreter;
import qflash.ir.Kernel;

/**
 * Runs a lowered kernel's body on the GPU: emit CUDA C ({@link CudaEmitter}), compile it with NVRTC for
 * the device's own architecture (through the cubin cache), load it with the driver API and launch it
 * over the kernel's grid. The prologue (quantization and launch constants) runs on the host through the
 * interpreter, so the GPU's inputs are exactly the CPU's; see {@link #launchArguments}.
 */
public final class CudaBackend implements AutoCloseable {
    /** Options every kernel is compiled with: no contraction of a*b+c into fma, so float steps round as the IR says. */
    public static final List<String> NVRTC_OPTIONS = List.of("--fmad=false", "--std=c++17");

    private final CudaDevice device;
    private final Nvrtc nvrtc;
    private final CubinCache cache;

    private CudaBackend(CudaDevice device, Nvrtc nvrtc, CubinCache cache) {
        this.device = device;
        this.nvrtc = nvrtc;
        this.cache = cache;
    }

    /** The first GPU with NVRTC; {@link CudaDevice.Unavailable} or {@link Nvrtc.Unavailable} with one line why not. */
    public static CudaBackend open() {
        CudaDevice device = CudaDevice.open();
        try {
            return new CudaBackend(device, Nvrtc.load(), CubinCache.standard());
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    public CudaDevice device() {
        return device;
    }

    public Nvrtc nvrtc() {
        return nvrtc;
    }

    /** A kernel compiled and loaded for one head dimension. */
    public record Compiled(Kernel kernel, CudaEmitter.CudaKernel code, CUfunction function, double compileMillis, boolean cacheHit) {}

    /** Emits, compiles (or finds in the cache) and loads {@code k} specialised for head dimension {@code d}. */
    public Compiled compile(Kernel k, int d, String sourceFile) {
        CudaEmitter.CudaKernel code = CudaEmitter.emit(k, Map.of("D", d), sourceFile);
        long t0 = System.nanoTime();
        byte[] cubin = cache.cubin(nvrtc, code.source(), sourceFile, device.arch(), NVRTC_OPTIONS);
        double ms = (System.nanoTime() - t0) / 1e6;
        CUfunction f = device.load(cubin, code.entry());
        if (code.smemBytes() > 48 * 1024) {
            cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, code.smemBytes());
        }
        return new Compiled(k, code, f, ms, cache.lastHit());
    }

    /**
     * What the body takes, by parameter name: the tensors and scalars given plus every derived parameter,
     * computed by the interpreter's prologue (quantized tensors, scales, launch constants).
     */
    public static Map<String, Arr> launchArguments(Kernel k, Map<String, Arr> tensors, Map<String, Double> scalars) {
        return Interpreter.launchArguments(k, tensors, scalars);
    }

    /** A launch bound to device tensors: launch it as often as wanted, then close it. */
    public final class Launch implements AutoCloseable {
        private final Compiled c;
        private final Map<String, DeviceTensor> tensors = new LinkedHashMap<>();
        private final Pointer params;
        private final int[] grid;

        private Launch(Compiled c, Map<String, Arr> args, Map<String, Integer> symbols) {
            this.c = c;
            List<Pointer> ps = new ArrayList<>();
            for (Arg a : c.code().args()) {
                switch (a.kind()) {
                    case TENSOR -> {
                        Arr v = args.get(a.name());
                        if (v == null) {
                            ps.add(Pointer.to(new CUdeviceptr()));   // an absent optional tensor: nullptr, reads as 0
                        } else {
                            DeviceTensor t = DeviceTensor.upload(v);
                            tensors.put(a.name(), t);
                            ps.add(Pointer.to(t.pointer()));
                        }
                    }
                    case SCALAR -> {
                        Arr v = args.get(a.name());
                        ps.add(switch (a.elem()) {
                            case I32 -> Pointer.to(new int[] {(int) v.i[0]});
                            case I64 -> Pointer.to(new long[] {v.i[0]});
                            case F32 -> Pointer.to(new float[] {(float) v.f[0]});
                            case F64 -> Pointer.to(new double[] {v.f[0]});
                            default -> throw new CudaEmitter.Unsupported("a scalar argument of type " + a.elem().text);
                        });
                    }
                    case SYMBOL -> ps.add(Pointer.to(new int[] {symbols.get(a.name())}));
                }
            }
            params = Pointer.to(ps.toArray(Pointer[]::new));
            int[] ext = Interpreter.gridExtents(c.kernel(), symbols);
            grid = new int[] {1, 1, 1};
            for (int a = 0; a < ext.length; a++) grid[ext.length - 1 - a] = ext[a];
        }

        /** One launch, waited for. */
        public void run() {
            if (grid[0] == 0 || grid[1] == 0 || grid[2] == 0) return;
            device.launch(c.function(), c.code().entry(), grid, new int[] {c.code().threads(), 1, 1}, c.code().smemBytes(), params);
        }

        /** Median kernel time in ms over {@code reps} launches timed with CUDA events, after {@code warmup}. */
        public double medianMillis(int warmup, int reps) {
            for (int i = 0; i < warmup; i++) run();
            CUevent start = new CUevent(), stop = new CUevent();
            cuEventCreate(start, 0);
            cuEventCreate(stop, 0);
            double[] t = new double[reps];
            float[] ms = {0};
            for (int i = 0; i < reps; i++) {
                cuEventRecord(start, null);
                cuLaunchKernel(c.function(), grid[0], grid[1], grid[2], c.code().threads(), 1, 1, c.code().smemBytes(), null, params, null);
                cuEventRecord(stop, null);
                cuEventSynchronize(stop);
                cuEventElapsedTime(ms, start, stop);
                t[i] = ms[0];
            }
            cuEventDestroy(start);
            cuEventDestroy(stop);
            java.util.Arrays.sort(t);
            return t[reps / 2];
        }

        public Arr download(String tensor) {
            return tensors.get(tensor).download();
        }

        public DeviceTensor tensor(String name) {
            return tensors.get(name);
        }

        @Override
        public void close() {
            tensors.values().forEach(DeviceTensor::close);
        }
    }

    /** Binds a launch: runs the prologue on the host, uploads every argument the kernel reads. */
    public Launch bind(Compiled c, Map<String, Arr> tensors, Map<String, Double> scalars) {
        device.makeCurrent();
        Map<String, Arr> args = launchArguments(c.kernel(), tensors, scalars);
        Map<String, Integer> symbols = Interpreter.bindShapes(c.kernel(), tensors);
        return new Launch(c, args, symbols);
    }

    /** Runs once and returns every output tensor, by name. */
    public Map<String, Arr> run(Compiled c, Map<String, Arr> tensors, Map<String, Double> scalars) {
        try (Launch l = bind(c, tensors, scalars)) {
            l.run();
            Map<String, Arr> out = new HashMap<>();
            for (Kernel.Param p : c.kernel().params()) if (p.out() && l.tensor(p.name()) != null) out.put(p.name(), l.download(p.name()));
            return out;
        }
    }

    @Override
    public void close() {
        device.close();
    }
}
