package qflash.pass;

import java.util.List;
import qflash.ir.Namer;
import qflash.ir.Op;
import qflash.ir.Type.Tile;
import qflash.ir.Value;

/**
 * Small op emitter shared by the integer passes, so the formulas they emit read as formulas. Every op
 * gets the source location of {@code at}, the op being rewritten.
 */
record Emit(List<Op> out, Namer namer, Op at) {
    Value cnst(double v, Tile t) {
        Value r = namer.fresh(t);
        out.add(new Op.Const(r, v, at.loc()));
        return r;
    }

    Value bin(Op.BinKind k, Value a, Value b, Tile t, String name) {
        Value r = name == null ? namer.fresh(t) : namer.fresh(name, t);
        out.add(new Op.Binary(r, k, a, b, at.loc()));
        return r;
    }

    Value toInt(Value f, Tile t, String name) {
        Value r = namer.fresh(name, t);
        out.add(new Op.Convert(r, f, Op.Rounding.RNE, Op.Overflow.SAT, at.loc()));
        return r;
    }

    Value convert(Value i, Tile t) {
        Value r = namer.fresh(t);
        out.add(new Op.Convert(r, i, Op.Rounding.RNE, Op.Overflow.SAT, at.loc()));
        return r;
    }

    /** A per-row vector spread over the columns of {@code like} (scalars and same-shape values pass through). */
    Value rows(Value v, Tile like) {
        if (v.tile().isScalar() || v.tile().shape().equals(like.shape())) return v;
        Value r = namer.fresh(v.name() + ".b", like.withElem(v.tile().elem()));
        out.add(new Op.Broadcast(r, v, List.of(0), at.loc()));
        return r;
    }

    /** {@code into = x * f1 * f2 ...} in that order, the last product under {@code into}'s name; no factors: {@code x * 1}. */
    void times(Value x, List<Value> factors, Value into) {
        if (factors.isEmpty()) factors = List.of(cnst(1, Tile.scalar(into.type().elem())));
        for (int i = 0; i < factors.size(); i++) {
            Value r = i == factors.size() - 1 ? into : namer.fresh(into.type());
            out.add(new Op.Binary(r, Op.BinKind.MUL, x, factors.get(i), at.loc()));
            x = r;
        }
    }

    /**
     * {@code into = convert(ints) * f1 * f2 ...}: the float view of an integer that the integer passes hand
     * each other ({@link Scaled}, {@link Chain}), defined under the name of the value it replaces.
     */
    void dequantize(Value ints, List<Value> factors, Value into) {
        Value f = namer.fresh(into.name() + ".f", into.type());
        out.add(new Op.Convert(f, ints, Op.Rounding.RNE, Op.Overflow.SAT, at.loc()));
        times(f, factors, into);
    }
}
