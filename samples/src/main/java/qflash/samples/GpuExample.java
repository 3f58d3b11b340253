package qflash.samples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import qflash.Compiler;
import qflash.diag.Source;
import qflash.ast.Ast;
import qflash.gpu.Autotuner;
import qflash.gpu.CudaBackend;
import qflash.gpu.CudaDevice;
import qflash.gpu.DeviceTensor;
import qflash.gpu.Nvrtc;
import qflash.interp.Arr;
import qflash.interp.Interpreter;
import qflash.ir.Elem;
import qflash.ir.Kernel;
import qflash.pass.Pipeline;

/**
 * The GPU API in one page: compile a tile program with the {@code int8} pipeline, put f16 tensors on the
 * device, run one call (the quantization prologue and the attention kernel, all on the GPU), and check
 * the result against the CPU interpreter bit for bit; and let the autotuner choose the block sizes.
 *
 * <p>Run on a GPU host from the repository root (or with the bundle's jars):
 * {@code java --enable-native-access=ALL-UNNAMED -cp 'samples/target/classes:runtime/target/qflash-runtime.jar:runtime/target/lib/*' qflash.samples.GpuExample}.
 * Without a GPU it says so and exits 3.
 */
public final class GpuExample {
    private GpuExample() {}

    public static void main(String[] args) throws IOException {
        Path file = Path.of(args.length > 0 ? args[0] : "samples/flash_attention.tile");
        Source src = new Source(file.toString(), Files.readString(file));
        Kernel k = Compiler.compile(src, Pipeline.named("int8"), Map.of());
        CudaBackend gpu;
        try {
            gpu = CudaBackend.open();
        } catch (CudaDevice.Unavailable | Nvrtc.Unavailable e) {
            System.out.println("no GPU: " + e.getMessage());
            System.exit(3);
            return;
        }
        try (gpu) {
            // 1. Inputs: [Z, H, N, D] = [2, 6, 197, 64], f16 values.
            int[] shape = {2, 6, 197, 64};
            Random r = new Random(1);
            Map<String, Arr> host = new LinkedHashMap<>();
            for (String t : new String[] {"Q", "K", "V"}) {
                double[] x = new double[shape[0] * shape[1] * shape[2] * shape[3]];
                for (int i = 0; i < x.length; i++) x[i] = Float.float16ToFloat(Float.floatToFloat16(2 * r.nextFloat() - 1));
                host.put(t, Arr.floats(Elem.F16, x, shape));
            }

            // 2. Compile for this head dimension; the prologue reads Q, K, V as f16.
            CudaBackend.Compiled c = gpu.compile(k, shape[3], file.toString(), Set.of("Q", "K", "V"));

            // 3. Device tensors by parameter name, then one call: the prologue kernel + attention, one graph launch.
            Map<String, DeviceTensor> dev = new LinkedHashMap<>();
            host.forEach((name, a) -> dev.put(name, DeviceTensor.upload(a)));
            dev.put("O", DeviceTensor.zeros(Elem.F32, shape));
            Arr gpuOut;
            try {
                try (CudaBackend.Call call = gpu.new Call(c, dev, Map.of())) {
                    call.run();
                    gpuOut = dev.get("O").download();
                    System.out.printf("%s on %s: one call %.1f us (median of 100)%n", k.name(), gpu.device(), 1000 * call.medianCallMillis(10, 100));
                }

                // 4. Block sizes for this shape by measurement: every schedule of the program's tunables (stages
                //    pinned), each compiled and timed on these tensors, the fastest kept and remembered.
                Ast.Program program = Compiler.parse(src);
                Autotuner tuner = new Autotuner(gpu, file.toString(), Set.of("Q", "K", "V"), Set.of(),
                        t -> Compiler.lower(Compiler.toIr(src, program, t), Pipeline.named("int8"), null));
                Autotuner.Result best = tuner.tune(Autotuner.space(program.tunables(), Map.of("stages", 2L)), "GpuExample int8", shape, dev, Map.of(), 3, 10, false);
                System.out.printf("autotuned: %s, body %.1f us (%s)%n", Autotuner.describe(best.best()), 1000 * best.bestMs(),
                        best.cached() ? "remembered from an earlier run" : best.trials().size() + " schedules tried");
            } finally {
                dev.values().forEach(DeviceTensor::close);
            }

            // 5. The CPU interpreter on the same values (as f32, which holds every f16 exactly).
            Map<String, Arr> cpu = new LinkedHashMap<>();
            host.forEach((name, a) -> cpu.put(name, Arr.floats(Elem.F32, a.f, shape)));
            Arr cpuOut = new Arr(Elem.F32, shape);
            cpu.put("O", cpuOut);
            Interpreter.run(k, cpu, Map.of());
            int differ = 0;
            for (int i = 0; i < cpuOut.size(); i++) if (Double.doubleToLongBits(cpuOut.get(i)) != Double.doubleToLongBits(gpuOut.get(i))) differ++;
            System.out.println(cpuOut.size() + " outputs, " + differ + " differ from the CPU interpreter's");
        }
    }
}
