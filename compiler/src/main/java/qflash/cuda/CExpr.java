package qflash.cuda;

import java.util.List;
import qflash.ir.Elem;
import qflash.ir.Op;

/**
 * The C of each scalar IR operation, following {@code qflash.interp.Arith} operation for operation
 * (wrapping integer arithmetic through the prelude's helpers, exact hexadecimal float literals), and
 * the names and C types both emitters share. One place, so the body kernel and the prologue kernels
 * cannot disagree with each other or with the interpreter.
 */
final class CExpr {
    private CExpr() {}

    /** The C of one elementwise op on operand expressions, following {@code qflash.interp.Arith}. */
    static String op(Op op, List<String> a) {
        return op(op, a, false);
    }

    /**
     * As {@link #op(Op, List)}; {@code narrowOperands} says both operands of an i64 product are
     * sign-extended 32-bit values, whose exact product a single widening multiply gives (no wrap possible),
     * or that the count of a shift of 32 bits or fewer is in [0, 31], where C's shift is the IR's.
     */
    static String op(Op op, List<String> a, boolean narrowOperands) {
        return switch (op) {
            case Op.Unary u -> unary(u, a.getFirst());
            case Op.Binary b when narrowOperands && b.kind() == Op.BinKind.MUL && b.result().type().elem() == Elem.I64 ->
                    "qf_mul_wide((int)(" + a.get(0) + "), (int)(" + a.get(1) + "))";
            case Op.Binary b when narrowOperands && b.result().type().elem().bits <= 32
                    && (b.kind() == Op.BinKind.SHR || b.kind() == Op.BinKind.SHL) ->
                    "(" + ctype(b.result().type().elem()) + ")(" + (b.kind() == Op.BinKind.SHR ? a.get(0) + " >> " : "(u32)(" + a.get(0) + ") << ") + a.get(1) + ")";
            case Op.Binary b -> binary(b, a.get(0), a.get(1));
            case Op.Cmp c -> "(" + a.get(0) + " " + switch (c.kind()) {
                case LT -> "<"; case LE -> "<="; case GT -> ">"; case GE -> ">="; case EQ -> "=="; case NE -> "!=";
            } + " " + a.get(1) + ")";
            case Op.Select s -> "(" + a.get(0) + " ? " + a.get(1) + " : " + a.get(2) + ")";
            case Op.Convert c -> convert(c, a.getFirst());
            default -> throw new IllegalStateException("not elementwise: " + op);
        };
    }

    static String unary(Op.Unary u, String a) {
        Elem e = u.result().type().elem();
        String t = ctype(e);
        if (e == Elem.F16) throw new CudaEmitter.Unsupported(u + ": arithmetic on f16 (convert to f32 first)");
        return switch (u.kind()) {
            case NEG -> e.isInt ? "qf_neg_" + t + "(" + a + ")" : "(-" + a + ")";
            case NOT -> e == Elem.I1 ? "(!" + a + ")" : "(" + t + ")(~" + a + ")";
            case ABS -> e.isInt ? "(" + a + " < 0 ? qf_neg_" + t + "(" + a + ") : " + a + ")" : (e == Elem.F64 ? "fabs(" : "fabsf(") + a + ")";
            case EXP2 -> (e == Elem.F64 ? "exp2(" : "exp2f(") + a + ")";
            case EXP -> (e == Elem.F64 ? "exp(" : "expf(") + a + ")";
            case SQRT -> (e == Elem.F64 ? "sqrt(" : "sqrtf(") + a + ")";
            case RSQRT -> "(" + t + ")(1.0 / sqrt((double)" + a + "))";
        };
    }

