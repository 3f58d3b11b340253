package qflash.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import qflash.Compiler;
import qflash.diag.Source;
import qflash.host.Evaluation;
import qflash.host.Inputs;
import qflash.host.UserError;
import qflash.host.Workload;
import qflash.ir.Kernel;
import qflash.pass.Pipeline;

/** {@code qflash accuracy}: the SQNR table of docs/accuracy.md, on the CPU interpreter. */
@Command(name = "accuracy", mixinStandardHelpOptions = true,
        description = {"Measure SQNR against float64 attention for workloads A1-A7 (b=1) x the four input models,",
                "for the qflash and int8 pipelines and every single option change of each, and print a Markdown report."})
public final class AccuracyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "write the report to FILE (e.g. docs/accuracy.md)")
    Path output;

    @Option(names = "--sample", paramLabel = "NAME", description = "bundled sample to measure (default: flash_attention.tile)")
    String sample = "flash_attention.tile";

    @Option(names = "--seed", paramLabel = "S", description = "input seed (default: 0)")
    long seed;

    /** Every variant: a preset, or a preset with one option changed. */
    record Variant(String label, String pipeline, Map<String, String> opts) {}

    static List<Variant> variants() {
        List<Variant> out = new ArrayList<>();
        out.add(new Variant("f32", "f32", Map.of()));
        Map<String, Map<String, String>> changes = new LinkedHashMap<>();
        changes.put("qflash", orderedMap("exp", "poly2", "p-cast", "sat", "p", "u8", "quant", "token", "quant", "block",
                "v-quant", "channel", "smooth-k", "true", "out", "f32", "halvings", "exact"));
        changes.put("int8", orderedMap("exp", "shift", "p-cast", "wrap", "p", "s8", "quant", "token", "quant", "tensor",
                "v-quant", "tensor", "smooth-k", "false", "out", "int8", "halvings", "published"));
        for (var e : changes.entrySet()) {
            out.add(new Variant("**" + e.getKey() + "**", e.getKey(), Map.of()));
            for (String change : e.getValue().keySet()) {
                String[] kv = change.split("=");
                out.add(new Variant(e.getKey() + " " + change, e.getKey(), Map.of(kv[0], kv[1])));
            }
        }
        return out;
    }

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i] + "=" + kv[i + 1], "");
        return m;
    }

    @Override
    public Integer call() throws IOException {
        if (!DemoCommand.SAMPLES.contains(sample)) throw new UserError("--sample must be one of " + DemoCommand.SAMPLES);
        Source src = DemoCommand.sample(sample);
        List<String> workloads = List.of("A1", "A2", "A3", "A4", "A5", "A6", "A7");
        StringBuilder md = new StringBuilder();
        md.append("# Accuracy of the integer pipelines\n\n");
        md.append("SQNR in dB, `20·log10(‖ref‖/‖out − ref‖)`, against float64 attention computed from the same f16-rounded\n");
        md.append("inputs, on the CPU interpreter (bit-exact with what any backend must produce), sample `").append(sample)
          .append("`, seed ").append(seed).append(", b = 1. Made by\n\n    bin/qflash accuracy -o docs/accuracy.md\n\n");
        md.append("Rows: the presets (bold) and each single option change (`--opt key=value`). `qflash` is the published\n");
        md.append("algorithm (per-tensor int8, shift exp, s8 P with a wrapping cast, truncated int8 output); `int8` is ours\n");
        md.append("(per-token Q, per-block K aligned per row, K smoothing, per-channel V, poly2 exp, u8 P saturated, f32 output).\n");
        for (Inputs.Model model : Inputs.Model.values()) {
            md.append("\n## Inputs: ").append(model.text).append("\n\n| variant |");
            workloads.forEach(w -> md.append(' ').append(w).append(" |"));
            md.append(" min |\n|---|");
            workloads.forEach(w -> md.append("---:|"));
            md.append("---:|\n");
            for (Variant v : variants()) {
                Kernel k = Compiler.compile(src, Pipeline.named(v.pipeline(), v.opts()), Map.of());
                md.append("| ").append(v.label()).append(" |");
                double min = Double.POSITIVE_INFINITY;
                for (String w : workloads) {
                    Inputs in = Inputs.generate(model, Workload.named(w).shape(1), seed, k.param("bias") != null);
                    double db = Evaluation.cpu(k, in, null).sqnrDb();
                    min = Math.min(min, db);
                    md.append(String.format(Locale.ROOT, " %.2f |", db));
                }
                md.append(String.format(Locale.ROOT, " %.2f |\n", min));
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output == null) {
            out.print(md);
        } else {
            Files.createDirectories(output.toAbsolutePath().getParent());
            Files.writeString(output, md);
            out.println("wrote " + output);
        }
        out.flush();
        return Main.OK;
    }
}
