package qflash.pass;

import java.util.ArrayList;
import java.util.List;
import qflash.ir.Elem;
import qflash.ir.Op;
import qflash.ir.Uses;
import qflash.ir.Value;

/**
 * A float value computed as {@code convert(ints) * f1 * f2 * ...} (ints an i32 tile): how the integer
 * passes see a dequantized accumulator or product. {@link Scaled} is the one-factor case.
 */
record Chain(Value ints, List<Value> factors) {

    static Chain of(Value v, Uses uses) {
        List<Value> factors = new ArrayList<>();
        Value cur = v;
        while (true) {
            Op.Convert c = uses.defAs(cur, Op.Convert.class);
            if (c != null && c.a().type().elem() == Elem.I32 && cur.type().elem().isFloat()) {
                return new Chain(c.a(), factors.reversed());
            }
            Op.Binary m = uses.defAs(cur, Op.Binary.class);
            if (m == null || m.kind() != Op.BinKind.MUL) return null;
            // The integer side is the one that leads back to a convert; the other is a factor.
            Op aDef = uses.def(m.a());
            boolean aIsChain = aDef instanceof Op.Convert || aDef instanceof Op.Binary b && b.kind() == Op.BinKind.MUL && of(m.a(), uses) != null;
            factors.add(aIsChain ? m.b() : m.a());
            cur = aIsChain ? m.a() : m.b();
        }
    }

    /** The numeric value of {@code v} when it is a constant, else NaN. */
    static double constant(Value v, Uses uses) {
        Op.Const c = uses.defAs(v, Op.Const.class);
        return c == null ? Double.NaN : c.value();
    }
}
