package qflash.gpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * NVRTC through Java's foreign function API: the eight entry points qflash needs, bound by name from
 * {@code libnvrtc.so.N}. The library is found on the ordinary search path (LD_LIBRARY_PATH).
 */
final class FfmNvrtc implements Nvrtc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final java.lang.foreign.AddressLayout ADDR = ValueLayout.ADDRESS;

    private final String library;
    private final int major, minor;
    private final MethodHandle create, compile, logSize, log, cubinSize, cubin, destroy, errorString;

    private FfmNvrtc(String library, SymbolLookup lib) throws Throwable {
        this.library = library;
        MethodHandle version = bind(lib, "nvrtcVersion", FunctionDescriptor.of(INT, ADDR, ADDR));
        create = bind(lib, "nvrtcCreateProgram", FunctionDescriptor.of(INT, ADDR, ADDR, ADDR, INT, ADDR, ADDR));
        compile = bind(lib, "nvrtcCompileProgram", FunctionDescriptor.of(INT, ADDR, INT, ADDR));
        logSize = bind(lib, "nvrtcGetProgramLogSize", FunctionDescriptor.of(INT, ADDR, ADDR));
        log = bind(lib, "nvrtcGetProgramLog", FunctionDescriptor.of(INT, ADDR, ADDR));
        cubinSize = bind(lib, "nvrtcGetCUBINSize", FunctionDescriptor.of(INT, ADDR, ADDR));
        cubin = bind(lib, "nvrtcGetCUBIN", FunctionDescriptor.of(INT, ADDR, ADDR));
        destroy = bind(lib, "nvrtcDestroyProgram", FunctionDescriptor.of(INT, ADDR));
        errorString = bind(lib, "nvrtcGetErrorString", FunctionDescriptor.of(ADDR, INT));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ma = a.allocate(INT), mi = a.allocate(INT);
            check((int) version.invokeExact(ma, mi), "nvrtcVersion");
            major = ma.get(INT, 0);
            minor = mi.get(INT, 0);
        }
    }

    static FfmNvrtc load(String library) throws Throwable {
        // A global arena: the library stays loaded for the life of the process, as NVRTC expects.
        return new FfmNvrtc(library, SymbolLookup.libraryLookup(library, Arena.global()));
    }

    private static MethodHandle bind(SymbolLookup lib, String name, FunctionDescriptor d) {
        MemorySegment sym = lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name + " not found"));
        return LINKER.downcallHandle(sym, d);
    }

    private void check(int result, String call) throws Throwable {
        if (result != 0) {
            MemorySegment s = (MemorySegment) errorString.invokeExact(result);
            throw new IllegalStateException(call + " failed: " + s.reinterpret(256).getString(0));
        }
    }

    @Override
    public String describe() {
        return "FFM binding of " + library + " (NVRTC " + major + "." + minor + ")";
    }

    @Override
    public byte[] compileCubin(String source, String name, String arch, List<String> options) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment progPtr = a.allocate(ADDR);
            check((int) create.invokeExact(progPtr, a.allocateFrom(source), a.allocateFrom(name), 0, MemorySegment.NULL, MemorySegment.NULL),
                    "nvrtcCreateProgram");
            MemorySegment prog = progPtr.get(ADDR, 0);
            try {
                List<String> all = new ArrayList<>(options);
                all.add("--gpu-architecture=" + arch);
                MemorySegment opts = a.allocate(ADDR, all.size());
                for (int i = 0; i < all.size(); i++) opts.setAtIndex(ADDR, i, a.allocateFrom(all.get(i)));
                int rc = (int) compile.invokeExact(prog, all.size(), opts);
                MemorySegment n = a.allocate(ValueLayout.JAVA_LONG);
                check((int) logSize.invokeExact(prog, n), "nvrtcGetProgramLogSize");
                MemorySegment logBuf = a.allocate(Math.max(1, n.get(ValueLayout.JAVA_LONG, 0)));
                check((int) log.invokeExact(prog, logBuf), "nvrtcGetProgramLog");
                String text = logBuf.getString(0);
                if (rc != 0) {
                    MemorySegment s = (MemorySegment) errorString.invokeExact(rc);
                    throw new CompileError("NVRTC could not compile " + name + " for " + arch + ": " + s.reinterpret(256).getString(0), text);
                }
                check((int) cubinSize.invokeExact(prog, n), "nvrtcGetCUBINSize");
                MemorySegment bin = a.allocate(n.get(ValueLayout.JAVA_LONG, 0));
                check((int) cubin.invokeExact(prog, bin), "nvrtcGetCUBIN");
                return bin.toArray(ValueLayout.JAVA_BYTE);
            } finally {
                check((int) destroy.invokeExact(progPtr), "nvrtcDestroyProgram");
            }
        } catch (CompileError | IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("NVRTC call failed: " + t, t);
        }
    }
}
