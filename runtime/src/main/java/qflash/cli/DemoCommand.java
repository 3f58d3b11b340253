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
import qflash.host.Evaluation;
import qflash.host.Inputs;
import qflash.host.Workload;
import qflash.ir.Kernel;
import qflash.pass.Pipeline;

/** {@code qflash demo}: the main job in one command, on the CPU interpreter. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Compile the bundled samples with every pipeline, run them on workload A2 (ViT-S) and print their accuracy.")
public final class DemoCommand implements Callable<Integer> {
    static final List<String> SAMPLES = List.of("flash_attention.tile", "flash_attention_bias.tile", "flash_attention_causal.tile");

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Workload w = Workload.named("A2");
        out.printf(Locale.ROOT, "qflash demo: CPU interpreter, workload %s (%s, %s), uniform[-4,4] inputs, seed 0%n", w.name(), w.model(), w.shape(1));
        out.printf(Locale.ROOT, "%-30s %-9s %12s %14s %10s%n", "sample", "pipeline", "SQNR (dB)", "max |err|", "time (ms)");
        for (String sample : SAMPLES) {
            Source src = sample(sample);
            for (String pipeline : Pipeline.names()) {
                Kernel k = Compiler.compile(src, Pipeline.named(pipeline), Map.of());
                Inputs in = Inputs.generate(Inputs.Model.UNIFORM, w.shape(1), 0, k.param("bias") != null);
                Evaluation e = Evaluation.cpu(k, in, null);
                out.printf(Locale.ROOT, "%-30s %-9s %12.2f %14.3g %10.2f%n", sample, pipeline, e.sqnrDb(), e.maxAbsErr(), e.millis());
            }
        }
        out.println("SQNR = 20*log10(|ref| / |out - ref|) against float64 attention on the same f16-rounded inputs.");
        return Main.OK;
    }

    static Source sample(String name) throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream("/qflash/samples/" + name)) {
            if (in == null) throw new IOException("sample " + name + " is missing from the jar");
            return new Source("samples/" + name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
