package qflash.pass;

import java.util.ArrayList;
import java.util.List;
import qflash.ir.*;
import qflash.ir.Type.Tile;

/**
 * {@code integer-epilogue}: the final division {@code acc / l}.
 *
 * <p>Matches {@code A / L} (L possibly broadcast along rows) where both are dequantized integer sums
 * (after {@code scale-realign}) and L's factors are a prefix of A's — the common scale cancels, so the
 * quotient is {@code acc_int / l_int} times A's remaining factors (the V scale). Options:
 * <ul>
 * <li>{@code int8} (QFlash): {@code out8 = convert(f32(acc) / f32(l))} truncated toward zero and wrapped
 *     to i8, then {@code O = out8 * s_v}: the published epilogue, which throws away everything below one
 *     int8 step of V;</li>
 * <li>{@code f32}: {@code O = f32(acc) * (1 / f32(l)) * s_v}, rounded once per operation, no int8 step.</li>
 * </ul>
 */
public record IntegerEpilogue(boolean int8) implements Pass {
    @Override
    public String name() {
        return "integer-epilogue{" + (int8 ? "int8" : "f32") + "}";
    }

    @Override
    public Kernel run(Kernel k) {
        Uses uses = new Uses(k);
        Namer namer = Namer.of(k);
        Block body = Rewrite.expand(k.body(), op -> {
            if (!(op instanceof Op.Binary d) || d.kind() != Op.BinKind.DIV || !d.result().type().elem().isFloat()) return List.of(op);
            Chain a = Chain.of(d.a(), uses);
            Op.Broadcast bc = uses.defAs(d.b(), Op.Broadcast.class);
            Value lv = bc != null && bc.dims().equals(List.of(0)) ? bc.a() : d.b();
            Chain l = Chain.of(lv, uses);
            if (a == null || l == null || l.factors().size() > a.factors().size()) return List.of(op);
            for (int i = 0; i < l.factors().size(); i++) {
                Value fa = a.factors().get(i), fl = l.factors().get(i);
                double ca = Chain.constant(fa, uses), cl = Chain.constant(fl, uses);
                if (fa != fl && !(ca == cl)) return List.of(op);
            }
            Tile t = d.result().tile();
            Emit e = new Emit(new ArrayList<>(), namer, d);
            Value accF = e.convert(a.ints(), t);
            Value lF = e.convert(l.ints(), l.ints().tile().withElem(t.elem()));
            // f32: one reciprocal per row and a product per element (a division per element is a dozen
            // instructions on a GPU); one more rounding, 2^-24 relative, far below an int8 step. int8 keeps
            // the division: truncation would turn an exact 6/3 = 2 into 6 * (1/3) = 1.99... -> 1.
            Value q = int8 ? e.bin(Op.BinKind.DIV, accF, e.rows(lF, t), t, "quotient")
                    : e.bin(Op.BinKind.MUL, accF, e.rows(e.bin(Op.BinKind.DIV, e.cnst(1, Tile.scalar(t.elem())), lF, lF.tile(), "inv_l"), t), t, "quotient");
            Value x = q;
            if (int8) {
                Value o8 = namer.fresh("out8", t.withElem(Elem.I8));
                e.out().add(new Op.Convert(o8, q, Op.Rounding.TRUNC, Op.Overflow.WRAP, d.loc()));
                x = e.convert(o8, t);
            }
            e.times(x, a.factors().subList(l.factors().size(), a.factors().size()), d.result());
            return e.out();
        });
        return k.withBody(body);
    }
}
