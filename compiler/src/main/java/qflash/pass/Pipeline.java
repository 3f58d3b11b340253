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
    private static final Map<String, IntOptions> INTEGER = new LinkedHashMap<>();

    static {
        NAMED.put("f64", () -> floating("f64", Elem.F64, "float64 everywhere: the reference the others are measured against"));
        NAMED.put("f32", () -> floating("f32", Elem.F32, "float32 everywhere, as the FlashAttention papers' CPU references run"));
        NAMED.put("fp16", () -> {
            Pipeline f32 = floating("fp16", Elem.F32, "FlashAttention's fp16: f16 tensors and product operands, f32 accumulation and softmax");
            List<Pass> passes = new java.util.ArrayList<>(f32.passes());
            passes.add(1, new HalfOperands()); // right after the precision: the products' operands become f16
            return new Pipeline("fp16", f32.description(), passes);
        });
        INTEGER.put("qflash", new IntOptions(false, false, false, false, ShiftExp.Variant.SHIFT, false, true, true, 1, true));
        INTEGER.put("int8", new IntOptions(true, true, true, true, ShiftExp.Variant.POLY2, true, false, false, 0, false));
        NAMED.put("qflash", () -> integer("qflash", "the published QFlash algorithm, bit for bit, hazards included", INTEGER.get("qflash")));
        NAMED.put("int8", () -> integer("int8", "qflash's own integer attention: finer scales, a better exp, u8 P, no wrap, f32 output",
                INTEGER.get("int8")));
    }

    /** The option keys {@code --opt} accepts for integer pipelines, with their values. */
    public static final Map<String, List<String>> OPTIONS = java.util.Map.of(
            "exp", List.of("shift", "poly2"),
            "p", List.of("u8", "s8"),
            "p-cast", List.of("sat", "wrap"),
            "quant", List.of("tensor", "token", "block"),
            "v-quant", List.of("tensor", "channel"),
            "smooth-k", List.of("true", "false"),
            "out", List.of("int8", "f32"),
            "sum-init", List.of("0", "1"),
            "halvings", List.of("published", "exact"));

    /**
     * An integer pipeline with single choices overridden ({@code exp=shift}, ...). Throws
     * IllegalArgumentException, with a message for the user, on an unknown pipeline, key or value.
     */
    public static Pipeline named(String name, Map<String, String> overrides) {
        if (overrides.isEmpty()) return named(name);
        IntOptions o = INTEGER.get(name);
        if (o == null) throw new IllegalArgumentException("--opt applies to the integer pipelines (" + String.join(", ", INTEGER.keySet()) + "), not '" + name + "'");
        StringBuilder label = new StringBuilder(name);
        for (var e : overrides.entrySet()) {
            List<String> allowed = OPTIONS.get(e.getKey());
            if (allowed == null) throw new IllegalArgumentException("unknown option '" + e.getKey() + "' (known: " + String.join(", ", new java.util.TreeSet<>(OPTIONS.keySet())) + ")");
            if (!allowed.contains(e.getValue())) throw new IllegalArgumentException("option " + e.getKey() + " takes " + String.join("|", allowed) + ", got '" + e.getValue() + "'");
            o = o.with(e.getKey(), e.getValue());
            label.append(' ').append(e.getKey()).append('=').append(e.getValue());
        }
        return integer(label.toString(), "pipeline " + name + " with " + overrides, o);
    }

    /** The choices an integer pipeline makes; each maps to one pass option. */
    public record IntOptions(boolean qPerToken, boolean kPerBlock, boolean vPerChannel, boolean smoothK,
                             ShiftExp.Variant exp, boolean unsignedP, boolean wrapP, boolean int8Out, int sumInit,
                             boolean publishedHalvings) {
        IntOptions with(String key, String v) {
            IntOptions o = this;
            return switch (key) {
                case "exp" -> new IntOptions(qPerToken, kPerBlock, vPerChannel, smoothK, ShiftExp.Variant.valueOf(v.toUpperCase()), unsignedP, wrapP, int8Out, sumInit, publishedHalvings);
                case "p" -> new IntOptions(qPerToken, kPerBlock, vPerChannel, smoothK, exp, v.equals("u8"), wrapP, int8Out, sumInit, publishedHalvings);
                case "p-cast" -> new IntOptions(qPerToken, kPerBlock, vPerChannel, smoothK, exp, unsignedP, v.equals("wrap"), int8Out, sumInit, publishedHalvings);
                case "quant" -> new IntOptions(!v.equals("tensor"), v.equals("block"), vPerChannel, smoothK, exp, unsignedP, wrapP, int8Out, sumInit, publishedHalvings);
                case "v-quant" -> new IntOptions(qPerToken, kPerBlock, v.equals("channel"), smoothK, exp, unsignedP, wrapP, int8Out, sumInit, publishedHalvings);
                case "smooth-k" -> new IntOptions(qPerToken, kPerBlock, vPerChannel, Boolean.parseBoolean(v), exp, unsignedP, wrapP, int8Out, sumInit, publishedHalvings);
                case "out" -> new IntOptions(qPerToken, kPerBlock, vPerChannel, smoothK, exp, unsignedP, wrapP, v.equals("int8"), sumInit, publishedHalvings);
                case "sum-init" -> new IntOptions(qPerToken, kPerBlock, vPerChannel, smoothK, exp, unsignedP, wrapP, int8Out, Integer.parseInt(v), publishedHalvings);
                case "halvings" -> new IntOptions(qPerToken, kPerBlock, vPerChannel, smoothK, exp, unsignedP, wrapP, int8Out, sumInit, v.equals("published"));
                default -> throw new IllegalArgumentException("unknown option " + key + " for " + o);
            };
        }
    }

    private static Pipeline integer(String name, String description, IntOptions o) {
        List<Pass> passes = new java.util.ArrayList<>(floating(name, Elem.F32, description).passes());
        passes.addAll(List.of(
                new QuantizeInputs(o.qPerToken(), o.kPerBlock(), o.vPerChannel(), o.smoothK()), // int8 Q, K, V + scales
                new IntegerDot(),                 // Q·Kᵀ on integers; the scales move behind the product
                new AlignBlockScales(),           // per-block K: one scale per row before the row max
                new FoldScales(),                 // one factor sm per score: log2-units per integer unit
                new Licm(),                       // sm is loop-invariant: the running max may carry it
                new MaskAndBias(),                // -inf masks and additive biases in integer score units
                new IntegerScores(),              // the running max in integers (order survives sm > 0)
                new ShiftExp(o.exp(), !o.publishedHalvings()), // 2^(x·sm) in integers, scaled by rs = 1/sm
                new RequantizeP(o.unsignedP(), o.wrapP(), o.publishedHalvings()), // P to 8 bits for the P·V product
                new IntegerDot(),                 // P·V on integers
                new Licm(),                       // the sums' scale factors must sit outside the loop
                new ScaleRealign(o.sumInit()),    // l and acc as integers of one fixed scale
                new IntegerEpilogue(o.int8Out()), // acc / l
                new FoldConstants(),              // the rewrites above leave constant arithmetic
                new Cse(),
                new Licm(),                       // constants of the softmax move out of the key loop
                new Dce(),                        // the float views nobody reads
                new LiftConstants(),              // launch-time constants: computed once, in the prologue
                new Licm(),                       // ... and read once per program, not per key block
                new Cse(),
                new Dce()));
        // Last, on the final IR: prove the integers safe (the published kernel keeps its hazards, reported as warnings).
        if (!o.publishedHalvings()) passes.add(new RangeCheck());
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

    /**
     * The passes up to and including the last one named {@code pass} (its name without options also
     * matches), for looking at an intermediate stage; null when no pass has that name. A truncated integer
     * pipeline is not held to the integer-only rule.
     */
    public Pipeline stopAfter(String pass) {
        for (int i = passes.size() - 1; i >= 0; i--) {
            String n = passes.get(i).name();
            if (n.equals(pass) || n.startsWith(pass + "{")) {
                return new Pipeline(name + " (to " + n + ")", description, passes.subList(0, i + 1), false);
            }
        }
        return null;
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
