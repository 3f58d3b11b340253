package qflash.analysis;

import static org.junit.jupiter.api.Assertions.*;

import java.math.BigInteger;
import java.util.Map;
import org.junit.jupiter.api.Test;
import qflash.Compiler;
import qflash.TestFiles;
import qflash.diag.Source;
import qflash.ir.Elem;
import qflash.ir.IrParser;
import qflash.ir.Kernel;
import qflash.ir.Op;
import qflash.pass.Pipeline;

/**
 * The range analysis finds the published kernel's hazards by itself and clears ours.
 * Run: {@code mvn -pl compiler test -Dtest=RangeAnalysisTest}.
 */
class RangeAnalysisTest {
    static Kernel compile(String sample, String pipeline) {
        Source src = TestFiles.sample(sample);
        return Compiler.compile(src, Pipeline.named(pipeline), Map.of());
    }

    @Test
    void findsThePublishedPCastHazard() {
        RangeAnalysis.Report r = RangeAnalysis.analyze(compile("flash_attention.tile", "qflash"), RangeAnalysis.Assumptions.DEFAULT);
        RangeAnalysis.Finding p8 = r.findings().stream()
                .filter(f -> f.kind() == RangeAnalysis.Kind.WRAPS && f.type() == Elem.I8 && f.op() instanceof Op.Convert c
                        && c.a().type().shape().size() == 2 && f.op().loc().line() == TestFiles.lineOf("flash_attention.tile", "let p = exp2("))
                .findFirst().orElseThrow(() -> new AssertionError("no P-cast finding in " + r.findings()));
        assertTrue(p8.firstRange().hi().compareTo(BigInteger.valueOf(128)) >= 0, "p8 must be able to reach 128: " + p8.message());
        assertTrue(p8.firstRange().lo().signum() >= 0, "probabilities are not negative before the cast: " + p8.message());
        assertFalse(r.safe());
    }

    @Test
    void provesTheInt8PipelineSafeOnEverySample() {
        for (String sample : TestFiles.SAMPLES) {
            RangeAnalysis.Report r = RangeAnalysis.analyze(compile(sample, "int8"), RangeAnalysis.Assumptions.DEFAULT);
            assertTrue(r.findings().stream().noneMatch(f -> f.kind() != RangeAnalysis.Kind.SATURATES), sample + ": " + r.findings());
            assertTrue(r.samples() > 100);
        }
    }

    /** The proof setting: every sm in [2^-16, 1] is covered, so this is not a sample (about a minute). */
    @Test
    void provesTheInt8PipelineSafeForEverySm() {
        RangeAnalysis.Report r = RangeAnalysis.analyze(compile("flash_attention.tile", "int8"), RangeAnalysis.Assumptions.PROOF);
        assertTrue(r.assumptions().cover());
        assertTrue(r.safe(), r.findings().toString());
        // What is left is defined behaviour: p8 saturating at 255 where rs ≈ 2^16.
        assertTrue(r.findings().stream().allMatch(f -> f.kind() == RangeAnalysis.Kind.SATURATES), r.findings().toString());
    }

    @Test
    void reportsAnArithmeticOverflow() {
        // A dot of int8 tiles accumulated in i16 over up to 256 terms overflows.
        Kernel k = IrParser.parse(new Source("t.ir", """
                kernel @t(%A: tensor<Nx16xi8>, %B: tensor<16xNxi8>, %Y: out tensor<Nx16xi8>)
                  schedule {}
                defaults {
                  yield
                }
                grid {
                  %one = const 1 : i32
                  yield %one
                }
                body(%i: i32) {
                  %r = arange : tile<16xi32>
                  %a = load %A[%r, :] : tile<16x16xi8>
                  %b = load %B[:, %r] : tile<16x16xi8>
                  %d = dot %a, %b : tile<16x16xi16>
                  %c = convert %d {rounding = rne, overflow = sat} : tile<16x16xi8>
                  store %Y[%r, :], %c
                  yield
                }
                """));
        RangeAnalysis.Report r = RangeAnalysis.analyze(k, RangeAnalysis.Assumptions.DEFAULT);
        RangeAnalysis.Finding f = r.findings().stream().filter(x -> x.kind() == RangeAnalysis.Kind.OVERFLOW).findFirst().orElseThrow();
        assertTrue(f.op() instanceof Op.Dot);
        assertEquals(BigInteger.valueOf(16L * 128 * 128), f.range().hi());
        assertTrue(r.findings().stream().anyMatch(x -> x.kind() == RangeAnalysis.Kind.SATURATES && x.op() instanceof Op.Convert));
    }
}
