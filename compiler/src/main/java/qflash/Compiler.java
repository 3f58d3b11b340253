package qflash;

import java.util.Map;
import java.util.function.Consumer;
import qflash.ast.Ast;
import qflash.diag.Source;
import qflash.front.Checker;
import qflash.front.DslParser;
import qflash.front.IrBuilder;
import qflash.ir.Kernel;
import qflash.ir.Verifier;
import qflash.pass.PassManager;
import qflash.pass.Pipeline;

/**
 * The compiler's stages, top to bottom: DSL text → AST → checked AST → tile IR → pipeline passes →
 * lowered IR (ready for the interpreter or a backend). Each stage is a public method so tools and
 * tests can stop anywhere and print what they have.
 */
public final class Compiler {
    private Compiler() {}

    /** An integer pipeline could not make a kernel integer-only: a limit of the passes, reported as such. */
    public static final class NotInteger extends RuntimeException {
        public NotInteger(String message) {
            super(message, null, false, false);
        }
    }

    /** DSL text to AST; syntax errors are positioned {@link qflash.diag.CompileError}s. */
    public static Ast.Program parse(Source source) {
        return DslParser.parse(source);
    }

    /** Checks the AST and builds the tile IR, with tunables from {@code tunables} or their defaults. */
    public static Kernel toIr(Source source, Ast.Program program, Map<String, Long> tunables) {
        Checker.Result checked = Checker.check(source, program, tunables);
        Kernel k = IrBuilder.build(program, checked);
        Verifier.verify(k);
        return k;
    }

    /** Runs {@code pipeline} on {@code k}, verifying after every pass; {@code observer} may be null. */
    public static Kernel lower(Kernel k, Pipeline pipeline, Consumer<PassManager.Stage> observer) {
        Kernel out = PassManager.run(k, pipeline.passes(), observer);
        Verifier.verifyLowered(out);
        if (pipeline.integerOnly()) {
            qflash.ir.Op bad = Verifier.firstFloatOpBeforeEpilogue(out);
            if (bad != null) {
                throw new NotInteger("pipeline '" + pipeline.name() + "' left a float op before the epilogue: "
                        + qflash.ir.IrPrinter.brief(bad) + " (this kernel uses a construct the integer passes do not handle yet)");
            }
        }
        return out;
    }

    /** Everything at once: DSL text to lowered IR. */
    public static Kernel compile(Source source, Pipeline pipeline, Map<String, Long> tunables) {
        return lower(toIr(source, parse(source), tunables), pipeline, null);
    }
}
