package qflash.gpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import java.util.List;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;

/**
 * A kernel launched as a programmatic dependent of the one before it on its stream (the schedule's
 * {@code pdl = 1}): {@code cuLaunchKernelEx} with {@code CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION},
 * bound from {@code libcuda.so.1} with Java's foreign function API, because JCuda 12.6 has no binding of
 * {@code cuLaunchKernelEx}. Recorded into a CUDA graph by stream capture, the launch becomes a programmatic
 * edge. JCuda keeps the handles (function, stream, device pointers) as private native words, read here once per
 * launch by reflection; the kernel's arguments are given as {@link Word}s, their values and sizes.
 */
final class DependentLaunch {
    /** One kernel argument as its bytes: a device pointer, or a scalar's bits ({@code bytes} 4 or 8). */
    record Word(long bits, int bytes) {}

    /** {@code CUlaunchAttributeID}: the dependent's stream order resolved by griddepcontrol, not by completion. */
    private static final int PROGRAMMATIC_STREAM_SERIALIZATION = 6;
    /** {@code sizeof(CUlaunchConfig)}: grid (3 x u32), block (3 x u32), shared bytes, then stream, attrs, numAttrs at 32, 40, 48. */
    private static final long CONFIG_BYTES = 56;
    /** {@code sizeof(CUlaunchAttribute)}: the id, padding to 8, then a 64-byte value union. */
    private static final long ATTRIBUTE_BYTES = 72;

    private static final MethodHandle LAUNCH;
    private static final String WHY_NOT;
    private static final Method NATIVE, OFFSET;

    static {
        MethodHandle h = null;
        String why = null;
        try {
            SymbolLookup cuda = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
            MemorySegment sym = cuda.find("cuLaunchKernelEx").orElseThrow(() -> new UnsatisfiedLinkError("cuLaunchKernelEx not in libcuda.so.1 (a driver before CUDA 12)"));
            h = Linker.nativeLinker().downcallHandle(sym, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        } catch (Throwable t) {
            why = t.getMessage();
        }
        LAUNCH = h;
        WHY_NOT = why;
        try {
            NATIVE = NativePointerObject.class.getDeclaredMethod("getNativePointer");
            NATIVE.setAccessible(true);
            OFFSET = Pointer.class.getDeclaredMethod("getByteOffset");
            OFFSET.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private DependentLaunch() {}

    /** Null when the dependent launch is available, else why not (no libcuda, or one without cuLaunchKernelEx). */
    static String unavailable() {
        return WHY_NOT;
    }

    /** The native word JCuda holds for a handle or device pointer (with a pointer's byte offset added). */
    static long address(NativePointerObject p) {
        try {
            long a = (long) NATIVE.invoke(p);
            return p instanceof Pointer q ? a + (long) OFFSET.invoke(q) : a;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read a JCuda handle: " + e, e);
        }
    }

    /** Launches {@code f} on {@code stream} as a programmatic dependent of the stream's previous kernel. */
    static void launch(CUfunction f, int[] grid, int threads, int smemBytes, CUstream stream, List<Word> args) {
        if (LAUNCH == null) throw new IllegalStateException("pdl = 1 needs cuLaunchKernelEx: " + WHY_NOT);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTRIBUTE_BYTES, 8);
            attr.set(ValueLayout.JAVA_INT, 0, PROGRAMMATIC_STREAM_SERIALIZATION);
            attr.set(ValueLayout.JAVA_INT, 8, 1);   // value.programmaticStreamSerializationAllowed
            MemorySegment cfg = a.allocate(CONFIG_BYTES, 8);
            for (int i = 0; i < 3; i++) cfg.set(ValueLayout.JAVA_INT, 4L * i, grid[i]);
            cfg.set(ValueLayout.JAVA_INT, 12, threads);
            cfg.set(ValueLayout.JAVA_INT, 16, 1);
            cfg.set(ValueLayout.JAVA_INT, 20, 1);
            cfg.set(ValueLayout.JAVA_INT, 24, smemBytes);
            cfg.set(ValueLayout.JAVA_LONG, 32, address(stream));
            cfg.set(ValueLayout.ADDRESS, 40, attr);
            cfg.set(ValueLayout.JAVA_INT, 48, 1);
            // kernelParams: one pointer per argument, to a slot holding its value (read by the driver during the call)
            MemorySegment slots = a.allocate(8L * Math.max(1, args.size()), 8), params = a.allocate(ValueLayout.ADDRESS, Math.max(1, args.size()));
            for (int i = 0; i < args.size(); i++) {
                Word w = args.get(i);
                MemorySegment slot = slots.asSlice(8L * i, 8);
                if (w.bytes() == 4) slot.set(ValueLayout.JAVA_INT, 0, (int) w.bits());
                else slot.set(ValueLayout.JAVA_LONG, 0, w.bits());
                params.setAtIndex(ValueLayout.ADDRESS, i, slot);
            }
            int rc = (int) LAUNCH.invokeExact(cfg, MemorySegment.ofAddress(address(f)), params, MemorySegment.NULL);
            if (rc != 0) throw new jcuda.CudaException("cuLaunchKernelEx (programmatic dependent launch) failed: " + CUresult.stringFor(rc));
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cuLaunchKernelEx failed: " + t, t);
        }
    }
}
