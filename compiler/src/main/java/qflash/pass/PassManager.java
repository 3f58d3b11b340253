package qflash.pass;

import java.util.List;

import qflash.ir.IrInvalid;
import qflash.ir.IrPrinter;
import qflash.ir.Kernel;
import qflash.ir.Verifier;

/**
 * Runs a pipeline's passes in order, verifying the IR after each one. An optional observer sees the
 * IR after every pass ({@code --emit ir-after-all}); a pass that returned its input is reported as
 * unchanged.
 */
public final class PassManager {
    /** A pass produced IR the verifier rejects: a compiler bug, never the user's fault. */
    public static final class PassBroke extends RuntimeException {
        public PassBroke(String pass, IrInvalid cause) {
            super("pass '" + pass + "' produced invalid IR: " + cause.getMessage(), cause);
        }
    }

    /** What the observer receives after each pass. */
    public record Stage(String pass, Kernel kernel, boolean changed) {
        public String header() {
            return "// -----// IR after " + pass + (changed ? "" : " (unchanged)") + " //----- //";
        }

        public String text() {
            return header() + "\n" + (changed ? IrPrinter.print(kernel) : "");
        }
    }

    private PassManager() {}

    public static Kernel run(Kernel k, List<Pass> passes, java.util.function.Consumer<Stage> observer) {
        for (Pass p : passes) {
            Kernel out = p.run(k);
            boolean changed = out != k && !IrPrinter.print(out).equals(IrPrinter.print(k));
            try {
                Verifier.verify(out);
            } catch (IrInvalid e) {
                throw new PassBroke(p.name(), e);
            }
            if (observer != null) observer.accept(new Stage(p.name(), changed ? out : k, changed));
            k = changed ? out : k;
        }
        return k;
    }

}
