package qflash.gpu;

import java.util.ArrayList;
import java.util.List;
import jcuda.nvrtc.JNvrtc;
import jcuda.nvrtc.nvrtcProgram;

/** NVRTC through JCuda's JNvrtc: works where {@code libnvrtc.so.12} loads (CUDA 12 hosts). */
final class JcudaNvrtc implements Nvrtc {
    private final String version;

    private JcudaNvrtc(String version) {
        this.version = version;
    }

    static JcudaNvrtc load() {
        int[] major = {0}, minor = {0};
        JNvrtc.setExceptionsEnabled(true);
        JNvrtc.nvrtcVersion(major, minor);
        return new JcudaNvrtc(major[0] + "." + minor[0]);
    }

    @Override
    public String describe() {
        return "JCuda JNvrtc (NVRTC " + version + ")";
    }

    @Override
    public byte[] compileCubin(String source, String name, String arch, List<String> options) {
        nvrtcProgram prog = new nvrtcProgram();
        JNvrtc.nvrtcCreateProgram(prog, source, name, 0, null, null);
        try {
            List<String> all = new ArrayList<>(options);
            all.add("--gpu-architecture=" + arch);
            String[] log = {""};
            try {
                JNvrtc.nvrtcCompileProgram(prog, all.size(), all.toArray(String[]::new));
            } catch (RuntimeException e) {
                JNvrtc.nvrtcGetProgramLog(prog, log);
                throw new CompileError("NVRTC could not compile " + name + " for " + arch + ": " + e.getMessage(), log[0]);
            }
            long[] size = {0};
            JNvrtc.nvrtcGetCUBINSize(prog, size);
            byte[] bin = new byte[(int) size[0]];
            JNvrtc.nvrtcGetCUBIN(prog, bin);
            return bin;
        } finally {
            JNvrtc.nvrtcDestroyProgram(prog);
        }
    }
}
