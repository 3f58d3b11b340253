package qflash.pass;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import qflash.ir.Elem;

/**
 * The named pipelines {@code --pipeline} selects: the number system as a list of passes over one
 * algorithm. Each line says why its pass sits where it does.
 */
public record Pipeline(String name, String description, List<Pass> passes, boolean integerOnly) {

    public Pipeline(String name, String description, List<Pass> passes) {
        this(name, description, passes, false);
    }

    private static final Map<String, Supplier<Pipeline>> NAMED = new LinkedHashMap<>();

    static {
        NAMED.put("f64", () -> floating("f64", Elem.F64, "float64 everywhere: the reference the others are measured against"));
        NAMED.put("f32", () -> floating("f32", Elem.F32, "float32 everywhere, as the FlashAttention papers' CPU references run"));
        NAMED.put("qflash", () -> integer("qflash", "the published QFlash algorithm, bit for bit, hazards included",
                new IntOptions(false, false, false, false, ShiftExp.Variant.SHIFT, false, true, true, 1)));
    }

    /** The choices an integer pipeline makes; each maps to one pass option. */
    public record IntOptions(boolean qPerToken, boolean kPerBlock, boolean vPerChannel, boolean smoothK,
                             ShiftExp.Variant exp, boolean unsignedP, boolean wrapP, boolean int8Out, int sumInit) {}

    private static Pipeline integer(String name, String description, IntOptions o) {
        List<Pass> passes = new java.util.ArrayList<>(floating(name, Elem.F32, description).passes());
        passes.addAll(List.of(
                new QuantizeInputs(o.qPerToken(), o.kPerBlock(), o.vPerChannel(), o.smoothK()), // int8 Q, K, V + scales
                new IntegerDot(),                 // Q·Kᵀ on integers; the scales move behind the product
                new FoldScales(),                 // one factor sm per score: log2-units per integer unit
                new Licm(),                       // sm is loop-invariant: the running max may carry it
                new MaskAndBias(),                // -inf masks and additive biases in integer score units
                new IntegerScores(),              // the running max in integers (order survives sm > 0)
                new ShiftExp(o.exp()),            // 2^(x·sm) in integers, scaled by rs = 1/sm
                new RequantizeP(o.unsignedP(), o.wrapP()), // P to 8 bits for the P·V product
                new IntegerDot(),                 // P·V on integers
                new Licm(),                       // the sums' scale factors must sit outside the loop
                new ScaleRealign(o.sumInit()),    // l and acc as integers of one fixed scale
                new IntegerEpilogue(o.int8Out()), // acc / l
                new FoldConstants(),              // the rewrites above leave constant arithmetic
                new Cse(),
                new Licm(),                       // constants of the softmax move out of the key loop
                new Dce(),                        // the float views nobody reads
                new LiftConstants(),              // launch-time constants: computed once, in the prologue
                new Cse(),
                new Dce()));
        return new Pipeline(name, description, passes, true);
    }

    private static Pipeline floating(String name, Elem precision, String description) {
        return new Pipeline(name, description, List.of(
                new SetPrecision(precision), // first: folding needs a precision to round to
                new FoldConstants(),         // scale*LOG2E, -inf fills, tunable arithmetic
                new FoldBroadcasts(),        // l[:, None] * acc: two broadcasts become one
                new Cse(),                   // the front end re-reads dims and constants where used
                new Licm(),                  // constants and masks built inside the key loop move out
                new Dce()));                 // last: the passes above leave dead intermediates
    }

    public static List<String> names() {
        return List.copyOf(NAMED.keySet());
    }

    /** The pipeline called {@code name}, or null. */
    public static Pipeline named(String name) {
        Supplier<Pipeline> s = NAMED.get(name);
        return s == null ? null : s.get();
    }
}