    static String binary(Op.Binary b, String x, String y) {
        Elem e = b.result().type().elem();
        String t = ctype(e);
        if (e == Elem.F16) throw new CudaEmitter.Unsupported(b + ": arithmetic on f16 (convert to f32 first)");
        if (!e.isInt) {
            boolean d = e == Elem.F64;
            return switch (b.kind()) {
                case ADD -> "(" + x + " + " + y + ")";
                case SUB -> "(" + x + " - " + y + ")";
                case MUL -> "(" + x + " * " + y + ")";
                case DIV -> "(" + x + " / " + y + ")";
                case MIN -> (d ? "fmin(" : "fminf(") + x + ", " + y + ")";
                case MAX -> (d ? "fmax(" : "fmaxf(") + x + ", " + y + ")";
                default -> throw new CudaEmitter.Unsupported(b + " on a float");
            };
        }
        if (e == Elem.I1) {
            return switch (b.kind()) {
                case AND -> "(" + x + " && " + y + ")";
                case OR -> "(" + x + " || " + y + ")";
                case XOR, ADD, SUB -> "(" + x + " != " + y + ")";
                case MUL, MIN -> "(" + x + " && " + y + ")";
                case MAX -> "(" + x + " || " + y + ")";
                default -> throw new CudaEmitter.Unsupported(b + " on i1");
            };
        }
        boolean wide = e == Elem.I64;
        return switch (b.kind()) {
            case ADD -> "qf_add_" + t + "(" + x + ", " + y + ")";
            case SUB -> "qf_sub_" + t + "(" + x + ", " + y + ")";
            case MUL -> "qf_mul_" + t + "(" + x + ", " + y + ")";
            case DIV -> "(" + t + ")qf_div64(" + x + ", " + y + ")";
            case FLOORDIV -> "(" + t + ")qf_floordiv64(" + x + ", " + y + ")";
            case REM -> "(" + t + ")qf_rem64(" + x + ", " + y + ")";
            case MIN -> "(" + t + ")min(" + x + ", " + y + ")";
            case MAX -> "(" + t + ")max(" + x + ", " + y + ")";
            case SHL -> wide ? "qf_shl_i64(" + x + ", " + y + ")" : "(" + t + ")qf_shl_int(" + x + ", " + y + ")";
            case SHR -> wide ? "qf_shr_i64(" + x + ", " + y + ")" : "(" + t + ")qf_shr_int(" + x + ", " + y + ")";
            case AND -> "(" + t + ")(" + x + " & " + y + ")";
            case OR -> "(" + t + ")(" + x + " | " + y + ")";
            case XOR -> "(" + t + ")(" + x + " ^ " + y + ")";
        };
    }

    static String convert(Op.Convert c, String a) {
        Elem from = c.a().type().elem(), to = c.result().type().elem();
        String t = ctype(to);
        if (to.isInt) {
            String wide = from.isInt ? "(i64)(" + a + ")"
                    : "qf_f2ll_" + c.rounding().name().toLowerCase() + "(" + (from == Elem.F16 ? "qf_h2f(" + a + ")" : a) + ")";
            if (to == Elem.I1) return "(" + wide + " != 0)";
            if (to == Elem.I64) return wide;
            if (from.isInt && from != Elem.I1 && from.min() >= to.min() && from.max() <= to.max()) return "(" + t + ")(" + a + ")";
            if (from.isInt && from.bits <= 32 && c.overflow() == Op.Overflow.SAT && to.min() == 0 && to.max() <= Integer.MAX_VALUE) {
                return "(" + t + ")" + clamp0("(int)(" + a + ")", (long) to.max());
            }
            if (from.isInt && from.bits <= 32 && c.overflow() == Op.Overflow.SAT) {
                // A 32-bit clamp: the source fits an int, so no 64-bit compare is needed.
                return "(" + t + ")min(max((int)(" + a + "), " + literal(Elem.I32, to.min()) + "), " + literal(Elem.I32, to.max()) + ")";
            }
            if (from == Elem.I64 && to == Elem.I32 && c.overflow() == Op.Overflow.SAT) return "qf_sat_i32(" + a + ")";
            return c.overflow() == Op.Overflow.SAT
                    ? "(" + t + ")qf_sat(" + wide + ", " + to.min() + "LL, " + to.max() + "LL)"
                    : "(" + t + ")(" + wide + ")";
        }
        String f32 = from.isInt ? "(float)(" + a + ")" : from == Elem.F16 ? "qf_h2f(" + a + ")" : "(float)(" + a + ")";
        return switch (to) {
            case F16 -> "qf_f2h(" + f32 + ")";
            case F32 -> f32;
            case F64 -> from == Elem.F16 ? "(double)qf_h2f(" + a + ")" : "(double)(" + a + ")";
            default -> throw new CudaEmitter.Unsupported(c + ": no C type for " + to.text);
        };
    }

