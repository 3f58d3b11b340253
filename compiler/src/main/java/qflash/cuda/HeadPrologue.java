package qflash.cuda;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import qflash.cuda.CudaEmitter.Arg;
import qflash.cuda.Model.Stmt;
import qflash.cuda.PrologueEmitter.Buffer;
import qflash.ir.Dim;
import qflash.ir.Elem;
import qflash.ir.Kernel;
import qflash.ir.Op;
import qflash.ir.Value;

/**
 * The prologue of a small batch: the schedule's {@code pro_blocks} > 0. The grid-wide prologue
 * ({@link PrologueEmitter}) spreads every part over all SMs and needs two grid barriers; at b = 1 those
 * phases were 12-20 µs of a 20-30 µs call on an H200, most of it waiting. Here each (z, h) head gets its
 * own blocks and no block waits for another:
 * <ul>
 * <li>A <em>staged</em> input (one whose quantization needs more than one token: K centred and quantized per
 * token block, V per channel) gets {@code pro_blocks} blocks per head. Each stages the head in shared memory
 * as f32 and computes the head's statistics itself (column means summed in increasing token order, as the
 * interpreter does; column and group maxima spread over all its threads), then quantizes its share of the
 * tokens. The statistics are computed {@code pro_blocks} times over; walking one head in shared memory is
 * cheaper than a barrier.</li>
 * <li>The <em>light</em> inputs (Q per token) get {@code pro_blocks} blocks per head of their own, a few lanes
 * per token.</li>
 * <li>A max of a run quantization's scales per (z, h) head (the int8 pipeline's k_ref, K's largest block scale) is
 * written by the head's first block of that input. A max over more than one head has no form here.</li>
 * <li>The elementwise ops after that maximum (the launch constants) are computed by that input's blocks, each for
 * its share of the tokens (see {@link #constantsTrack}), and stored where the body loads them: the body is the
 * grid-wide form's.</li>
 * </ul>
 * A call is still two launches, and the numbers are the grid-wide prologue's bit for bit (the same f32 operations
 * in the same order). The form is the one timed in {@code bench/harness/headmode} (session 19): at A7 b = 1 a call
 * of 19.3 µs became 12.8-13.6 µs. It needs each head's tensor in shared memory (N x D floats) and quantization
 * groups inside one head; other kernels keep {@code pro_blocks = 0}, and this class says why.
 */
final class HeadPrologue {
    /** Threads per block of the per-head prologue. */
    static final int THREADS = 256;
    private static final int WARPS = THREADS / 32;
    /** The (group, column) pairs a thread past the columns holds the extremes of (see {@link #stagedTrack}). */
    private static final int PAIRS = 2;

    static final String TUNABLE = PrologueEmitter.TUNABLE;

    /** The tunable's value in {@code k}'s schedule (0 where the schedule does not declare it). */
    static int blocks(Kernel k) {
        long b = k.schedule().getOrDefault(TUNABLE, 0L);
        if (b < 0 || b > 64) throw new CudaEmitter.Unsupported(TUNABLE + " = " + b + ": between 0 (the grid-wide prologue) and 64 blocks per head");
        return (int) b;
    }

    /** One input tensor of the prologue and what is done with it per head. */
    private static final class Track {
        final Kernel.Param input;
        Op.Center center;
        Op.Quantize runs, columns;
        int groupTokens = 1;   // tokens per group of the run quantization (its block size, or 1 per token)
        Op.Reduce chainFirst, chainLast;

        Track(Kernel.Param input) {
            this.input = input;
        }

        /** Whether the quantization needs more than one token at a time (so the head is staged). */
        boolean staged() {
            return center != null || columns != null || groupTokens > 1 || chainFirst != null;
        }
    }

    private final Kernel k;
    private final Map<String, Integer> fixed;
    private final List<Value> yields;
    private final Map<Value, Track> trackOf = new IdentityHashMap<>();   // an input, a centred or quantized value -> its track
    private final List<Track> tracks = new ArrayList<>();
    /** The maxima per (z, h) head of a run quantization's scales (a max chain's result), each with its buffer. */
    private final Map<Value, String> headMax = new IdentityHashMap<>();
    /**
     * The tensor elementwise ops that read a quantization's result or a head's maximum, in order: the
     * launch constants (see {@link #constantsTrack}).
     */
    private final List<Op> pointOps = new ArrayList<>();
    /** The other tensor elementwise ops (of the inputs alone: the bias's constants): the prologue's blocks share them. */
    private final List<Op> inputOps = new ArrayList<>();
    /** The results of {@link #inputOps}. */
    private final Set<Value> inputResults = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /** Scalars as C: parameters, constants, scalar ops over them (those of {@link #ofHeadMax} only where that maximum is known). */
    private final Map<Value, String> scalars = new IdentityHashMap<>();
    /**
     * The values of {@link #scalars} that depend on a head's maximum: only the blocks of {@link #constantsTrack} have
     * them (the light blocks, Q's, and the elementwise ops of the inputs alone do not know it).
     */
    private final Set<Value> ofHeadMax = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /**
     * The staged track whose blocks compute the launch constants (null where there are none). Every elementwise op
     * after the head's maximum reads only that maximum, that track's run scales, a light track's per-token scales and
     * scalars (the int8 launch constants: rs, expM, ... from Q's scale and k_ref; the K-block multipliers from K's
     * scales and k_ref), and the track's blocks know all of it for their share of the tokens (a light scale is
     * recomputed there: a max, then the same division, so the same bits). So the body is the grid-wide form's, with
     * no preamble: until session 27 every body block computed its head's constants before its loop (1.2-1.6 µs of a
     * b = 1 call), since a maximum over all heads was known to no prologue block.
     */
    private Track constantsTrack;
    /** The kernel's own tensor parameters, by value. */
    private final Map<Value, Kernel.Param> inputs = new IdentityHashMap<>();
    private final Dim z, h, n, d;

