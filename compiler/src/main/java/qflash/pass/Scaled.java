package qflash.pass;

import qflash.ir.Elem;
import qflash.ir.Op;
import qflash.ir.Uses;
import qflash.ir.Value;

/**
 * The form the integer passes hand each other: a float value computed as {@code convert(ints) * factor}
 * with {@code ints} an i32 tile and {@code factor} a scalar or a tile of the value's shape (usually a
 * broadcast row vector). Matching this form is how a pass knows a float is "an integer in disguise".
 */
record Scaled(Value ints, Value factor, Op.Binary mul) {

    /** {@code v} as {@code convert(i32) * factor}, or null. */
    static Scaled of(Value v, Uses uses) {
        Op.Binary m = uses.defAs(v, Op.Binary.class);
        if (m == null || m.kind() != Op.BinKind.MUL) return null;
        for (int side = 0; side < 2; side++) {
            Value x = side == 0 ? m.a() : m.b(), f = side == 0 ? m.b() : m.a();
            Op.Convert c = uses.defAs(x, Op.Convert.class);
            if (c != null && c.a().type().elem() == Elem.I32 && f.type().elem().isFloat()) return new Scaled(c.a(), f, m);
        }
        return null;
    }

    /** True when {@code v} is a constant whose every element is {@code -inf}. */
    static boolean isMinusInf(Value v, Uses uses) {
        Op.Const c = uses.defAs(v, Op.Const.class);
        return c != null && c.value() == Double.NEGATIVE_INFINITY;
    }
}
