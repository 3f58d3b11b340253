package qflash.interp;

import qflash.ir.Elem;
import qflash.ir.Op;

/**
 * The scalar semantics of every IR op, written once: the interpreter runs them and constant folding
 * evaluates with them, so a folded constant is exactly what execution would have produced. Integers
 * travel as {@code long} holding a value already in the type's range; floats as {@code double}
 * holding a value already rounded to the type.
 */
public final class Arith {
    private Arith() {}

    /** Wraps {@code v} to the two's-complement range of {@code e}. */
    public static long wrap(Elem e, long v) {
        return switch (e) {
            case I1 -> v & 1;
            case I8 -> (byte) v;
            case U8 -> v & 0xff;
            case I16 -> (short) v;
            case I32 -> (int) v;
            case I64 -> v;
            default -> throw new IllegalArgumentException("not an integer type: " + e);
        };
    }

    /** Clamps {@code v} to [min, max] of {@code e}. */
    public static long saturate(Elem e, long v) {
        return Math.max(e.min(), Math.min(e.max(), v));
    }

    /** Rounds {@code v} to the nearest value of float type {@code e} (ties to even). */
    public static double round(Elem e, double v) {
        return switch (e) {
            // f32 has more than 2*11+2 bits, so rounding through it first never changes the f16 result.
            case F16 -> Float.float16ToFloat(Float.floatToFloat16((float) v));
            case F32 -> (float) v;
            case F64 -> v;
            default -> throw new IllegalArgumentException("no precision for " + e + " (run a precision pass first)");
        };
    }

    public static double unary(Op.UnKind k, Elem e, double a) {
        return round(e, switch (k) {
            case NEG -> -a;
            case ABS -> Math.abs(a);
            case EXP2 -> Math.pow(2, a);
            case EXP -> Math.exp(a);
            case SQRT -> Math.sqrt(a);
            case RSQRT -> 1 / Math.sqrt(a);
            case NOT -> throw new IllegalArgumentException("not on a float");
        });
    }

    public static long unary(Op.UnKind k, Elem e, long a) {
        return wrap(e, switch (k) {
            case NEG -> -a;
            case ABS -> Math.abs(a);
            case NOT -> e == Elem.I1 ? 1 - a : ~a;
            default -> throw new IllegalArgumentException(k + " on an integer");
        });
    }

    public static double binary(Op.BinKind k, Elem e, double a, double b) {
        return round(e, switch (k) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
            default -> throw new IllegalArgumentException(k + " on a float");
        });
    }

    public static long binary(Op.BinKind k, Elem e, long a, long b) {
        return switch (k) {
            case ADD -> wrap(e, a + b);
            case SUB -> wrap(e, a - b);
            case MUL -> wrap(e, a * b);
            case DIV -> b == 0 ? 0 : wrap(e, a / b);
            case FLOORDIV -> b == 0 ? 0 : wrap(e, Math.floorDiv(a, b));
            case REM -> b == 0 ? 0 : wrap(e, a % b);
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
            case SHL -> b < 0 ? shr(a, -b) : shl(e, a, b);
            case SHR -> b < 0 ? shl(e, a, -b) : shr(a, b);
            case AND -> a & b;
            case OR -> a | b;
            case XOR -> wrap(e, a ^ b);
        };
    }

    /** floor(a / 2^n) for n >= 0, whatever n is: 0 or -1 once n reaches the width. */
    public static long shr(long a, long n) {
        return n >= 63 ? (a < 0 ? -1 : 0) : a >> n;
    }

    /** a * 2^n wrapped to {@code e}, for n >= 0; 0 once n reaches the width. */
    public static long shl(Elem e, long a, long n) {
        return n >= e.bits ? 0 : wrap(e, a << n);
    }

    public static boolean compare(Op.CmpKind k, double a, double b) {
        return switch (k) {
            case LT -> a < b;
            case LE -> a <= b;
            case GT -> a > b;
            case GE -> a >= b;
            case EQ -> a == b;
            case NE -> a != b;
        };
    }

    public static boolean compare(Op.CmpKind k, long a, long b) {
        return switch (k) {
            case LT -> a < b;
            case LE -> a <= b;
            case GT -> a > b;
            case GE -> a >= b;
            case EQ -> a == b;
            case NE -> a != b;
        };
    }

    /** A float to an integer type: round by {@code r} (NaN is 0), then wrap or saturate. */
    public static long toInt(Elem to, double v, Op.Rounding r, Op.Overflow o) {
        if (Double.isNaN(v)) return 0;
        double rounded = switch (r) {
            case RNE -> Math.rint(v);
            case TRUNC -> v < 0 ? Math.ceil(v) : Math.floor(v);
            case FLOOR -> Math.floor(v);
        };
        long l = (long) rounded; // saturates at the i64 range
        return intToInt(to, l, o);
    }

    public static long intToInt(Elem to, long v, Op.Overflow o) {
        if (to == Elem.I1) return v != 0 ? 1 : 0;
        return o == Op.Overflow.SAT ? saturate(to, v) : wrap(to, v);
    }
}
