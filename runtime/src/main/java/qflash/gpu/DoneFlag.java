package qflash.gpu;

import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;
import static jcuda.driver.JCudaDriver.cuMemHostGetDevicePointer;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static jcuda.driver.JCudaDriver.cuStreamWriteValue32;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * How the host learns that a call's result is in device memory: a word of mapped (pinned, device-visible)
 * host memory that the call's graph sets after its last kernel, by a stream write ({@code cuStreamWriteValue32},
 * which fences like {@code __threadfence_system()} before it writes), and that the host spins on. The host
 * sees the word 0.5 µs sooner than {@code cuStreamSynchronize} returns for the same graph (H200, graphs of empty
 * kernels, {@code bench/harness/floor/}: two kernels 6.7 → 6.2 µs). Through JCuda the whole b = 1 calls moved by less
 * than their run-to-run noise (three rounds each, means of the medians: A1 15.4 → 14.8 µs, A3 17.2 → 16.9, A4 16.4 → 16.4, A7 12.1 → 12.4;
 * {@code bench/results/harness-s23-wait.txt}).
 * <p>
 * A wait spins for at most {@link #SPIN_NANOS} and then blocks in {@code cuStreamSynchronize}, so a long call does
 * not keep a core busy and a failed kernel (which never reaches the write) is reported by the driver as before.
 */
final class DoneFlag implements AutoCloseable {
    /** Longer calls than this are waited for by the driver; shorter ones by spinning on the word. */
    static final long SPIN_NANOS = 200_000;

    private static final VarHandle WORD = ValueLayout.JAVA_INT.varHandle();

    private final Pointer host = new Pointer();
    private final CUdeviceptr device = new CUdeviceptr();
    private final MemorySegment word;

    DoneFlag() {
        cuMemHostAlloc(host, 64, JCudaDriver.CU_MEMHOSTALLOC_DEVICEMAP | JCudaDriver.CU_MEMHOSTALLOC_PORTABLE);
        cuMemHostGetDevicePointer(device, host, 0);
        word = MemorySegment.ofBuffer(host.getByteBuffer(0, 64));
        WORD.setVolatile(word, 0L, 0);
    }

    /** Appends the write of the word to what {@code stream} (capturing a graph) has recorded so far. */
    void record(CUstream stream) {
        cuStreamWriteValue32(stream, device, 1, 0);
    }

    /** Clears the word; call it before each launch of the graph that sets it. */
    void clear() {
        WORD.setVolatile(word, 0L, 0);
    }

    /** Returns once the word is set (the graph's kernels are done and their writes visible), or the stream is idle. */
    void await(CUstream stream) {
        long start = System.nanoTime();
        while ((int) WORD.getAcquire(word, 0L) == 0) {
            if (System.nanoTime() - start > SPIN_NANOS) {
                cuStreamSynchronize(stream);
                return;
            }
            Thread.onSpinWait();
        }
    }

    @Override
    public void close() {
        cuMemFreeHost(host);
    }
}
