package qflash.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import qflash.gpu.DeviceTensor;
import qflash.interp.Arr;
import qflash.ir.Elem;
import qflash.gpu.CudaBackend;
import qflash.gpu.CudaDevice;
import qflash.gpu.Nvrtc;
import qflash.host.CpuBackend;
import qflash.host.Evaluation;
import qflash.host.Inputs;
import qflash.host.Shape;
import qflash.host.UserError;
import qflash.interp.Interpreter;
import qflash.ir.Kernel;

/** {@code qflash run --backend cuda}: one attention call on the GPU, judged like a CPU run. */
final class GpuRun {
    private GpuRun() {}

    /** The inputs a kernel's GPU prologue reads as f16 (the attention inputs, when there is a prologue). */
    static Set<String> halfInputs(Kernel k) {
        return k.hasPrologue() ? Set.of("Q", "K", "V") : Set.of();
    }

    /**
     * One attention call's tensors: Q, K, V as f16 (they hold f16 values), the bias as the kernel types it,
     * and a zeroed output of element type {@code out}.
     */
    static Map<String, Arr> callTensors(Kernel k, Inputs in, Elem out) {
        Map<String, Arr> t = new LinkedHashMap<>();
        double[][] qkv = {in.q(), in.k(), in.v()};
        String[] names = {"Q", "K", "V"};
        for (int i = 0; i < 3; i++) t.put(names[i], Arr.floats(Elem.F16, qkv[i], in.shape().dims()));
        Kernel.Param bias = k.param("bias");
        if (in.bias() != null) {
            if (bias == null) throw new UserError("inputs carry a bias but kernel '" + k.name() + "' takes none");
            t.put("bias", Arr.floats(bias.value().type().elem(), in.bias(), in.biasShape()));
        } else if (bias != null && !halfInputs(k).isEmpty()) {
            // An absent bias reads as zeros; the GPU prologue reads it, so give it zeros.
            Shape s = in.shape();
            t.put("bias", new Arr(bias.value().type().elem(), s.h(), s.n(), s.n()));
        }
        t.put("O", new Arr(out, in.shape().dims()));
        return t;
    }

    /** {@link #callTensors} uploaded to the device. */
    static Map<String, DeviceTensor> deviceTensors(Kernel k, Inputs in, Elem out) {
        Map<String, DeviceTensor> dev = new LinkedHashMap<>();
        callTensors(k, in, out).forEach((n, a) -> dev.put(n, DeviceTensor.upload(a)));
        return dev;
    }

    /**
     * {@code k} under the fastest schedule of its tunables for these inputs' shape (measured on their
     * device tensors, or remembered from an earlier tuning of the same kernel, shape and device).
     */
    static Kernel tuned(CudaBackend gpu, KernelOptions.Tuning tuning, Kernel k, Inputs in, Double scale) {
        Map<String, DeviceTensor> dev = deviceTensors(k, in, k.param("O").value().type().elem());
        try {
            qflash.gpu.Autotuner tuner = new qflash.gpu.Autotuner(gpu, tuning.source().name(), halfInputs(k), Set.of(), tuning.lower());
            qflash.gpu.Autotuner.Result r = tuner.tune(tuning.space(), tuning.identity(), in.shape().dims(), dev,
                    scale == null ? Map.of() : Map.of("scale", scale), BenchCommand.TUNE_WARMUP, BenchCommand.TUNE_REPS, false);
            return tuner.lowered(r.best());
        } catch (Interpreter.BadArguments e) {
            throw new UserError(e.getMessage());
        } finally {
            dev.values().forEach(DeviceTensor::close);
        }
    }

    /** The first GPU with NVRTC, or exit 3 with one line saying what is missing. */
    static CudaBackend open() {
        try {
            return CudaBackend.open();
        } catch (CudaDevice.Unavailable | Nvrtc.Unavailable e) {
            throw new NoDeviceError(e.getMessage());
        }
    }

    /**
     * Runs one call on the GPU: inputs uploaded as f16 (they are f16 values), the prologue and the body
     * as one graph; the time is the median of whole calls (host wall clock, f16 device tensors to output).
     */
    static Evaluation evaluate(Kernel k, Inputs in, Double scale, String file) {
        try (CudaBackend gpu = open()) {
            return evaluate(gpu, k, in, scale, file);
        }
    }

    /** As above, on a backend the caller holds (and closes). */
    static Evaluation evaluate(CudaBackend gpu, Kernel k, Inputs in, Double scale, String file) {
        try {
            CudaBackend.Compiled c = gpu.compile(k, in.shape().d(), file, halfInputs(k));
            Map<String, DeviceTensor> dev = deviceTensors(k, in, k.param("O").value().type().elem());
            Map<String, Double> scalars = scale == null ? Map.of() : Map.of("scale", scale);
            try (CudaBackend.Call call = gpu.new Call(c, dev, scalars)) {
                call.run();
                double[] out = CpuBackend.values(dev.get("O").download());
                return Evaluation.of(k, in, scale, out, call.medianCallMillis(3, 21));
            } finally {
                dev.values().forEach(DeviceTensor::close);
            }
        } catch (Interpreter.BadArguments e) {
            throw new UserError(e.getMessage());
        }
    }

    /**
     * Runs one call of the emitted CUDA on the CPU emulator, as {@link #evaluate} runs it on a GPU (f16 inputs, the
     * prologue's kernels, the body); the time is the emulator's wall clock for the call, builds included, and says
     * nothing about a GPU. Without a host C++ compiler, exit 3.
     */
    static Evaluation emulate(Kernel k, Inputs in, Double scale, String file) {
        qflash.emu.Emulator emu = openEmulator();
        long t0 = System.nanoTime();
        double[] out = emulated(emu, k, in, scale, file);
        return Evaluation.of(k, in, scale, out, (System.nanoTime() - t0) / 1e6);
    }

    /** The CPU emulator of emitted CUDA, or exit 3 with one line saying why there is none. */
    static qflash.emu.Emulator openEmulator() {
        try {
            return qflash.emu.Emulator.open();
        } catch (qflash.emu.Emulator.Unavailable e) {
            throw new NoDeviceError(e.getMessage());
        }
    }

    /** The output of one emulated call (see {@link #emulate}). */
    static double[] emulated(qflash.emu.Emulator emu, Kernel k, Inputs in, Double scale, String file) {
        try {
            CudaBackend.Emitted e = CudaBackend.emit(k, in.shape().d(), file, halfInputs(k), Set.of());
            Map<String, Double> scalars = scale == null ? Map.of() : Map.of("scale", scale);
            return CpuBackend.values(emu.call(e, file, callTensors(k, in, k.param("O").value().type().elem()), scalars).get("O"));
        } catch (Interpreter.BadArguments e) {
            throw new UserError(e.getMessage());
        }
    }
}
