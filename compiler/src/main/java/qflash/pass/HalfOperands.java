package qflash.pass;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import qflash.diag.Pos;
import qflash.ir.*;
import qflash.ir.Type.Tile;

/**
 * {@code half-operands}: FlashAttention's fp16 number system — f16 in memory and into the matrix
 * products, f32 everywhere else.
 *
 * <p>Input tensors of type f32 are stored as f16 (what the caller passes is rounded to f16 once) and
 * loaded as f16, widened to f32 where a non-product op reads them. Every f32 {@code dot} takes f16
 * operands and accumulates in f32 (the tensor-core contract): an operand that is a widened f16 value is
 * used as the f16 value itself, any other (the probabilities P) is rounded to f16 first. Softmax
 * statistics, the running sums and the output stay f32. No options.
 */
public final class HalfOperands implements Pass {
    @Override
    public String name() {
        return "half-operands";
    }

    @Override
    public Kernel run(Kernel k) {
        Map<Value, Value> half = new IdentityHashMap<>(); // f32 tensor param -> its f16 replacement
        List<Kernel.Param> params = new ArrayList<>();
        for (Kernel.Param p : k.params()) {
            if (p.isTensor() && !p.out() && !p.derived() && p.value().type().elem() == Elem.F32) {
                Value h = new Value(p.value().name(), p.value().type().withElem(Elem.F16));
                half.put(p.value(), h);
                params.add(p.withValue(h));
            } else {
                params.add(p);
            }
        }
        if (half.isEmpty() && !hasFloatDot(k)) return k;
        Namer namer = Namer.of(k);
        Map<Value, Value> widenedFrom = new IdentityHashMap<>(); // f32 value -> the f16 value it widens
        Block body = Rewrite.expand(k.body(), op -> {
            if (op instanceof Op.Load l && half.containsKey(l.tensor())) {
                Tile t = l.result().tile();
                Value h = namer.fresh(l.result().name() + ".h", t.withElem(Elem.F16));
                widenedFrom.put(l.result(), h);
                return List.of(new Op.Load(h, half.get(l.tensor()), l.indices(), l.loc()),
                        new Op.Convert(l.result(), h, Op.Rounding.RNE, Op.Overflow.SAT, l.loc()));
            }
            if (op instanceof Op.Dot d && d.result().type().elem() == Elem.F32) {
                List<Op> out = new ArrayList<>();
                Value a = halfOf(d.a(), widenedFrom, namer, out, d.loc());
                Value b = halfOf(d.b(), widenedFrom, namer, out, d.loc());
                out.add(new Op.Dot(d.result(), a, b, d.loc()));
                return out;
            }
            if (op instanceof Op.Transpose t && widenedFrom.containsKey(t.a())) {
                // Keep the f16 value visible through a transpose, so the product can take it directly.
                Value h = namer.fresh(t.result().name() + ".h", t.result().tile().withElem(Elem.F16));
                widenedFrom.put(t.result(), h);
                return List.of(new Op.Transpose(h, widenedFrom.get(t.a()), t.loc()),
                        new Op.Convert(t.result(), h, Op.Rounding.RNE, Op.Overflow.SAT, t.loc()));
            }
            return List.of(op);
        });
        return k.withParams(params).withBody(body).mapBlocks(b -> Rewrite.substitute(b, half));
    }

    private static boolean hasFloatDot(Kernel k) {
        boolean[] any = {false};
        k.forEachOp(op -> any[0] |= op instanceof Op.Dot d && d.result().type().elem() == Elem.F32);
        return any[0];
    }

    private static Value halfOf(Value v, Map<Value, Value> widenedFrom, Namer namer, List<Op> out, Pos loc) {
        Value h = widenedFrom.get(v);
        if (h != null) return h;
        if (v.type().elem() == Elem.F16) return v;
        Value r = namer.fresh(v.name() + ".h", v.tile().withElem(Elem.F16));
        out.add(new Op.Convert(r, v, Op.Rounding.RNE, Op.Overflow.SAT, loc));
        return r;
    }
}
