package qflash.gpu;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import static jcuda.driver.JCudaDriver.*;
import qflash.cuda.PrologueEmitter;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import qflash.cuda.CudaEmitter;
import qflash.cuda.CudaEmitter.Arg;
import qflash.interp.Arr;
import qflash.interp.Interpreter;
import qflash.ir.Kernel;

/**
 * Runs a lowered kernel's body on the GPU: emit CUDA C ({@link CudaEmitter}), compile it with NVRTC for
 * the device's own architecture (through the cubin cache), load it with the driver API and launch it
 * over the kernel's grid. The prologue (quantization and launch constants) runs either as GPU kernels in
 * a {@link Call}, or on the host through the interpreter ({@link #bind}, whose inputs are exactly the CPU's).
 */
public final class CudaBackend implements AutoCloseable {
    /** Options every kernel is compiled with: no contraction of a*b+c into fma, so float steps round as the IR says. */
    public static final List<String> NVRTC_OPTIONS = List.of("--fmad=false", "--std=c++17");

    private final CudaDevice device;
    private final Nvrtc nvrtc;
    private final CubinCache cache;

    private CudaBackend(CudaDevice device, Nvrtc nvrtc, CubinCache cache) {
        this.device = device;
        this.nvrtc = nvrtc;
        this.cache = cache;
    }

