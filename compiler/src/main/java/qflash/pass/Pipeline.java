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
public record Pipeline(String name, String description, List<Pass> passes) {

    private static final Map<String, Supplier<Pipeline>> NAMED = new LinkedHashMap<>();

    static {
        NAMED.put("f64", () -> floating("f64", Elem.F64, "float64 everywhere: the reference the others are measured against"));
        NAMED.put("f32", () -> floating("f32", Elem.F32, "float32 everywhere, as the FlashAttention papers' CPU references run"));
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