    private HeadPrologue(Kernel k, Map<String, Integer> fixed) {
        this.k = k;
        this.fixed = fixed;
        this.yields = k.prologue().terminator().values();
        for (Kernel.Param p : k.params()) {
            if (p.derived()) continue;
            if (p.isTensor()) inputs.put(p.value(), p);
            else scalars.put(p.value(), CExpr.scalarName(p.name()));
        }
        List<Op> ops = k.prologue().ops();
        Map<Op.Reduce, Integer> chains = PrologueEmitter.maxChains(ops, yields);
        List<Dim> shape = null;
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            switch (op) {
                case Op.Yield y -> { }
                case Op.Center c -> {
                    shape = headShape(c.x(), shape);
                    if (c.axis() != 2) refuse(op, "a centring along another axis than the tokens");
                    Track t = track(c.x(), op);
                    if (t.center != null || t.columns != null) refuse(op, "a second column statistic of " + t.input.name());
                    t.center = c;
                    trackOf.put(c.centred(), t);
                    if (yields.contains(c.centred())) refuse(op, "the centred tensor is yielded (only its quantization may read it)");
                }
                case Op.Quantize q -> {
                    shape = headShape(q.x(), shape);
                    Track t = track(q.x(), op);
                    boolean centred = t.center != null && q.x() == t.center.centred();
                    if (q.shared().equals(List.of(3)) && (q.blockAxis() < 0 || q.blockAxis() == 2)) {
                        if (t.runs != null) refuse(op, "a second run quantization of " + t.input.name());
                        t.runs = q;
                        t.groupTokens = q.blockAxis() < 0 ? 1 : q.blockSize();
                    } else if (q.shared().equals(List.of(2)) && q.blockAxis() < 0 && !centred) {
                        if (t.columns != null || t.center != null) refuse(op, "a second column statistic of " + t.input.name());
                        t.columns = q;
                    } else {
                        refuse(op, "its groups span heads, or are not a token, a block of tokens or a channel of one head");
                    }
                    trackOf.put(q.q(), t);
                    trackOf.put(q.scale(), t);
                }
                case Op.Reduce r when chains.containsKey(r) -> {
                    int len = chains.get(r);
                    Track t = trackOf.get(r.a());
                    if (t == null || t.runs == null || r.a() != t.runs.scale() || t.chainFirst != null) refuse(op, "a max of something but one run quantization's scales");
                    t.chainFirst = r;
                    t.chainLast = (Op.Reduce) ops.get(i + len - 1);
                    if (!t.chainLast.result().type().shape().equals(List.of(t.runs.q().type().shape().get(0), t.runs.q().type().shape().get(1)))) {
                        refuse(op, "a max over more than one head (one number for the whole batch, say) has no per-head form");
                    }
                    headMax.put(t.chainLast.result(), "b_" + CExpr.ident(t.chainLast.result().name()));
                    i += len - 1;
                }
                case Op.Broadcast b when headMax.containsKey(b.a()) && b.dims().equals(List.of(0, 1)) -> {
                    // a max per head beside per-row values: one number in the body, its head's
                    scalars.put(b.result(), "qf_max_" + CExpr.ident(b.a().name()));
                    ofHeadMax.add(b.result());
                }
                default -> {
                    boolean tensor = op.results().size() == 1 && op.result().type() instanceof qflash.ir.Type.Tensor;
                    if (tensor && PrologueEmitter.pointOp(op)) {
                        boolean ofInputs = op.operands().stream().allMatch(v -> inputs.containsKey(v) || inputResults.contains(v)
                                || (scalars.containsKey(v) && !ofHeadMax.contains(v)));
                        (ofInputs ? inputOps : pointOps).add(op);
                        if (ofInputs) inputResults.add(op.result());
                    } else if (!tensor && (PrologueEmitter.pointOp(op) || op instanceof Op.Const)) {
                        List<String> a = new ArrayList<>();
                        for (Value v : op.operands()) {
                            String s = scalars.get(v);
                            if (s == null) refuse(op, "a scalar computed from a tensor");
                            a.add(s);
                        }
                        scalars.put(op.result(), op instanceof Op.Const c ? CExpr.literal(c.result().type().elem(), c.value()) : CExpr.op(op, a));
                        if (op.operands().stream().anyMatch(ofHeadMax::contains)) ofHeadMax.add(op.result());
                    } else {
                        refuse(op, "no per-head form");
                    }
                }
            }
        }
        if (shape == null) throw new CudaEmitter.Unsupported(TUNABLE + " > 0: the prologue quantizes nothing");
        z = shape.get(0);
        h = shape.get(1);
        n = shape.get(2);
        d = shape.get(3);
        Integer dv = constant(d);
        if (dv == null || dv % 8 != 0 || dv > THREADS) {
            throw new CudaEmitter.Unsupported(TUNABLE + " > 0 needs the head dim fixed, a multiple of 8 and at most " + THREADS);
        }
        for (Op op : pointOps) {
            for (Value v : op.operands()) {
                if (trackOf.containsKey(v) && !yields.contains(v)) refuse(op, "an elementwise op reads " + v + ", which the prologue does not yield");
            }
            if (!op.result().type().shape().equals(List.of(z, h, n))) refuse(op, "an elementwise op over another shape than [Z, H, N]");
        }
        for (Op op : ops) {   // the per-head parts must not need what the body computes
            if ((op instanceof Op.Quantize || op instanceof Op.Center || op instanceof Op.Reduce) && op.operands().stream().anyMatch(v -> pointOps.stream().anyMatch(p -> p.result() == v))) {
                refuse(op, "a quantization reads an elementwise op's result");
            }
        }
        for (Value y : yields) {
            if (!(y.type() instanceof qflash.ir.Type.Tensor)) {
                throw new CudaEmitter.Unsupported(TUNABLE + " > 0: the prologue yields the scalar " + y + ", which has no per-head form");
            }
        }
        constantsTrack = constantsTrack();
        if (!pointOps.isEmpty() && constantsTrack == null) {
            refuse(pointOps.getFirst(), "the launch constants read something besides one staged input's scales, its maximum per head, per-token scales and scalars");
        }
        List<Op> grid = k.grid().ops();
        List<Value> g = k.grid().terminator().values();
        if (g.size() != 3 || !dimOf(grid, g.get(0), z) || !dimOf(grid, g.get(1), h)) {
            throw new CudaEmitter.Unsupported(TUNABLE + " > 0 needs the grid (Z, H, row blocks), as the prologue's tensors [Z, H, N, D]");
        }
    }

    /** See {@link #constantsTrack}: the track, or null when some elementwise op reads anything else. */
    private Track constantsTrack() {
        List<Track> withMax = tracks.stream().filter(t -> t.chainFirst != null && t.runs != null).toList();
        if (withMax.size() != 1 || pointOps.isEmpty()) return null;
        Track owner = withMax.getFirst();
        Set<Value> results = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Op op : pointOps) {
            for (Value v : op.operands()) {
                boolean ok = results.contains(v) || scalars.containsKey(v) || v == owner.runs.scale() || lightScale(v) != null;
                if (!ok) return null;
            }
            results.add(op.result());
        }
        return owner;
    }

    /** The light track whose per-token scale {@code v} is, or null. */
    private Track lightScale(Value v) {
        for (Track t : light()) if (t.runs != null && t.groupTokens == 1 && t.runs.scale() == v) return t;
        return null;
    }

    private static boolean dimOf(List<Op> ops, Value v, Dim d) {
        return ops.stream().anyMatch(op -> op instanceof Op.DimOf o && o.result() == v && !d.isConst() && o.symbol().equals(d.symbol()));
    }

    private Track track(Value x, Op op) {
        Track t = trackOf.get(x);
        if (t != null) return t;
        Kernel.Param p = inputs.get(x);
        if (p == null) refuse(op, "its input is neither a tensor parameter nor its centred copy");
        t = new Track(p);
        tracks.add(t);
        trackOf.put(x, t);
        return t;
    }

    private List<Dim> headShape(Value x, List<Dim> shape) {
        List<Dim> s = x.type().shape();
        if (s.size() != 4) throw new CudaEmitter.Unsupported(TUNABLE + " > 0 needs [Z, H, N, D] tensors, not " + x + " " + x.type());
        if (shape != null && !shape.equals(s)) throw new CudaEmitter.Unsupported(TUNABLE + " > 0 needs every quantized tensor of one shape");
        return s;
    }

    private static void refuse(Op op, String why) {
        throw new CudaEmitter.Unsupported(TUNABLE + " > 0 (the per-head prologue): " + CudaEmitter.at(op) + ": " + why);
    }

    private static Integer constant(String c) {
        try {
            return Integer.valueOf(c);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private Integer constant(Dim x) {
        return x.isConst() ? Integer.valueOf(x.size()) : fixed.get(x.symbol());
    }

    /** A dim as C: its size where known at compile time, else its symbol argument. */
    private String dim(Dim x) {
        Integer v = constant(x);
        return v != null ? v.toString() : CExpr.symbolName(x.symbol());
    }

    /** Threads per column of a column max: as many whole copies of the head dim as the block has threads. */
    private static int columnThreads(int headDim) {
        return THREADS / headDim;
    }

    private List<Track> staged() {
        return tracks.stream().filter(Track::staged).toList();
    }

    private List<Track> light() {
        return tracks.stream().filter(t -> !t.staged()).toList();
    }

    // ------------------------------------------------------------ the prologue kernel

    /** The per-head prologue of {@code k} ({@code pro_blocks} > 0), its derived tensors in the {@link KeyMajor} layout where {@code keyMajor} names them. */
    static PrologueEmitter.Program program(Kernel k, Set<String> halfInputs, Map<String, Integer> fixed, Set<String> keyMajor) {
        return new HeadPrologue(k, fixed).emit(halfInputs, keyMajor, blocks(k));
    }

    private PrologueEmitter.Program emit(Set<String> halfInputs, Set<String> keyMajor, int perTrack) {
        Map<Value, Buffer> buffers = new IdentityHashMap<>();
        List<Buffer> bufferList = new ArrayList<>();
        Map<Value, String> derivedName = new IdentityHashMap<>();
        Map<Value, Value> definitions = k.derivedDefinitions();
        for (Kernel.Param p : k.params()) if (p.derived()) derivedName.put(definitions.get(p.value()), p.name());
        for (Value y : yields) {
            if (buffers.containsKey(y)) continue;
            Buffer b = new Buffer("b_" + CExpr.ident(y.name()), y.type().elem(), y.type().shape(), keyMajor.contains(derivedName.get(y)));
            if (b.keyMajor() && !(trackOf.get(y) instanceof Track t && t.columns != null && t.columns.q() == y)) {
                throw new CudaEmitter.Unsupported(derivedName.get(y) + ": only a channel quantization's result is written key-major by the per-head prologue");
            }
            buffers.put(y, b);
            bufferList.add(b);
        }
        headMax.forEach((v, name) -> {   // written by the K blocks, yielded or not
            if (buffers.containsKey(v)) return;
            Buffer b = new Buffer(name, Elem.F32, List.of(z, h));
            buffers.put(v, b);
            bufferList.add(b);
        });

        Map<String, Arg> args = new LinkedHashMap<>();
        for (Kernel.Param p : k.params()) {
            if (p.derived() || !p.isTensor()) continue;
            if (tracks.stream().noneMatch(t -> t.input == p)) continue;
            args.put("t:" + p.name(), new Arg(Arg.Kind.TENSOR, p.name(), halfInputs.contains(p.name()) ? Elem.F16 : p.value().type().elem()));
        }
        for (Op op : inputOps) {
            for (Value v : op.operands()) {
                Kernel.Param p = inputs.get(v);
                if (p != null) args.putIfAbsent("t:" + p.name(), new Arg(Arg.Kind.TENSOR, p.name(), halfInputs.contains(p.name()) ? Elem.F16 : p.value().type().elem()));
            }
        }
        for (Buffer b : bufferList) args.put("b:" + b.name(), new Arg(Arg.Kind.TENSOR, b.name(), b.elem()));
        List<Stmt> shared = inputWork(buffers, halfInputs);
        scalarArgs(shared, args);
        List<Stmt> named = new ArrayList<>();   // the scalars the launch constants name (inlined as C) are arguments too
        for (Op op : pointOps) for (Value v : op.operands()) if (scalars.containsKey(v)) named.add(new Model.ExprStmt(scalars.get(v)));
        scalarArgs(named, args);
        for (Dim x : inputOps.stream().flatMap(op -> op.result().type().shape().stream()).toList()) {
            if (!x.isConst() && constant(x) == null) args.putIfAbsent("n:" + x.symbol(), new Arg(Arg.Kind.SYMBOL, x.symbol(), Elem.I32));
        }
        if (!n.isConst() && constant(n) == null) args.put("n:" + n.symbol(), new Arg(Arg.Kind.SYMBOL, n.symbol(), Elem.I32));
        List<String> params = new ArrayList<>();
        for (Arg a : args.values()) {
            params.add(a.kind() == Arg.Kind.SYMBOL ? "int " + CExpr.symbolName(a.name())
                    : a.kind() == Arg.Kind.SCALAR ? CExpr.ctype(a.elem()) + " " + CExpr.scalarName(a.name())
                    : CExpr.ctype(a.elem()) + "* __restrict__ " + (a.name().startsWith("b_") ? a.name() : CExpr.tensorName(a.name())));
        }

        List<Track> staged = staged(), light = light();
        // The light inputs get blocks of their own beside the staged ones: on the staged blocks' idle warps their
        // global loads were on the column statistic's path (one round trip per token of a warp, at b = 1 ~0.7 µs).
        boolean lightBlocks = !staged.isEmpty() && !light.isEmpty();
        int tracksPerHead = Math.max(1, staged.size() + (lightBlocks ? 1 : 0)), perHead = tracksPerHead * perTrack;
        String nn = dim(n), dd = dim(d);
        int dv = constant(d);
        List<Stmt> body = new ArrayList<>();
        body.add(new Model.ScalarDecl("int", "qf_head", "(int)blockIdx.x / " + perHead));
        body.add(new Model.Comment(tracksPerHead + " x " + perTrack + " blocks per head: qf_track is the staged tensor" + (lightBlocks ? " (or, last, the light ones)" : "") + ", qf_sub the block's share of it"));
        body.add(new Model.ScalarDecl("int", "qf_part", "(int)blockIdx.x % " + perHead));
        body.add(new Model.ScalarDecl("int", "qf_track", "qf_part / " + perTrack));
        body.add(new Model.ScalarDecl("int", "qf_sub", "qf_part % " + perTrack));
        body.add(new Model.ScalarDecl("int", "qf_len", nn + " * " + dd));
        body.add(new Model.ScalarDecl("int", "qf_base", "qf_head * qf_len"));
        body.add(new Model.Comment("the tokens this block quantizes: its share of the head"));
        body.add(new Model.ScalarDecl("int", "qf_per", "(" + nn + " + " + (perTrack - 1) + ") / " + perTrack));
        body.add(new Model.ScalarDecl("int", "qf_t0", "min(" + nn + ", qf_sub * qf_per)"));
        body.add(new Model.ScalarDecl("int", "qf_t1", "min(" + nn + ", qf_t0 + qf_per)"));
        body.addAll(shared);
        if (!staged.isEmpty()) {
            body.add(new Model.ArrayDecl("__shared__ float", "qf_col", dv));
            if (staged.stream().anyMatch(t -> t.columns != null && columnThreads(dv) > 1)) body.add(new Model.ArrayDecl("__shared__ int", "qf_colm", dv));
            body.add(new Model.Comment("the column statistic; after the staged head, the run quantization's group maxima (the bits of |x|: a max of them is a max of |x|)"));
            body.add(new Model.Var("int*", "qf_gm", "reinterpret_cast<int*>(qf_dyn + qf_len)"));
        }
        for (int ti = 0; ti < staged.size(); ti++) {
            Track t = staged.get(ti);
            body.add(new Model.Block((ti == 0 ? "if" : "else if") + " (qf_track == " + ti + ")", stagedTrack(t, buffers, halfInputs, perTrack)));
        }
        if (lightBlocks) {
            body.add(new Model.Block("else", lightWork(light, buffers, halfInputs, "qf_sub * " + WARPS + " + qf_warp", perTrack * WARPS)));
        } else if (!light.isEmpty()) {
            body.addAll(lightWork(light, buffers, halfInputs, "qf_part * " + WARPS + " + qf_warp", perHead * WARPS));
        }
        String what = (staged.isEmpty() ? "" : staged.stream().map(t -> t.input.name()).toList() + " staged, " + perTrack + " block" + (perTrack == 1 ? "" : "s") + " each per head")
                + (light.isEmpty() ? "" : (staged.isEmpty() ? "" : "; ") + light.stream().map(t -> t.input.name()).toList() + " per token" + (lightBlocks ? ", on " + perTrack + " more" : ""));
        body.addAll(PrologueEmitter.trigger(k));
        String entry = "qf_prologue";
        String src = ModelWalker.shared().render(new Model.KernelSource("per-head prologue of kernel @" + k.name() + " (" + TUNABLE + " = " + perTrack + "): " + what,
                List.of(), ModelWalker.prelude(), new Model.HeadKernel(entry, params, THREADS, body)));

        Map<String, String> derived = new LinkedHashMap<>();
        for (Kernel.Param p : k.params()) {
            if (!p.derived()) continue;
            Buffer b = buffers.get(definitions.get(p.value()));
            if (b != null) derived.put(p.name(), b.name());
        }
        return new PrologueEmitter.Program(src, List.of(new PrologueEmitter.Step(entry, what)), bufferList, new ArrayList<>(args.values()), derived,
                new PrologueEmitter.Launch(THREADS, perHead, List.of(z, h), List.of(n, d), List.of(n)));
    }

    /**
     * The elementwise ops of the inputs alone, spread over all the prologue's blocks before their heads' work
     * (they read only parameters, so nothing waits for them): one loop per run of ops of one shape, a result
     * kept in a register where only its run reads it, else stored.
     */
    private List<Stmt> inputWork(Map<Value, Buffer> buffers, Set<String> halfInputs) {
        List<Stmt> s = new ArrayList<>();
        int i = 0;
        while (i < inputOps.size()) {
            List<Dim> shape = inputOps.get(i).result().type().shape();
            List<Stmt> loop = new ArrayList<>();
            Map<Value, String> local = new IdentityHashMap<>();
            List<String> what = new ArrayList<>();
            for (; i < inputOps.size() && inputOps.get(i).result().type().shape().equals(shape); i++) {
                Op op = inputOps.get(i);
                List<String> a = new ArrayList<>();
                for (Value v : op.operands()) {
                    if (local.containsKey(v)) a.add(local.get(v));
                    else if (inputs.containsKey(v) && v.type().shape().equals(shape)) a.add(read(inputs.get(v), halfInputs, "k"));
                    else if (scalars.containsKey(v)) a.add(scalars.get(v));
                    else throw new CudaEmitter.Unsupported(TUNABLE + " > 0: " + CudaEmitter.at(op) + " reads " + v + ", of another loop or shape");
                }
                String name = "e_" + CExpr.ident(op.result().name());
                loop.add(new Model.ScalarDecl(CExpr.ctype(op.result().type().elem()), name, CExpr.op(op, a)));
                local.put(op.result(), name);
                Buffer b = buffers.get(op.result());
                if (b != null) loop.add(new Model.Assign(b.name() + "[k]", name));
                what.add(op.result().toString());
            }
            String count = String.join(" * ", shape.stream().map(this::dim).toList());
            s.add(new Model.Comment(String.join(", ", what) + " (elementwise, of the inputs alone): spread over all the blocks"));
            s.add(new Model.Block("for (int k = (int)blockIdx.x * QF_THREADS + (int)threadIdx.x; k < " + count + "; k += (int)gridDim.x * QF_THREADS)", loop));
        }
        for (Op op : pointOps) {
            for (Value v : op.operands()) {
                if (inputResults.contains(v) && !yields.contains(v)) {
                    throw new CudaEmitter.Unsupported(TUNABLE + " > 0: " + CudaEmitter.at(op) + " reads " + v + ", which the prologue does not keep");
                }
            }
        }
        return s;
    }

    /** Element {@code i} of an input as f32 (f16 widened: exact). */
    private static String read(Kernel.Param p, Set<String> halfInputs, String i) {
        String r = CExpr.tensorName(p.name()) + "[" + i + "]";
        return halfInputs.contains(p.name()) ? "qf_h2f(" + r + ")" : r;
    }

    /**
     * One staged input's work in a block: stage the head, its column statistic (means or channel scales), its
     * group scales and their max over the head, then the block's share of the quantized tensor and its scales.
     * A max (of a column, of a group) is spread over all the block's threads and combined with shared-memory
     * atomics, since any order gives the same max; a mean is summed by one thread per column, in increasing
     * token order, as the interpreter sums it.
     */
    private List<Stmt> stagedTrack(Track t, Map<Value, Buffer> buffers, Set<String> halfInputs, int perTrack) {
        String nn = dim(n), dd = dim(d);
        List<Stmt> s = new ArrayList<>();
        s.add(new Model.Comment(t.input.name() + ": staged as f32, its statistics computed by each of its " + perTrack + " block" + (perTrack == 1 ? "" : "s") + " of the head"));
        List<Stmt> stage = new ArrayList<>();
        if (halfInputs.contains(t.input.name())) {
            stage.add(new Model.ScalarDecl("uint4", "qf_v", "*reinterpret_cast<const uint4*>(&" + CExpr.tensorName(t.input.name()) + "[qf_base + i])"));
            // two 16-byte stores: eight scalar ones from each thread conflicted 8-way on the banks
            for (int u = 0; u < 2; u++) {
                String a = u == 0 ? "x" : "z", b = u == 0 ? "y" : "w";
                stage.add(new Model.Assign("*reinterpret_cast<float4*>(&qf_dyn[i + " + 4 * u + "])", "make_float4(qf_h2f((f16)(qf_v." + a + " & 0xffffu)), qf_h2f((f16)(qf_v." + a
                        + " >> 16)), qf_h2f((f16)(qf_v." + b + " & 0xffffu)), qf_h2f((f16)(qf_v." + b + " >> 16)))"));
            }
        } else {
            for (int u = 0; u < 2; u++) {
                stage.add(new Model.Assign("*reinterpret_cast<float4*>(&qf_dyn[i + " + 4 * u + "])", "*reinterpret_cast<const float4*>(&" + CExpr.tensorName(t.input.name()) + "[qf_base + i + " + 4 * u + "])"));
            }
        }
        int dv = constant(d), rpc = columnThreads(dv);
        int bs = t.groupTokens;
        String groups = bs == 1 ? nn : "(" + nn + " + " + (bs - 1) + ") / " + bs;
        if (t.runs != null) s.add(new Model.ScalarDecl("int", "qf_groups", groups));
        // the atomics' starting values, before the barrier that ends the staging
        if (t.runs != null) s.add(new Model.Block("for (int g = threadIdx.x; g < qf_groups; g += QF_THREADS)", List.of(new Model.Assign("qf_gm[g]", "0"))));
        if (t.columns != null && rpc > 1) s.add(new Model.ExprStmt("if ((int)threadIdx.x < " + dd + ") qf_colm[threadIdx.x] = 0"));
        s.add(new Model.Line("#pragma unroll 4"));
        s.add(new Model.Block("for (int i = threadIdx.x * 8; i < qf_len; i += QF_THREADS * 8)", stage));
        s.add(new Model.Sync());
        List<Stmt> column = new ArrayList<>();
        column.add(new Model.ScalarDecl("int", "c", "threadIdx.x"));
        if (t.center != null) {
            column.add(new Model.Var("float", "qf_sum", "0.0f"));
            column.add(new Model.Line("#pragma unroll 16"));
            column.add(new Model.Block("for (int r = 0; r < " + nn + "; ++r)", List.of(new Model.Assign("qf_sum", "qf_sum + qf_dyn[r * " + dd + " + c]"))));
            column.add(new Model.Assign("qf_col[c]", "qf_sum / (float)" + nn));
            Buffer mb = buffers.get(t.center.mean());
            if (mb != null) column.add(new Model.ExprStmt("if (qf_sub == 0) " + mb.name() + "[qf_head * " + dd + " + c] = qf_col[c]"));
        } else if (t.columns != null && rpc > 1) {
            Elem qe = t.columns.q().type().elem();
            // rpc threads per column, each over every rpc-th token, then one atomic max per thread
            List<Stmt> part = new ArrayList<>();
            part.add(new Model.ScalarDecl("int", "c", "threadIdx.x % " + dd));
            part.add(new Model.Var("int", "qf_m", "0"));
            part.add(new Model.Line("#pragma unroll 8"));
            part.add(new Model.Block("for (int r = threadIdx.x / " + dd + "; r < " + nn + "; r += " + rpc + ")", List.of(new Model.Assign("qf_m", "max(qf_m, " + PrologueEmitter.absBits("qf_dyn[r * " + dd + " + c]") + ")"))));
            part.add(new Model.ExprStmt("atomicMax(&qf_colm[c], qf_m)"));
            if (rpc * dv < THREADS) s.add(new Model.Block("if ((int)threadIdx.x < " + rpc * dv + ")", part));
            else s.add(new Model.Block("", part));
            s.add(new Model.Sync());
            column.add(new Model.Assign("qf_col[c]", PrologueEmitter.scaleOf(qe, "__int_as_float(qf_colm[c])")));
            column.add(new Model.ExprStmt("if (qf_sub == 0) " + buffers.get(t.columns.scale()).name() + "[qf_head * " + dd + " + c] = qf_col[c]"));
        } else if (t.columns != null) {
            Elem qe = t.columns.q().type().elem();
            column.add(new Model.Var("int", "qf_m", "0"));
            column.add(new Model.Line("#pragma unroll 8"));
            column.add(new Model.Block("for (int r = 0; r < " + nn + "; ++r)", List.of(new Model.Assign("qf_m", "max(qf_m, " + PrologueEmitter.absBits("qf_dyn[r * " + dd + " + c]") + ")"))));
            column.add(new Model.Assign("qf_col[c]", PrologueEmitter.scaleOf(qe, "__int_as_float(qf_m)")));
            column.add(new Model.ExprStmt("if (qf_sub == 0) " + buffers.get(t.columns.scale()).name() + "[qf_head * " + dd + " + c] = qf_col[c]"));
        }
        // The centred groups' maxima without a pass after the means: rounding is monotonic, so over a column of a
        // group max |fl(x - m)| = max(|fl(hi - m)|, |fl(lo - m)|) for its largest and smallest x. fmaxf and fminf
        // skip a NaN, which does not matter: a NaN x makes its column's mean m NaN, so fl(hi - m) is NaN as every
        // fl(x - m) of the column is. The threads past the columns find hi and lo while the means are summed, up to
        // PAIRS (group, column) pairs each, kept in registers across the barrier.
        boolean extremes = t.center != null && t.runs != null && bs > 1 && dv < THREADS;
        int spare = THREADS - dv;
        if (extremes) {
            s.add(new Model.ScalarDecl("bool", "qf_ext", "qf_groups * " + dd + " <= " + PAIRS * spare));
            s.add(new Model.ArrayDecl("float", "qf_hi", PAIRS));
            s.add(new Model.ArrayDecl("float", "qf_lo", PAIRS));
        }
        s.add(new Model.Block("if ((int)threadIdx.x < " + dd + ")", column));
        if (extremes) {
            Stmt find = overPairs(dd, spare, List.of(new Model.Assign("qf_hi[u]", "-qf_inf()"), new Model.Assign("qf_lo[u]", "qf_inf()")), List.of(
                    new Model.ScalarDecl("int", "g", "qf_pr / " + dd),
                    new Model.ScalarDecl("int", "c", "qf_pr % " + dd),
                    new Model.Line("#pragma unroll 8"),
                    new Model.Block("for (int r = g * " + bs + "; r < min(" + nn + ", (g + 1) * " + bs + "); ++r)", List.of(
                            new Model.Assign("qf_hi[u]", "fmaxf(qf_hi[u], qf_dyn[r * " + dd + " + c])"),
                            new Model.Assign("qf_lo[u]", "fminf(qf_lo[u], qf_dyn[r * " + dd + " + c])")))));
            s.add(new Model.Block("else if (qf_ext)", List.of(new Model.Line("#pragma unroll"), find)));
        }
        s.add(new Model.Sync());
        String x = t.center != null ? "(qf_dyn[i] - qf_col[i % " + dd + "])" : "qf_dyn[i]";
        if (t.runs != null) {
            Elem qe = t.runs.q().type().elem();
            java.util.function.UnaryOperator<String> scaleOfGroup = g -> "(" + PrologueEmitter.scaleOf(qe, "__int_as_float(qf_gm[" + g + "])") + ")";
            List<Stmt> scan = new ArrayList<>();
            scan.add(new Model.ScalarDecl("int", "qf_wpg", "max(1, " + WARPS + " / qf_groups)"));
            scan.add(new Model.Block("for (int qf_it = qf_warp; qf_it < qf_groups * qf_wpg; qf_it += " + WARPS + ")", List.of(
                    new Model.ScalarDecl("int", "g", "qf_it / qf_wpg"),
                    new Model.Var("int", "qf_m", "0"),
                    new Model.Line("#pragma unroll 8"),
                    new Model.Block("for (int i = g * " + bs + " * " + dd + " + (qf_it % qf_wpg) * 32 + qf_lane; i < min(" + nn + ", (g + 1) * " + bs + ") * " + dd + "; i += 32 * qf_wpg)",
                            List.of(new Model.Assign("qf_m", "max(qf_m, " + PrologueEmitter.absBits(x) + ")"))),
                    PrologueEmitter.warpFold("qf_m", o -> "max(qf_m, " + o + ")"),
                    new Model.ExprStmt("if (qf_lane == 0) atomicMax(&qf_gm[g], qf_m)"))));
            if (extremes) {
                s.add(new Model.Comment(t.runs.q() + ", " + t.runs.scale() + ": the maxima of all the head's groups of " + bs + " tokens, from each column's extremes"));
                Stmt combine = new Model.ExprStmt("atomicMax(&qf_gm[qf_pr / " + dd + "], max(" + PrologueEmitter.absBits("qf_hi[u] - qf_col[c]") + ", "
                        + PrologueEmitter.absBits("qf_lo[u] - qf_col[c]") + "))");
                Stmt fold = overPairs(dd, spare, List.of(), List.of(new Model.ScalarDecl("int", "c", "qf_pr % " + dd), combine));
                s.add(new Model.Block("if (qf_ext)", List.of(new Model.Block("if ((int)threadIdx.x >= " + dd + ")", List.of(new Model.Line("#pragma unroll"), fold)))));
                scan.add(0, new Model.Comment("more groups than the spare threads hold: a pass over the centred head, qf_wpg warps a group where there are fewer groups than warps"));
                s.add(new Model.Block("else", scan));
            } else {
                s.add(new Model.Comment(t.runs.q() + ", " + t.runs.scale() + ": the maxima of all the head's groups of " + bs + " token" + (bs == 1 ? "" : "s")
                        + ", qf_wpg warps a group when there are fewer groups than warps"));
                s.add(new Model.Block("", scan));
            }
            s.add(new Model.Sync());
            if (t.chainFirst != null) {
                s.add(new Model.Comment(t.chainLast.result() + ": this head's, the max of its group scales (each token has its group's)"));
                s.add(new Model.Block("if (qf_sub == 0 && qf_warp == 0)", List.of(
                        new Model.Var("float", "qf_p", "-qf_inf()"),
                        new Model.Block("for (int g = qf_lane; g < qf_groups; g += 32)", List.of(new Model.Assign("qf_p", "fmaxf(qf_p, " + scaleOfGroup.apply("g") + ")"))),
                        PrologueEmitter.warpFold("qf_p", o -> "fmaxf(qf_p, " + o + ")"),
                        new Model.ExprStmt("if (qf_lane == 0) " + headMax.get(t.chainLast.result()) + "[qf_head] = qf_p"))));
            }
            List<String> q4 = new ArrayList<>();
            for (int u = 0; u < 4; u++) q4.add(PrologueEmitter.quantized(qe, x.replace("[i]", "[i + " + u + "]").replace("[i % ", "[(i + " + u + ") % "), "qf_s"));
            s.add(new Model.Block("for (int i = qf_t0 * " + dd + " + threadIdx.x * 4; i < qf_t1 * " + dd + "; i += QF_THREADS * 4)", List.of(
                    new Model.ScalarDecl("float", "qf_s", scaleOfGroup.apply("(i / " + dd + ") / " + bs)),
                    new Model.Assign("*reinterpret_cast<u32*>(&" + buffers.get(t.runs.q()).name() + "[qf_base + i])", "qf_pack4(" + String.join(", ", q4) + ")"))));
            s.add(new Model.Block("for (int i = qf_t0 + threadIdx.x; i < qf_t1; i += QF_THREADS)", List.of(
                    new Model.Assign(buffers.get(t.runs.scale()).name() + "[qf_head * " + nn + " + i]", scaleOfGroup.apply("i / " + bs)))));
            if (t == constantsTrack) s.addAll(constants(t, buffers, halfInputs, scaleOfGroup));
        }
        if (t.columns != null) {
            Elem qe = t.columns.q().type().elem();
            Buffer qb = buffers.get(t.columns.q());
            if (qb.keyMajor()) {
                // A word per (column, 4 keys) as KeyMajor lays them out: keys 2t, 2t+1, 2t+8, 2t+9 of a 16-key group
                // at bytes 0-3; padding keys are 0. The words of the head are shared among the blocks, the column
                // fastest: a warp reads 32 columns of a token from shared memory (one key per thread was 32-way on a bank).
                s.add(new Model.Comment(t.columns.q() + ": quantized into its key-major copy, this block's share of the head's words"));
                s.add(new Model.ScalarDecl("int", "qf_npad", "(" + nn + " + 15) & ~15"));
                s.add(new Model.ScalarDecl("int", "qf_words", dd + " * (qf_npad / 4)"));
                s.add(new Model.ScalarDecl("int", "qf_wper", "(qf_words + " + (perTrack - 1) + ") / " + perTrack));
                s.add(new Model.ScalarDecl("int", "qf_w1", "min(qf_words, (qf_sub + 1) * qf_wper)"));
                List<Stmt> word = new ArrayList<>();
                word.add(new Model.ScalarDecl("int", "c", "w % " + dd));
                word.add(new Model.ScalarDecl("int", "qf_p4", "w / " + dd));
                word.add(new Model.ScalarDecl("int", "qf_g16", "qf_p4 / 4"));
                word.add(new Model.ScalarDecl("int", "qf_t", "qf_p4 % 4"));
                int[] keyOf = {0, 1, 8, 9};
                List<String> bytes = new ArrayList<>();
                for (int j = 0; j < 4; j++) {
                    word.add(new Model.ScalarDecl("int", "qf_key" + j, "qf_g16 * 16 + 2 * qf_t + " + keyOf[j]));
                    bytes.add("qf_key" + j + " < " + nn + " ? " + PrologueEmitter.quantized(qe, "qf_dyn[qf_key" + j + " * " + dd + " + c]", "qf_col[c]") + " : 0");
                }
                word.add(new Model.Assign("*reinterpret_cast<u32*>(&" + qb.name() + "[(qf_head * " + dd + " + c) * qf_npad + qf_g16 * 16 + 4 * qf_t])", "qf_pack4(" + String.join(", ", bytes) + ")"));
                s.add(new Model.Block("for (int w = qf_sub * qf_wper + threadIdx.x; w < qf_w1; w += QF_THREADS)", word));
            } else {
                s.add(new Model.Comment(t.columns.q() + ": this block's share of the head's tokens"));
                s.add(new Model.Block("for (int i = qf_t0 * " + dd + " + threadIdx.x; i < qf_t1 * " + dd + "; i += QF_THREADS)", List.of(
                        new Model.Assign(qb.name() + "[qf_base + i]", PrologueEmitter.quantized(qe, "qf_dyn[i]", "qf_col[i % " + dd + "]")))));
            }
        }
        return s;
    }

    /**
     * The loop over the (group, column) pairs of a thread past the columns (thread D + p holds pairs p, p + spare, ...):
     * {@code before} for every slot, {@code inside} for a slot that holds a pair ({@code qf_pr}).
     */
    private static Stmt overPairs(String dd, int spare, List<Stmt> before, List<Stmt> inside) {
        List<Stmt> slot = new ArrayList<>();
        slot.add(new Model.ScalarDecl("int", "qf_pr", "(int)threadIdx.x - " + dd + " + u * " + spare));
        slot.addAll(before);
        slot.add(new Model.Block("if (qf_pr < qf_groups * " + dd + ")", inside));
        return new Model.Block("for (int u = 0; u < " + PAIRS + "; ++u)", slot);
    }

    /** How a warp walks tokens of D values: {@code lanes} lanes a token, {@code per} values a lane, {@code tokens} tokens at a time. */
    private record TokenLanes(int lanes, int per, int tokens, boolean ragged) {
        static TokenLanes of(int dv) {
            int lanes = Math.min(32, Integer.highestOneBit(Math.max(1, (dv + 3) / 4 - 1)) * 2), per = (dv + lanes - 1) / lanes;
            return new TokenLanes(lanes, per, 32 / lanes, lanes * per != dv);
        }
    }

    /**
     * A token's values of input {@code t} into {@code qf_x} (its lane's share; 0 where {@code qf_in} is false) and the
     * bits of their largest |x| into {@code qf_m}, folded over the token's lanes: the amax of a per-token quantization.
     */
    private List<Stmt> tokenAmax(Track t, Set<String> halfInputs, TokenLanes tl) {
        String dd = dim(d);
        List<Stmt> s = new ArrayList<>();
        s.add(new Model.ArrayDecl("float", "qf_x", tl.per()));
        s.add(new Model.Var("int", "qf_m", "0"));
        s.add(new Model.Line("#pragma unroll"));
        s.add(new Model.Block("for (int u = 0; u < " + tl.per() + "; ++u)", List.of(
                new Model.ScalarDecl("int", "j", "qf_lane % " + tl.lanes() + " + " + tl.lanes() + " * u"),
                new Model.Assign("qf_x[u]", "qf_in" + (tl.ragged() ? " && j < " + dd : "") + " ? " + read(t.input, halfInputs, "qf_o + j") + " : 0.0f"),
                new Model.Assign("qf_m", "max(qf_m, " + PrologueEmitter.absBits("qf_x[u]") + ")"))));
        s.add(PrologueEmitter.warpFold("qf_m", o -> "max(qf_m, " + o + ")", tl.lanes()));
        return s;
    }

    /**
     * The launch constants of the block's share of the head's tokens, in the track that owns the head's maximum
     * (see {@link #constantsTrack}): the maximum from the group scales in shared memory (each thread folds them: a
     * max in any order is the same), a light input's scale of each token recomputed from its values, then every
     * elementwise op, one lane per token, and the outputs stored where the body loads them.
     */
    private List<Stmt> constants(Track t, Map<Value, Buffer> buffers, Set<String> halfInputs, java.util.function.UnaryOperator<String> scaleOfGroup) {
        String nn = dim(n), dd = dim(d);
        TokenLanes tl = TokenLanes.of(constant(d));
        List<Stmt> s = new ArrayList<>();
        String hm = "qf_max_" + CExpr.ident(t.chainLast.result().name());   // the name the scalars after it use
        // the light inputs whose per-token scales the constants read, each recomputed here
        List<Track> recomputed = pointOps.stream().flatMap(op -> op.operands().stream()).map(this::lightScale).filter(java.util.Objects::nonNull).distinct().toList();
        s.add(new Model.Comment("the launch constants of this block's tokens: " + t.chainLast.result() + " of the head, " + t.runs.scale() + " of each token's group"
                + recomputed.stream().map(x -> ", " + x.runs.scale() + " recomputed").reduce("", String::concat)));
        s.add(new Model.Var("float", hm, "-qf_inf()"));
        s.add(new Model.Block("for (int g = 0; g < qf_groups; ++g)", List.of(new Model.Assign(hm, "fmaxf(" + hm + ", " + scaleOfGroup.apply("g") + ")"))));
        List<Stmt> token = new ArrayList<>();
        token.add(new Model.ScalarDecl("int", "t", "qf_tw + qf_lane / " + tl.lanes()));
        token.add(new Model.ScalarDecl("bool", "qf_in", "t < qf_t1"));
        token.add(new Model.ScalarDecl("int", "qf_o", "qf_base + min(t, " + nn + " - 1) * " + dd));
        Map<Value, String> local = new IdentityHashMap<>();
        for (Track lt : recomputed) {
            List<Stmt> amax = new ArrayList<>(tokenAmax(lt, halfInputs, tl));
            String var = "qf_s_" + CExpr.ident(lt.input.name());
            amax.add(new Model.Assign(var, PrologueEmitter.scaleOf(lt.runs.q().type().elem(), "__int_as_float(qf_m)")));
            token.add(new Model.Var("float", var, "0.0f"));
            token.add(new Model.Block("", amax));
            local.put(lt.runs.scale(), var);
        }
        local.put(t.runs.scale(), scaleOfGroup.apply("t / " + t.groupTokens));
        List<Stmt> lane = new ArrayList<>();
        List<Op> outs = pointOps.stream().filter(op -> buffers.containsKey(op.result()) && yields.contains(op.result())).toList();
        for (Op op : slice(outs)) {
            List<String> a = new ArrayList<>();
            for (Value v : op.operands()) a.add(local.containsKey(v) ? local.get(v) : scalars.get(v));
            String name = "e_" + CExpr.ident(op.result().name());
            lane.add(new Model.ScalarDecl(CExpr.ctype(op.result().type().elem()), name, CExpr.op(op, a)));
            local.put(op.result(), name);
            if (outs.contains(op)) lane.add(new Model.Assign(buffers.get(op.result()).name() + "[qf_head * " + nn + " + t]", name));
        }
        token.add(new Model.Block("if (qf_in && qf_lane % " + tl.lanes() + " == 0)", lane));
        s.add(new Model.Block("for (int qf_tw = qf_t0 + qf_warp * " + tl.tokens() + "; qf_tw < qf_t1; qf_tw += " + WARPS * tl.tokens() + ")", token));
        return s;
    }

    /**
     * The light inputs (quantized per token from global memory): warp {@code first} of the head's warps, then
     * every {@code stride}-th, each taking 32 / L tokens at a time, L lanes a token (L the power of two that gives
     * each lane about 4 of the token's D values): at D = 32 a warp walked 49 tokens in 7 dependent round trips.
     */
    private List<Stmt> lightWork(List<Track> light, Map<Value, Buffer> buffers, Set<String> halfInputs, String first, int stride) {
        String nn = dim(n), dd = dim(d);
        TokenLanes tl = TokenLanes.of(constant(d));
        int lanes = tl.lanes(), per = tl.per(), tokens = tl.tokens();
        boolean ragged = tl.ragged();
        List<Stmt> s = new ArrayList<>();
        for (Track t : light) {
            Elem qe = t.runs.q().type().elem();
            Buffer qb = buffers.get(t.runs.q()), sb = buffers.get(t.runs.scale());
            List<Stmt> token = new ArrayList<>();
            token.add(new Model.ScalarDecl("int", "t", "qf_tw + qf_lane / " + lanes));
            token.add(new Model.ScalarDecl("bool", "qf_in", "t < " + nn));
            token.add(new Model.ScalarDecl("int", "qf_o", "qf_base + min(t, " + nn + " - 1) * " + dd));
            token.addAll(tokenAmax(t, halfInputs, tl));
            token.add(new Model.ScalarDecl("float", "qf_s", PrologueEmitter.scaleOf(qe, "__int_as_float(qf_m)")));
            List<Stmt> store = new ArrayList<>();
            store.add(new Model.Line("#pragma unroll"));
            store.add(new Model.Block("for (int u = 0; u < " + per + "; ++u)", List.of(
                    new Model.ScalarDecl("int", "j", "qf_lane % " + lanes + " + " + lanes + " * u"),
                    new Model.ExprStmt((ragged ? "if (j < " + dd + ") " : "") + qb.name() + "[qf_o + j] = " + PrologueEmitter.quantized(qe, "qf_x[u]", "qf_s")))));
            store.add(new Model.ExprStmt("if (qf_lane % " + lanes + " == 0) " + sb.name() + "[qf_head * " + nn + " + t] = qf_s"));
            token.add(new Model.Block("if (qf_in)", store));
            s.add(new Model.Comment(t.runs.q() + ", " + t.runs.scale() + " = quantize " + t.input.name() + " per token: " + lanes + " lanes a token, "
                    + tokens + " token" + (tokens == 1 ? "" : "s") + " a warp at a time, the head's tokens shared by its blocks"));
            s.add(new Model.Block("for (int qf_tw = (" + first + ") * " + tokens + "; qf_tw < " + nn + "; qf_tw += " + stride * tokens + ")", token));
        }
        return s;
    }

    /** Adds to {@code args} each scalar parameter that {@code stmts} name (scalars are inlined as C, so that is where they show). */
    private void scalarArgs(List<Stmt> stmts, Map<String, Arg> args) {
        String text = ModelWalker.shared().render(new Model.Block("", stmts));
        for (Kernel.Param p : k.params()) {
            if (!p.derived() && !p.isTensor() && Pattern.compile("\\b" + CExpr.scalarName(p.name()) + "\\b").matcher(text).find()) {
                args.put("s:" + p.name(), new Arg(Arg.Kind.SCALAR, p.name(), p.value().type().elem()));
            }
        }
    }

    /** The elementwise ops that {@code outs} need, in order. */
    private List<Op> slice(List<Op> outs) {
        Set<Value> need = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        outs.forEach(op -> need.add(op.result()));
        List<Op> keep = new ArrayList<>();
        for (int i = pointOps.size() - 1; i >= 0; i--) {
            Op op = pointOps.get(i);
            if (!need.contains(op.result())) continue;
            keep.add(0, op);
            need.addAll(op.operands());
        }
        return keep;
    }
}
