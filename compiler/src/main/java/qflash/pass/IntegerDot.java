package qflash.pass;

import java.util.ArrayList;
import java.util.List;
import qflash.ir.*;
import qflash.ir.Type.Tile;

/**
 * {@code integer-dot}: multiply the integers, apply the scales after.
 *
 * <p>A {@code dot} whose operands are both dequantized integer tiles — {@code convert(i) * s}, the
 * left operand's scale constant along each row (a scalar or a per-row vector), the right operand's
 * constant along each column (directly or through a {@code transpose}) — becomes an integer
 * {@code dot} into i32, converted to float and multiplied by the row scales and then the column
 * scales. Exact up to float rounding: a scale constant along the reduced axis factors out of the sum.
 * A dot whose scales vary along the reduced axis is left alone. Runs wherever such a dot appears (Q·Kᵀ
 * after quantize-inputs, P·V after requantize-p). No options.
 */
public final class IntegerDot implements Pass {
    @Override
    public String name() {
        return "integer-dot";
    }

    /** {@code convert(i) * scale}: the integer tile and its scale, as a scalar or a vector with its tile axis. */
    record Dequant(Value ints, Value scale, int scaleAxis) {}

    @Override
    public Kernel run(Kernel k) {
        Uses uses = new Uses(k);
        Namer namer = Namer.of(k);
        Block body = Rewrite.expand(k.body(), op -> {
            if (!(op instanceof Op.Dot d) || d.result().type().elem().isInt) return List.of(op);
            Dequant a = dequant(d.a(), uses);
            Op.Transpose t = uses.defAs(d.b(), Op.Transpose.class);
            Dequant b = dequant(t != null ? t.a() : d.b(), uses);
            // The left scale must not vary along the reduced axis (1), the right one neither (0, or 1 before the transpose).
            int bAlongColumns = t != null ? 0 : 1;
            if (a == null || b == null || (a.scaleAxis() != -1 && a.scaleAxis() != 0)
                    || (b.scaleAxis() != -1 && b.scaleAxis() != bAlongColumns)) return List.of(op);
            List<Op> out = new ArrayList<>();
            Tile rt = d.result().tile();
            Value bi = b.ints();
            if (t != null) {
                Tile bt = bi.tile();
                bi = namer.fresh(t.result().name() + ".i", new Tile(List.of(bt.shape().get(1), bt.shape().get(0)), bt.elem()));
                out.add(new Op.Transpose(bi, b.ints(), t.loc()));
            }
            Value dot = namer.fresh(d.result().name() + ".i32", rt.withElem(Elem.I32));
            out.add(new Op.Dot(dot, a.ints(), bi, d.loc()));
            // Row scales (result axis 0) then column scales (axis 1); the last step defines the dot's own value.
            List<Value> scales = new ArrayList<>();
            List<Integer> axes = new ArrayList<>();
            if (a.scale() != null) {
                scales.add(a.scale());
                axes.add(0);
            }
            if (b.scale() != null) {
                scales.add(b.scale());
                axes.add(1);
            }
            Value x = scales.isEmpty() ? d.result() : namer.fresh(d.result().name() + ".f", rt);
            out.add(new Op.Convert(x, dot, Op.Rounding.RNE, Op.Overflow.SAT, d.loc()));
            for (int i = 0; i < scales.size(); i++) {
                Value s = scales.get(i);
                if (!s.tile().isScalar()) {
                    Value sb = namer.fresh(d.result().name() + (axes.get(i) == 0 ? ".rows" : ".cols"), rt);
                    out.add(new Op.Broadcast(sb, s, List.of(axes.get(i)), d.loc()));
                    s = sb;
                }
                Value r = i == scales.size() - 1 ? d.result() : namer.fresh(rt);
                out.add(new Op.Binary(r, Op.BinKind.MUL, x, s, d.loc()));
                x = r;
            }
            return out;
        });
        return k.withBody(body);
    }

    /**
     * Recognises {@code convert(int tile) * s} where s is a scalar, a full tile of one value, or a
     * broadcast of a vector along one axis; scale null means "no scale" ({@code convert} alone).
     */
    static Dequant dequant(Value v, Uses uses) {
        Op.Convert c = uses.defAs(v, Op.Convert.class);
        if (c != null && c.a().type().elem().isInt && c.a().type().elem() != Elem.I1) return new Dequant(c.a(), null, -1);
        Op.Binary m = uses.defAs(v, Op.Binary.class);
        if (m == null || m.kind() != Op.BinKind.MUL) return null;
        for (int side = 0; side < 2; side++) {
            Value x = side == 0 ? m.a() : m.b(), s = side == 0 ? m.b() : m.a();
            Op.Convert cx = uses.defAs(x, Op.Convert.class);
            if (cx == null || !cx.a().type().elem().isInt || cx.a().type().elem() == Elem.I1) continue;
            if (s.tile().isScalar()) return new Dequant(cx.a(), s, -1);
            Op.Broadcast b = uses.defAs(s, Op.Broadcast.class);
            if (b != null && b.a().tile().rank() == 1 && b.dims().size() == 1) return new Dequant(cx.a(), b.a(), b.dims().getFirst());
        }
        return null;
    }
}
