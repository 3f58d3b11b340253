package qflash.interp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import qflash.ir.Elem;

/**
 * A dense row-major array of one element type: a tile, a scalar (rank 0) or a tensor. Integers live
 * in {@link #i}, floats in {@link #f}; the other is null.
 */
public final class Arr {
    public final int[] shape;
    public final Elem elem;
    public final double[] f;
    public final long[] i;

    public Arr(Elem elem, int... shape) {
        this.shape = shape.clone();
        this.elem = elem;
        int n = size(shape);
        this.f = elem.isInt ? null : new double[n];
        this.i = elem.isInt ? new long[n] : null;
    }

    public static int size(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("array of " + n + " elements is too large");
        return (int) n;
    }

    public int size() {
        return elem.isInt ? i.length : f.length;
    }

    public static Arr floats(Elem elem, double[] data, int... shape) {
        Arr a = new Arr(elem, shape);
        if (data.length != a.f.length) throw new IllegalArgumentException("data has " + data.length + " elements, shape " + Arrays.toString(shape) + " needs " + a.f.length);
        for (int k = 0; k < data.length; k++) a.f[k] = Arith.round(elem, data[k]);
        return a;
    }

    /** Element {@code k} as a double (integers converted). */
    public double get(int k) {
        return elem.isInt ? i[k] : f[k];
    }

    /** Bytes per element in the C layout a device (or the CPU emulation of one) holds the array in. */
    public static int bytes(Elem e) {
        return switch (e) {
            case I1, I8, U8 -> 1;
            case I16, F16 -> 2;
            case I32, F32 -> 4;
            case I64, F64 -> 8;
            case REAL -> throw new IllegalArgumentException("no C layout for 'real'");
        };
    }

    /** The elements in their C layout, little-endian: integers in their width, f16 as IEEE half bits, i1 as one byte 0 or 1. */
    public byte[] toBytes() {
        int n = size();
        ByteBuffer b = ByteBuffer.allocate(n * bytes(elem)).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < n; k++) {
            switch (elem) {
                case I1, I8, U8 -> b.put((byte) i[k]);
                case I16 -> b.putShort((short) i[k]);
                case F16 -> b.putShort(Float.floatToFloat16((float) f[k]));
                case I32 -> b.putInt((int) i[k]);
                case I64 -> b.putLong(i[k]);
                case F32 -> b.putFloat((float) f[k]);
                case F64 -> b.putDouble(f[k]);
                case REAL -> throw new IllegalArgumentException("no C layout for 'real'");
            }
        }
        return b.array();
    }

    /** {@link #toBytes}'s inverse: an array of {@code elem} and {@code shape} read from its C layout (any nonzero byte is a true i1). */
    public static Arr fromBytes(Elem elem, int[] shape, byte[] data) {
        Arr a = new Arr(elem, shape);
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0, n = a.size(); k < n; k++) {
            switch (elem) {
                case I1 -> a.i[k] = b.get() != 0 ? 1 : 0;
                case I8 -> a.i[k] = b.get();
                case U8 -> a.i[k] = b.get() & 0xff;
                case I16 -> a.i[k] = b.getShort();
                case F16 -> a.f[k] = Float.float16ToFloat(b.getShort());
                case I32 -> a.i[k] = b.getInt();
                case I64 -> a.i[k] = b.getLong();
                case F32 -> a.f[k] = b.getFloat();
                case F64 -> a.f[k] = b.getDouble();
                case REAL -> throw new IllegalArgumentException("no C layout for 'real'");
            }
        }
        return a;
    }

    @Override
    public String toString() {
        return elem + Arrays.toString(shape);
    }
}
