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
        byte[] h = a.toBytes();
        if (h.length > 0) cuMemcpyHtoD(t.ptr, Pointer.to(h), h.length);
        return t;
    }

    /** The contents as an interpreter array. */
    public Arr download() {
        byte[] h = new byte[(int) (count * bytes(elem))];
        if (h.length > 0) cuMemcpyDtoH(Pointer.to(h), ptr, h.length);
        return Arr.fromBytes(elem, shape, h);
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
        return Arr.bytes(e);
    }
}
