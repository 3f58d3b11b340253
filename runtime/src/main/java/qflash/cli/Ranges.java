package qflash.cli;

import java.util.Locale;
import qflash.analysis.RangeAnalysis;
import qflash.ir.IrPrinter;
import qflash.ir.Kernel;

/** Text of {@code --emit ranges}: the IR annotated with ranges, then the assumptions and the findings. */
final class Ranges {
    private Ranges() {}

    static String render(Kernel k, RangeAnalysis.Report r, String file) {
        StringBuilder sb = new StringBuilder(IrPrinter.print(k, op -> {
            var range = r.ranges().get(op);
            return range == null ? null : "range " + range;
        }));
        RangeAnalysis.Assumptions a = r.assumptions();
        sb.append(String.format(Locale.ROOT, "// range analysis: N <= %d, D <= %d, |bias| <= %s, sm %s [%.3g, %.3g] %s (%d samples)%n",
                a.maxN(), a.maxD(), a.biasAbs(), a.cover() ? "covered over" : "swept over", a.smMin(), a.smMax(),
                a.cover() ? "by intervals 2^(1/" + a.perOctave() + ") wide: holds for every sm in it"
                        : "at " + a.perOctave() + " points per octave (evidence between points; --prove covers every sm)",
                r.samples()));
        if (r.findings().isEmpty()) sb.append("// every integer op and narrowing cast stays within its type\n");
        for (RangeAnalysis.Finding f : r.findings()) {
            String level = f.kind() == RangeAnalysis.Kind.SATURATES ? "note" : "warning";
            sb.append("// ").append(file).append(':').append(f.op().loc()).append(": ").append(level).append(": ").append(f.message()).append('\n');
        }
        return sb.toString();
    }
}
