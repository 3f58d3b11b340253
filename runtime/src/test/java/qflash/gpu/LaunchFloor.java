package qflash.gpu;

import static jcuda.driver.JCudaDriver.*;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import jcuda.driver.CUfunction;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUstream_flags;

/**
 * The Java side of {@code bench/harness/floor/floor.cu}: empty kernels launched from the JVM through the runtime's
 * own paths (JCuda's cuGraphLaunch and cuLaunchKernel, the FFM dependent launch, {@link DoneFlag}), so that what a
 * b = 1 call costs in launch and wait can be compared with the same from C++ in one run on one host. Not a test
 * (no GPU in CI); run on the GPU host: {@code java -cp LIBS:test-classes qflash.gpu.LaunchFloor [rounds]}.
 * <p>
 * Each variant is timed as the C++ harness times it (10,300 calls, the first 300 untimed) and also over calls
 * 10–110 only, which is what {@code qflash bench} took before it got its own call counts ({@code --call-warmup},
 * {@code --call-reps}): if the two differ, the JVM's warm-up (interpreted or C1 code on the call's path) is part of
 * such a number.
 */
public final class LaunchFloor {
    private static final String SOURCE = """
            extern "C" __global__ void first() { asm volatile("griddepcontrol.launch_dependents;" ::: "memory"); }
            extern "C" __global__ void second() { asm volatile("griddepcontrol.wait;" ::: "memory"); }
            """;

    private LaunchFloor() {}

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        try (CudaDevice dev = CudaDevice.open()) {
            byte[] cubin = Nvrtc.load().compileCubin(SOURCE, "floor.cu", dev.arch(), List.of());
            var module = dev.module(cubin);
            CUfunction first = dev.function(module, "first"), second = dev.function(module, "second");
            CUstream s = new CUstream();
            cuStreamCreate(s, CUstream_flags.CU_STREAM_NON_BLOCKING);
            DoneFlag flag = new DoneFlag();
            Runnable one = () -> cuLaunchKernel(first, 128, 1, 1, 128, 1, 1, 0, s, null, null);
            Runnable two = () -> {
                cuLaunchKernel(first, 128, 1, 1, 128, 1, 1, 0, s, null, null);
                DependentLaunch.launch(second, new int[] {84, 1, 1}, 128, 0, s, List.of());
            };
            System.out.println("# Java (JCuda driver API, FFM cuLaunchKernelEx, DoneFlag) on " + dev);
            for (int r = 0; r < rounds; r++) {
                System.out.println("# round " + r);
                time("one kernel, graph, sync", s, flag, one, true, false);
                time("one kernel, graph, memop flag", s, flag, one, true, true);
                time("two (PDL), graph, sync", s, flag, two, true, false);
                time("two (PDL), graph, memop flag", s, flag, two, true, true);
                time("one kernel, direct, memop flag", s, flag, one, false, true);
                time("two (PDL), direct, memop flag", s, flag, two, false, true);
                time("two (PDL), direct, sync", s, flag, two, false, false);
            }
            cuStreamSynchronize(s);
            flag.close();
            cuStreamDestroy(s);
        }
    }

    /** Launches {@code work} (as a graph captured once, or directly each time) and waits by the flag or by a stream sync. */
    private static void time(String label, CUstream s, DoneFlag flag, Runnable work, boolean graph, boolean byFlag) {
        CUgraphExec exec = null;
        CUgraph g = null;
        if (graph) {
            cuStreamBeginCapture(s, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
            work.run();
            if (byFlag) flag.record(s);
            g = new CUgraph();
            cuStreamEndCapture(s, g);
            exec = new CUgraphExec();
            cuGraphInstantiate(exec, g, 0);
        }
        int calls = 10_300;
        double[] t = new double[calls];
        for (int i = 0; i < calls; i++) {
            long t0 = System.nanoTime();
            if (byFlag) flag.clear();
            if (graph) cuGraphLaunch(exec, s);
            else {
                work.run();
                if (byFlag) flag.record(s);
            }
            if (byFlag) flag.await(s);
            else cuStreamSynchronize(s);
            t[i] = (System.nanoTime() - t0) / 1e3;
            if (byFlag) cuStreamSynchronize(s);   // untimed: the next call is stream-ordered after this one anyway
        }
        double[] bench = Arrays.copyOfRange(t, 10, 110), steady = Arrays.copyOfRange(t, 300, calls);
        Arrays.sort(bench);
        Arrays.sort(steady);
        System.out.printf(Locale.ROOT, "%-40s median %.2f us (p10 %.2f p90 %.2f); calls 10-110 median %.2f us%n", label,
                steady[steady.length / 2], steady[steady.length / 10], steady[steady.length * 9 / 10], bench[bench.length / 2]);
        if (graph) {
            cuGraphExecDestroy(exec);
            cuGraphDestroy(g);
        }
    }
}
