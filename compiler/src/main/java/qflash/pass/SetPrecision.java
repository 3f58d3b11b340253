package qflash.pass;

import java.util.IdentityHashMap;
import java.util.Map;
import qflash.ir.*;

/**
 * {@code set-precision}: choose the float number system.
 *
 * <p>The front end emits {@code real}, a float of no particular precision, so that one source serves
 * every number system. This pass gives every {@code real} — tiles, scalars, and tensors whose source
 * type was {@code float} — the pipeline's precision. It is the only place a float pipeline states its
 * precision. Option: the target type ({@code f64}, {@code f32} or {@code f16}).
 */
public record SetPrecision(Elem target) implements Pass {
    public SetPrecision {
        if (target == null || !target.isFloat() || target == Elem.REAL) throw new IllegalArgumentException("set-precision needs a float type, got " + target);
    }

    @Override
    public String name() {
        return "set-precision{" + target + "}";
    }

    @Override
    public Kernel run(Kernel k) {
        Map<Value, Value> retyped = new IdentityHashMap<>();
        java.util.function.UnaryOperator<Value> f = v -> v.type().elem() != Elem.REAL ? v
                : retyped.computeIfAbsent(v, old -> new Value(old.name(), old.type().withElem(target)));
        return k.withParams(k.params().stream().map(p -> p.withValue(f.apply(p.value()))).toList())
                .mapBlocks(b -> Rewrite.mapValues(b, f));
    }
}
