package qflash.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import qflash.Compiler;
import qflash.ast.AstPrinter;
import qflash.diag.Source;
import qflash.host.UserError;
import qflash.ir.IrPrinter;
import qflash.ir.Kernel;
import qflash.analysis.RangeAnalysis;

/** {@code qflash compile}: print any stage of the pipeline. */
@Command(name = "compile", mixinStandardHelpOptions = true,
        description = {"Compile a tile program and print one stage:",
                "  ast           the syntax tree",
                "  ir            the tile IR as built from the source (or as read, with --from ir)",
                "  lowered       the IR after the pipeline (the default)",
                "  ir-after-all  the IR after every pass, marking passes that changed nothing",
                "  ranges        the lowered IR with the range of every integer value, and what may overflow",
                "  cuda          the CUDA C of the lowered kernel's body (fp16, qflash and int8 pipelines)",
                "  cuda-prologue the CUDA C of its prologue (quantization and launch constants as one grid-synchronised kernel)"})
public final class CompileCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    KernelOptions kernel;

    @Option(names = "--emit", paramLabel = "STAGE", description = "ast, ir, lowered or ir-after-all (default: lowered)")
    String emit = "lowered";

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "write to OUT instead of standard output")
    Path output;

    @Option(names = "--dim", paramLabel = "SYM=N", description = "with --emit cuda or cuda-prologue: a shape the kernel is specialised for (default D=64)")
    java.util.Map<String, Integer> dims = new java.util.LinkedHashMap<>();

    @Option(names = "--prove", description = "with --emit ranges: cover every sm by intervals (a proof; about a minute) instead of sampling it")
    boolean prove;

    /** Integer kernels get the range analysis's warnings on standard error (the published one has some). */
    private void warnRanges(Kernel k, String file) {
        if (!kernel.pipeline().integerOnly()) return;
        for (RangeAnalysis.Finding f : RangeAnalysis.analyze(k, RangeAnalysis.Assumptions.DEFAULT).findings()) {
            if (f.kind() == RangeAnalysis.Kind.SATURATES) continue;
            spec.commandLine().getErr().println(file + ":" + f.op().loc() + ": warning: " + f.message());
        }
        spec.commandLine().getErr().flush();
    }

    @Override
    public Integer call() {
        StringBuilder text = new StringBuilder();
        Source src = kernel.source();
        switch (emit) {
            case "ast" -> {
                if (!kernel.from.equals("dsl")) throw new UserError("--emit ast needs DSL input");
                kernel.tileIr(src, p -> text.append(AstPrinter.print(p)));
            }
            case "ir" -> text.append(IrPrinter.print(kernel.tileIr(src, null)));
            case "lowered" -> {
                Kernel k = Compiler.lower(kernel.tileIr(src, null), kernel.pipeline(), null);
                text.append(IrPrinter.print(k));
                warnRanges(k, src.name());
            }
            case "ranges" -> {
                Kernel k = Compiler.lower(kernel.tileIr(src, null), kernel.pipeline(), null);
                RangeAnalysis.Assumptions a = prove ? RangeAnalysis.Assumptions.PROOF : RangeAnalysis.Assumptions.DEFAULT;
                text.append(Ranges.render(k, RangeAnalysis.analyze(k, a), src.name()));
            }
            case "cuda" -> {
                Kernel k = Compiler.lower(kernel.tileIr(src, null), kernel.pipeline(), null);
                text.append(qflash.cuda.CudaEmitter.emit(k, fixedDims(), src.name()).source());
            }
            case "cuda-prologue" -> {
                Kernel k = Compiler.lower(kernel.tileIr(src, null), kernel.pipeline(), null);
                if (!k.hasPrologue()) throw new UserError("the " + kernel.pipeline().name() + " pipeline leaves kernel @" + k.name() + " no prologue");
                // The body decides which tensors the prologue writes key-major.
                qflash.cuda.CudaEmitter.CudaKernel body = qflash.cuda.CudaEmitter.emit(k, fixedDims(), src.name());
                text.append(qflash.cuda.PrologueEmitter.emit(k, java.util.Set.of(), fixedDims(), body).source());
            }
            case "ir-after-all" -> {
                Kernel k = kernel.tileIr(src, null);
                text.append("// -----// tile IR from ").append(src.name()).append(" //----- //\n").append(IrPrinter.print(k));
                Compiler.lower(k, kernel.pipeline(), stage -> text.append(stage.text()));
            }
            default -> throw new UserError("--emit must be ast, ir, lowered, ir-after-all, ranges, cuda or cuda-prologue, got '" + emit + "'");
        }
        if (output == null) {
            spec.commandLine().getOut().print(text);
            spec.commandLine().getOut().flush();
        } else {
            try {
                Files.writeString(output, text);
            } catch (IOException e) {
                throw new UserError(output + ": cannot write (" + e.getMessage() + ")");
            }
        }
        return Main.OK;
    }

    /** The shapes CUDA is specialised for: D = 64 unless --dim says otherwise. */
    private java.util.Map<String, Integer> fixedDims() {
        java.util.Map<String, Integer> fixed = new java.util.LinkedHashMap<>(java.util.Map.of("D", 64));
        fixed.putAll(dims);
        return fixed;
    }
}
