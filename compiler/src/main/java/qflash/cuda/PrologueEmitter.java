package qflash.cuda;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import qflash.cuda.CudaEmitter.Arg;
import qflash.cuda.Model.Stmt;
import qflash.ir.Dim;
import qflash.ir.Elem;
import qflash.ir.Kernel;
import qflash.ir.Op;
import qflash.ir.Value;
import qflash.ir.Verifier;

/**
 * The kernel's prologue (quantization, K centring, scale reductions, launch constants) as one CUDA
 * kernel, so that one call goes from float tensors to the output on the GPU with two launches. Each
 * whole-tensor op becomes a part spread over the grid. A quantization whose groups are runs of
 * consecutive elements (a token, a block of tokens) is one part, a warp per group; one with strided
 * groups is an amax part (for columns such as V's channels a thread per column or a block per column
 * group, otherwise an atomic max on the float's bits; exact and order-free either way), then quantize
 * and scale parts. A centring sums each column in increasing order, as the interpreter does; a
 * max reduction folds a line per warp, and a chain of them down to a scalar is one grid-wide max;
 * consecutive elementwise ops of one shape share a part; scalar work is inlined where it is used.
 * Parts run in phases: a part goes in the first phase after every part whose buffers it reads or
 * writes (or that reads what it writes), and phases are separated by a grid-wide barrier: with D fixed,
 * the int8 prologue is 7 parts in 3 phases (it was 24 kernels). The values equal the interpreter's bit for
 * bit (same operations in the same order, IEEE f32 with no contraction). Element indices are 32-bit
 * (the runtime refuses a tensor of 2^31 elements or more): 64-bit division made the index arithmetic
 * cost more than the attention at large batches.
 */
public final class PrologueEmitter {
    /** A device buffer for one prologue value: its element type and shape (symbols bound at run time). */
    public record Buffer(String name, Elem elem, List<Dim> shape, boolean keyMajor) {
        Buffer(String name, Elem elem, List<Dim> shape) {
            this(name, elem, shape, false);
        }

        /** The buffer's size with its symbols bound: the shape, or for a key-major buffer [..., D, N16] (see {@link KeyMajor}). */
        public int[] allocated(java.util.function.ToIntFunction<Dim> size) {
            int[] s = new int[shape.size()];
            for (int i = 0; i < s.length; i++) s[i] = size.applyAsInt(shape.get(i));
            return keyMajor ? KeyMajor.shape(s) : s;
        }
    }

    /**
     * One launch: the kernel's entry, launched with one block of {@link #THREADS} threads per SM (all
     * resident at once, as its grid barriers need), and what it does.
     */
    public record Step(String entry, String what) {}

    /**
     * The schedule tunable that picks the prologue's form: prologue blocks per head for each staged input
     * ({@link HeadPrologue}), 0 for the grid-wide form below.
     */
    public static final String TUNABLE = "pro_blocks";

    /**
     * The schedule tunable that makes the body a programmatic dependent launch of the prologue (1; 0, or not
     * declared: an ordinary launch after it). The prologue then ends with {@code qf_pdl_trigger()}, the body
     * starts with {@code qf_pdl_wait()} (templates/qflash/cuda/prelude.cuh), and the runtime launches the body
     * with the attribute that lets its blocks start early. A launch choice, so the tuner times calls with both.
     */
    public static final String DEPENDENT = "pdl";

    /** Whether {@code k}'s schedule asks for the dependent launch ({@link #DEPENDENT} = 1). */
    public static boolean dependent(Kernel k) {
        long v = k.schedule().getOrDefault(DEPENDENT, 0L);
        if (v != 0 && v != 1) throw new CudaEmitter.Unsupported(DEPENDENT + " = " + v + ": 0 (the body launched after the prologue) or 1 (a programmatic dependent launch)");
        return v == 1;
    }

    /** The prologue's last statements under {@link #dependent}: every block lets the body's launch begin. */
    static List<Stmt> trigger(Kernel k) {
        if (!dependent(k)) return List.of();
        return List.of(new Model.Comment(DEPENDENT + " = 1: this block is done; the body, launched as a dependent, may start setting up (it waits for the whole prologue)"),
                new Model.ExprStmt("qf_pdl_trigger()"));
    }

    /** Threads per block of the prologue kernel (one block per SM). */
    public static final int THREADS = 1024;

    /** The most elements a prologue tensor may have: indices are 32-bit, and a grid loop steps past the end by at most a grid. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - (1L << 22);

    /** The two counters of the grid barrier (zeroed once when allocated; every barrier leaves them so). */
    public static final String BARRIER = "b_qf_barrier";

    /**
     * The prologue program. {@code args} is the prologue kernel's parameter list: the kernel's own tensor and
     * scalar parameters, then the buffers (by buffer name), then the shape symbols. {@code derived} maps
     * each derived parameter of the kernel to the buffer that holds it after the steps ran.
     */
    public record Program(String source, List<Step> steps, List<Buffer> buffers, List<Arg> args, Map<String, String> derived, Launch launch) {}

    /**
     * How the prologue kernel is launched. {@code blocksPerHead} 0: one block of {@code threads} per SM, all
     * resident (the grid-wide form and its barriers). Else {@code blocksPerHead} blocks for each element of
     * {@code heads} (the per-head form, {@link HeadPrologue}), each with {@code smemFloats(size)} floats of
     * dynamic shared memory: the product of {@code slab} plus that of {@code extra}.
     */
    public record Launch(int threads, int blocksPerHead, List<Dim> heads, List<Dim> slab, List<Dim> extra) {
        /** The grid-wide form. */
        static Launch grid() {
            return new Launch(THREADS, 0, List.of(), List.of(), List.of());
        }

        public boolean perHead() {
            return blocksPerHead > 0;
        }

        public long blocks(java.util.function.ToIntFunction<Dim> size) {
            return blocksPerHead * product(heads, size);
        }

        public long smemBytes(java.util.function.ToIntFunction<Dim> size) {
            return perHead() ? 4 * (product(slab, size) + product(extra, size)) : 0;
        }

        private static long product(List<Dim> dims, java.util.function.ToIntFunction<Dim> size) {
            long p = 1;
            for (Dim d : dims) p *= size.applyAsInt(d);
            return p;
        }
    }

    /**
     * Emits {@code k}'s prologue. {@code halfInputs} names float tensor parameters that the caller
     * holds as f16 (they are widened on read; an f16 value is exact in f32, so nothing changes).
     */
    public static Program emit(Kernel k, Set<String> halfInputs) {
        return emit(k, halfInputs, Map.of());
    }

    /** As {@link #emit(Kernel, Set)}, with shape symbols fixed at compile time (the body's D, say): their divisions become shifts. */
    public static Program emit(Kernel k, Set<String> halfInputs, Map<String, Integer> fixed) {
        return emit(k, halfInputs, fixed, Set.of());
    }

    /**
     * As above, writing the derived tensors named in {@code keyMajor} (the body's {@link CudaEmitter.CudaKernel#keyMajor()})
     * in the {@link KeyMajor} layout.
     */
    public static Program emit(Kernel k, Set<String> halfInputs, Map<String, Integer> fixed, Set<String> keyMajor) {
        Verifier.verifyLowered(k);
        if (HeadPrologue.blocks(k) > 0) return HeadPrologue.program(k, halfInputs, fixed, keyMajor);
        return new PrologueEmitter(k, halfInputs, fixed, keyMajor).run();
    }

    /** The prologue for the body {@code body} emitted from {@code k}: its key-major tensors written so. */
    public static Program emit(Kernel k, Set<String> halfInputs, Map<String, Integer> fixed, CudaEmitter.CudaKernel body) {
        return emit(k, halfInputs, fixed, body.keyMajor());
    }

    private final Kernel k;
    private final Set<String> halfInputs;
    private final Map<Value, String> exprs = new IdentityHashMap<>();      // scalars: inline C expressions
    private final Map<Value, Buffer> buffers = new IdentityHashMap<>();    // tensors: device buffers
    private final Map<Value, Kernel.Param> tensorParams = new IdentityHashMap<>();
    private final Map<Op.Quantize, Buffer> amaxOf = new IdentityHashMap<>();
    /** Centred tensors never written: their only readers subtract the mean themselves (see {@link #centredOnRead}). */
    private final Map<Value, Op.Center> centredOnRead = new IdentityHashMap<>();
    private final List<Buffer> bufferList = new ArrayList<>();
    private final List<Part> parts = new ArrayList<>();
    private final Map<String, Arg> args = new LinkedHashMap<>();
    private final List<String> params = new ArrayList<>();

    private final Map<String, Integer> fixed;
    private final Set<String> keyMajor;

    private PrologueEmitter(Kernel k, Set<String> halfInputs, Map<String, Integer> fixed, Set<String> keyMajor) {
        this.k = k;
        this.halfInputs = halfInputs;
        this.fixed = fixed;
        this.keyMajor = keyMajor;
    }

