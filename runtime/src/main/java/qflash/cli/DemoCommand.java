package qflash.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import qflash.Compiler;
import qflash.diag.Source;
import qflash.gpu.CudaBackend;
import qflash.gpu.CudaDevice;
import qflash.gpu.Nvrtc;
import qflash.host.CpuBackend;
import qflash.host.Evaluation;
import qflash.host.Inputs;
import qflash.host.Workload;
import qflash.ir.Kernel;
import qflash.pass.Pipeline;

/**
 * {@code qflash demo}: the main job in one command, on the CPU interpreter and, where there is one, the GPU; without
 * a GPU, the emitted CUDA on the CPU emulator instead, with whether it gave the interpreter's bits.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Compile the bundled samples with every pipeline, run them on workload A2 (ViT-S) and print their accuracy:",
                "on the CPU interpreter, and on the GPU (fp16, qflash, int8) when one is present; without one, the emitted",
                "CUDA of those pipelines on the CPU emulator (when a host C++ compiler is), bit for bit against the interpreter."})
public final class DemoCommand implements Callable<Integer> {
    static final List<String> SAMPLES = List.of("flash_attention.tile", "flash_attention_bias.tile", "flash_attention_causal.tile");
    /** The pipelines with a GPU form (tensor cores take i8 and f16). */
    static final List<String> GPU_PIPELINES = List.of("fp16", "qflash", "int8");

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Workload w = Workload.named("A2");
        CudaBackend gpu = null;
        String noGpu = null;
        int differ = 0;
        try {
            gpu = CudaBackend.open();
        } catch (CudaDevice.Unavailable | Nvrtc.Unavailable | LinkageError e) {
            noGpu = String.valueOf(e.getMessage()).lines().findFirst().orElse("unavailable");
        }
        try {
            out.printf(Locale.ROOT, "qflash demo: CPU interpreter%s, workload %s (%s, %s), uniform[-4,4] inputs, seed 0%n",
                    gpu != null ? " and " + gpu.device() : "", w.name(), w.model(), w.shape(1));
            qflash.emu.Emulator emu = null;
            if (gpu == null) {
                try {
                    emu = qflash.emu.Emulator.open();
                    out.println("(no GPU here: " + noGpu + "; the emitted CUDA runs on the CPU emulator instead, docs/cuda.md section 8)");
                } catch (qflash.emu.Emulator.Unavailable u) {
                    out.println("(no GPU here: " + noGpu + "; no CUDA emulator either: " + u.getMessage() + "; the GPU columns stay empty)");
                }
            }
            if (emu == null) out.printf(Locale.ROOT, "%-30s %-9s %12s %14s %10s %12s %12s%n", "sample", "pipeline", "SQNR (dB)", "max |err|", "CPU (ms)", "GPU SQNR", "GPU call us");
            else out.printf(Locale.ROOT, "%-30s %-9s %12s %14s %10s %12s %12s%n", "sample", "pipeline", "SQNR (dB)", "max |err|", "CPU (ms)", "emu SQNR", "emu = CPU");
            for (String sample : SAMPLES) {
                Source src = sample(sample);
                for (String pipeline : Pipeline.names()) {
                    Kernel k = Compiler.compile(src, Pipeline.named(pipeline), Map.of());
                    Inputs in = Inputs.generate(Inputs.Model.UNIFORM, w.shape(1), 0, k.param("bias") != null);
                    CpuBackend.Result cpu = CpuBackend.run(k, in, null);
                    Evaluation e = Evaluation.of(k, in, null, cpu.out(), cpu.millis());
                    String gs = "-", gt = "-";
                    if (gpu != null && GPU_PIPELINES.contains(pipeline)) {
                        Evaluation g = GpuRun.evaluate(gpu, k, in, null, src.name());
                        gs = String.format(Locale.ROOT, "%.2f", g.sqnrDb());
                        gt = String.format(Locale.ROOT, "%.1f", 1000 * g.millis());
                    } else if (emu != null && GPU_PIPELINES.contains(pipeline)) {
                        double[] o = GpuRun.emulated(emu, k, in, null, src.name());
                        gs = String.format(Locale.ROOT, "%.2f", Evaluation.of(k, in, null, o, 0).sqnrDb());
                        // Integer kernels must give the interpreter's bits; fp16's tensor-core sums are not IEEE's order, so only close.
                        boolean same = java.util.Arrays.equals(o, cpu.out());
                        gt = same ? "same bits" : pipeline.equals("fp16") ? "close" : "DIFFER";
                        if (!same && !pipeline.equals("fp16")) differ++;
                    }
                    out.printf(Locale.ROOT, "%-30s %-9s %12.2f %14.3g %10.2f %12s %12s%n", sample, pipeline, e.sqnrDb(), e.maxAbsErr(), e.millis(), gs, gt);
                }
            }
        } finally {
            if (gpu != null) gpu.close();
        }
        out.println("SQNR = 20*log10(|ref| / |out - ref|) against float64 attention on the same f16-rounded inputs.");
        if (differ > 0) {
            out.println(differ + " emulated integer kernel(s) did not give the interpreter's bits: a bug in the CUDA emitter or the emulator");
            return Main.INTERNAL;
        }
        return Main.OK;
    }

    static Source sample(String name) throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream("/qflash/samples/" + name)) {
            if (in == null) throw new IOException("sample " + name + " is missing from the jar");
            return new Source("samples/" + name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
