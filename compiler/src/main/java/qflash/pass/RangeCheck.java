package qflash.pass;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import qflash.analysis.RangeAnalysis;
import qflash.ir.*;

/**
 * {@code range-check}: no overflow, no wrapping cast, or no kernel.
 *
 * <p>Runs the {@link RangeAnalysis} (N ≤ 16384, D ≤ 256, the launch constants swept over sm). A
 * narrowing cast that can receive a value outside its type and wraps becomes a saturating cast — the
 * value is then clamped, never folded back from the other end; an arithmetic op that can overflow is a compiler error naming the op, its range and its
 * source line, since no rewrite here can make it right. The published kernel's pipeline does not run
 * this pass: it keeps its hazards, and {@code qflash compile} reports them as warnings. No options.
 */
public final class RangeCheck implements Pass {
    /** An arithmetic overflow the analysis could not rule out. */
    public static final class Overflow extends RuntimeException {
        public Overflow(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public String name() {
        return "range-check";
    }

    @Override
    public Kernel run(Kernel k) {
        RangeAnalysis.Report r = RangeAnalysis.analyze(k, RangeAnalysis.Assumptions.DEFAULT);
        Map<Op, Op> saturate = new IdentityHashMap<>();
        for (RangeAnalysis.Finding f : r.findings()) {
            switch (f.kind()) {
                case OVERFLOW -> throw new Overflow(f.op().loc() + ": " + f.message());
                case WRAPS -> {
                    Op.Convert c = (Op.Convert) f.op();
                    saturate.put(c, new Op.Convert(c.result(), c.a(), c.rounding(), Op.Overflow.SAT, c.loc()));
                }
                case SATURATES -> { }
            }
        }
        if (saturate.isEmpty()) return k;
        return k.mapBlocks(b -> Rewrite.expand(b, op -> List.of(saturate.getOrDefault(op, op))));
    }
}
