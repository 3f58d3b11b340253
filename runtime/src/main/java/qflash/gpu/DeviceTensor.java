package qflash.gpu;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD8;

import java.util.Arrays;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import qflash.interp.Arr;
import qflash.ir.Elem;

/**
 * A dense row-major array in device memory, holding elements of one IR type in their C layout
 * (f16 as IEEE half bits). Upload from and download to the interpreter's {@link Arr}, so a CPU result
 * and a GPU result compare element for element.
 */
public final class DeviceTensor implements AutoCloseable {
    private final CUdeviceptr ptr;
    private final Elem elem;
    private final int[] shape;
    private final long count;
    private boolean freed;

    private DeviceTensor(Elem elem, int[] shape) {
        this.elem = elem;
        this.shape = shape.clone();
        long n = 1;
        for (int d : shape) n *= d;
        this.count = n;
        this.ptr = new CUdeviceptr();
        cuMemAlloc(ptr, Math.max(16, n * bytes(elem)));
    }

    /** Zero-filled storage. */
    public static DeviceTensor zeros(Elem elem, int... shape) {
        DeviceTensor t = new DeviceTensor(elem, shape);
        cuMemsetD8(t.ptr, (byte) 0, Math.max(16, t.count * bytes(elem)));
        return t;
    }

    public static DeviceTensor upload(Arr a) {
        DeviceTensor t = new DeviceTensor(a.elem, a.shape);
        long b = t.count * bytes(a.elem);
        if (b > 0) cuMemcpyHtoD(t.ptr, hostPointer(a), b);
        return t;
    }

    /** The contents as an interpreter array. */
    public Arr download() {
        Arr a = new Arr(elem, shape);
        long b = count * bytes(elem);
        if (b == 0) return a;
        int n = (int) count;
        switch (elem) {
            case I1, I8, U8 -> {
                byte[] h = new byte[n];
                cuMemcpyDtoH(Pointer.to(h), ptr, b);
                for (int i = 0; i < n; i++) a.i[i] = elem == Elem.U8 ? h[i] & 0xff : elem == Elem.I1 ? (h[i] != 0 ? 1 : 0) : h[i];
            }
            case I16, F16 -> {
                short[] h = new short[n];
                cuMemcpyDtoH(Pointer.to(h), ptr, b);
                for (int i = 0; i < n; i++) {
                    if (elem == Elem.I16) a.i[i] = h[i];
                    else a.f[i] = Float.float16ToFloat(h[i]);
                }
            }
            case I32 -> {
                int[] h = new int[n];
                cuMemcpyDtoH(Pointer.to(h), ptr, b);
                for (int i = 0; i < n; i++) a.i[i] = h[i];
            }
            case I64 -> cuMemcpyDtoH(Pointer.to(a.i), ptr, b);
            case F32 -> {
                float[] h = new float[n];
                cuMemcpyDtoH(Pointer.to(h), ptr, b);
                for (int i = 0; i < n; i++) a.f[i] = h[i];
            }
            case F64 -> cuMemcpyDtoH(Pointer.to(a.f), ptr, b);
            case REAL -> throw new IllegalArgumentException("no device layout for 'real'");
        }
        return a;
    }

    public CUdeviceptr pointer() {
        return ptr;
    }

    public Elem elem() {
        return elem;
    }

    public int[] shape() {
        return shape.clone();
    }

    @Override
    public void close() {
        if (freed) return;
        freed = true;
        cuMemFree(ptr);
    }

    @Override
    public String toString() {
        return elem.text + Arrays.toString(shape) + " on the device";
    }

    static int bytes(Elem e) {
        return switch (e) {
            case I1, I8, U8 -> 1;
            case I16, F16 -> 2;
            case I32, F32 -> 4;
            case I64, F64 -> 8;
            case REAL -> throw new IllegalArgumentException("no device layout for 'real'");
        };
    }

    private static Pointer hostPointer(Arr a) {
        int n = a.size();
        return switch (a.elem) {
            case I1, I8, U8 -> {
                byte[] h = new byte[n];
                for (int i = 0; i < n; i++) h[i] = (byte) a.i[i];
                yield Pointer.to(h);
            }
            case I16 -> {
                short[] h = new short[n];
                for (int i = 0; i < n; i++) h[i] = (short) a.i[i];
                yield Pointer.to(h);
            }
            case F16 -> {
                short[] h = new short[n];
                for (int i = 0; i < n; i++) h[i] = Float.floatToFloat16((float) a.f[i]);
                yield Pointer.to(h);
            }
            case I32 -> {
                int[] h = new int[n];
                for (int i = 0; i < n; i++) h[i] = (int) a.i[i];
                yield Pointer.to(h);
            }
            case I64 -> Pointer.to(a.i);
            case F32 -> {
                float[] h = new float[n];
                for (int i = 0; i < n; i++) h[i] = (float) a.f[i];
                yield Pointer.to(h);
            }
            case F64 -> Pointer.to(a.f);
            case REAL -> throw new IllegalArgumentException("no device layout for 'real'");
        };
    }
}