    /** {@code a >> n} for an i32 {@code a} and a count {@code n >= 0} of any size (the prelude's {@code qf_shr_nonneg}). */
    static String shrNonNegative(String a, String n) {
        return "qf_shr_nonneg(" + a + ", " + n + ")";
    }

    /** {@code x} clamped into [0, hi] (hi >= 0): one instruction where min and max would be two. */
    static String clamp0(String x, long hi) {
        return "qf_clamp0(" + x + ", " + hi + ")";
    }

    static String ident(String s) {
        return s.replaceAll("[^A-Za-z0-9_]", "_");
    }

    static String tensorName(String param) {
        return "p_" + ident(param);
    }

    static String scalarName(String param) {
        return "s_" + ident(param);
    }

    static String refName(String param) {
        return "r_" + ident(param);
    }

    static String symbolName(String sym) {
        return "n_" + ident(sym);
    }

    static String ctype(Elem e) {
        return switch (e) {
            case I1 -> "bool";
            case I8 -> "i8";
            case U8 -> "u8";
            case I16 -> "short";
            case I32 -> "int";
            case I64 -> "i64";
            case F16 -> "f16";
            case F32 -> "float";
            case F64 -> "double";
            case REAL -> throw new CudaEmitter.Unsupported("the kernel still has 'real' values: run a pipeline that sets a precision");
        };
    }

    static int bytes(Elem e) {
        return switch (e) {
            case I8, U8 -> 1;
            case F16, I16 -> 2;
            default -> throw new CudaEmitter.Unsupported("tiles of " + e.text + " cannot feed tensor cores");
        };
    }

    static int kWidth(Elem e) {
        return e == Elem.F16 ? 16 : 32;
    }

    static int roundUp(int x, int m) {
        return (x + m - 1) / m * m;
    }

    /** An exact C literal of {@code e}: integers in decimal, floats in hexadecimal. */
    static String literal(Elem e, double v) {
        return switch (e) {
            case I1 -> v != 0 ? "true" : "false";
            case I8, U8, I16 -> "(" + ctype(e) + ")" + (long) v;
            case I32 -> (long) v == Integer.MIN_VALUE ? "(-2147483647 - 1)" : Long.toString((long) v);
            case I64 -> (long) v == Long.MIN_VALUE ? "(-9223372036854775807LL - 1)" : (long) v + "LL";
            case F32, F16 -> {
                float f = (float) v;
                String lit = Float.isNaN(f) ? "__int_as_float(0x7fc00000)" : Float.isInfinite(f) ? (f > 0 ? "qf_inf()" : "(-qf_inf())")
                        : "(" + Float.toHexString(f) + "f)";
                yield e == Elem.F16 ? "qf_f2h(" + lit + ")" : lit;
            }
            case F64 -> Double.isNaN(v) ? "__longlong_as_double(0x7ff8000000000000LL)" : Double.isInfinite(v) ? (v > 0 ? "(double)qf_inf()" : "(-(double)qf_inf())")
                    : "(" + Double.toHexString(v) + ")";
            case REAL -> throw new CudaEmitter.Unsupported("'real' literal: run a pipeline that sets a precision");
        };
    }
}
