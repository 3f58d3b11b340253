package qflash.interp;

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

    @Override
    public String toString() {
        return elem + Arrays.toString(shape);
    }
}