    /** The first GPU with NVRTC; {@link CudaDevice.Unavailable} or {@link Nvrtc.Unavailable} with one line why not. */
    public static CudaBackend open() {
        CudaDevice device = CudaDevice.open();
        try {
            return new CudaBackend(device, Nvrtc.load(), CubinCache.standard());
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /** The same device and NVRTC with another cubin cache (a cold one, to time compilation); close only the original. */
    public CudaBackend withCache(CubinCache other) {
        return new CudaBackend(device, nvrtc, other);
    }

    /** Where compiled kernels (and the autotuner's choices) are kept. */
    public CubinCache cache() {
        return cache;
    }

    public CudaDevice device() {
        return device;
    }

    public Nvrtc nvrtc() {
        return nvrtc;
    }

    /**
     * A kernel compiled and loaded for one head dimension: the body and, when the kernel has one, its
     * prologue as kernels ({@code prologueFns} in step order). {@code compileMillis} is NVRTC (or cache) time.
     */
    public record Compiled(Kernel kernel, CudaEmitter.CudaKernel code, CUfunction function, double compileMillis, boolean cacheHit,
                           PrologueEmitter.Program prologue, List<CUfunction> prologueFns) {}

    /** Emits, compiles (or finds in the cache) and loads {@code k} for head dimension {@code d}, inputs held as f32. */
    public Compiled compile(Kernel k, int d, String sourceFile) {
        return compile(k, d, sourceFile, Set.of());
    }

    /** As {@link #compile(Kernel, int, String)}; the prologue reads the tensors named in {@code halfInputs} as f16. */
    public Compiled compile(Kernel k, int d, String sourceFile, Set<String> halfInputs) {
        return compile(k, d, sourceFile, halfInputs, Set.of());
    }

    /** As above; the body stores the float outputs named in {@code halfOutputs} as f16. */
    public Compiled compile(Kernel k, int d, String sourceFile, Set<String> halfInputs, Set<String> halfOutputs) {
        return load(emit(k, d, sourceFile, halfInputs, halfOutputs), sourceFile);
    }

    /** A kernel emitted for one head dimension: the body's CUDA and, when the kernel has one, its prologue's. */
    public record Emitted(Kernel kernel, CudaEmitter.CudaKernel code, PrologueEmitter.Program prologue) {}

    /** Emits {@code k} for head dimension {@code d} (Java only: no NVRTC, no device work). */
    public static Emitted emit(Kernel k, int d, String sourceFile, Set<String> halfInputs, Set<String> halfOutputs) {
        CudaEmitter.CudaKernel code = CudaEmitter.emit(k, Map.of("D", d), sourceFile, halfOutputs);
        return new Emitted(k, code, k.hasPrologue() ? PrologueEmitter.emit(k, halfInputs, Map.of("D", d), code) : null);
    }

    /** Compiles (or finds in the cache) and loads an emitted kernel. */
    public Compiled load(Emitted e, String sourceFile) {
        CudaEmitter.CudaKernel code = e.code();
        PrologueEmitter.Program pro = e.prologue();
        long t0 = System.nanoTime();
        byte[] cubin = cache.cubin(nvrtc, code.source(), sourceFile, device.arch(), NVRTC_OPTIONS);
        boolean hit = cache.lastHit();
        byte[] proCubin = pro == null ? null : cache.cubin(nvrtc, pro.source(), sourceFile + ".prologue", device.arch(), NVRTC_OPTIONS);
        hit &= pro == null || cache.lastHit();   // a hit only when neither had to be compiled
        double ms = (System.nanoTime() - t0) / 1e6;
        CUfunction f = device.load(cubin, code.entry());
        if (code.smemBytes() > 48 * 1024) {
            cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, code.smemBytes());
        }
        List<CUfunction> fns = new ArrayList<>();
        if (pro != null) {
            CUmodule m = device.module(proCubin);
            for (PrologueEmitter.Step s : pro.steps()) fns.add(device.function(m, s.entry()));
        }
        return new Compiled(e.kernel(), code, f, ms, hit, pro, fns);
    }

    /**
     * Puts the cubins of several emitted kernels into the cache at once, NVRTC programs compiling side by side
     * on up to {@code threads} threads (they are independent; a tuning round's candidates would otherwise
     * compile one after another, seconds each); {@link #load} then finds them there.
     */
    public void precompile(List<Emitted> kernels, String sourceFile, int threads) {
        Map<String, String> sources = new LinkedHashMap<>();   // source -> name
        for (Emitted e : kernels) {
            sources.putIfAbsent(e.code().source(), sourceFile);
            if (e.prologue() != null) sources.putIfAbsent(e.prologue().source(), sourceFile + ".prologue");
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, Math.min(threads, sources.size())));
        try {
            List<java.util.concurrent.Future<byte[]>> done = new ArrayList<>();
            sources.forEach((src, name) -> done.add(pool.submit(() -> cache.cubin(nvrtc, src, name, device.arch(), NVRTC_OPTIONS))));
            for (var f : done) {
                try {
                    f.get();   // every compile finishes here, so none still runs beside load()'s own
                } catch (java.util.concurrent.ExecutionException e) {
                    // A compile error surfaces again, with its log, from load() on the calling thread.
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            pool.shutdown();
        }
    }

    /**
     * One attention call entirely on the device: the prologue kernel, then the body, with every
     * intermediate in device buffers allocated once here. Inputs and outputs are the caller's device
     * tensors, by parameter name (an optional one may be left out). Close it to free the buffers.
     */
    public final class Call implements AutoCloseable {
        private final Compiled c;
        private final List<DeviceTensor> owned = new ArrayList<>();
        private final Pointer proParams, bodyParams;
        /** The body's arguments as words, for a dependent launch ({@code pdl = 1}); null for an ordinary one. */
        private final List<DependentLaunch.Word> bodyWords;
        private final int[] grid;
        /** The prologue's launch: blocks, threads per block, dynamic shared memory (bytes). */
        private final int proBlocks, proThreads, proSmem;

        public Call(Compiled c, Map<String, DeviceTensor> tensors, Map<String, Double> scalars) {
            this.c = c;
            device.makeCurrent();
            Map<String, int[]> shapes = new HashMap<>();
            tensors.forEach((n, t) -> shapes.put(n, t.shape()));
            CallPlan plan = CallPlan.of(c.kernel(), c.code(), c.prologue(), shapes, scalars, new CallPlan.Device(device.multiprocessors(), device.sharedPerBlock()));
            Map<String, DeviceTensor> buffers = new HashMap<>();
            for (CallPlan.Alloc b : plan.buffers()) {
                DeviceTensor t = DeviceTensor.zeros(b.elem(), b.shape());
                owned.add(t);
                buffers.put(b.name(), t);
            }
            proParams = Pointer.to(plan.prologueArgs().stream().map(b -> argPointer(b, tensors, buffers)).toArray(Pointer[]::new));
            proBlocks = plan.blocks();
            proThreads = plan.threads();
            proSmem = plan.smem();
            if (proSmem > 48 * 1024) {
                for (CUfunction f : c.prologueFns()) cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, proSmem);
            }
            bodyParams = Pointer.to(plan.bodyArgs().stream().map(b -> argPointer(b, tensors, buffers)).toArray(Pointer[]::new));
            if (c.prologue() != null && PrologueEmitter.dependent(c.kernel()) && device.dependentLaunches()) {
                if (DependentLaunch.unavailable() != null) throw new IllegalStateException("pdl = 1: " + DependentLaunch.unavailable() + "; use pdl = 0");
                bodyWords = plan.bodyArgs().stream().map(b -> argWord(b, tensors, buffers)).toList();
            } else {
                bodyWords = null;   // without a prologue, or before sm_90 (where the body's wait compiles to nothing), an ordinary launch
            }
            grid = plan.grid();
        }

        /** A planned argument as cuLaunchKernel takes it: a pointer to its value. */
        private static Pointer argPointer(CallPlan.Binding b, Map<String, DeviceTensor> tensors, Map<String, DeviceTensor> buffers) {
            return switch (b) {
                case CallPlan.Binding.Tensor t -> Pointer.to((t.buffer() ? buffers : tensors).get(t.name()).pointer());
                case CallPlan.Binding.Absent x -> Pointer.to(new CUdeviceptr());
                case CallPlan.Binding.Value v -> Pointer.to(CallPlan.valueBytes(v.elem(), v.value()));
                case CallPlan.Binding.Symbol y -> Pointer.to(new int[] {y.value()});
            };
        }

        /** {@link #argPointer}'s argument as the word a dependent launch passes. */
        private static DependentLaunch.Word argWord(CallPlan.Binding b, Map<String, DeviceTensor> tensors, Map<String, DeviceTensor> buffers) {
            return switch (b) {
                case CallPlan.Binding.Tensor t -> new DependentLaunch.Word(DependentLaunch.address((t.buffer() ? buffers : tensors).get(t.name()).pointer()), 8);
                case CallPlan.Binding.Absent x -> new DependentLaunch.Word(0, 8);
                case CallPlan.Binding.Value v -> {
                    byte[] bytes = CallPlan.valueBytes(v.elem(), v.value());
                    long bits = 0;
                    for (int i = 0; i < bytes.length; i++) bits |= (bytes[i] & 0xffL) << (8 * i);
                    yield new DependentLaunch.Word(bits, bytes.length);
                }
                case CallPlan.Binding.Symbol y -> new DependentLaunch.Word(y.value(), 4);
            };
        }

        /** Issues every launch of the call on {@code stream}; returns without waiting. */
        private void issue(CUstream stream) {
            launchPrologue(stream);
            if (grid[0] > 0 && grid[1] > 0 && grid[2] > 0) {
                if (bodyWords != null && proBlocks > 0) DependentLaunch.launch(c.function(), grid, c.code().threads(), c.code().smemBytes(), stream, bodyWords);
                else cuLaunchKernel(c.function(), grid[0], grid[1], grid[2], c.code().threads(), 1, 1, c.code().smemBytes(), stream, bodyParams, null);
            }
        }

        /**
         * The call's launches recorded once as a CUDA graph, so that a call costs one launch from the host
         * (the argument marshalling of every kernel happens once, at capture).
         */
        private void capture() {
            if (exec != null) return;
            stream = new CUstream();
            cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
            done = new DoneFlag();   // not while capturing: an allocation is not a graph node
            cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
            issue(stream);
            done.record(stream);
            graph = new CUgraph();
            cuStreamEndCapture(stream, graph);
            exec = new CUgraphExec();
            cuGraphInstantiate(exec, graph, 0);
        }

        /** Starts one call (the captured graph) without waiting for it. */
        public void issue() {
            capture();
            done.clear();
            cuGraphLaunch(exec, stream);
        }

        /** Waits for the call last issued: until its graph has set the done flag (see {@link DoneFlag}). */
        private void await() {
            done.await(stream);
        }

        private CUstream stream;
        private DoneFlag done;
        private CUgraph graph;
        private CUgraphExec exec;

        /** Whether a whole call has run, so that the inputs a timing of one kernel reads are the call's. */
        private boolean ran;

        /** One call, unless one has run already (a timing of one kernel needs the values the call leaves). */
        private void runOnce() {
            if (!ran) run();
        }

        /** Median time in ms of the body kernel alone over {@code reps} launches, CUDA events, after {@code warmup}. */
        public double medianKernelMillis(int warmup, int reps) {
            return medianKernelMillis(warmup, reps, GRAPH_LAUNCHES);
        }

        /** As above with {@code launches} back to back per timed graph (see {@link #launchesFor}). */
        public double medianKernelMillis(int warmup, int reps, int launches) {
            runOnce();
            return medianBodyMillis(c, grid, bodyParams, warmup, reps, launches);
        }

        /**
         * A first look at the body's time in ms, for discarding slow schedules cheaply: one call, then the median of
         * three timed graphs of a single launch after an untimed one. Below the host's launch overhead it measures that overhead too, so
         * it ranks short kernels poorly; a schedule several times slower than the best still shows as such.
         */
        public double screenKernelMillis() {
            runOnce();
            return medianBodyMillis(c, grid, bodyParams, 1, 3, 1);
        }

        /** Median time in ms of the prologue kernel alone (CUDA events), NaN without a prologue. */
        public double medianPrologueMillis(int warmup, int reps) {
            if (c.prologueFns().isEmpty()) return Double.NaN;
            runOnce();
            return medianEventMillis(warmup, reps, GRAPH_LAUNCHES, this::launchPrologue);
        }

        /**
         * The prologue on {@code stream}: in the grid-wide form one block per SM, so that every block is
         * resident at once (its phases wait for each other at grid barriers); in the per-head form its blocks per head.
         */
        private void launchPrologue(CUstream stream) {
            if (proBlocks == 0) return;
            for (CUfunction f : c.prologueFns()) {
                cuLaunchKernel(f, proBlocks, 1, 1, proThreads, 1, 1, proSmem, stream, proParams, null);
            }
        }

        /** Median host wall time in ms of whole calls (issue every launch, wait for the result). */
        public double medianCallMillis(int warmup, int reps) {
            double[] t = new double[reps];
            for (int i = 0; i < warmup + reps; i++) {
                long t0 = System.nanoTime();
                issue();
                await();
                if (i >= warmup) t[i - warmup] = (System.nanoTime() - t0) / 1e6;
            }
            java.util.Arrays.sort(t);
            return t[reps / 2];
        }

        /** One call, waited for; a CUDA error names the kernel, grid, block and shared memory. */
        public void run() {
            try {
                issue();
                await();
                ran = true;
            } catch (RuntimeException e) {
                throw new IllegalStateException("CUDA error in a call of " + c.code().entry() + " (prologue " + proBlocks + "x" + proThreads + (proSmem > 0 ? " with " + proSmem + " B shared" : "") + ", body grid "
                        + grid[0] + "x" + grid[1] + "x" + grid[2] + ", block " + c.code().threads() + ", " + c.code().smemBytes() + " B shared): " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            if (exec != null) {
                cuStreamSynchronize(stream);   // a call seen done by its flag may still be retiring
                done.close();
                cuGraphExecDestroy(exec);
                cuGraphDestroy(graph);
                cuStreamDestroy(stream);
                exec = null;
            }
            owned.forEach(DeviceTensor::close);
        }
    }

    /** Median time of one launch of the body alone (see {@link #medianEventMillis}). */
    private static double medianBodyMillis(Compiled c, int[] grid, Pointer params, int warmup, int reps, int launches) {
        return medianEventMillis(warmup, reps, launches,
                s -> cuLaunchKernel(c.function(), grid[0], grid[1], grid[2], c.code().threads(), 1, 1, c.code().smemBytes(), s, params, null));
    }

    /**
     * Launches per timed CUDA graph. Timed one at a time, a launch shorter than the host's launch overhead
     * is measured with the gap before it (the GPU waits for the host): at small batches that gap, not the
     * kernel, was most of the time. Launched back to back from a graph, the launches queue on the GPU.
     */
    static final int GRAPH_LAUNCHES = 20;

    /** A timed graph this long (ms) leaves the gap before its first launch under a percent of it. */
    static final double GRAPH_MILLIS = 1.0;

    /**
     * Launches per timed graph for a kernel of about {@code millis} a launch: enough to fill {@link #GRAPH_MILLIS}, at most
     * {@link #GRAPH_LAUNCHES}. A 2 ms kernel (L3) needs one, not 20: its tuning timed each schedule 20x longer than it had to.
     */
    static int launchesFor(double millis) {
        if (!(millis > 0)) return GRAPH_LAUNCHES;
        return (int) Math.max(1, Math.min(GRAPH_LAUNCHES, Math.ceil(GRAPH_MILLIS / millis)));
    }

    /**
     * Median over {@code reps} timed CUDA graphs (after {@code warmup} untimed ones) of the time of one
     * {@code launch}: each graph holds {@code launches} of them back to back, timed with CUDA events.
     */
    private static double medianEventMillis(int warmup, int reps, int launches, java.util.function.Consumer<CUstream> launch) {
        CUstream s = new CUstream();
        cuStreamCreate(s, CUstream_flags.CU_STREAM_NON_BLOCKING);
        cuStreamBeginCapture(s, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
        for (int i = 0; i < launches; i++) launch.accept(s);
        CUgraph g = new CUgraph();
        cuStreamEndCapture(s, g);
        CUgraphExec e = new CUgraphExec();
        cuGraphInstantiate(e, g, 0);
        CUevent start = new CUevent(), stop = new CUevent();
        cuEventCreate(start, 0);
        cuEventCreate(stop, 0);
        double[] t = new double[reps];
        float[] ms = {0};
        try {
            for (int i = 0; i < warmup + reps; i++) {
                cuEventRecord(start, s);
                cuGraphLaunch(e, s);
                cuEventRecord(stop, s);
                cuEventSynchronize(stop);
                cuEventElapsedTime(ms, start, stop);
                if (i >= warmup) t[i - warmup] = ms[0] / launches;
            }
        } finally {
            cuEventDestroy(start);
            cuEventDestroy(stop);
            cuGraphExecDestroy(e);
            cuGraphDestroy(g);
            cuStreamDestroy(s);
        }
        java.util.Arrays.sort(t);
        return t[reps / 2];
    }

    /** A scalar argument by value, for {@link Launch}. */
    private static Pointer scalarPointer(qflash.ir.Elem e, double v) {
        return Pointer.to(CallPlan.valueBytes(e, v));
    }

    /** A launch bound to device tensors: launch it as often as wanted, then close it. */
    public final class Launch implements AutoCloseable {
        private final Compiled c;
        private final Map<String, DeviceTensor> tensors = new LinkedHashMap<>();
        private final Pointer params;
        private final int[] grid;

        private Launch(Compiled c, Map<String, Arr> args, Map<String, Integer> symbols) {
            this.c = c;
            if (c.prologue() != null && c.prologue().launch().perHead()) {
                // Its body folds the heads' partial maxima, which only the GPU prologue writes.
                throw new qflash.host.UserError("pro_blocks > 0: the body reads the per-head prologue's partials; run the whole call on the GPU (a Call), or use pro_blocks = 0");
            }
            List<Pointer> ps = new ArrayList<>();
            for (Arg a : c.code().args()) {
                switch (a.kind()) {
                    case TENSOR -> {
                        Arr v = args.get(a.name());
                        if (v != null && c.code().keyMajor().contains(a.name())) v = qflash.cuda.KeyMajor.of(v);   // as the GPU prologue writes it
                        if (v == null) {
                            Kernel.Param p = c.kernel().param(a.name());
                            if (p != null && p.derived()) {
                                // bind() computes every derived tensor, and the body reads them unguarded.
                                throw new IllegalStateException("no " + a.name() + " for the body: a derived tensor must be bound");
                            }
                            ps.add(Pointer.to(new CUdeviceptr()));   // an absent optional tensor: nullptr, reads as 0
                        } else {
                            DeviceTensor t = DeviceTensor.upload(v);
                            tensors.put(a.name(), t);
                            ps.add(Pointer.to(t.pointer()));
                        }
                    }
                    case SCALAR_REF -> {
                        DeviceTensor t = DeviceTensor.upload(args.get(a.name()));
                        tensors.put(a.name(), t);
                        ps.add(Pointer.to(t.pointer()));
                    }
                    case SCALAR -> ps.add(scalarPointer(a.elem(), args.get(a.name()).get(0)));
                    case SYMBOL -> ps.add(Pointer.to(new int[] {symbols.get(a.name())}));
                }
            }
            params = Pointer.to(ps.toArray(Pointer[]::new));
            grid = CallPlan.grid(c.kernel(), symbols);
        }

        /** One launch, waited for. */
        public void run() {
            if (grid[0] == 0 || grid[1] == 0 || grid[2] == 0) return;
            device.launch(c.function(), c.code().entry(), grid, new int[] {c.code().threads(), 1, 1}, c.code().smemBytes(), params);
        }

        public Arr download(String tensor) {
            return tensors.get(tensor).download();
        }

        public DeviceTensor tensor(String name) {
            return tensors.get(name);
        }

        @Override
        public void close() {
            tensors.values().forEach(DeviceTensor::close);
        }
    }

    /** Binds a launch: runs the prologue on the host, uploads every argument the kernel reads. */
    public Launch bind(Compiled c, Map<String, Arr> tensors, Map<String, Double> scalars) {
        device.makeCurrent();
        // What the body takes: the tensors and scalars given plus every derived parameter, from the interpreter's prologue.
        Map<String, Arr> args = Interpreter.launchArguments(c.kernel(), tensors, scalars);
        Map<String, Integer> symbols = Interpreter.bindShapes(c.kernel(), tensors);
        return new Launch(c, args, symbols);
    }

    /** Runs once and returns every output tensor, by name. */
    public Map<String, Arr> run(Compiled c, Map<String, Arr> tensors, Map<String, Double> scalars) {
        try (Launch l = bind(c, tensors, scalars)) {
            l.run();
            Map<String, Arr> out = new HashMap<>();
            for (Kernel.Param p : c.kernel().params()) if (p.out() && l.tensor(p.name()) != null) out.put(p.name(), l.download(p.name()));
            return out;
        }
    }

    @Override
    public void close() {
        device.close();
    }
}
