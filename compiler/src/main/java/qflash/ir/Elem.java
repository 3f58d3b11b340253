package qflash.ir;

/**
 * Element types of the tile IR. {@code real} is the number-system-free float the front end emits;
 * a precision pass replaces it (f64/f32 for float pipelines, integers for the integer ones), and the
 * verifier's lowered check rejects any {@code real} left before execution. {@code i1} holds masks.
 */
public enum Elem {
    I1("i1", 1, true, false),
    I8("i8", 8, true, true),
    U8("u8", 8, true, false),
    I16("i16", 16, true, true),
    I32("i32", 32, true, true),
    I64("i64", 64, true, true),
    F16("f16", 16, false, true),
    F32("f32", 32, false, true),
    F64("f64", 64, false, true),
    REAL("real", 0, false, true);

    public final String text;
    public final int bits;
    public final boolean isInt;
    public final boolean signed;

    Elem(String text, int bits, boolean isInt, boolean signed) {
        this.text = text;
        this.bits = bits;
        this.isInt = isInt;
        this.signed = signed;
    }

    public boolean isFloat() {
        return !isInt;
    }

    /** Smallest representable integer ({@code isInt} only). */
    public long min() {
        return this == I1 ? 0 : signed ? -(1L << (bits - 1)) : 0;
    }

    /** Largest representable integer ({@code isInt} only). */
    public long max() {
        return this == I1 ? 1 : bits == 64 ? Long.MAX_VALUE : signed ? (1L << (bits - 1)) - 1 : (1L << bits) - 1;
    }

    public static Elem parse(String s) {
        for (Elem e : values()) if (e.text.equals(s)) return e;
        return null;
    }

    @Override
    public String toString() {
        return text;
    }
}