    private Program run() {
        for (Kernel.Param p : k.params()) {
            if (p.derived()) continue;
            if (p.isTensor()) tensorParams.put(p.value(), p);
            else exprs.put(p.value(), CExpr.scalarName(p.name()));
        }
        List<Op> ops = k.prologue().ops();
        Set<Value> local = partLocal(ops, k.prologue().terminator().values());
        Map<Op.Reduce, Integer> chains = maxChains(ops, k.prologue().terminator().values());
        // A chain over the scales of a run quantization: each group updates the max as it writes its scale.
        for (Op op : ops) {
            if (!(op instanceof Op.Quantize q) || runs(q) == null) continue;
            for (var e : chains.entrySet()) {
                if (e.getKey().a() == q.scale()) scaleMax.put(q, (Op.Reduce) ops.get(ops.indexOf(e.getKey()) + e.getValue() - 1));
            }
        }
        for (var e : chains.entrySet()) {   // the inner results of a fused chain are never written
            int at = ops.indexOf(e.getKey());
            for (int c = 0; c < e.getValue() - 1; c++) local.add(ops.get(at + c).result());
        }
        centredOnRead(ops, k.prologue().terminator().values());
        findViews(ops);
        // Allocate a buffer for every tensor-valued result first: the argument list must be complete
        // before any kernel is written, since every kernel takes all of them.
        for (Op op : ops) {
            for (Value r : op.results()) {
                if (isTensor(r) && !local.contains(r) && !centredOnRead.containsKey(r) && !views.containsKey(r)) buffer(r, r.type().elem());
            }
            if (op instanceof Op.Quantize q && runs(q) == null && columnGroups(q) == null) {   // columns keep their amax in registers
                Buffer sb = buffers.get(q.scale());
                Buffer amax = new Buffer(sb.name() + "_amax", Elem.F32, sb.shape());
                bufferList.add(amax);
                amaxOf.put(q, amax);
            }
        }
        List<Value> yields = k.prologue().terminator().values();
        for (Value y : yields) if (!isTensor(y)) buffer(y, y.type().elem());
        markKeyMajor(ops);
        bufferList.add(new Buffer(BARRIER, Elem.I32, List.of(Dim.of(2))));
        collectArgs();

        int i = 0;
        while (i < ops.size()) {
            Op op = ops.get(i);
            switch (op) {
                case Op.Yield y -> i++;
                case Op.Quantize q -> { quantize(q); i++; }
                case Op.Center c -> { center(c); i++; }
                case Op.Reduce r when chains.containsKey(r) -> {
                    int n = chains.get(r);
                    Op.Reduce last = (Op.Reduce) ops.get(i + n - 1);
                    if (scaleMax.containsValue(last)) {   // the quantization did it
                        i += n;
                    } else if (last.result().type().shape().isEmpty()) {
                        maxAll(r, last);
                        i += n;
                    } else {
                        reduce(r);
                        i++;
                    }
                }
                case Op.Reduce r -> { reduce(r); i++; }
                case Op.Load l when l.result().tile().isScalar() && l.indices().isEmpty() -> {
                    exprs.put(l.result(), read(l.tensor(), "0"));
                    i++;
                }
                case Op.Load l -> throw new CudaEmitter.Unsupported(l + ": the prologue loads only whole rank-0 tensors");
                case Op.Broadcast b when views.containsKey(b.result()) -> i++;   // read through where it is used
                default -> {
                    if (isTensor(op.result())) {
                        i = elementwise(ops, i);
                    } else {
                        List<String> a = new ArrayList<>();
                        for (Value v : op.operands()) a.add(scalar(v));
                        exprs.put(op.result(), scalarOp(op, a));
                        i++;
                    }
                }
            }
        }
        // Scalars the body takes as derived parameters are written by one thread into 1-element buffers.
        List<Stmt> scalarStores = new ArrayList<>();
        for (Value y : yields) {
            if (isTensor(y)) continue;
            scalarStores.add(new Model.Assign(buffers.get(y).name() + "[0]", scalar(y)));
        }
        if (!scalarStores.isEmpty()) {
            part(List.of(), "the launch constants the body takes as scalars", scalarStores,
                    yields.stream().filter(y -> !isTensor(y)).map(y -> buffers.get(y).name()).toArray(String[]::new));
        }

        Map<String, String> derived = new LinkedHashMap<>();
        int d = 0;
        for (Kernel.Param p : k.params()) {
            if (p.derived()) derived.put(p.name(), buffers.get(yields.get(d++)).name());
        }
        ModelWalker w = ModelWalker.shared();
        int[] phase = phases(w);
        int phases = parts.isEmpty() ? 0 : Arrays.stream(phase).max().getAsInt() + 1;
        List<Stmt> body = new ArrayList<>();
        if (usesSlab) {
            body.add(new Model.Comment("rows of a centred tensor staged by the block, and the means of its columns"));
            body.add(new Model.ArrayDecl("__shared__ float", "qf_slab", SLAB));
            body.add(new Model.ArrayDecl("__shared__ float", "qf_cols", THREADS));
        }
        if (usesRed) {
            body.add(new Model.Comment("the warps' partial maxima of a block-wide amax"));
            body.add(new Model.ArrayDecl("__shared__ int", "qf_red", THREADS / 32));
        }
        for (int p = 0; p < phases; p++) {
            if (p > 0) body.add(new Model.GridSync("reinterpret_cast<unsigned*>(" + BARRIER + ")", "phase " + p + ": what follows reads what came before"));
            List<String> before = new ArrayList<>();   // the footprints of the phase's earlier parts
            for (int j = 0; j < parts.size(); j++) {
                Part part = parts.get(j);
                if (phase[j] != p) continue;
                Stmt run = part.count() == null
                        ? new Model.Block("", prepend(new Model.ScalarDecl("int", "k", "qf_bid * QF_THREADS + threadIdx.x"), prepend(new Model.Comment(part.what()), part.body())))
                        : new Model.GridLoop(part.what(), part.width() == 1 ? part.count() : "(" + part.count() + ") * " + part.width(), part.guarded(), part.body());
                body.add(spread(before, run));
                before.add(part.footprint());
            }
        }
        body.addAll(trigger(k));
        String what = parts.size() + " parts in " + phases + " phases";
        String entry = "qf_prologue";
        String src = w.render(new Model.KernelSource("prologue of kernel @" + k.name() + ": one launch, " + what, List.of(),
                ModelWalker.prelude() + ModelWalker.gridSync(), new Model.GridKernel(entry, params, THREADS, body)));
        return new Program(src, List.of(new Step(entry, what)), bufferList, new ArrayList<>(args.values()), derived, Launch.grid());
    }

    /**
     * A part run on the blocks after those its phase's earlier parts keep busy: its block index
     * {@code qf_bid} (and the first element of each warp, {@code qf_warp0}) is blockIdx.x rotated by their
     * footprints. The parts of a phase read and write nothing of each other's, so they run side by side
     * instead of one after another on the first blocks: at a small batch, Q's quantization, K's column
     * sums and V's column maxima each took the grid's first few blocks, and the phase lasted their sum.
     * A rotation is a bijection of the blocks, so every element and group is still taken exactly once.
     */
    private static Stmt spread(List<String> before, Stmt run) {
        return new Model.Block("", List.of(
                new Model.ScalarDecl("int", "qf_bid", before.isEmpty() ? "(int)blockIdx.x" : "qf_rotate((int)blockIdx.x, " + String.join(" + ", before) + ")"),
                new Model.ScalarDecl("int", "qf_warp0", "(qf_bid * QF_THREADS + (int)threadIdx.x) & ~31"),
                run));
    }

