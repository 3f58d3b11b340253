package qflash.cli;

import qflash.cuda.CudaEmitter;
import qflash.gpu.CudaBackend;
import qflash.gpu.CudaDevice;
import qflash.gpu.Nvrtc;
import qflash.host.CpuBackend;
import qflash.host.Evaluation;
import qflash.host.Inputs;
import qflash.host.UserError;
import qflash.interp.Interpreter;
import qflash.ir.Kernel;

/** {@code qflash run --backend cuda}: one attention call on the GPU, judged like a CPU run. */
final class GpuRun {
    private GpuRun() {}

    /** The first GPU with NVRTC, or exit 3 with one line saying what is missing. */
    static CudaBackend open() {
        try {
            return CudaBackend.open();
        } catch (CudaDevice.Unavailable | Nvrtc.Unavailable e) {
            throw new NoDeviceError(e.getMessage());
        }
    }

    static Evaluation evaluate(Kernel k, Inputs in, Double scale, String file) {
        try (CudaBackend gpu = open()) {
            CudaBackend.Compiled c = gpu.compile(k, in.shape().d(), file);
            CpuBackend.Bound b = CpuBackend.bind(k, in, scale);
            try (CudaBackend.Launch l = gpu.bind(c, b.tensors(), b.scalars())) {
                l.run();
                double[] out = CpuBackend.values(l.download("O"));
                double ms = l.medianMillis(3, 21);
                return Evaluation.of(k, in, scale, out, ms);
            }
        } catch (Interpreter.BadArguments e) {
            throw new UserError(e.getMessage());
        } catch (CudaEmitter.Unsupported e) {
            throw e;
        }
    }
}
