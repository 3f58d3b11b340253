package qflash.gpu;

import java.util.List;

/**
 * Run-time compilation of CUDA C to a cubin. Two implementations behind one interface, chosen when
 * loaded: JCuda's {@code JNvrtc} where {@code libnvrtc.so.12} loads (CUDA 12 hosts), and a small binding of
 * {@code libnvrtc.so.13} (or .12) written with Java's FFM API, for CUDA 13 hosts where JCuda 12.6's binding
 * cannot load. {@code qflash doctor} prints which one a host got.
 */
public interface Nvrtc {
    /** Which implementation and NVRTC version, e.g. "FFM binding of libnvrtc.so.13 (NVRTC 13.0)". */
    String describe();

    /** Compiles {@code source} for {@code arch} (e.g. "sm_90a"); a failure throws with NVRTC's log. */
    byte[] compileCubin(String source, String name, String arch, List<String> options);

    /** A compilation that failed: the log, as NVRTC wrote it. */
    final class CompileError extends RuntimeException {
        private final String log;

        public CompileError(String message, String log) {
            super(message + (log.isBlank() ? "" : "\n" + log), null, false, false);
            this.log = log;
        }

        public String log() {
            return log;
        }
    }

    /** No NVRTC could be loaded on this host. */
    final class Unavailable extends RuntimeException {
        public Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    /** The first implementation that loads: JNvrtc (CUDA 12), then the FFM binding (CUDA 13, 12). */
    static Nvrtc load() {
        StringBuilder why = new StringBuilder();
        try {
            return JcudaNvrtc.load();
        } catch (Throwable t) {
            why.append("JCuda JNvrtc: ").append(firstLine(t)).append("; ");
        }
        for (String lib : List.of("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so")) {
            try {
                return FfmNvrtc.load(lib);
            } catch (Throwable t) {
                why.append(lib).append(": ").append(firstLine(t)).append("; ");
            }
        }
        throw new Unavailable("no NVRTC could be loaded (" + why.toString().replaceAll("; $", "")
                + "); add the CUDA toolkit's targets/x86_64-linux/lib to LD_LIBRARY_PATH");
    }

    private static String firstLine(Throwable t) {
        String m = String.valueOf(t.getMessage());
        return m.lines().findFirst().orElse(t.getClass().getSimpleName());
    }
}