    /**
     * The phase of each part: the first after every earlier part it conflicts with (one writes a buffer
     * the other names). A part names a buffer when its statements mention it; scalars computed from a
     * buffer are inlined where they are used, so that is where their reads show.
     */
    private int[] phases(ModelWalker w) {
        int n = parts.size();
        Map<String, Pattern> mention = new LinkedHashMap<>();
        for (Buffer b : bufferList) mention.put(b.name(), Pattern.compile("\\b" + b.name() + "\\b"));
        List<Set<String>> named = new ArrayList<>();
        for (Part p : parts) {
            String text = w.render(new Model.Block("", p.body()));
            Set<String> s = new HashSet<>(p.writes());
            mention.forEach((name, pattern) -> {
                if (pattern.matcher(text).find()) s.add(name);
            });
            named.add(s);
        }
        int[] phase = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                boolean conflict = parts.get(j).writes().stream().anyMatch(named.get(i)::contains)
                        || parts.get(i).writes().stream().anyMatch(named.get(j)::contains);
                if (conflict) phase[i] = Math.max(phase[i], phase[j] + 1);
            }
        }
        return phase;
    }

    private static List<Stmt> prepend(Stmt s, List<Stmt> rest) {
        List<Stmt> all = new ArrayList<>();
        all.add(s);
        all.addAll(rest);
        return all;
    }

    // ------------------------------------------------------------ arguments

    private Buffer buffer(Value v, Elem e) {
        Buffer b = buffers.get(v);
        if (b != null) return b;
        b = new Buffer("b_" + CExpr.ident(v.name()), e, v.type().shape());
        buffers.put(v, b);
        bufferList.add(b);
        return b;
    }

    private void collectArgs() {
        for (Kernel.Param p : k.params()) {
            if (p.derived()) continue;
            if (p.isTensor()) {
                Elem e = halfInputs.contains(p.name()) ? Elem.F16 : p.value().type().elem();
                args.put("t:" + p.name(), new Arg(Arg.Kind.TENSOR, p.name(), e));
            } else {
                args.put("s:" + p.name(), new Arg(Arg.Kind.SCALAR, p.name(), p.value().type().elem()));
            }
        }
        for (Buffer b : bufferList) args.put("b:" + b.name(), new Arg(Arg.Kind.TENSOR, b.name(), b.elem()));
        java.util.Set<String> syms = new java.util.TreeSet<>();
        for (Kernel.Param p : k.params()) for (Dim d : p.value().type().shape()) if (!d.isConst()) syms.add(d.symbol());
        for (String s : syms) args.put("n:" + s, new Arg(Arg.Kind.SYMBOL, s, Elem.I32));
        for (Arg a : args.values()) {
            params.add(switch (a.kind()) {
                case TENSOR -> CExpr.ctype(a.elem()) + "* __restrict__ " + (a.name().startsWith("b_") ? a.name() : CExpr.tensorName(a.name()));
                case SCALAR -> CExpr.ctype(a.elem()) + " " + CExpr.scalarName(a.name());
                case SCALAR_REF -> throw new IllegalStateException("the prologue takes no scalar by reference");
                case SYMBOL -> "int " + CExpr.symbolName(a.name());
            });
        }
    }

    // ------------------------------------------------------------ parts

    /**
     * One piece of prologue work: {@code width} threads for each of {@code count} elements (a C
     * expression; k is the thread's place in that grid loop: the element, or with width 32 the element's
     * warp and lane), or, when null, one run per thread of the grid (k is the thread) that loops by itself. {@code writes}
     * names the buffers it writes; {@code blocks} is how many blocks such a self-looping body keeps busy (a C
     * expression; null: all of them).
     */
    private record Part(String what, String count, int width, boolean guarded, List<Stmt> body, List<String> writes, String blocks) {
        Part(String what, String count, int width, boolean guarded, List<Stmt> body, List<String> writes) {
            this(what, count, width, guarded, body, writes, null);
        }

        /** Blocks this part keeps busy, at most the grid: its share of the phase's blocks (see {@link #spread}). */
        String footprint() {
            if (count != null) return "min((int)gridDim.x, (int)(((i64)(" + count + ") * " + width + " + QF_THREADS - 1) / QF_THREADS))";
            return blocks == null ? "(int)gridDim.x" : "min((int)gridDim.x, (int)(" + blocks + "))";
        }
    }

    /** One thread per element of {@code threads}: threads past the end do nothing. */
    private void part(List<Dim> threads, String comment, List<Stmt> body, String... writes) {
        parts.add(new Part(comment, count(threads), 1, true, body, List.of(writes)));
    }

    /** Every thread of each warp runs the body (no bound check: the body handles it, for warp-wide steps). */
    private void partAll(List<Dim> threads, String comment, List<Stmt> body, String... writes) {
        parts.add(new Part(comment, threads == null ? null : count(threads), 1, false, body, List.of(writes)));
    }

    /**
     * Where each quantization group is a run of consecutive elements (the shared axes are the trailing
     * ones, and a block axis, if any, comes right before them): the run of one group has {@code inner}
     * elements per row of the block axis ({@code rows} long, blocks of {@code block}, 1 and 1 without
     * one), and there are {@code outer} of them before it. Null for strided groups (a channel).
     */
    private record Runs(String outer, String rows, int block, String inner) {
        /** Whether there is a block axis (a group is then up to {@code block} of its rows; else one run of inner elements). */
        boolean blocked() {
            return block > 1 || !rows.equals("1");
        }

        /** Blocks per row of the block axis. */
        String blocks() {
            return blocked() ? "((" + rows + " + " + (block - 1) + ") / " + block + ")" : "1";
        }

        /** The number of groups. */
        String groups() {
            return blocked() ? outer + " * " + blocks() : outer;
        }
    }

    private Runs runs(Op.Quantize q) {
        if (!runShape(q)) return null;   // strided groups, or one group for the whole tensor (the grid-wide amax below)
        List<Dim> shape = q.x().type().shape();
        int s = shape.size() - q.shared().size();
        String inner = product(shape.subList(s, shape.size()));
        if (q.blockAxis() < 0) return new Runs(product(shape.subList(0, s)), "1", 1, inner);
        return new Runs(product(shape.subList(0, s - 1)), dim(shape.get(s - 1)), q.blockSize(), inner);
    }

    /**
     * A quantization whose groups are runs: a warp per group takes its amax (lanes stride the run, then
     * shuffles), then quantizes the run and writes the group's scale. Nothing to zero, no atomics, no
     * barrier between amax and quantization, and no per-element group index.
     */
    private void quantizeRuns(Op.Quantize q, Runs r) {
        Value x = q.x();
        Buffer qb = buffers.get(q.q()), sb = buffers.get(q.scale());
        String groups = r.groups();
        List<String> writes = new ArrayList<>(List.of(qb.name(), sb.name()));
        Op.Reduce chain = scaleMax.get(q);
        String maxOf = null;
        if (chain != null) {
            // the max of the scales (every element of a group has the group's scale): one update per group, into
            // the element of the chain's result its tokens reduce to (the scalar, or its head's)
            Buffer fb = buffers.get(chain.result());
            List<Dim> kept = chain.result().type().shape(), scales = q.scale().type().shape();
            part(kept, chain.result() + " starts at -inf", List.of(new Model.Assign(fb.name() + (kept.isEmpty() ? "[0]" : "[k]"), "-qf_inf()")), fb.name());
            maxOf = kept.isEmpty() ? fb.name() : "&" + fb.name() + "[qf_first / (" + count(scales.subList(kept.size(), scales.size())) + ")]";
            writes.add(fb.name());
        }
        String what = q.q() + ", " + q.scale() + " = quantize " + x + ": amax, then sat(rne(x / (amax / "
                + (long) q.q().type().elem().max() + "))), and the scale (1 where the group is all zeros)";
        List<Stmt> byWarp = runBody(q, r, false, maxOf);
        Integer inner = constant(r.inner());
        if (inner == null || (long) inner * r.block() < THREADS) {
            parts.add(new Part(what + ", a warp per group of consecutive elements", groups, 32, false, byWarp, writes));
            return;
        }
        // A long run (a block of tokens) gets a whole block of threads when the groups are too few to give
        // every warp of the grid one: a warp alone walks its run a memory latency per 32 elements, and at a
        // small batch most SMs would idle. With groups enough for every warp, a warp per group keeps more
        // loads in flight and needs no block barrier.
        usesRed = true;
        List<Stmt> byBlock = new ArrayList<>(runBody(q, r, true, maxOf));
        byBlock.add(new Model.Sync());   // qf_red is the next group's
        gridOrBlockPerGroup(what + ", a warp per group of consecutive elements when there are groups for every warp, else a block per group",
                groups + " >= (qf_nthreads >> 5)", new Model.GridLoop("a warp per group", "(" + groups + ") * 32", false, byWarp), groups, byBlock, writes);
    }

    /**
     * A part that spreads over the whole grid when {@code wide} holds, else gives each of {@code groups}
     * groups a block of its own ({@code qf_o}, from the part's first block); its footprint follows the same
     * test, so the phase's next part starts past exactly the blocks this one keeps busy.
     */
    private void gridOrBlockPerGroup(String what, String wide, Stmt gridLoop, String groups, List<Stmt> perBlock, List<String> writes) {
        parts.add(new Part(what, null, 1, false, List.of(
                new Model.Block("if (" + wide + ")", List.of(gridLoop)),
                new Model.Block("else", List.of(new Model.Block("for (int qf_o = qf_bid; qf_o < " + groups + "; qf_o += gridDim.x)", perBlock)))),
                writes, "(" + wide + ") ? (int)gridDim.x : (" + groups + ")"));
    }

    /**
     * One group of a run quantization, walked by a warp (group {@code k >> 5} of a grid loop) or by the
     * whole block (group {@code qf_o}, amax folded over the warps in shared memory).
     */
    private List<Stmt> runBody(Op.Quantize q, Runs r, boolean wide, String maxOf) {
        Value x = q.x();
        Elem qe = q.q().type().elem();
        Buffer qb = buffers.get(q.q()), sb = buffers.get(q.scale());
        String lane = wide ? "threadIdx.x" : "qf_lane", stride = wide ? "QF_THREADS" : "32";
        List<Stmt> body = new ArrayList<>();
        if (!wide) body.add(new Model.ScalarDecl("int", "qf_o", "k >> 5"));
        if (r.blocked()) {
            body.add(new Model.ScalarDecl("int", "qf_row0", "(qf_o % " + r.blocks() + ") * " + r.block()));
            body.add(new Model.ScalarDecl("int", "qf_first", "(qf_o / " + r.blocks() + ") * " + r.rows() + " + qf_row0"));
            body.add(new Model.ScalarDecl("int", "qf_nrows", "min(" + r.block() + ", " + r.rows() + " - qf_row0)"));
        } else {
            body.add(new Model.ScalarDecl("int", "qf_first", "qf_o"));
            body.add(new Model.ScalarDecl("int", "qf_nrows", "1"));
        }
        body.add(new Model.ScalarDecl("int", "qf_start", "qf_first * " + r.inner()));
        body.add(new Model.ScalarDecl("int", "qf_len", "qf_nrows * " + r.inner()));
        Op.Center centred = centredOnRead.get(x);
        if (centred != null) {   // the group's rows are consecutive tokens of one line: one line of means
            body.add(new Model.ScalarDecl("int", "qf_mrow", "(qf_first / " + dim(x.type().shape().get(centred.axis())) + ") * " + r.inner()));
        }
        body.add(new Model.Var("int", "qf_v", "0"));
        // w elements per load (see runWidth): a lane reading 2 bytes at a time left these parts waiting on global loads
        int w = runWidth(q, r);
        VecRead vec = w > 1 ? runReadN(x, "j", r.inner(), w) : null;
        String loop = vec == null ? "for (int j = " + lane + "; j < qf_len; j += " + stride + ")"
                : "for (int j = " + lane + " * " + w + "; j < qf_len; j += " + stride + " * " + w + ")";
        if (vec == null) {
            body.add(new Model.Block(loop, List.of(new Model.Assign("qf_v", "max(qf_v, " + absBits(runRead(x, "j", r.inner())) + ")"))));
        } else {
            List<Stmt> step = new ArrayList<>(vec.decls());
            for (String e : vec.elems()) step.add(new Model.Assign("qf_v", "max(qf_v, " + absBits(e) + ")"));
            body.add(new Model.Block(loop, step));
        }
        body.add(warpFold("qf_v", o -> "max(qf_v, " + o + ")"));
        if (wide) {
            body.add(new Model.ExprStmt("if (qf_lane == 0) qf_red[threadIdx.x >> 5] = qf_v"));
            body.add(new Model.Sync());
            body.add(new Model.Block("for (int qf_i = 0; qf_i < (int)(QF_THREADS >> 5); ++qf_i)", List.of(new Model.Assign("qf_v", "max(qf_v, qf_red[qf_i])"))));
        }
        body.add(new Model.ScalarDecl("float", "qf_a", "__int_as_float(qf_v)"));
        body.add(new Model.ScalarDecl("float", "qf_s", scaleOf(qe, "qf_a")));
        if (maxOf != null) body.add(new Model.ExprStmt("if (" + lane + " == 0) qf_atomic_max(" + maxOf + ", qf_s)"));
        if (vec == null) {
            body.add(new Model.Block(loop, List.of(new Model.Assign(qb.name() + "[qf_start + j]", quantized(qe, runRead(x, "j", r.inner()), "qf_s")))));
        } else {
            List<Stmt> step = new ArrayList<>(vec.decls());
            step.add(storeBytes(qb.name(), "qf_start + j", vec.elems().stream().map(e -> quantized(qe, e, "qf_s")).toList()));
            body.add(new Model.Block(loop, step));
        }
        body.add(new Model.Block("for (int j = " + lane + "; j < qf_nrows; j += " + stride + ")", List.of(new Model.Assign(sb.name() + "[qf_first + j]", "qf_s"))));
        return body;
    }

    /**
     * Marks the buffers of the derived tensors the body reads key-major. Each must be a quantization's result
     * (written by {@link #quantizeKeyMajor}) that no other prologue op reads.
     */
    private void markKeyMajor(List<Op> ops) {
        Map<Value, Value> definitions = k.derivedDefinitions();
        for (Kernel.Param p : k.params()) {
            if (!p.derived() || !keyMajor.contains(p.name())) continue;
            Value y = definitions.get(p.value());
            boolean quantized = ops.stream().anyMatch(op -> op instanceof Op.Quantize q && q.q() == y && runs(q) == null);
            boolean readHere = ops.stream().anyMatch(op -> !(op instanceof Op.Yield) && op.operands().contains(y));
            if (!quantized || readHere || y.type().rank() < 2) {
                throw new CudaEmitter.Unsupported(p.name() + ": only a quantization's result that the prologue itself does not read can be written key-major");
            }
            Buffer b = buffers.get(y);
            Buffer km = new Buffer(b.name(), b.elem(), b.shape(), true);
            buffers.put(y, km);
            bufferList.set(bufferList.indexOf(b), km);
        }
    }

    /**
     * A quantization written key-major (see {@link KeyMajor}): a thread per 4 columns × 4 keys, the keys a lane t
     * of P's fragment holds in k slots 4t..4t+3 of a 16-key group (2t, 2t+1, 8+2t, 9+2t). It reads the 4 keys'
     * 4 columns (a vector load each), quantizes them, turns the 4×4 bytes around with byte permutes and stores a
     * 32-bit word per column; consecutive lanes take consecutive groups of a row, so each of a warp's 4 stores
     * writes 128 consecutive bytes (two or three runs where the warp passes the end of a row). Keys from N to
     * the row's end get zeros. {@code scale} is the scale of element {@code k}, a C expression in k.
     *
     * <p>Measured on an H200 and not kept: a byte store per element (the int8 prologue at A3 b = 256 0.31 ->
     * 0.53 ms), and lanes over 128-key chunks of one row (idle where a row is shorter: at Swin's N = 49 the
     * prologue 1.27x as long as with V's plain layout). This form: 1.02-1.15x as long (most at b = 1).
     */
    private void quantizeKeyMajor(Op.Quantize q, String scale) {
        Value x = q.x();
        Elem qe = q.q().type().elem();
        List<Dim> shape = x.type().shape();
        int r = shape.size();
        Integer d = constant(product(List.of(shape.get(r - 1))));
        if (d == null || d % 4 != 0 || qe.bits != 8) throw new CudaEmitter.Unsupported(q.q() + ": key-major needs 8-bit values and the head dim fixed, a multiple of 4");
        String n = dim(shape.get(r - 2)), padded = "((" + n + " + 15) & ~15)", groups = "((" + n + " + 15) >> 4)";
        String heads = r == 2 ? "1" : product(shape.subList(0, r - 2));
        List<Stmt> body = new ArrayList<>();
        // item k = ((head * D/4 + c4) * groups + g16) * 4 + t: lanes run along a row's groups, then to the next rows
        body.add(new Model.ScalarDecl("int", "qf_t", "k & 3"));
        body.add(new Model.ScalarDecl("int", "qf_row4", "(k >> 2) / " + groups));
        body.add(new Model.ScalarDecl("int", "qf_g16", "(k >> 2) - qf_row4 * " + groups));
        body.add(new Model.ScalarDecl("int", "qf_c4", "qf_row4 % " + d / 4));
        body.add(new Model.ScalarDecl("int", "qf_head", "qf_row4 / " + d / 4));
                body.add(new Model.ScalarDecl("int", "qf_col", "qf_c4 * 4"));
        body.add(new Model.ScalarDecl("int", "qf_k0", "qf_head * " + n + " * " + d + " + qf_col"));
        for (int j = 0; j < 4; j++) {
            body.add(new Model.Var("float", "qf_s" + j, "0.0f"));
            body.add(new Model.Block("", List.of(new Model.ScalarDecl("int", "k", "qf_k0 + " + j), new Model.Assign("qf_s" + j, scale))));
        }
        int[] keyOf = {0, 1, 8, 9};
        for (int i = 0; i < 4; i++) {
            String key = "qf_key" + i;
            body.add(new Model.ScalarDecl("int", key, "qf_g16 * 16 + 2 * qf_t + " + keyOf[i]));
            body.add(new Model.Var("u32", "qf_b" + i, "0"));
            VecRead v = readN(x, "qf_i" + i, 4, "qf_raw" + i);
            List<Stmt> load = new ArrayList<>();
            load.add(new Model.ScalarDecl("int", "qf_i" + i, "qf_k0 + " + key + " * " + d));
            List<String> bytes = new ArrayList<>();
            if (v != null) load.addAll(v.decls());
            for (int j = 0; j < 4; j++) bytes.add(quantized(qe, v != null ? v.elems().get(j) : read(x, "qf_i" + i + " + " + j), "qf_s" + j));
            load.add(new Model.Assign("qf_b" + i, "qf_pack4(" + String.join(", ", bytes) + ")"));
            body.add(new Model.Block("if (" + key + " < " + n + ")", load));
        }
        // b_i holds key i's 4 columns; column j's word holds byte j of b_0..b_3 (key i at byte i: slot 4t + i).
        body.add(new Model.ScalarDecl("u32", "qf_t0", "__byte_perm(qf_b0, qf_b1, 0x5140)"));
        body.add(new Model.ScalarDecl("u32", "qf_t1", "__byte_perm(qf_b2, qf_b3, 0x5140)"));
        body.add(new Model.ScalarDecl("u32", "qf_t2", "__byte_perm(qf_b0, qf_b1, 0x7362)"));
        body.add(new Model.ScalarDecl("u32", "qf_t3", "__byte_perm(qf_b2, qf_b3, 0x7362)"));
        String[] words = {"__byte_perm(qf_t0, qf_t1, 0x5410)", "__byte_perm(qf_t0, qf_t1, 0x7632)", "__byte_perm(qf_t2, qf_t3, 0x5410)", "__byte_perm(qf_t2, qf_t3, 0x7632)"};
        String qb = buffers.get(q.q()).name();
        for (int j = 0; j < 4; j++) {
            body.add(new Model.Assign("*reinterpret_cast<u32*>(&" + qb + "[(qf_head * " + d + " + qf_col + " + j + ") * " + padded + " + qf_g16 * 16 + 4 * qf_t])", words[j]));
        }
        parts.add(new Part(q.q() + " = quantize " + x + " into its key-major copy: sat(rne(x / s)), a thread per 4 columns of 4 keys",
                heads + " * " + d / 4 + " * " + groups + " * 4", 1, true, body, List.of(qb)));
    }

    private void quantize(Op.Quantize q) {
        Runs runs = runs(q);
        if (runs != null) {
            quantizeRuns(q, runs);
            return;
        }
        Value x = q.x();
        List<Dim> shape = x.type().shape();
        Elem qe = q.q().type().elem();
        Buffer qb = buffers.get(q.q()), sb = buffers.get(q.scale());
        Buffer amax = amaxOf.get(q);
        // Group g of element k is its scale element; with a block axis, the first scale element of its block.
        String g = group(shape, q.shared(), q.blockAxis(), q.blockSize());
        Integer inner = columnGroups(q);
        boolean columns = inner != null;
        if (!columns) part(sb.shape(), "amax of " + x + " starts at 0", List.of(new Model.Assign(amax.name() + "[k]", "0.0f")), amax.name());
        if (columns) {
            columnAmax(q, sb, shape, q.shared().getFirst(), inner);
        } else if (q.shared().size() == shape.size() && q.blockAxis() < 0) {
            // One group: each thread folds a grid-stride slice, each warp folds its threads, one atomic per warp.
            partAll(null, "amax of all of " + x + ": per-thread slices, then per warp, then one atomic per warp", List.of(
                    new Model.Var("int", "qf_v", "0"),
                    new Model.Block("for (i64 j = k; j < " + count(shape) + "; j += (i64)gridDim.x * QF_THREADS)",
                            List.of(new Model.Assign("qf_v", "max(qf_v, " + absBits(read(x, "j")) + ")"))),
                    warpFold("qf_v", o -> "max(qf_v, " + o + ")"),
                    new Model.ExprStmt("if ((threadIdx.x & 31) == 0) atomicMax(reinterpret_cast<int*>(" + amax.name() + "), qf_v)")), amax.name());
        } else {
            // Strided groups (a channel) or blocks not next to the shared axes: the lanes of a warp fold the
            // run of one group they hold first (a segmented reduction), and the run's first lane does the atomic.
            partAll(shape, "amax of " + x + " per group (shared axes " + q.shared() + "): warp-segmented max, then atomic max on the float's bits (exact in any order)", List.of(
                    new Model.ScalarDecl("bool", "qf_in", "k < " + count(shape)),
                    new Model.ScalarDecl("int", "qf_g", "qf_in ? (" + g + ") : -1"),
                    new Model.Var("int", "qf_v", "qf_in ? " + absBits(read(x, "k")) + " : 0"),
                    new Model.Block("for (int qf_o = 1; qf_o < 32; qf_o *= 2)", List.of(
                            new Model.ScalarDecl("int", "qf_g2", "__shfl_down_sync(0xffffffffu, qf_g, qf_o)"),
                            new Model.ScalarDecl("int", "qf_v2", "__shfl_down_sync(0xffffffffu, qf_v, qf_o)"),
                            new Model.ExprStmt("if (qf_lane + qf_o < 32 && qf_g2 == qf_g) qf_v = max(qf_v, qf_v2)"))),
                    new Model.ScalarDecl("int", "qf_gprev", "__shfl_up_sync(0xffffffffu, qf_g, 1)"),
                    new Model.ExprStmt("if (qf_in && (qf_lane == 0 || qf_gprev != qf_g)) atomicMax(reinterpret_cast<int*>(" + amax.name() + ") + qf_g, qf_v)")), amax.name());
        }
        if (qb.keyMajor()) {
            quantizeKeyMajor(q, columns ? sb.name() + "[" + g + "]" : scaleOf(qe, amax.name() + "[" + g + "]"));
            if (!columns) scalePart(q, sb, amax);
            return;
        }
        VecRead quad = columns && inner % 4 == 0 && qe.isInt && qe.bits == 8 ? readN(x, "k", 4, "qf_raw") : null;
        if (quad != null) {
            // Four consecutive elements per thread (four columns of one row: inner is a multiple of 4): one
            // 8- or 16-byte load, one 16-byte load of their scales, one 4-byte store. A lane reading 2 bytes
            // at a time left this part waiting on global loads (ncu, A4 b = 256 on an H200).
            List<Stmt> body = new ArrayList<>();
            body.add(new Model.ScalarDecl("int", "k", "4 * qf_q"));   // the first of the four; group() indexes by k
            body.add(new Model.ScalarDecl("int", "qf_g", g));
            body.addAll(quad.decls());
            body.add(new Model.ScalarDecl("float4", "qf_s4", "*reinterpret_cast<const float4*>(&" + sb.name() + "[qf_g])"));
            List<String> q4 = new ArrayList<>();
            for (int i = 0; i < 4; i++) q4.add(quantized(qe, quad.elems().get(i), "qf_s4." + LANES[i]));
            body.add(storeBytes(qb.name(), "k", q4));
            parts.add(new Part(q.q() + " = quantize " + x + ": sat(rne(x / s)), s = amax / " + (long) qe.max() + " of its column, four columns per thread",
                    "(" + count(shape) + ") / 4", 1, true, List.of(new Model.ScalarDecl("int", "qf_q", "k"), new Model.Block("", body)), List.of(qb.name())));
            return;
        }
        if (columns) {   // the amax part wrote the scales: one load per element instead of a division
            part(shape, q.q() + " = quantize " + x + ": sat(rne(x / s)), s = amax / " + (long) qe.max() + " of its column", List.of(
                    new Model.Assign(qb.name() + "[k]", quantized(qe, read(x, "k"), sb.name() + "[" + g + "]"))), qb.name());
            return;
        }
        part(shape, q.q() + " = quantize " + x + ": sat(rne(x / (amax / " + (long) qe.max() + ")))", List.of(
                new Model.ScalarDecl("float", "qf_a", amax.name() + "[" + g + "]"),
                new Model.ScalarDecl("float", "qf_s", scaleOf(qe, "qf_a")),
                new Model.Assign(qb.name() + "[k]", quantized(qe, read(x, "k"), "qf_s"))), qb.name());
        scalePart(q, sb, amax);
    }

    /** The part that writes each group's scale from its amax. */
    private void scalePart(Op.Quantize q, Buffer sb, Buffer amax) {
        Elem qe = q.q().type().elem();
        int blockAxis = q.blockAxis() < 0 ? -1 : keptIndex(q, q.blockAxis());
        part(sb.shape(), q.scale() + " = amax / " + (long) qe.max() + " of each group (1 where the group is all zeros)", List.of(
                new Model.ScalarDecl("float", "qf_a", amax.name() + "[" + group(sb.shape(), List.of(), blockAxis, q.blockSize()) + "]"),
                new Model.Assign(sb.name() + "[k]", scaleOf(qe, "qf_a"))), sb.name());
    }

    /**
     * The columns after the shared axis when a quantization's groups are columns (one shared axis, not the
     * last, no block axis, at most a block's threads of columns after it: V per channel with D fixed), else null.
     */
    private Integer columnGroups(Op.Quantize q) {
        List<Dim> shape = q.x().type().shape();
        int axis = q.shared().getFirst();
        Integer inner = constant(product(shape.subList(axis + 1, shape.size())));
        boolean columns = q.shared().size() == 1 && q.blockAxis() < 0 && axis < shape.size() - 1 && inner != null && inner <= THREADS;
        return columns ? inner : null;
    }

    /**
     * The amax of each column of a quantization whose groups are columns, and from it the scale (one shared axis with
     * {@code inner} unshared elements after it: V per channel), without atomics. With columns for every
     * thread of the grid, a thread per column walks its rows (neighbouring threads read neighbouring
     * columns); with fewer (a small batch), a block per outer index: thread j takes column j % inner of
     * every (blockDim / inner)-th row, and the partial maxima meet in shared memory. A max of |x| by its
     * bits is the same in any order, as the atomic version was.
     */
    private void columnAmax(Op.Quantize q, Buffer scale, List<Dim> shape, int axis, int inner) {
        Value x = q.x();
        Elem qe = q.q().type().elem();
        AxisWalk w = walk(shape, axis);
        String outer = product(shape.subList(0, axis)), columns = outer + " * " + inner;
        List<Stmt> serial = new ArrayList<>();
        serial.add(new Model.ScalarDecl("int", "qf_base", w.base()));
        serial.add(new Model.Var("int", "qf_v", "0"));
        serial.addAll(w.fold("float", read(x, w.at("j")), e -> "qf_v = max(qf_v, " + absBits(e) + ")"));
        serial.add(new Model.Assign(scale.name() + "[k]", scaleOf(qe, "__int_as_float(qf_v)")));
        usesSlab = true;   // qf_cols holds the partial maxima
        List<Stmt> perGroup = List.of(
                new Model.ScalarDecl("int", "qf_base", "qf_o * (" + w.len() + " * " + inner + ")"),
                new Model.ScalarDecl("int", "qf_step", "QF_THREADS / " + inner),
                new Model.Var("int", "qf_v", "0"),
                new Model.Block("if ((int)threadIdx.x < qf_step * " + inner + ")", batched("float", "(int)threadIdx.x / " + inner, w.len(), "qf_step",
                        read(x, "qf_base + j * " + inner + " + threadIdx.x % " + inner), (e, j) -> "qf_v = max(qf_v, " + absBits(e) + ")")),
                new Model.Assign("qf_cols[threadIdx.x]", "__int_as_float(qf_v)"),
                new Model.Sync(),
                new Model.Block("if (threadIdx.x < " + inner + ")", List.of(
                        new Model.Block("for (int qf_i = 1; qf_i < qf_step; ++qf_i)", List.of(
                                new Model.Assign("qf_v", "max(qf_v, __float_as_int(qf_cols[qf_i * " + inner + " + threadIdx.x]))"))),
                        new Model.Assign(scale.name() + "[qf_o * " + inner + " + threadIdx.x]", scaleOf(qe, "__int_as_float(qf_v)")))),
                new Model.Sync());
        perColumn("amax and scale of " + x + " per column (shared axis " + axis + "): a thread per column when the columns fill the grid, else a block per group of "
                + inner + " columns, partial maxima met in shared memory (exact in any order)", columns, outer, serial, perGroup, List.of(scale.name()));
    }

    /**
     * A part over the columns of a tensor (a centring, a column amax): a thread per column when the columns
     * fill the grid, else a block per outer index walking its group of columns together.
     */
    private void perColumn(String what, String columns, String outer, List<Stmt> serial, List<Stmt> perGroup, List<String> writes) {
        gridOrBlockPerGroup(what, columns + " >= qf_nthreads", new Model.GridLoop("a thread per column", columns, true, serial), outer, perGroup, writes);
    }

    private int keptIndex(Op.Quantize q, int axis) {
        int j = 0;
        for (int d = 0; d < axis; d++) if (!q.shared().contains(d)) j++;
        return j;
    }

    /**
     * The group of linear index {@code k} of {@code shape}: its index over the non-shared axes, where
     * the block axis's coordinate is rounded down to its block's first. Neighbouring axes of one role
     * are taken as one (a row of a [Z, H, N, D] tensor with D shared is just k / D), since an integer
     * division per axis is most of the cost of a quantization pass.
     */
    private String group(List<Dim> shape, List<Integer> shared, int blockAxis, int blockSize) {
        List<int[]> segs = new ArrayList<>();   // [first axis, end axis, role: 0 kept, 1 shared, 2 block]
        for (int d = 0; d < shape.size(); d++) {
            int role = d == blockAxis && blockSize > 0 ? 2 : shared.contains(d) ? 1 : 0;
            int[] last = segs.isEmpty() ? null : segs.get(segs.size() - 1);
            if (last != null && last[2] == role && role != 2) last[1] = d + 1;
            else segs.add(new int[] {d, d + 1, role});
        }
        String g = null;
        for (int i = 0; i < segs.size(); i++) {
            int[] seg = segs.get(i);
            if (seg[2] == 1) continue;
            String size = product(shape.subList(seg[0], seg[1]));
            String inner = product(shape.subList(seg[1], shape.size()));
            String c = inner.equals("1") ? "k" : "(k / " + inner + ")";
            if (i > 0) c = "(" + c + " % " + size + ")";
            if (seg[2] == 2) c = "(" + c + " / " + blockSize + " * " + blockSize + ")";
            g = g == null ? c : "(" + g + " * " + size + " + " + c + ")";
        }
        return g == null ? "0" : g;
    }

    /** The product of {@code dims} as C: constants folded, "1" for none. */
    private String product(List<Dim> dims) {
        long c = 1;
        List<String> syms = new ArrayList<>();
        for (Dim d : dims) {
            Integer v = d.isConst() ? Integer.valueOf(d.size()) : fixed.get(d.symbol());
            if (v != null) c *= v;
            else syms.add(CExpr.symbolName(d.symbol()));
        }
        if (c != 1 || syms.isEmpty()) syms.add(0, Long.toString(c));
        return syms.size() == 1 ? syms.get(0) : "(" + String.join(" * ", syms) + ")";
    }

    /**
     * Thread k of a part over the shape without {@code axis} walks that axis: element j of its line sits
     * at {@code base + j * inner}; the line has {@code len} elements.
     */
    private record AxisWalk(String len, String inner, String base) {
        String at(String j) {
            return "qf_base + " + j + " * " + inner;
        }

        /** Folds the line in increasing j with {@code step} (x is the element), {@link #WALK} loads at a time. */
        List<Stmt> fold(String type, String load, Function<String, String> step) {
            return batched(type, "0", len, "1", load, (x, j) -> step.apply(x));
        }

        /** Every j of the line, independently (unrolled so that several loads are in flight). */
        List<Stmt> each(List<Stmt> body) {
            return List.of(new Model.Line("#pragma unroll " + WALK), new Model.Block("for (int j = 0; j < " + len + "; ++j)", body));
        }
    }

    /**
     * Visits j = first, first + stride, ... below limit in increasing j: {@link #WALK} elements are loaded
     * at once ({@code load} names the element as j), so that their loads are in flight together, then
     * {@code step(x, j)} takes them in order. One thread walking a line, or a block's thread walking every
     * stride-th row, that loaded an element per step waited a full memory latency per element (at a small
     * batch those walks were the prologue's longest path: ncu, b = 1, the other blocks waited at the grid
     * barrier after them).
     */
    private static List<Stmt> batched(String type, String first, String limit, String stride, String load, java.util.function.BiFunction<String, String, String> step) {
        String j = stride.equals("1") ? "qf_j0 + qf_u" : "qf_j0 + qf_u * " + stride;
        return List.of(new Model.Block("for (int qf_j0 = " + first + "; qf_j0 < " + limit + "; qf_j0 += " + (stride.equals("1") ? "" + WALK : WALK + " * " + stride) + ")", List.of(
                new Model.ArrayDecl(type, "qf_x", WALK),
                new Model.Line("#pragma unroll"),
                new Model.Block("for (int qf_u = 0; qf_u < " + WALK + "; ++qf_u)", List.of(
                        new Model.ScalarDecl("int", "j", j),
                        new Model.ExprStmt("if (j < " + limit + ") qf_x[qf_u] = " + load))),
                new Model.Line("#pragma unroll"),
                new Model.Block("for (int qf_u = 0; qf_u < " + WALK + "; ++qf_u)", List.of(
                        new Model.ExprStmt("if (" + j + " < " + limit + ") " + step.apply("qf_x[qf_u]", "(" + j + ")")))))));
    }

    /** Elements of a walked line loaded at once. */
    private static final int WALK = 16;

    private AxisWalk walk(List<Dim> shape, int axis) {
        String inner = product(shape.subList(axis + 1, shape.size())), len = product(List.of(shape.get(axis)));
        String base = inner.equals("1") ? "k * " + len : "((k / " + inner + ") * " + len + " * " + inner + " + k % " + inner + ")";
        return new AxisWalk(len, inner, base);
    }

    /** The C type an element of {@code v} is read as (f16 inputs are widened to f32). */
    private static String readType(Value v) {
        Elem e = v.type().elem();
        return e == Elem.F16 ? "float" : CExpr.ctype(e);
    }

    /** Floats of the shared-memory slab a block stages rows of a centred tensor in. */
    private static final int SLAB = 8192;
    private boolean usesSlab, usesRed;
    /** Run quantizations whose scales feed a max chain, and the chain's last reduction (a scalar, or one per head). */
    private final Map<Op.Quantize, Op.Reduce> scaleMax = new IdentityHashMap<>();
    /**
     * Broadcasts of a tensor along trailing axes (a head's value beside its rows'): no buffer, element k reads
     * element k / span of the source, span being the broadcast axes' element count.
     */
    private final Map<Value, View> views = new IdentityHashMap<>();

    private record View(Value source, String span) {}

    /** The prefix broadcasts of {@code ops} (see {@link #views}). */
    private void findViews(List<Op> ops) {
        for (Op op : ops) {
            if (!(op instanceof Op.Broadcast b) || !isTensor(b.result())) continue;
            int r = b.a().type().rank();
            List<Dim> to = b.result().type().shape();
            if (!b.dims().equals(java.util.stream.IntStream.range(0, r).boxed().toList()) || !b.a().type().shape().equals(to.subList(0, r))) {
                throw new CudaEmitter.Unsupported(b + ": the prologue broadcasts only along trailing axes");
            }
            views.put(b.result(), new View(b.a(), count(to.subList(r, to.size()))));
        }
    }

    private void center(Op.Center c) {
        Value x = c.x();
        boolean onRead = centredOnRead.containsKey(c.centred());
        Buffer cb = buffers.get(c.centred()), mb = buffers.get(c.mean());
        List<Dim> shape = x.type().shape();
        AxisWalk w = walk(shape, c.axis());
        String what = (onRead ? c.mean() + " of center " : c.centred() + ", " + c.mean() + " = center ") + x + " along axis " + c.axis()
                + ": sums in increasing order, as the interpreter" + (onRead ? " (its one reader subtracts the mean as it reads " + x + ")" : "");
        List<String> writes = onRead ? List.of(mb.name()) : List.of(cb.name(), mb.name());
        List<Stmt> serial = new ArrayList<>();
        serial.add(new Model.ScalarDecl("int", "qf_base", w.base()));
        serial.add(new Model.Var("float", "qf_sum", "0.0f"));
        serial.addAll(w.fold("float", read(x, w.at("j")), e -> "qf_sum = qf_sum + " + e));
        serial.add(new Model.ScalarDecl("float", "qf_m", "qf_sum / (float)" + w.len()));
        serial.add(new Model.Assign(mb.name() + "[k]", "qf_m"));
        if (!onRead) serial.addAll(w.each(List.of(new Model.Assign(cb.name() + "[" + w.at("j") + "]", read(x, w.at("j")) + " - qf_m"))));
        Integer inner = constant(w.inner());
        if (inner == null || inner > THREADS || inner > SLAB) {
            part(mb.shape(), what, serial, writes.toArray(String[]::new));
            return;
        }
        // With fewer columns than the grid has threads (a small batch), one block per line group (all
        // inner columns of one outer index): the block stages rows in shared memory with every thread,
        // then one thread per column sums them in order; a thread walking its column in global memory
        // waited a memory latency per row. With many columns, a thread per column keeps every thread busy.
        usesSlab = true;
        String outer = product(shape.subList(0, c.axis())), lines = w.len() + " * " + inner;
        int rows = SLAB / inner;
        List<Stmt> means = new ArrayList<>(List.of(
                new Model.ScalarDecl("float", "qf_m", "qf_sum / (float)" + w.len()),
                new Model.Assign(mb.name() + "[qf_o * " + inner + " + threadIdx.x]", "qf_m")));
        if (!onRead) means.add(new Model.Assign("qf_cols[threadIdx.x]", "qf_m"));
        List<Stmt> perGroup = new ArrayList<>(List.of(
                new Model.ScalarDecl("int", "qf_base", "qf_o * (" + lines + ")"),
                new Model.Var("float", "qf_sum", "0.0f"),
                new Model.Block("for (int qf_r0 = 0; qf_r0 < " + w.len() + "; qf_r0 += " + rows + ")", List.of(
                        new Model.ScalarDecl("int", "qf_n", "min(" + rows + ", " + w.len() + " - qf_r0)"),
                        new Model.Sync(),
                        new Model.Block("", batched("float", "(int)threadIdx.x", "qf_n * " + inner, "QF_THREADS",
                                read(x, "qf_base + qf_r0 * " + inner + " + j"), (e, j) -> "qf_slab[" + j + "] = " + e)),
                        new Model.Sync(),
                        new Model.Block("if (threadIdx.x < " + inner + ")", List.of(new Model.Block("for (int qf_r = 0; qf_r < qf_n; ++qf_r)", List.of(
                                new Model.Assign("qf_sum", "qf_sum + qf_slab[qf_r * " + inner + " + threadIdx.x]"))))))),
                new Model.Block("if (threadIdx.x < " + inner + ")", means)));
        if (!onRead) {   // the block subtracts the means itself, through qf_cols, after a barrier
            perGroup.add(new Model.Sync());
            perGroup.add(new Model.Block("for (int qf_e = threadIdx.x; qf_e < " + lines + "; qf_e += QF_THREADS)", List.of(
                    new Model.Assign(cb.name() + "[qf_base + qf_e]", read(x, "qf_base + qf_e") + " - qf_cols[qf_e % " + inner + "]"))));
        }
        perGroup.add(new Model.Sync());
        perColumn(what + "; a thread per column when the columns fill the grid, else a block per group of " + inner
                + " columns with its rows staged in shared memory", count(mb.shape()), outer, serial, perGroup, writes);
    }

    /**
     * Finds centred tensors not worth writing: not yielded, and read only by run quantizations whose
     * groups lie within one line of the centring (the shared axes are those after the centring axis, the
     * block axis, if any, is the centring axis: a group is consecutive tokens of one (z, h)). Such a reader
     * subtracts the mean as it reads the input, the same f32 subtraction the centring would have stored,
     * so the f32 centred tensor (twice the f16 input) is never written nor read back.
     */
    private void centredOnRead(List<Op> ops, List<Value> yields) {
        for (Op op : ops) {
            if (!(op instanceof Op.Center c) || yields.contains(c.centred())) continue;
            int rank = c.x().type().rank();
            boolean ok = true, read = false;
            for (Op user : ops) {
                if (!user.operands().contains(c.centred())) continue;
                read = true;
                ok &= user instanceof Op.Quantize q && q.x() == c.centred() && runs(q) != null
                        && c.axis() == rank - 1 - q.shared().size() && (q.blockAxis() < 0 || q.blockAxis() == c.axis());
            }
            if (ok && read) centredOnRead.put(c.centred(), c);
        }
    }

    /**
     * Element {@code qf_start + j} of a run quantization's input: for a centred tensor read on the fly, the
     * input minus its column's mean ({@code qf_mrow}, the group's line of means, is declared by the caller).
     */
    private String runRead(Value x, String j, String inner) {
        Op.Center c = centredOnRead.get(x);
        if (c == null) return read(x, "qf_start + " + j);
        return "(" + read(c.x(), "qf_start + " + j) + " - " + buffers.get(c.mean()).name() + "[qf_mrow + " + j + " % " + inner + "])";
    }

    private static Integer constant(String c) {
        try {
            return Integer.valueOf(c);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Chains of f32 max reductions whose inner results nothing else reads and that end in a scalar (qflash's
     * largest K scale with per-block K: max over N, then H, then Z) or reduce trailing axes of a run
     * quantization's scales (the int8 prologue's largest K scale of each head: max over N): first reduction ->
     * chain length. One max replaces them, since a max is the same in any order: grid-wide for a scalar, and
     * for a run quantization's scales each group updates its element as it writes its scale.
     */
    static Map<Op.Reduce, Integer> maxChains(List<Op> ops, List<Value> yields) {
        Map<Value, Integer> uses = new IdentityHashMap<>();
        for (Op op : ops) for (Value v : op.operands()) uses.merge(v, 1, Integer::sum);
        for (Value v : yields) uses.merge(v, 1, Integer::sum);
        Set<Value> runScales = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Op op : ops) if (op instanceof Op.Quantize q && runShape(q)) runScales.add(q.scale());
        Map<Op.Reduce, Integer> chains = new IdentityHashMap<>();
        for (int i = 0; i < ops.size(); i++) {
            if (!(ops.get(i) instanceof Op.Reduce r) || !fmax(r)) continue;
            int n = 1;
            boolean trailing = r.axis() == r.a().type().rank() - 1;
            while (i + n < ops.size() && ops.get(i + n) instanceof Op.Reduce next && fmax(next)
                    && next.a() == ops.get(i + n - 1).result() && uses.getOrDefault(next.a(), 0) == 1) {
                trailing &= next.axis() == next.a().type().rank() - 1;
                n++;
            }
            boolean scalar = ops.get(i + n - 1).result().type().shape().isEmpty();
            if (scalar || (trailing && runScales.contains(r.a()))) chains.put(r, n);
            i += n - 1;
        }
        return chains;
    }

    /** Whether {@code q}'s groups are runs of consecutive elements (see {@link #runs}), by shape alone. */
    private static boolean runShape(Op.Quantize q) {
        int rank = q.x().type().rank(), s = rank - q.shared().size();
        for (int d = s; d < rank; d++) if (!q.shared().contains(d)) return false;
        return s > 0 && (q.blockAxis() < 0 || q.blockAxis() == s - 1);
    }

    private static boolean fmax(Op.Reduce r) {
        return r.kind() == Op.RedKind.MAX && r.a().type().elem() == Elem.F32 && r.result().type().elem() == Elem.F32;
    }

    /**
     * The max of every element of {@code first}'s input into {@code last}'s scalar: it starts at -inf,
     * then each thread folds a grid-stride slice, each warp its threads, and lane 0 updates the result
     * atomically ({@code qf_atomic_max}: by the float's bits, exact in any order, NaN skipped as fmaxf does).
     */
    private void maxAll(Op.Reduce first, Op.Reduce last) {
        Value a = first.a();
        Buffer fb = buffers.get(last.result());
        part(List.of(), last.result() + " starts at -inf", List.of(new Model.Assign(fb.name() + "[0]", "-qf_inf()")), fb.name());
        partAll(null, last.result() + " = the max of all of " + a + " (a chain of max reductions ending in a scalar): per-thread slices, then per warp, then one atomic per warp", List.of(
                new Model.Var("float", "qf_m", "-qf_inf()"),
                new Model.Block("for (i64 j = k; j < " + count(a.type().shape()) + "; j += (i64)gridDim.x * QF_THREADS)",
                        List.of(new Model.Assign("qf_m", "fmaxf(qf_m, " + read(a, "j") + ")"))),
                warpFold("qf_m", o -> "fmaxf(qf_m, " + o + ")"),
                new Model.ExprStmt("if (qf_lane == 0) qf_atomic_max(" + fb.name() + ", qf_m)")), fb.name());
    }

    private void reduce(Op.Reduce r) {
        Value a = r.a();
        Buffer rb = buffers.get(r.result());
        AxisWalk w = walk(a.type().shape(), r.axis());
        Elem e = r.result().type().elem();
        String t = CExpr.ctype(e);
        boolean max = r.kind() == Op.RedKind.MAX;
        String init = max ? (e.isInt ? CExpr.literal(e, e.min()) : "(-qf_inf())") : CExpr.literal(e, 0);
        Function<String, String> combine = x -> max ? (e.isInt ? "max(qf_acc, (" + t + ")" + x + ")" : "fmaxf(qf_acc, " + x + ")")
                : (e.isInt ? "qf_add_" + t + "(qf_acc, " + x + ")" : "qf_acc + " + x);
        Function<String, String> step = x -> "qf_acc = " + combine.apply(x);
        String what = r.result() + " = reduce " + r.kind().text() + " " + a + " [" + r.axis() + "]";
        boolean orderFree = (max || e.isInt) && (e == Elem.F32 || e == Elem.I32 || e == Elem.I64);
        if (orderFree && w.inner().equals("1")) {
            // A max, or an integer (wrapping) sum, is the same in any order: a warp folds each line, its
            // lanes taking every 32nd element, then the lanes combine by shuffles.
            parts.add(new Part(what + ": a warp per line (the same result in any order)", count(rb.shape()), 32, false, List.of(
                    new Model.ScalarDecl("int", "qf_o", "k >> 5"),
                    new Model.Var(t, "qf_acc", init),
                    new Model.Block("for (int j = qf_lane; j < " + w.len() + "; j += 32)", List.of(new Model.ExprStmt(step.apply(read(a, "qf_o * " + w.len() + " + j"))))),
                    warpFold("qf_acc", combine),
                    new Model.ExprStmt("if (qf_lane == 0) " + rb.name() + "[qf_o] = qf_acc")), List.of(rb.name())));
            return;
        }
        List<Stmt> body = new ArrayList<>();
        body.add(new Model.ScalarDecl("int", "qf_base", w.base()));
        body.add(new Model.Var(t, "qf_acc", init));
        body.addAll(w.fold(readType(a), read(a, w.at("j")), step));
        body.add(new Model.Assign(rb.name() + "[k]", "qf_acc"));
        part(rb.shape(), what, body, rb.name());
    }

    /** Combines {@code var} across the 32 lanes of a warp ({@code combine} of it and another lane's). */
    static Stmt warpFold(String var, Function<String, String> combine) {
        return warpFold(var, combine, 32);
    }

    /** The fold of {@link #warpFold} within each aligned run of {@code width} lanes (a power of two up to 32). */
    static Stmt warpFold(String var, Function<String, String> combine, int width) {
        return new Model.Block("for (int qf_s = " + width / 2 + "; qf_s > 0; qf_s /= 2)",
                List.of(new Model.Assign(var, combine.apply("__shfl_xor_sync(0xffffffffu, " + var + ", qf_s)"))));
    }

    /** The bits of |x| as an int: they order like |x|, so an int max is the float max (NaN above all). */
    static String absBits(String x) {
        return "__float_as_int(fabsf(" + x + "))";
    }

    /** A group's scale from its amax: amax / qmax, 1 where the group is all zeros. */
    static String scaleOf(Elem qe, String amax) {
        return amax + " == 0.0f ? 1.0f : " + amax + " / " + CExpr.literal(Elem.F32, qe.max());
    }

    /** {@code x} quantized with scale {@code s}: sat(rne(x / s)) in {@code qe}. */
    static String quantized(Elem qe, String x, String s) {
        if (qe.isInt && qe.bits <= 16) {
            return "(" + CExpr.ctype(qe) + ")qf_sat_f2i_rne(" + x + " / " + s + ", " + (long) qe.min() + ", " + (long) qe.max() + ")";
        }
        return "(" + CExpr.ctype(qe) + ")qf_sat(qf_f2ll_rne(" + x + " / " + s + "), " + qe.min() + "LL, " + qe.max() + "LL)";
    }

    static boolean pointOp(Op op) {
        return op instanceof Op.Unary || op instanceof Op.Binary || op instanceof Op.Convert || op instanceof Op.Cmp || op instanceof Op.Select;
    }

    private static boolean isTensor(Value v) {
        return v.type() instanceof qflash.ir.Type.Tensor;
    }

    /**
     * The tensor results of elementwise ops that only later ops of the same elementwise part read (and
     * the prologue does not yield): they live in a register and get no buffer. Parts are grouped as
     * {@link #elementwise} groups them: a run of elementwise ops of one shape, scalar work in between.
     */
    private static Set<Value> partLocal(List<Op> ops, List<Value> yields) {
        Map<Value, Integer> runOf = new IdentityHashMap<>();
        Map<Op, Integer> opRun = new IdentityHashMap<>();
        int run = 0;
        List<Dim> shape = null;
        for (Op op : ops) {
            if (op instanceof Op.Broadcast && isTensor(op.result())) continue;   // a view (see findViews): part of no run
            boolean tensorPoint = pointOp(op) && op.results().size() == 1 && isTensor(op.result());
            boolean scalarWork = (pointOp(op) || op instanceof Op.Const) && op.results().size() == 1 && !isTensor(op.result());
            if (scalarWork && shape != null) continue;
            if (!tensorPoint || !op.result().type().shape().equals(shape)) {
                run++;
                shape = tensorPoint ? op.result().type().shape() : null;
            }
            if (tensorPoint) {
                runOf.put(op.result(), run);
                opRun.put(op, run);
            }
        }
        Set<Value> local = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        local.addAll(runOf.keySet());
        for (Op op : ops) {
            for (Value v : op.operands()) {
                Integer r = runOf.get(v);
                if (r != null && !r.equals(opRun.get(op))) local.remove(v);
            }
        }
        yields.forEach(local::remove);
        return local;
    }

    /** Consecutive elementwise ops over one tensor shape: one part, one thread per element. Returns the next op. */
    private int elementwise(List<Op> ops, int from) {
        List<Dim> shape = ops.get(from).result().type().shape();
        List<Stmt> body = new ArrayList<>();
        Map<Value, String> local = new IdentityHashMap<>();
        int i = from;
        StringBuilder what = new StringBuilder();
        List<String> writes = new ArrayList<>();
        while (i < ops.size()) {
            Op op = ops.get(i);
            boolean pointOp = pointOp(op);
            if (op instanceof Op.Broadcast b && views.containsKey(b.result())) {   // read through: it does not end the part
                i++;
                continue;
            }
            if ((pointOp || op instanceof Op.Const) && op.results().size() == 1 && !isTensor(op.result())) {
                // scalar work between the elementwise ops is inlined where it is used: it does not end the part
                List<String> a = new ArrayList<>();
                for (Value v : op.operands()) a.add(scalar(v));
                exprs.put(op.result(), scalarOp(op, a));
                i++;
                continue;
            }
            boolean fits = pointOp && isTensor(op.result()) && op.result().type().shape().equals(shape);
            if (!fits) break;
            List<String> a = new ArrayList<>();
            for (Value v : op.operands()) {
                if (local.containsKey(v)) a.add(local.get(v));
                else if (isTensor(v)) {
                    if (!v.type().shape().equals(shape)) throw new CudaEmitter.Unsupported(op + ": operands of different shapes in the prologue");
                    a.add(read(v, "k"));
                } else a.add(scalar(v));
            }
            String name = "e_" + CExpr.ident(op.result().name());
            Elem re = op.result().type().elem();
            body.add(new Model.ScalarDecl(CExpr.ctype(re), name, CExpr.op(op, a)));
            Buffer out = buffers.get(op.result());
            if (out != null) {   // null: only this part reads it, from the register
                body.add(new Model.Assign(out.name() + "[k]", name));
                writes.add(out.name());
            }
            local.put(op.result(), name);
            what.append(what.isEmpty() ? "" : ", ").append(op.result());
            i++;
        }
        if (i == from) throw new CudaEmitter.Unsupported("the prologue op " + ops.get(from) + " has no GPU form");
        part(shape, what + " (elementwise)", body, writes.toArray(String[]::new));
        return i;
    }

    // ------------------------------------------------------------ values

    /** A vector load's declarations and its elements as f32 expressions. */
    private record VecRead(List<Stmt> decls, List<String> elems) {}

    private static final String[] LANES = {"x", "y", "z", "w"};

    /**
     * Elements idx .. idx + w - 1 (w = 2 or 4; idx a multiple of w, so the load is aligned: buffers and
     * tensors are whole allocations) of an f16 or f32 tensor, a parameter or a buffer, by one vector load
     * into {@code var}. Null for other element types.
     */
    private VecRead readN(Value v, String idx, int w, String var) {
        Kernel.Param p = tensorParams.get(v);
        Buffer b = buffers.get(v);
        if (p == null && b == null) return null;
        String name = p != null ? CExpr.tensorName(p.name()) : b.name();
        List<String> elems = new ArrayList<>();
        String type;
        if (p != null && halfIn(p)) {
            type = w == 2 ? "u32" : "uint2";
            for (int i = 0; i < w; i++) {
                String word = w == 2 ? var : var + "." + LANES[i / 2];
                elems.add("qf_h2f((f16)(" + word + (i % 2 == 0 ? " & 0xffffu" : " >> 16") + "))");
            }
        } else if (v.type().elem() == Elem.F32) {
            type = w == 2 ? "float2" : "float4";
            for (int i = 0; i < w; i++) elems.add(var + "." + LANES[i]);
        } else {
            return null;
        }
        return new VecRead(List.of(new Model.ScalarDecl(type, var, "*reinterpret_cast<const " + type + "*>(&" + name + "[" + idx + "])")), elems);
    }

    /** {@link #runRead} for w consecutive elements: the input's vector, less the means' vector for a centred one. */
    private VecRead runReadN(Value x, String j, String inner, int w) {
        Op.Center c = centredOnRead.get(x);
        VecRead raw = readN(c == null ? x : c.x(), "qf_start + " + j, w, "qf_raw");
        if (raw == null || c == null) return raw;
        String type = w == 2 ? "float2" : "float4";
        List<Stmt> decls = new ArrayList<>(raw.decls());
        decls.add(new Model.ScalarDecl(type, "qf_mv", "*reinterpret_cast<const " + type + "*>(&" + buffers.get(c.mean()).name() + "[qf_mrow + " + j + " % " + inner + "])"));
        List<String> elems = new ArrayList<>();
        for (int i = 0; i < w; i++) elems.add("(" + raw.elems().get(i) + " - qf_mv." + LANES[i] + ")");
        return new VecRead(decls, elems);
    }

    /**
     * Elements per load in a run quantization's loops: 4 when a group has 128 elements or more (K's
     * 64-token blocks), 2 from 64 (a token of D = 64), else 1 (D = 32: a lane per element already);
     * only into 8 bits, with a known row length that the width divides.
     */
    private int runWidth(Op.Quantize q, Runs r) {
        Integer inner = constant(r.inner());
        Elem qe = q.q().type().elem();
        if (inner == null || !qe.isInt || qe.bits != 8) return 1;
        long len = (long) inner * (r.blocked() ? r.block() : 1);
        if (inner % 4 == 0 && len >= 128) return 4;
        if (inner % 2 == 0 && len >= 64) return 2;
        return 1;
    }

    /** Stores w quantized bytes (w = 2 or 4) at {@code at} with one 2- or 4-byte store. */
    private static Stmt storeBytes(String buffer, String at, List<String> bytes) {
        String packed = "qf_pack4(" + String.join(", ", bytes) + (bytes.size() == 2 ? ", 0, 0)" : ")");
        return bytes.size() == 2
                ? new Model.Assign("*reinterpret_cast<unsigned short*>(&" + buffer + "[" + at + "])", "(unsigned short)" + packed)
                : new Model.Assign("*reinterpret_cast<u32*>(&" + buffer + "[" + at + "])", packed);
    }

    /** Whether the caller passes tensor parameter {@code p} as f16 (read widened to f32). */
    private boolean halfIn(Kernel.Param p) {
        return halfInputs.contains(p.name());
    }

    /** Element {@code idx} of a tensor value (a parameter or a buffer), as f32 when the caller holds f16. */
    private String read(Value v, String idx) {
        View view = views.get(v);
        if (view != null) return read(view.source(), "(" + idx + ") / (" + view.span() + ")");
        Kernel.Param p = tensorParams.get(v);
        if (p != null) {
            String r = CExpr.tensorName(p.name()) + "[" + idx + "]";
            return halfIn(p) ? "qf_h2f(" + r + ")" : r;
        }
        Buffer b = buffers.get(v);
        if (b == null) throw new IllegalStateException("no buffer for " + v);
        return b.name() + "[" + idx + "]";
    }

    private String scalar(Value v) {
        String e = exprs.get(v);
        if (e == null) throw new CudaEmitter.Unsupported(v + " is not a scalar the prologue computed");
        return e;
    }

    private static String scalarOp(Op op, List<String> a) {
        if (op instanceof Op.Const c) return CExpr.literal(c.result().type().elem(), c.value());
        return CExpr.op(op, a);
    }

    private String dim(Dim d) {
        return product(List.of(d));
    }

    /** The element count of {@code shape} (below 2^31: the runtime checks). */
    private String count(List<Dim> shape) {
        return product(shape);
    }
}
