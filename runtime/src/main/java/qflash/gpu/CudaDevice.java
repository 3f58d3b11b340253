package qflash.gpu;

import static jcuda.driver.JCudaDriver.*;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * One CUDA device through JCuda's driver API: a context, cubin modules, memory and launches. Every
 * failure names what was being done (kernel, grid, block, shared memory) so a CUDA error is readable.
 */
public final class CudaDevice implements AutoCloseable {
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final String name;
    private final int major, minor, multiprocessors, sharedPerBlock;

    /** No usable GPU or driver: the caller prints one line and exits 3. */
    public static final class Unavailable extends RuntimeException {
        public Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    private CudaDevice(int ordinal) {
        cuDeviceGet(device, ordinal);
        byte[] n = new byte[256];
        cuDeviceGetName(n, n.length, device);
        name = new String(n).trim().replace("\0", "");
        int[] v = {0};
        cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        major = v[0];
        cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        minor = v[0];
        cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
        multiprocessors = v[0];
        cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, device);
        sharedPerBlock = v[0];
        cuCtxCreate(context, 0, device);
    }

    /** The first device, or {@link Unavailable} with the reason (no driver library, no device). */
    public static CudaDevice open() {
        try {
            JCudaDriver.setExceptionsEnabled(true);
            cuInit(0);
            int[] count = {0};
            cuDeviceGetCount(count);
            if (count[0] == 0) throw new Unavailable("no CUDA device found");
            return new CudaDevice(0);
        } catch (Unavailable u) {
            throw u;
        } catch (Throwable t) {
            String m = String.valueOf(t.getMessage()).lines().findFirst().orElse(t.toString());
            throw new Unavailable("no usable CUDA driver or device (" + m + ")");
        }
    }

    public String name() {
        return name;
    }

    /** The most shared memory one block may ask for (bytes, with the opt-in attribute set). */
    public int sharedPerBlock() {
        return sharedPerBlock;
    }

    /** The number of SMs (the prologue launches one block on each). */
    public int multiprocessors() {
        return multiprocessors;
    }

    /** The architecture to compile for: sm_90a on Hopper (its wgmma and TMA need the "a" target). */
    public String arch() {
        return "sm_" + major + minor + (major == 9 ? "a" : "");
    }

    /** Whether kernels can be launched as programmatic dependents (griddepcontrol: compute capability 9.0 on). */
    public boolean dependentLaunches() {
        return major >= 9;
    }

    /** What a schedule's {@code pdl = 1} gets on this device, in a line ({@code qflash doctor}). */
    public String dependentLaunch() {
        if (!dependentLaunches()) return "ordinary launches (pdl = 1 needs compute capability 9.0; the body's wait compiles to nothing here)";
        String why = DependentLaunch.unavailable();
        return why == null ? "programmatic dependent launches for pdl = 1 (cuLaunchKernelEx, FFM binding of libcuda.so.1)"
                : "no programmatic dependent launch: " + why + " (pdl = 1 is refused; use pdl = 0)";
    }

    /** Makes this device's context current on the calling thread (a driver context is per thread). */
    public void makeCurrent() {
        cuCtxSetCurrent(context);
    }

    public CUfunction load(byte[] cubin, String kernel) {
        return function(module(cubin), kernel);
    }

    public CUmodule module(byte[] cubin) {
        makeCurrent();
        CUmodule module = new CUmodule();
        cuModuleLoadData(module, cubin);
        return module;
    }

    public CUfunction function(CUmodule module, String kernel) {
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, module, kernel);
        return f;
    }

    public CUdeviceptr upload(float[] data) {
        CUdeviceptr p = new CUdeviceptr();
        cuMemAlloc(p, (long) data.length * Float.BYTES);
        cuMemcpyHtoD(p, Pointer.to(data), (long) data.length * Float.BYTES);
        return p;
    }

    public CUdeviceptr alloc(long bytes) {
        CUdeviceptr p = new CUdeviceptr();
        cuMemAlloc(p, bytes);
        return p;
    }

    public void download(CUdeviceptr from, float[] into) {
        cuMemcpyDtoH(Pointer.to(into), from, (long) into.length * Float.BYTES);
    }

    public void free(CUdeviceptr p) {
        cuMemFree(p);
    }

    /** Free and total device memory in bytes. */
    public long[] memory() {
        long[] free = {0}, total = {0};
        cuMemGetInfo(free, total);
        return new long[] {free[0], total[0]};
    }

    public void launch(CUfunction f, String kernel, int[] grid, int[] block, int sharedBytes, Pointer params) {
        try {
            cuLaunchKernel(f, grid[0], grid[1], grid[2], block[0], block[1], block[2], sharedBytes, null, params, null);
            cuCtxSynchronize();
        } catch (RuntimeException e) {
            throw new IllegalStateException("CUDA error in kernel " + kernel + " (grid " + grid[0] + "x" + grid[1] + "x" + grid[2]
                    + ", block " + block[0] + "x" + block[1] + "x" + block[2] + ", " + sharedBytes + " B shared): " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        cuCtxDestroy(context);
    }

    @Override
    public String toString() {
        return name + " (" + arch() + ")";
    }
}
