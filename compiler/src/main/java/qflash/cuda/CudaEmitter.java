package qflash.cuda;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import qflash.cuda.Model.Stmt;
import qflash.ir.Block;
import qflash.ir.Dim;
import qflash.ir.Elem;
import qflash.ir.Kernel;
import qflash.ir.Op;
import qflash.ir.Type;
import qflash.ir.Value;
import qflash.ir.Verifier;

/**
 * Lowers the body of a lowered kernel to one CUDA C kernel with FlashAttention-2's schedule: one thread
 * block per grid point (row block, head, batch), each warp owning {@code BLOCK_M / warps} query rows,
 * every {@code dot} on tensor cores through {@code mma.sync}, reductions over rows with warp shuffles,
 * and tiles that feed a {@code dot} staged in shared memory with {@code cp.async}, {@code stages}-deep
 * inside the loop.
 *
 * <p>Each IR value becomes one of four things ({@link CVal}): a scalar C expression; a <em>lazy</em>
 * value (aranges, constants, broadcasts, loads not worth keeping, and elementwise ops on those), whose
 * element is an expression of the position and is written out where it is used; a register array in an
 * {@link Layout} (products, reductions, loop-carried values and everything elementwise on them); or a
 * staged tile in shared memory. Elementwise ops over register arrays of one layout share one unrolled
 * loop. The per-element C follows {@code qflash.interp.Arith} operation for operation, so integer
 * kernels give the interpreter's bits.
 *
 * <p>Emission runs twice: the first run records in which layouts each rank-1 load is read; loads read in
 * one layout only, inside a loop, are then kept in registers by the second run instead of being re-read
 * from global memory at every use.
 */
public final class CudaEmitter {
    /** An op as the backend's messages name it: its position in the source and its IR line. */
    static String at(Op op) {
        return (op.loc() == null ? "" : op.loc() + ": ") + "'" + qflash.ir.IrPrinter.brief(op).strip().replaceFirst(" loc\\([^)]*\\)$", "") + "'";
    }

    /**
     * The schedule tunable that sets the blocks per SM the body's registers are budgeted for
     * ({@code __launch_bounds__}' second argument); 0, or not declared, takes the emitter's estimate.
     */
    public static final String MIN_BLOCKS = "min_blocks";

    /** The kernel cannot be mapped onto this schedule; the message says why (a user-facing error). */
    public static final class Unsupported extends RuntimeException {
        public Unsupported(String message) {
            super(message, null, false, false);
        }
    }

    /** What a launch passes, in order: tensors (device pointers), scalars, then shape symbols (ints). */
    public record Arg(Kind kind, String name, Elem elem) {
        /** SCALAR_REF: a scalar the prologue computed, passed as a pointer to its one-element device buffer. */
        public enum Kind { TENSOR, SCALAR, SCALAR_REF, SYMBOL }
    }

    /** The emitted kernel and what launching it takes; {@code minBlocks}: the blocks per SM its registers are budgeted for ({@code __launch_bounds__}). */
    public record CudaKernel(String source, String entry, int threads, int smemBytes, int minBlocks, List<Arg> args,
                             Map<String, Integer> fixedSymbols, Set<String> keyMajor) {}

    private sealed interface CVal {}

    private record Uniform(String expr) implements CVal {}

    private record Lazy(Op op) implements CVal {}

    private record Reg(String name, Layout layout) implements CVal {}

    /**
     * A tile in shared memory: {@code ptr} is a typed pointer to row 0; rows are {@code stride} elements apart;
     * {@code buffered}: one of a loop's stages-deep buffers, refilled every iteration.
     */
    private record Staged(String ptr, int stride, boolean buffered, boolean keyMajor) implements CVal {}

    private record Param(Kernel.Param param) implements CVal {}

    /** A vector of a loop step staged in shared memory with the step's tiles: {@code ptr} is a typed pointer to element 0. */
    private record StagedVector(String ptr, boolean buffered) implements CVal {}

    private enum Axis { ROW, COL, ZERO }

    /**
     * Emits {@code k}'s body. {@code fixed} binds shape symbols that must be compile-time constants
     * (the head dimension sizes register arrays); the others become kernel arguments.
     */
    public static CudaKernel emit(Kernel k, Map<String, Integer> fixed, String sourceFile) {
        return emit(k, fixed, sourceFile, Set.of());
    }

    /**
     * As {@link #emit(Kernel, Map, String)}; the float output tensors named in {@code halfOutputs} are
     * stored as f16 (each value rounded to nearest even from the IR's f32), so a call can end in f16.
     */
    public static CudaKernel emit(Kernel k, Map<String, Integer> fixed, String sourceFile, Set<String> halfOutputs) {
        Verifier.verifyLowered(k);
        for (String o : halfOutputs) {
            Kernel.Param p = k.param(o);
            if (p == null || !p.out() || p.value().type().elem().isInt) throw new Unsupported("f16 output " + o + ": not a float output tensor of @" + k.name());
        }
        Emission dry = new Emission(k, fixed, sourceFile, null, Set.of(), halfOutputs);
        dry.run();
        Map<Value, Layout> keep = new IdentityHashMap<>();
        dry.demands.forEach((v, ls) -> {
            // Kept in registers only where a loop reads it: a vector read only after the loop (V's scales in
            // the epilogue) would hold its registers through the whole loop, at the cost of occupancy.
            if (ls.size() == 1 && !ls.contains(null) && dry.readInLoop.contains(v)) keep.put(v, ls.iterator().next());
        });
        // A vector loaded before a pipelined loop and read only after it (V's scales in the epilogue) is
        // copied into shared memory with the first tile, so the epilogue does not wait on global memory.
        Set<Value> stageOuter = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        stageOuter.addAll(dry.readAfterStagedLoop);
        stageOuter.removeAll(dry.readElsewhere);
        stageOuter.removeAll(keep.keySet());
        Emission real = new Emission(k, fixed, sourceFile, keep, stageOuter, halfOutputs);
        return real.run();
    }

    private static final class Emission {
        private final Kernel k;
        private final Map<String, Integer> fixed;
        private final String file;
        private final Map<Value, Layout> keep;
        private final Map<Value, Set<Layout>> demands = new IdentityHashMap<>();
        /** A tile staged outside any loop whose copy nobody has waited for yet. */
        private boolean outerStagePending;

        private void awaitOuterStage() {
            if (!outerStagePending) return;
            close();
            out.add(new Model.StageWait(0, true));
            outerStagePending = false;
        }

        /** 32-bit registers per thread of the loop-carried tiles, and of the largest tensor-core product. */
        private int carriedWords, productWords;
        /** The demanded vectors read inside a loop. */
        private final Set<Value> readInLoop = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        /** Vectors read only after a loop that waits for copies (whose head's wait covers earlier ones), or read elsewhere too. */
        private final Set<Value> readAfterStagedLoop = java.util.Collections.newSetFromMap(new IdentityHashMap<>()),
                readElsewhere = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        private boolean afterStagedLoop;
        /** A vector read after the next loop was staged before it: the loop must wait for it even when it runs no step. */
        private boolean outerVectorStaged;
        /** Vectors to copy into shared memory where they are loaded, outside any loop (from the dry run). */
        private final Set<Value> stageOuter;
        private final int bm, warps, stages, mt, threads, split;
        private final Map<Value, CVal> vals = new IdentityHashMap<>();
        private final Set<Value> feedsDot = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        /** Loads staged from a tensor the prologue writes key-major (see {@link KeyMajor}), and those tensors' names. */
        private final Set<Value> keyMajorLoads = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        private final Set<String> keyMajorTensors = new HashSet<>();
        private final Map<Value, Op> defs = new IdentityHashMap<>();
        /** Padding tests {@code kb·BN + arange(BN) < N} of a key loop, each with the flag that says its step is full (see {@link #peel}). */
        private final Map<Value, String> trueInFullStep = new IdentityHashMap<>();
        private final Set<Value> inClampOnly = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        private final Map<Value, String> exactAxis = new IdentityHashMap<>();   // grid variable -> the symbol its extent is
        private final Map<String, Arg> args = new LinkedHashMap<>();
        private final Set<String> usedNames = new HashSet<>();
        private List<Stmt> out = new ArrayList<>();
        /** The register arrays {@link #materialize} computed, which {@link DeadArrays} drops where nothing reads them. */
        private final Set<String> computed = new LinkedHashSet<>();
        private Layout openLayout;
        private List<Stmt> openBody;
        private int smemBytes;
        private boolean zeroSmem;
        private int lastLine = -1;
        /** The innermost loop being emitted, where staged loads collect their prefetch statements. */
        private LoopFrame loop;

        private record LoopFrame(String var, List<Stmt> stage) {}

        private final Set<String> halfOutputs;

        Emission(Kernel k, Map<String, Integer> fixed, String file, Map<Value, Layout> keep, Set<Value> stageOuter, Set<String> halfOutputs) {
            this.halfOutputs = halfOutputs;
            this.stageOuter = stageOuter;
            this.k = k;
            this.fixed = fixed;
            this.file = file;
            this.keep = keep;
            this.bm = sched("BLOCK_M");
            this.warps = sched("warps");
            this.stages = Math.max(1, k.schedule().getOrDefault("stages", 2L).intValue());
            this.threads = 32 * warps;
            // ksplit warps share each 16-row slab, each taking 1/ksplit of every tile's columns (a key block's
            // scores, the output's head dims): at a small batch a step's chain of integer ops per score is what
            // a block waits for, and the split divides it.
            this.split = k.schedule().getOrDefault("ksplit", 1L).intValue();
            if (split < 1 || warps % split != 0) throw new Unsupported("ksplit = " + split + " must divide warps = " + warps);
            int slabs = warps / split;
            if (bm % (16 * slabs) != 0) {
                throw new Unsupported("BLOCK_M = " + bm + " cannot be split over " + slabs + " warp" + (slabs == 1 ? "" : "s") + " of 16-row mma tiles"
                        + (split > 1 ? " (" + warps + " warps, ksplit = " + split + ")" : "") + " (BLOCK_M must be a multiple of " + 16 * slabs + ")");
            }
            this.mt = bm / (16 * slabs);
        }

        private int sched(String name) {
            Long v = k.schedule().get(name);
            if (v == null) throw new Unsupported("the CUDA schedule needs the tunable " + name + " (declare it in the kernel's schedule block)");
            return v.intValue();
        }

        CudaKernel run() {
            Map<Value, Kernel.Param> scalars = new IdentityHashMap<>();
            for (Kernel.Param p : k.params()) {
                vals.put(p.value(), p.isTensor() ? new Param(p) : new Uniform(CExpr.scalarName(p.name())));
                if (!p.isTensor()) scalars.put(p.value(), p);
            }
            if (PrologueEmitter.dependent(k)) {
                out.add(new Model.Comment(PrologueEmitter.DEPENDENT + " = 1: launched as a dependent of the prologue, so nothing it wrote is read before this"));
                out.add(new Model.ExprStmt("qf_pdl_wait()"));
            }
            Map<Value, Value> definitions = k.derivedDefinitions();
            Kernel.forEachOp(k.body(), op -> {
                for (Value v : op.operands()) {
                    Kernel.Param p = scalars.get(v);
                    if (p != null && p.derived() && HeadPrologue.blocks(k) > 0 && !(definitions.get(p.value()).type() instanceof qflash.ir.Type.Tensor)) {
                        throw new Unsupported(HeadPrologue.TUNABLE + " > 0: the body reads the scalar " + p.name() + ", which the per-head prologue does not write");
                    }
                    if (p != null && !args.containsKey("s:" + p.name())) {
                        args.put("s:" + p.name(), new Arg(p.derived() ? Arg.Kind.SCALAR_REF : Arg.Kind.SCALAR, p.name(), p.value().type().elem()));
                        if (p.derived()) {
                            // Read once: the prologue left it in device memory, so the host never waits for it.
                            out.add(new Model.ScalarDecl(CExpr.ctype(p.value().type().elem()), CExpr.scalarName(p.name()), "*" + CExpr.refName(p.name())));
                        }
                    }
                }
            });
            // Tiles a dot reads, directly or through a transpose (defined before the dot), go to shared memory.
            Kernel.forEachOp(k.body(), op -> {
                for (Value r : op.results()) defs.put(r, op);
                if (op instanceof Op.Dot d) {
                    for (Value v : List.of(d.a(), d.b())) {
                        feedsDot.add(v);
                        if (defs.get(v) instanceof Op.Transpose t) feedsDot.add(t.a());
                    }
                }
            });
            keyMajor();
            // The inner op of a clamp that becomes one instruction is not computed on its own when the clamp is its only use.
            Map<Value, Integer> useCount = new IdentityHashMap<>();
            Kernel.forEachOp(k.body(), op -> op.operands().forEach(v -> useCount.merge(v, 1, Integer::sum)));
            Kernel.forEachOp(k.body(), op -> {
                Clamp c = clamp0(op);
                if (c == null) return;
                for (Value v : op.operands()) {
                    if (!(defs.get(v) instanceof Op.Const) && useCount.getOrDefault(v, 0) == 1) inClampOnly.add(v);
                }
            });
            Block body = k.body();
            String[] grid = {"(int)blockIdx.x", "(int)blockIdx.y", "(int)blockIdx.z"};
            int gr = body.args().size();
            if (gr > 3) throw new Unsupported("a grid of rank " + gr + " (CUDA grids have at most 3 axes)");
            for (int a = 0; a < gr; a++) vals.put(body.args().get(a), new Uniform(grid[gr - 1 - a]));
            exactAxes();
            emitBlock(body);
            close();
            awaitOuterStage();   // no copy may be in flight when the block exits

            List<String> params = new ArrayList<>();
            List<Arg> argList = new ArrayList<>(args.values());
            for (Arg a : argList) {
                params.add(switch (a.kind()) {
                    case TENSOR -> CExpr.ctype(a.elem()) + "* __restrict__ " + CExpr.tensorName(a.name());
                    case SCALAR -> CExpr.ctype(a.elem()) + " " + CExpr.scalarName(a.name());
                    case SCALAR_REF -> "const " + CExpr.ctype(a.elem()) + "* __restrict__ " + CExpr.refName(a.name());
                    case SYMBOL -> "int " + CExpr.symbolName(a.name());
                });
            }
            String entry = "qf_" + CExpr.ident(k.name());
            long declared = k.schedule().getOrDefault(MIN_BLOCKS, 0L), minBlocks = declared > 0 ? declared : occupancy();
            String bounds = threads + (minBlocks > 1 ? ", " + minBlocks : "");
            Model.KernelFunction fn = new Model.KernelFunction(entry, params, threads, bounds, Math.max(16, smemBytes),
                    split == 1 ? "qf_warp * " + 16 * mt : "(qf_warp / " + split + ") * " + 16 * mt, split == 1 ? null : "qf_warp % " + split, zeroSmem, out);
            List<String> defines = new ArrayList<>();
            fixed.forEach((s, v) -> defines.add("QF_" + s + " " + v));
            Model.KernelSource src = new Model.KernelSource(
                    "kernel @" + k.name() + " for CUDA: schedule " + k.schedule() + ", " + fixed + ", from " + file,
                    defines, ModelWalker.prelude(), fn);
            return new CudaKernel(DeadArrays.render(src, computed), entry, threads, smemBytes, (int) minBlocks, argList, Map.copyOf(fixed), Set.copyOf(keyMajorTensors));
        }

        /**
         * Blocks per SM to ask the compiler for ({@code __launch_bounds__}' second argument; a schedule's
         * {@code min_blocks} tunable, when above 0, overrides it). Left alone, ptxas takes 128 to 255 registers and fits 2
         * to 4 blocks of 4 warps on an SM, and the body, a long chain of dependent integer ops between
         * barriers, stalls for want of warps (measured on an H200: 5 blocks instead of 4 made Swin rows
         * 20-27% faster). So registers are budgeted: the loop-carried tiles and the largest product tile,
         * which are live across the whole iteration, plus {@link #WORKING_REGS} for addresses, row
         * constants and temporaries. At BLOCK_N = 64 that gives 6, 5, 4, 4, 3, 3, 1 blocks for D = 16, 32,
         * 64, 80, 96, 128, 256, where ptxas spills at most 28 bytes for int8 and qflash (fp16: 156 at D = 128;
         * at D = 256 all spill, bound or not).
         */
        private int occupancy() {
            int perThread = carriedWords + productWords + WORKING_REGS;
            return Math.max(1, REGISTERS_PER_SM / (threads * perThread));
        }

        private static final int REGISTERS_PER_SM = 65536, WORKING_REGS = 38;

        // ------------------------------------------------------------ blocks and ops

        private void emitBlock(Block b) {
            for (Op op : b.ops()) {
                if (op instanceof Op.Yield) return;
                emitOp(op);
            }
        }

        private void emitOp(Op op) {
            switch (op) {
                case Op.Const c -> vals.put(c.result(), c.result().tile().isScalar() ? new Uniform(CExpr.literal(c.result().type().elem(), c.value())) : new Lazy(c));
                case Op.DimOf d -> vals.put(d.result(), new Uniform(symbol(d.symbol())));
                case Op.Arange a -> vals.put(a.result(), new Lazy(a));
                case Op.Broadcast b -> vals.put(b.result(), new Lazy(b));
                case Op.Transpose t -> vals.put(t.result(), new Lazy(t));
                case Op.Unary u -> elementwise(op);
                case Op.Binary b -> elementwise(op);
                case Op.Cmp c -> elementwise(op);
                case Op.Select s -> elementwise(op);
                case Op.Convert c -> elementwise(op);
                case Op.Load l -> load(l);
                case Op.Dot d -> dot(d);
                case Op.Reduce r -> reduce(r);
                case Op.Store s -> store(s);
                case Op.For f -> forLoop(f);
                case Op.Yield y -> throw new IllegalStateException("yield inside a block");
                case Op.Quantize q -> throw new Unsupported("quantize belongs in the prologue, not in the kernel body");
                case Op.Center c -> throw new Unsupported("center belongs in the prologue, not in the kernel body");
            }
        }

        private void elementwise(Op op) {
            Value r = op.result();
            if (r.tile().isScalar()) {
                List<String> a = new ArrayList<>();
                for (Value v : op.operands()) a.add(uniform(v));
                Clamp c = clamp0(op);
                vals.put(r, new Uniform(c != null ? CExpr.clamp0(uniform(c.x()), (long) c.hi()) : scalarC(op, a)));
                return;
            }
            Layout layout = null;
            for (Value v : op.operands()) {
                if (vals.get(v) instanceof Reg reg && v.type().shape().equals(r.type().shape())) {
                    if (layout != null && !layout.equals(reg.layout())) throw new Unsupported(at(op) + ": mixes two register layouts");
                    layout = reg.layout();
                }
            }
            if (layout == null || inClampOnly.contains(r)) {
                vals.put(r, new Lazy(op));
                return;
            }
            Layout l = layout;
            materialize(op, r, l, () -> element(op, axesOf(l), Ctx.of(l)));
        }

        /** Computes {@code r} into a register array, in the open element loop when it has the same layout. */
        private void materialize(Op op, Value r, Layout layout, java.util.function.Supplier<String> element) {
            String name = fresh(r);
            if (openLayout == null || !openLayout.equals(layout)) {
                close();
                line(op);
                openLayout = layout;
                openBody = new ArrayList<>();
            }
            out.add(new Model.ArrayDecl(CExpr.ctype(r.type().elem()), name, layout.count()));
            computed.add(name);
            Model.Assign assign = new Model.Assign(name + "[i]", element.get());
            if (deadTiles != null && deadTiles.guarded(r) && layout instanceof Layout.Frag f) {
                String guard = tileOn(f);
                Model.TileGuard g = !openBody.isEmpty() && openBody.getLast() instanceof Model.TileGuard t && t.guard().equals(guard) ? t : null;
                if (g == null) {
                    g = new Model.TileGuard(guard, new ArrayList<>(), new ArrayList<>());
                    openBody.add(g);
                }
                g.body().add(assign);
                // P's tiles past N meet V's zero rows in a k chunk that has keys below N: any value gives 0, zero is defined.
                if (deadTiles.zeroed(r)) g.otherwise().add(new Model.Assign(name + "[i]", "0"));
            } else {
                openBody.add(assign);
            }
            vals.put(r, new Reg(name, layout));
        }

        /** Ends the open element loop, if any: the next statement is not part of it. */
        private void close() {
            if (openLayout == null) return;
            out.add(new Model.ElementLoop(openLayout.count(), openBody));
            openLayout = null;
            openBody = null;
        }

        private void emit(Op op, Stmt s) {
            close();
            line(op);
            out.add(s);
        }

        private void line(Op op) {
            if (op.loc() == null || op.loc().line() <= 0 || op.loc().line() == lastLine) return;
            lastLine = op.loc().line();
            out.add(new Model.Line("#line " + lastLine + " \"" + file.replace("\\", "/").replace("\"", "") + "\""));
        }

        private void load(Op.Load l) {
            Value r = l.result();
            if (r.tile().isScalar()) {
                Parts p = access(l, List.of(), null);
                String name = fresh(r);
                emit(l, new Model.ScalarDecl(CExpr.ctype(r.type().elem()), name, guarded(l, p)));
                vals.put(r, new Uniform(name));
                return;
            }
            if (keyMajorLoads.contains(r)) {
                stageKeyMajor(l);
                return;
            }
            if (feedsDot.contains(r)) {
                stage(l);
                return;
            }
            if (loop == null && stageOuter.contains(r) && r.type().elem().bits == 32 && rowsOf(l) != null) {
                stageVector(l);
                return;
            }
            if (loop != null && r.type().rank() == 1 && r.type().elem().bits == 32 && rowsOf(l) != null) {
                // Copied with the step's tiles, a stage ahead, instead of read from global memory per thread
                // where it is used (the K-block multipliers: their latency stalled the scores' first use).
                stageVector(l);
                return;
            }
            Layout kept = keep == null ? null : keep.get(r);
            if (kept != null) {
                materialize(l, r, kept, () -> guarded(l, access(l, axesOf(kept), Ctx.of(kept))));
                return;
            }
            vals.put(r, new Lazy(l));
        }

        /** Copies a [rows, D] tile that feeds a dot into shared memory: once, or stages-deep in a loop. */
        private void stage(Op.Load l) {
            Value r = l.result();
            List<Dim> shape = r.type().shape();
            Elem e = r.type().elem();
            if (shape.size() != 2 || l.indices().getLast() != null) {
                throw new Unsupported(at(l) + ": a tile that feeds a dot must be [rows, :] of a tensor's last axis");
            }
            int rows = size(shape.get(0)), cols = size(shape.get(1));
            int es = CExpr.bytes(e);
            int kw = CExpr.kWidth(e);
            if (cols * es % 16 != 0) throw new Unsupported(at(l) + ": rows of " + cols * es + " bytes; cp.async copies 16-byte chunks (head dims must be multiples of " + 16 / es + ")");
            int stride = CExpr.roundUp(cols, kw) + 16 / es;   // 16 bytes of padding spread a fragment's rows over the banks
            if (CExpr.roundUp(cols, kw) != cols) zeroSmem = true;  // k padding must read as 0
            Slot slot = stageSlot(rows * stride * es);
            Rows rs = rowsOf(l);
            if (rs == null) throw new Unsupported(at(l) + ": a staged tile's rows must be s + arange(n) along one tensor axis");
            Model.StageTile st = new Model.StageTile("stage " + r + " = " + l.tensor() + "[...] in shared memory: " + rows + " rows of " + cols + " x " + e.text,
                    cols * es / 16, 16, slot.into(), stride * es, rs.tensor(), rs.base(), rs.stride(), rs.strideBytes(es), rs.start(), rs.limit(), rs.uniformOk(),
                    Model.Spread.of("qf_c", rows * (cols * es / 16), threads));
            vals.put(r, new Staged(slot.read(CExpr.ctype(e)), stride, slot.inLoop(), false));
            issueCopy(l, st);
        }

        /**
         * Where a staged copy lives in shared memory: from {@code at}, {@code stages} buffers of {@code bytes} in a
         * loop (the copy writes buffer {@code qf_sbuf}, the step reads {@code qf_buf_<loopVar>}), else one.
         */
        private record Slot(int at, int bytes, String loopVar) {
            boolean inLoop() {
                return loopVar != null;
            }

            /** Where the copy writes. */
            String into() {
                return "qf_smem + " + at + (inLoop() ? " + qf_sbuf * " + bytes : "");
            }

            /** A typed pointer to what the step reads. */
            String read(String ctype) {
                return "reinterpret_cast<const " + ctype + "*>(qf_smem + " + at + (inLoop() ? " + qf_buf_" + loopVar + " * " + bytes : "") + ")";
            }
        }

        /** Allocates the shared memory of a staged copy of {@code bytes} per buffer (stages-deep inside a loop). */
        private Slot stageSlot(int bytes) {
            Slot slot = new Slot(smemBytes, bytes, loop == null ? null : loop.var());
            smemBytes += bytes * (slot.inLoop() ? stages : 1);
            return slot;
        }

        /**
         * Which 8-bit tiles that are the right operand of a product with a register-held left one (V in P.V) are
         * read from a key-major copy of their tensor (see {@link KeyMajor}) instead of being transposed in shared
         * memory every step: those of a tensor the prologue computes (so its layout is the kernel's own: the
         * prologue writes it so, a host-computed one is rearranged as it is uploaded) whose every load in the body
         * is such a tile, a [keys, :] slice at {@code s + arange(n)} along the next-to-last axis, n a multiple of 16.
         * On an H200 the transpose and its barrier were 12-14% of a ViT step (b = 64 and 256).
         */
        private void keyMajor() {
            Map<Value, List<Op.Load>> loadsOf = new IdentityHashMap<>();
            Set<Value> candidates = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            Kernel.forEachOp(k.body(), op -> {
                if (op instanceof Op.Load l) loadsOf.computeIfAbsent(l.tensor(), t -> new ArrayList<>()).add(l);
                if (!(op instanceof Op.Dot d) || !(defs.get(d.b()) instanceof Op.Load l)) return;
                boolean aInRegisters = !(defs.get(d.a()) instanceof Op.Load) && d.a().type().elem().bits == 8;
                if (aInRegisters && keyMajorSlice(l)) candidates.add(l.result());
            });
            loadsOf.forEach((t, loads) -> {
                if (loads.stream().allMatch(l -> candidates.contains(l.result()))) {
                    loads.forEach(l -> keyMajorLoads.add(l.result()));
                    keyMajorTensors.add(((Param) vals.get(t)).param().name());
                }
            });
        }

        /** A [n, :] tile of a derived i8 tensor at s + arange(n) along its next-to-last axis, n a multiple of 16. */
        private boolean keyMajorSlice(Op.Load l) {
            if (!(vals.get(l.tensor()) instanceof Param(Kernel.Param p)) || !p.derived() || p.value().type().elem() != Elem.I8) return false;
            int rank = l.indices().size();
            List<Dim> shape = l.result().type().shape();
            if (rank < 2 || shape.size() != 2 || l.indices().getLast() != null || !shape.get(0).isConst() || shape.get(0).size() % 16 != 0) return false;
            for (int d = 0; d < rank - 2; d++) {
                if (l.indices().get(d) == null || !l.indices().get(d).tile().isScalar()) return false;
            }
            Value keys = l.indices().get(rank - 2);
            return keys != null && !keys.tile().isScalar();
        }

        /**
         * Stages a [keys, cols] tile of a key-major tensor as cols rows of keys (the transposed tile, keys in the
         * A fragment's k order as the prologue stored them): 16-key chunks, a chunk from key N on zero-filled
         * (keys from N to the next multiple of 16 are zeros in the tensor itself).
         */
        private void stageKeyMajor(Op.Load l) {
            Value r = l.result();
            List<Dim> dims = l.tensor().type().shape();
            int rank = dims.size();
            int keys = size(r.type().shape().get(0)), cols = size(r.type().shape().get(1));
            String start = affineStart(l.indices().get(rank - 2));
            if (start == null) throw new Unsupported(at(l) + ": a key-major tile's keys must be s + arange(n)");
            String prefix = "0LL";
            List<String> uniformOk = new ArrayList<>();
            for (int d = 0; d < rank - 2; d++) {
                String at = uniform(l.indices().get(d));
                testBounds(uniformOk, l.indices().get(d), at, dims.get(d));
                prefix = d == 0 ? "(i64)(" + at + ")" : "(" + prefix + " * " + dimExpr(dims.get(d)) + " + (" + at + "))";
            }
            String tensor = tensorArg(l.tensor());
            String limit = dimExpr(dims.get(rank - 2));
            String padded = "((i64)(" + limit + " + 15) & ~15LL)";
            String base = "(" + prefix + " * " + dimExpr(dims.get(rank - 1)) + ") * " + padded + " + (" + start + ")";
            int stride = keys + 16;
            Slot slot = stageSlot(cols * stride);
            Stmt st = new Model.StageKeyMajor("stage " + r + " = " + l.tensor() + "[...] in shared memory from its key-major copy: " + cols + " rows of " + keys
                    + " keys in the A fragment's k order", keys / 16, slot.into(), stride, tensor, base, padded, start, limit,
                    uniformOk.isEmpty() ? "true" : String.join(" && ", uniformOk), Model.Spread.of("qf_c", cols * (keys / 16), threads));
            vals.put(r, new Staged(slot.read("i8"), stride, slot.inLoop(), true));
            issueCopy(l, st);
        }

        /**
         * A copy into shared memory: in a loop, one of the step's prefetches; outside, issued here in a
         * commit group of its own, with no wait: the next loop's first wait (all groups but the newest
         * stages - 1) covers it too, so Q's load overlaps the first K/V tiles' instead of preceding them.
         */
        private void issueCopy(Op.Load l, Stmt st) {
            if (loop != null) {
                loop.stage().add(st);
                return;
            }
            emit(l, st);
            out.add(new Model.Commit());
            outerStagePending = true;
        }

        /**
         * A vector of 4-byte elements copied into shared memory by 4-byte cp.async: in a loop, stages-deep with
         * the step's tiles; outside, once, in the commit group the next loop head's first wait covers (a vector
         * read only after that loop).
         */
        private void stageVector(Op.Load l) {
            Value r = l.result();
            int n = size(r.type().shape().getFirst());
            Slot slot = stageSlot(n * 4);
            Rows rs = rowsOf(l);
            Model.StageTile st = new Model.StageTile("stage " + r + " = " + l.tensor() + "[...] in shared memory: " + n + " x " + r.type().elem().text + (slot.inLoop() ? "" : ", read after the loop"),
                    1, 4, slot.into(), 4, rs.tensor(), rs.base(), rs.stride(), rs.strideBytes(4), rs.start(), rs.limit(), rs.uniformOk(),
                    Model.Spread.of("qf_c", n, threads));
            vals.put(r, new StagedVector(slot.read(CExpr.ctype(r.type().elem())), slot.inLoop()));
            issueCopy(l, st);
            if (!slot.inLoop()) outerVectorStaged = true;
        }

        /**
         * Where a load's consecutive rows live: its one non-scalar index is s + arange (`n` rows of the tensor from
         * row s), so row r's address is {@code base + (start + r) * stride}, {@code base} that of the slice's row 0
         * (the other indices only: with a key step's start folded into it, ptxas rebuilt the whole 64-bit product
         * in every step), and its bound is {@code start + r < limit}; {@code uniformOk} checks the other indices.
         * Null when the load has another form.
         */
        private record Rows(String tensor, String base, String stride, String start, String limit, String uniformOk) {
            /** The row stride in bytes as an int expression (a tile's rows are few, so offsets within it fit). */
            String strideBytes(int elementBytes) {
                return "(int)(" + stride + ") * " + elementBytes;
            }
        }

        private Rows rowsOf(Op.Load l) {
            int rowAxis = -1;
            for (int d = 0; d < l.indices().size(); d++) {
                Value ix = l.indices().get(d);
                if (ix != null && !ix.tile().isScalar()) {
                    if (rowAxis >= 0) return null;
                    rowAxis = d;
                }
            }
            // A vector over a whole last axis ([..., :]) is that axis's rows from 0.
            boolean whole = rowAxis < 0 && l.result().type().rank() == 1 && l.indices().getLast() == null;
            if (whole) rowAxis = l.indices().size() - 1;
            String start = whole ? "0" : rowAxis < 0 ? null : affineStart(l.indices().get(rowAxis));
            if (start == null) return null;
            List<Dim> dims = l.tensor().type().shape();
            String rowBase = "0LL";
            List<String> uniformOk = new ArrayList<>();
            for (int d = 0; d < dims.size(); d++) {
                Value ix = l.indices().get(d);
                String at = d == rowAxis ? "0" : ix == null ? "0" : uniform(ix);
                if (d != rowAxis && ix != null) testBounds(uniformOk, ix, at, dims.get(d));
                rowBase = d == 0 ? "(i64)(" + at + ")" : "(" + rowBase + " * " + dimExpr(dims.get(d)) + " + (" + at + "))";
            }
            String rowStride = "1LL";
            for (int d = rowAxis + 1; d < dims.size(); d++) rowStride = rowStride + " * " + dimExpr(dims.get(d));
            String tensor = tensorArg(l.tensor());
            if (isOptional(l.tensor())) uniformOk.addFirst(tensor + " != nullptr");
            return new Rows(tensor, rowBase, rowStride, start, dimExpr(dims.get(rowAxis)), uniformOk.isEmpty() ? "true" : String.join(" && ", uniformOk));
        }

        /**
         * The grid variables whose extent is a shape symbol itself ({@code dim Z}): the launch has exactly
         * that many blocks along the axis, so such a variable indexes an axis of that symbol in bounds, and no
         * access tests it (in the copies, the tests rebuilt every key step were a tenth of their instructions).
         */
        private void exactAxes() {
            Block grid = k.grid();
            if (grid == null || !(grid.ops().getLast() instanceof Op.Yield y)) return;
            Map<Value, Op> gridDefs = new IdentityHashMap<>();
            for (Op op : grid.ops()) for (Value r : op.results()) gridDefs.put(r, op);
            for (int a = 0; a < y.values().size() && a < k.body().args().size(); a++) {
                if (gridDefs.get(y.values().get(a)) instanceof Op.DimOf d) exactAxis.put(k.body().args().get(a), d.symbol());
            }
        }

        /** Adds to {@code conds} the bounds test of index {@code ix} (at {@code at}) of an axis of {@code dim}, unless it always holds (see {@link #exactAxes}). */
        private void testBounds(List<String> conds, Value ix, String at, Dim dim) {
            if (ix != null && !dim.isConst() && dim.symbol().equals(exactAxis.get(ix))) return;
            conds.add("(unsigned)(" + at + ") < (unsigned)" + dimExpr(dim));
        }

        /** The scalar s of an index s + arange (or arange: 0), or null when the index has another form. */
        private String affineStart(Value ix) {
            if (!(vals.get(ix) instanceof Lazy(Op op))) return null;
            if (op instanceof Op.Arange) return "0";
            if (op instanceof Op.Binary b && b.kind() == Op.BinKind.ADD) {
                if (b.a().tile().isScalar() && vals.get(b.b()) instanceof Lazy(Op.Arange x)) return uniform(b.a());
                if (b.b().tile().isScalar() && vals.get(b.a()) instanceof Lazy(Op.Arange x)) return uniform(b.b());
            }
            return null;
        }

        private void dot(Op.Dot d) {
            Value r = d.result();
            List<Dim> rs = r.type().shape();
            if (size(rs.get(0)) != bm) throw new Unsupported(at(d) + ": a product must have BLOCK_M rows");
            if (size(rs.get(1)) % 8 != 0) throw new Unsupported(at(d) + ": product columns must be a multiple of 8");
            Layout.Frag layout = frag(size(rs.get(1)));
            int nt = layout.nt();
            Elem ae = d.a().type().elem(), be = d.b().type().elem(), ce = r.type().elem();
            boolean half = ae == Elem.F16;
            if (half ? !(be == Elem.F16 && ce == Elem.F32) : !((ae == Elem.I8 || ae == Elem.U8) && be == Elem.I8 && ce == Elem.I32)) {
                throw new Unsupported(at(d) + ": tensor cores take i8/u8 x i8 -> i32 or f16 x f16 -> f32, not " + ae.text + " x " + be.text + " -> " + ce.text);
            }
            if (loop == null) awaitOuterStage();
            int kw = half ? 16 : 32;
            int kdim = size(d.a().type().shape().get(1));
            int kchunks = CExpr.roundUp(kdim, kw) / kw;
            List<String> loadA = new ArrayList<>();
            boolean aRegs;
            switch (vals.get(d.a())) {
                case Staged s -> {
                    aRegs = false;
                    // Rows of 16 bytes at 16-byte offsets (row strides are multiples of 16): lanes 0-7 address
                    // rows g of a0, 8-15 rows g + 8 of a1, 16-23 and 24-31 the same rows 16 bytes on (a2, a3).
                    String row = "(qf_wrow + qf_mt * 16 + (qf_lane & 7) + ((qf_lane >> 3) & 1) * 8) * " + s.stride();
                    loadA.add("qf_ldmatrix_x4(qf_a, &" + s.ptr() + "[" + row + " + qf_kc * " + kw + " + (qf_lane >> 4) * " + kw / 2 + "]);");
                }
                case Reg p when p.layout() instanceof Layout.Frag f -> {
                    aRegs = true;
                    if (kdim % (kw * split) != 0) throw new Unsupported(at(d) + ": its k dimension is " + kdim + " (BLOCK_N); mma operands of " + ae.bits + " bits held in registers take k in multiples of " + kw
                            + (split > 1 ? " per warp (ksplit = " + split + ")" : ""));
                    loadA.addAll(packA(d.a(), p, f, half));
                    if (split > 1) loadA = exchangeA(d, kchunks, loadA);
                }
                default -> throw new Unsupported(at(d) + ": the left operand must be a loaded tile or a tile computed in registers");
            }
            // B(k, n) lives at k * kStride + n * nStride of a shared-memory tile.
            Value bsrc = d.b();
            boolean transposed = false;
            if (vals.get(bsrc) instanceof Lazy(Op.Transpose t)) {
                bsrc = t.a();
                transposed = true;
            }
            if (!(vals.get(bsrc) instanceof Staged s)) throw new Unsupported(at(d) + ": the right operand must be a loaded tile (or its transpose)");
            String bPtr = s.ptr();
            int kStride = transposed ? 1 : s.stride(), nStride = transposed ? s.stride() : 1;
            boolean permuted = aRegs && !half;   // the k order of the register-held A fragment
            if (s.keyMajor()) {
                // Staged as [cols, keys] with the keys already in the A fragment's k order: as a transposed tile.
                if (!permuted || transposed) throw new IllegalStateException(at(d) + ": a key-major tile feeds only P.V with P in registers");
                kStride = 1;
                nStride = s.stride();
                permuted = false;
                transposed = true;
            }
            // f16 k down the rows (fp16's V): ldmatrix's transposing form hands each lane the two consecutive k of
            // its column that a k16 B register holds, straight from the tile as staged (no copy, no barrier).
            boolean trans16 = !transposed && half && nt % 2 == 0;
            if (!transposed && !trans16) {
                // k runs down the tile's rows (V): turn the tile once so that k runs along rows, in the A
                // fragment's k order, and B fragments come by ldmatrix.
                Elem be2 = d.b().type().elem();
                int es = CExpr.bytes(be2);
                int keys = size(d.b().type().shape().get(0)), cols = size(d.b().type().shape().get(1));
                int tStride = keys + 16 / es;
                int at = smemBytes;
                smemBytes += cols * tStride * es;
                String src = "reinterpret_cast<const " + (half ? "f16" : "u8") + "*>(" + s.ptr() + ")";
                String dst = "reinterpret_cast<" + (half ? "f16" : "u8") + "*>(qf_smem + " + at + ")";
                int per = half ? 2 : 4;
                emit(d, new Model.TransposeTile("transpose " + bsrc + " in shared memory: [" + keys + ", " + cols + "] -> [" + cols + ", " + keys + "]"
                        + (permuted ? ", keys in the A fragment's k order" : ""), cols / per, src, s.stride(), dst, tStride, half, permuted,
                        Model.Spread.of("qf_b", keys / per * (cols / per), threads)));
                exchangePending = false;
                bPtr = "reinterpret_cast<const " + CExpr.ctype(be2) + "*>(qf_smem + " + at + ")";
                kStride = 1;
                nStride = tStride;
                permuted = false;    // the transposition applied it
                transposed = true;
            }
            String part = Ctx.part(split, nt);   // this warp's share of the n columns
            String n = "(" + part + "qf_nt * 8 + qf_g)";
            List<String> slots0 = new ArrayList<>(), slots1 = new ArrayList<>();
            if (half) {
                for (int q = 0; q < 2; q++) {
                    slots0.add("2 * qf_t + " + q);
                    slots1.add("8 + 2 * qf_t + " + q);
                }
            } else {
                int[] perm = {0, 1, 8, 9};
                for (int q = 0; q < 4; q++) {
                    slots0.add(permuted ? "2 * qf_t + " + perm[q] : "4 * qf_t + " + q);
                    slots1.add(permuted ? "16 + 2 * qf_t + " + perm[q] : "16 + 4 * qf_t + " + q);
                }
            }
            List<String> loadB = new ArrayList<>();
            boolean contiguous = transposed && !permuted;
            boolean paired = (contiguous || trans16) && nt % 2 == 0;
            if (trans16) {
                // Matrices 0 and 1: keys 0-7 and 8-15 of the chunk for n tile 2np (b0, b1); 2 and 3: the same for 2np + 1.
                String kRow = "(qf_kc * 16 + ((qf_lane >> 3) & 1) * 8 + (qf_lane & 7))";
                loadB.add("qf_ldmatrix_x4_trans(qf_b, &" + bPtr + "[" + kRow + " * " + s.stride() + " + " + part + "(qf_np * 2 + (qf_lane >> 4)) * 8]);");
            } else if (paired) {
                // B(k, n) rows of 16 bytes along k: one ldmatrix gives b0, b1 of n tiles 2np and 2np + 1 (lanes
                // 0-7: tile 2np, first half of the k chunk; 8-15: its second half; 16-31: tile 2np + 1).
                String nRow = "(" + part + "(qf_np * 2 + (qf_lane >> 4)) * 8 + (qf_lane & 7))";
                loadB.add("qf_ldmatrix_x4(qf_b, &" + bPtr + "[(qf_kc * " + kw + " + ((qf_lane >> 3) & 1) * " + kw / 2 + ") * " + kStride + " + " + nRow + " * " + nStride + "]);");
            }
            String[] regs = {"qf_b0", "qf_b1"};
            List<List<String>> slots = List.of(slots0, slots1);
            for (int j = 0; j < 2 && !paired; j++) {
                if (contiguous) {
                    String e0 = "(qf_kc * " + kw + " + " + slots.get(j).getFirst() + ") * " + kStride + " + " + n + " * " + nStride;
                    loadB.add(regs[j] + " = *reinterpret_cast<const u32*>(&" + bPtr + "[" + e0 + "]);");
                } else {
                    List<String> el = new ArrayList<>();
                    for (String slot : slots.get(j)) el.add(bPtr + "[(qf_kc * " + kw + " + " + slot + ") * " + kStride + " + " + n + " * " + nStride + "]");
                    loadB.add(regs[j] + " = " + (half ? "qf_pack2(" : "qf_pack4(") + String.join(", ", el) + ");");
                }
            }
            if (exchangePending) {   // no transpose's barrier came between the exchange and its reads
                out.add(new Model.Sync());
                exchangePending = false;
            }
            String name = fresh(r);
            emit(d, new Model.ArrayDecl(CExpr.ctype(ce), name, layout.count()));
            String call = half ? "qf_mma_f16" : ae == Elem.U8 ? "qf_mma_u8s8" : "qf_mma_s8s8";
            String chunkOn = null, tileOn = null;
            if (deadTiles != null && deadTiles.chunkSkip().contains(d)) chunkOn = "(" + inSpan("qf_kc * " + kw) + ")";
            if (deadTiles != null && deadTiles.notNeeded().contains(r)) tileOn = "(" + inSpan(paired ? "qf_np * 16" : "qf_nt * 8") + ")";
            out.add(new Model.Mma(r + " = dot(" + d.a() + ", " + d.b() + ") on tensor cores (" + call + ")", name,
                    layout.count(), mt, nt, kchunks, loadA, loadB, paired, call, chunkOn, tileOn));
            productWords = Math.max(productWords, layout.count());
            vals.put(r, new Reg(name, layout));
        }

        /** A 16-byte aligned region of {@code bytes} in the block's shared memory, for the warps of a split to meet in; returns its offset. */
        private int allocShared(int bytes) {
            int at = CExpr.roundUp(smemBytes, 16);
            smemBytes = at + bytes;
            return at;
        }

        /** Set when a split warp has written its A fragments for the other warps and no barrier followed yet. */
        private boolean exchangePending;
        /** Set when warps sharing a slab met through shared memory (an exchange or a combine) in the loop being emitted. */
        private boolean splitShared;

        /**
         * The left operand of a product held in registers by warps that split its k columns (ksplit > 1: each
         * computed its own share of a key block's probabilities, all of them needed for P·V): each warp writes
         * the A fragments of its k chunks to shared memory, lane by lane, and every warp then reads all chunks
         * in k order. A fragment register is stored as it is, so the k permutation of the register-held operand
         * (and B's rows, which follow it) is unchanged. The barrier between is the V transpose's, or one of its
         * own. Returns the loads of qf_a for chunk qf_kc.
         */
        private List<String> exchangeA(Op.Dot d, int kchunks, List<String> pack) {
            int own = kchunks / split, words = 4 * 32;
            int at = allocShared((warps / split) * mt * kchunks * words * 4);
            String slab = "((qf_warp / " + split + ") * " + mt + " + qf_mt) * " + kchunks;
            emit(d, new Model.FragmentExchange("A fragments of " + d.a() + ": this warp's " + own + " of " + kchunks + " k chunks to shared memory, for the " + split + " warps that share its rows",
                    mt, own, pack, "reinterpret_cast<u32*>(qf_smem + " + at + ") + (" + slab + " + qf_wp * " + own + " + qf_kc) * " + words + " + qf_lane"));
            exchangePending = true;
            splitShared = true;
            List<String> loads = new ArrayList<>();
            for (int j = 0; j < 4; j++) {
                loads.add("qf_a[" + j + "] = reinterpret_cast<const u32*>(qf_smem + " + at + ")[(" + slab + " + qf_kc) * " + words + " + " + j * 32 + " + qf_lane];");
            }
            return loads;
        }

        /**
         * The statements that fill {@code qf_a[4]}, the A fragment of chunk {@code qf_kc} of slab {@code qf_mt}, from
         * a tile {@code p} held in the accumulator layout {@code f} (16-bit or 8-bit elements).
         */
        private List<String> packA(Value v, Reg p, Layout.Frag f, boolean half) {
            List<String> loadA = new ArrayList<>();
            String b = "qf_mt * " + 4 * f.nt() + " + qf_kc * " + (half ? 8 : 16);
            if (half) {
                for (int j = 0; j < 4; j++) loadA.add("qf_a[" + j + "] = qf_pack2(" + p.name() + "[" + b + " + " + 2 * j + "], " + p.name() + "[" + b + " + " + (2 * j + 1) + "]);");
                return loadA;
            }
            // The accumulator gives lane t columns {2t, 2t+1, 8+2t, 9+2t} (+16) of each 32-wide chunk;
            // the A operand wants k = 4t..4t+3 (+16). Using them as those k slots permutes k, and B's
            // rows follow the same permutation (see dot), so a product's sum is unchanged.
            int[][] idx = {{0, 1, 4, 5}, {2, 3, 6, 7}, {8, 9, 12, 13}, {10, 11, 14, 15}};
            Reg wide = saturatedFrom(v, p);
            // The tiles a last step skips are zero in p (see DeadKeyTiles); the 32-bit source was not computed there.
            boolean skips = wide != null && deadTiles != null && (deadTiles.guarded(v) || deadTiles.zeroed(v));
            for (int j = 0; j < 4; j++) {
                List<String> bytes = new ArrayList<>();
                for (int x : idx[j]) {
                    String at = b + " + " + x;
                    if (wide == null) bytes.add(p.name() + "[" + at + "]");
                    else bytes.add(skips ? "(" + tileOnAt(f, at) + " ? " + wide.name() + "[" + at + "] : 0)" : wide.name() + "[" + at + "]");
                }
                String pack = wide == null ? "qf_pack4(" : v.type().elem() == Elem.U8 ? "qf_pack4_sat_u8(" : "qf_pack4_sat_s8(";
                loadA.add("qf_a[" + j + "] = " + pack + String.join(", ", bytes) + ");");
            }
            return loadA;
        }

        /**
         * The i32 register tile an 8-bit tile {@code v} (held as {@code p}) is the saturating conversion of, in the
         * same layout, or null: packing the fragments from it with {@code cvt.pack.sat} (two bytes an instruction)
         * does the clamp and the packing at once, where a clamp per element and byte inserts were about two
         * instructions an element. The clamps are then dead unless something else reads the 8-bit tile.
         */
        private Reg saturatedFrom(Value v, Reg p) {
            Elem e = v.type().elem();
            if ((e != Elem.U8 && e != Elem.I8) || !(defs.get(v) instanceof Op.Convert c) || c.overflow() != Op.Overflow.SAT
                    || c.a().type().elem() != Elem.I32) return null;
            return vals.get(c.a()) instanceof Reg q && q.layout().equals(p.layout()) ? q : null;
        }

        /** {@link #tileOn} for the element at index expression {@code at} instead of {@code i}. */
        private String tileOnAt(Layout.Frag f, String at) {
            String j = "(((" + at + ") / 4) % " + f.nt() + ")";
            return "(" + j + " == " + (f.nt() - 1) + " || " + inSpan(j + " * 8") + ")";
        }

        /**
         * An integer row sum of an 8-bit tile held in registers (P), on tensor cores: P times a B fragment of ones
         * gives every column of the product its row's sum, so lane (g, t) finds rows g and g + 8 in its first and
         * third accumulator registers — one {@code mma} per 32 keys where the element loop took an add per element
         * and the shuffles. The A fragments are packed as for P.V (the compiler computes them once). Integer sums
         * are exact in any order (wrapping the same), so the bits are the element loop's. In a last key step the
         * tiles past N are zero (P.V's chunk skipping zeroes them) and each skipped key adds the warp's last
         * tile's value, as {@link DeadKeyTiles} has it. False (nothing emitted) where that form does not apply.
         */
        private boolean rowSumByMma(Op.Reduce rd, Layout.Frag f, String name, Layout.Rows rows, boolean standIn) {
            Elem in = rd.a().type().elem();
            if (rd.kind() != Op.RedKind.SUM || rd.result().type().elem() != Elem.I32 || (in != Elem.U8 && in != Elem.I8) || f.nt() % 4 != 0) return false;
            if (!(vals.get(rd.a()) instanceof Reg p) || !(p.layout() instanceof Layout.Frag pf) || !pf.equals(f)) return false;
            if (standIn && !deadTiles.zeroed(rd.a())) return false;
            String sums = name + "_mma";
            out.add(new Model.ArrayDecl("int", sums, 4 * mt));
            out.add(new Model.Mma(rd.result() + " = reduce sum " + rd.a() + " [1] on tensor cores: P times ones", sums, 4 * mt, mt, 1, f.nt() / 4,
                    packA(rd.a(), p, f, false), List.of("qf_b0 = 0x01010101u;", "qf_b1 = 0x01010101u;"), false, in == Elem.U8 ? "qf_mma_u8s8" : "qf_mma_s8s8", null, null));
            String sum = sums + "[(i / 2) * 4 + (i % 2) * 2]";
            if (standIn) {
                int before = f.nt() - 1;   // the tiles before the warp's last: those past the span were skipped
                String skipped = "(" + before + " - min(" + before + ", (" + deadFull + " + 7) / 8)) * 8";
                sum = "qf_add_int(" + sum + ", qf_mul_int(" + skipped + ", (int)" + p.name() + "[" + standInIndex(f, "i") + "]))";
            }
            out.add(new Model.ElementLoop(rows.count(), List.of(new Model.Assign(name + "[i]", sum))));
            return true;
        }

        /** The index, in layout {@code f}, of row entry {@code r}'s element in the warp's last 8-key tile (DeadKeyTiles' stand-in). */
        private static String standInIndex(Layout.Frag f, String r) {
            return "(" + r + " / 2) * " + 4 * f.nt() + " + " + 4 * (f.nt() - 1) + " + (" + r + " & 1) * 2";
        }

        private void reduce(Op.Reduce rd) {
            Value a = rd.a();
            List<Dim> s = a.type().shape();
            if (rd.axis() != 1 || s.size() != 2 || size(s.get(0)) != bm) throw new Unsupported(at(rd) + ": only row reductions of [BLOCK_M, n] tiles map to warp shuffles");
            Layout.Frag f = frag(size(s.get(1)));
            Elem e = rd.result().type().elem();
            String t = CExpr.ctype(e);
            String init, acc;
            boolean max = rd.kind() == Op.RedKind.MAX;
            if (e.isInt) {
                init = max ? CExpr.literal(e, e.min()) : CExpr.literal(e, 0);
                acc = max ? "(" + t + ")max(qf_a, qf_x)" : "qf_add_" + t + "(qf_a, qf_x)";
            } else {
                init = max ? CExpr.literal(e, Double.NEGATIVE_INFINITY) : CExpr.literal(e, 0);
                acc = max ? (e == Elem.F64 ? "fmax(qf_a, qf_x)" : "fmaxf(qf_a, qf_x)") : "(qf_a + qf_x)";
            }
            Layout.Rows rows = new Layout.Rows(mt);
            String name = fresh(rd.result());
            emit(rd, new Model.ArrayDecl(t, name, rows.count()));
            String element = expr(a, List.of(Axis.ROW, Axis.COL), Ctx.of(f));
            String tileOn = null, standIn = null;
            if (deadTiles != null && deadTiles.standIn().contains(rd)) {
                tileOn = tileOn(f);
                // A max reads the warp's last tile once; a sum adds its row's value in each skipped element's place.
                if (rd.kind() == Op.RedKind.SUM) standIn = standInIndex(f, "r");
            }
            if (!rowSumByMma(rd, f, name, rows, standIn != null)) {
                out.add(new Model.RowReduce(name, t, rows.count(), 2 * f.nt(), f.nt(), init, element, acc, acc, rd.result() + " = reduce " + rd.kind().text() + " " + a + " [1]",
                        tileOn, standIn));
            }
            if (split > 1) {
                // Each warp reduced its share of the columns: the shares meet in shared memory and every warp of
                // the slab combines them in column order (max in any order; integer sums wrap the same in any).
                int at = allocShared(bm * split * Math.max(1, e.bits / 8));
                splitShared = true;
                out.add(new Model.SplitCombine("the " + split + " warps sharing these rows meet their partial " + rd.kind().text() + "s", name, t, rows.count(),
                        Ctx.of(rows).rowPos(), split, "reinterpret_cast<" + t + "*>(qf_smem + " + at + ")", acc));
            }
            vals.put(rd.result(), new Reg(name, rows));
        }

        private void store(Op.Store s) {
            Value v = s.value();
            Layout layout = switch (vals.get(v)) {
                case Reg r -> r.layout();
                default -> layoutOf(v.type());
            };
            Ctx ctx = Ctx.of(layout);
            Parts p = access(s.tensor(), s.indices(), axesOf(layout), ctx);
            String tensor = tensorArg(s.tensor());
            String value = expr(v, axesOf(layout), ctx);
            boolean half = halfOut(s.tensor());
            if (half) {
                value = "qf_f2h((float)(" + value + "))";
            }
            if (pairable(s, layout)) {
                // Elements i, i + 1 (i even) of the accumulator layout are one row's columns 2t, 2t + 1:
                // adjacent in memory, both in bounds or neither (the row is the same, the last dim even),
                // so one 8-byte (f32) or 4-byte (f16) store writes both.
                Elem e = s.value().type().elem();
                emit(s, new Model.PairedStore(layout.count(), half ? "f16" : CExpr.ctype(e), value, p.cond(),
                        half ? "*reinterpret_cast<u32*>(&" + tensor + "[" + p.offset() + "])" : "*reinterpret_cast<" + CExpr.ctype(e) + "2*>(&" + tensor + "[" + p.offset() + "])",
                        half ? "qf_pack2(qf_x0, qf_x1)" : "make_" + CExpr.ctype(e) + "2(qf_x0, qf_x1)"));
                return;
            }
            emit(s, new Model.ElementLoop(layout.count(), List.of(
                    new Model.GuardedStore(p.cond(), tensor + "[" + p.offset() + "]", value))));
        }

        /**
         * A store of an accumulator-layout tile along the whole last axis of a row-major tensor whose last
         * dimension is even and known (so a pair's 2t + 1 is in bounds exactly when 2t is), of f32 or f16.
         */
        private boolean pairable(Op.Store s, Layout layout) {
            if (!(layout instanceof Layout.Frag) || s.indices().getLast() != null) return false;
            for (int d = 0; d < s.indices().size() - 1; d++) if (s.indices().get(d) == null) return false;
            Dim last = s.tensor().type().shape().getLast();
            boolean known = last.isConst() || fixed.containsKey(last.symbol());
            Elem e = s.value().type().elem();
            return known && size(last) % 2 == 0 && (e == Elem.F32 || halfOut(s.tensor()));
        }

        private boolean halfOut(Value tensor) {
            return vals.get(tensor) instanceof Param(Kernel.Param p0) && halfOutputs.contains(p0.name());
        }

        private void forLoop(Op.For f) {
            close();
            line(f);
            Block body = f.body();
            String var = fresh(body.args().getFirst());
            vals.put(body.args().getFirst(), new Uniform(var));
            List<Stmt> before = new ArrayList<>();
            List<Reg> carried = new ArrayList<>();
            for (int j = 0; j < f.inits().size(); j++) {
                Value arg = body.args().get(j + 1);
                Layout layout = layoutOf(arg.type());
                String name = fresh(arg);
                out.add(new Model.ArrayDecl(CExpr.ctype(arg.type().elem()), name, layout.count()));
                before.add(new Model.ElementLoop(layout.count(), List.of(new Model.Assign(name + "[i]", expr(f.inits().get(j), axesOf(layout), Ctx.of(layout))))));
                Reg reg = new Reg(name, layout);
                carried.add(reg);
                carriedWords += layout.count() * Math.max(1, arg.type().elem().bits / 32);
                vals.put(arg, reg);
                vals.put(f.results().get(j), reg);
            }
            List<Stmt> outer = out;
            LoopFrame outerLoop = loop;
            out = new ArrayList<>();
            boolean outerSplit = splitShared;
            splitShared = false;
            loop = new LoopFrame(var, new ArrayList<>());
            String full = "qf_full_" + var;
            boolean peeled = false;
            DeadKeyTiles.Plan outerPlan = deadTiles;
            String outerFull = deadFull;
            deadTiles = null;
            for (Op op : body.ops()) {
                if (op instanceof Op.Cmp c && keysBelowN(c, body.args().getFirst(), f.hi())) {
                    trueInFullStep.put(c.result(), full);
                    Value cols = c.a();
                    while (defs.get(cols) instanceof Op.Broadcast b) cols = b.a();
                    // The split warps' column parts are runtime values: their guards would not fold (see tileOn).
                    deadTiles = peeled || split > 1 ? null : DeadKeyTiles.of(body, defs, c.result(), cols, arangeStart(cols), c.b(), size(cols.type().shape().getFirst()));
                    peeled = true;
                }
            }
            deadFull = "qf_span_" + var;
            DeadKeyTiles.Plan plan = deadTiles;
            emitBlock(body);
            List<Stmt> yield = new ArrayList<>();
            List<Value> ys = body.terminator().values();
            for (int j = 0; j < ys.size(); j++) {
                Reg reg = carried.get(j);
                if (vals.get(ys.get(j)) instanceof Reg y && carried.contains(y) && y != reg) {
                    throw new Unsupported(at(f) + ": a loop-carried value yields another one unchanged");
                }
                if (vals.get(ys.get(j)) == reg) continue;
                yield.add(new Model.ElementLoop(reg.layout().count(), List.of(new Model.Assign(reg.name() + "[i]", expr(ys.get(j), axesOf(reg.layout()), Ctx.of(reg.layout()))))));
            }
            close();
            deadTiles = outerPlan;
            deadFull = outerFull;
            List<Stmt> bodyStmts = out;
            if (peeled) {
                bodyStmts = peel(full, var, bodyStmts, yield, plan);
                yield = new ArrayList<>();
            }
            List<Stmt> stage = loop.stage();
            out = outer;
            loop = outerLoop;
            if (!stage.isEmpty() && loop == null) afterStagedLoop = true;
            List<Stmt> head = new ArrayList<>();
            String lo = "qf_lo_" + var, hi = "qf_hi_" + var;
            if (!stage.isEmpty()) {
                // Tiles for iterations kb .. kb+stages-2 are in flight when iteration kb starts. The head waits
                // for kb's, then the barrier, then the prefetch of kb+stages-1 into the buffer kb-1 was read from:
                // every warp has passed the barrier, so every warp is done with step kb-1 and no step needs a
                // barrier of its own at its end. (Issuing the prefetch before the wait instead needs one there
                // whenever the body reads a staged tile after its last barrier, as the P.V product reads V.)
                // Shared memory written inside the body (a transposed tile, split warps' fragments) is likewise
                // written after the head's barrier.
                // With one stage the copy refills the buffer just read, so a barrier comes before it too.
                for (int s = 0; s < stages - 1; s++) before.add(prefetch(var, lo + " + " + s, lo, hi, stage));
                if (stages == 1) {
                    head.add(new Model.Sync());
                    head.add(prefetch(var, var, lo, hi, stage));
                    head.add(new Model.StageWait(0, true));
                } else {
                    head.add(new Model.StageWait(stages - 2, true));
                    head.add(prefetch(var, var + " + " + (stages - 1), lo, hi, stage));
                }
                head.add(new Model.ScalarDecl("int", "qf_buf_" + var, "(" + var + " - " + lo + ") % " + stages));
                outerStagePending = false;   // the head's first wait and barrier cover tiles staged before the loop
            } else if (outerStagePending) {
                before.addFirst(new Model.StageWait(0, true));
                outerStagePending = false;
            }
            // Split warps meet in shared memory that the next step writes again: with no head barrier (nothing
            // staged in the loop), one ends the step, so that no warp writes while another still reads.
            if (stage.isEmpty() && splitShared) yield.add(new Model.Sync());
            splitShared = outerSplit || splitShared;
            Model.ForLoop whole = new Model.ForLoop("for " + body.args().getFirst() + " in [" + f.lo() + ", " + f.hi() + ")"
                    + (stage.isEmpty() ? "" : ", " + stages + "-stage cp.async pipeline"),
                    var, uniform(f.lo()), uniform(f.hi()), before, head, bodyStmts, yield);
            String live = loop == null ? liveFlag() : null;
            if (live == null) {
                out.add(whole);
            } else {
                out.add(new Model.Block("if (" + live + ")", List.of(whole)));
                out.add(new Model.Block("else", List.of(LiveRows.blockShare(whole))));
            }
            if (!stage.isEmpty() && outerVectorStaged) {
                // The head's wait covered the vectors staged before the loop, unless no step ran.
                out.add(new Model.Block("if (" + uniform(f.hi()) + " <= " + uniform(f.lo()) + ")", List.of(new Model.StageWait(0, true))));
                outerVectorStaged = false;
            }
            lastLine = -1;
        }

        /** What the key loop being emitted skips past N in its last step (null: nothing), and the name of its span constant. */
        private DeadKeyTiles.Plan deadTiles;
        private String deadFull;

        /**
         * Whether element {@code i}'s 8-key tile of a [BLOCK_M, BLOCK_N] tile held in {@code f} is computed: in
         * a full step every tile; in the last, the warp's last tile (the stand-in for those past N) and every
         * tile with a key below N. The full-step flag comes first, so the full steps' guards fold away.
         */
        private String tileOn(Layout.Frag f) {
            String j = "((i / 4) % " + f.nt() + ")";
            return "(" + j + " == " + (f.nt() - 1) + " || " + inSpan(j + " * 8") + ")";
        }

        /** Whether the key at {@code offset} from the step's first is within the keys this copy of the step computes. */
        private String inSpan(String offset) {
            return offset + " < " + deadFull;
        }

        /** Whether {@link #liveFlag} was decided, and the flag (null: every warp works). */
        private boolean liveDecided;
        private String live;

        /**
         * The name of a flag, declared here on first use, that holds where some row of this warp's slab is
         * stored (see {@link LiveRows}); null where that cannot be told from the stores. Each store must write
         * a tile whose first axis is the block's rows, at a row index that grows with the position (a scalar
         * plus {@code arange}, or the whole axis), so that the slab's first row is its smallest: a slab
         * whose first row is past the bound of every store is never stored.
         */
        private String liveFlag() {
            if (liveDecided) return live;
            liveDecided = true;
            if (warps / split == 1) return null;   // one slab per block: no warp of a block the grid gives rows below N is dead
            List<Op.Store> stores = new ArrayList<>();
            Kernel.forEachOp(k.body(), op -> {
                if (op instanceof Op.Store s) stores.add(s);
            });
            if (stores.isEmpty()) return null;
            Ctx first = new Ctx(null, "qf_wrow", null, null, null, null);
            List<String> conds = new ArrayList<>();
            for (Op.Store s : stores) {
                List<Dim> vs = s.value().type().shape();
                if (vs.isEmpty() || vs.size() > 2 || size(vs.getFirst()) != bm) return null;
                int d = 0;
                while (d < s.indices().size() && s.indices().get(d) != null && s.indices().get(d).tile().isScalar()) d++;
                if (d == s.indices().size()) return null;
                Value ix = s.indices().get(d);
                String row;
                if (ix == null) {
                    row = "qf_wrow";
                } else {
                    Value start = arangeStart(ix);
                    if (start == null || !(vals.get(start) instanceof Uniform u)) return null;
                    row = "(" + u.expr() + " + qf_wrow)";
                }
                conds.add("(unsigned)" + row + " < (unsigned)" + dimExpr(s.tensor().type().shape().get(d)));
            }
            live = "qf_live";
            out.add(new Model.Comment("whether any row of this warp is stored: a warp past the last row does only its share of the block's copies and barriers"));
            out.add(new Model.ScalarDecl("bool", live, String.join(" || ", conds)));
            return live;
        }

        /**
         * The step written twice: for every key block but the last, where the padding test is true for all
         * keys (kb + 1 < hi = cdiv(N, BN) gives kb·BN + BN - 1 < N), and for the last. Each copy declares
         * the flag a constant, so the compiler drops the test and its select from the full steps (two
         * instructions per score) and keeps them in the last; the element-wise yield goes into each copy
         * (it reads the copy's values).
         *
         * <p>With a {@link DeadKeyTiles} plan the last step is written once more for each narrower span of
         * keys (BN/2, BN/4, BN/8, down to 8), taken when the keys below N fit it: each copy declares its span a
         * constant, so its guards fold and it is straight-line code over the tiles it computes. (Guards that
         * test N at run time, one branch per tile, made ptxas spill 216 bytes at D = 64, 64/64/4 warps.)
         */
        private List<Stmt> peel(String flag, String var, List<Stmt> body, List<Stmt> yield, DeadKeyTiles.Plan plan) {
            List<Stmt> steps = new ArrayList<>();
            steps.add(new Model.Comment("every key is below N in all steps but the last: the padding test is written only there"
                    + (plan == null ? "" : "; the last computes only the 8-key tiles within its span, and the warp's last tile")));
            steps.add(new Model.Block("if (" + var + " + 1 < qf_hi_" + var + ")", step(flag, true, var, plan == null ? 0 : plan.keys(), body, yield)));
            if (plan != null) {
                String live = "(" + uniform(plan.n()) + " - " + uniform(plan.start()) + ")";
                for (int span = Math.max(8, plan.keys() / 8); span < plan.keys(); span *= 2) {
                    steps.add(new Model.Block("else if (" + live + " <= " + span + ")", step(flag, false, var, span, body, yield)));
                }
            }
            steps.add(new Model.Block("else", step(flag, false, var, plan == null ? 0 : plan.keys(), body, yield)));
            return steps;
        }

        /** One copy of the step: its full-step flag and (span > 0) its span of keys, then the body and the yield. */
        private List<Stmt> step(String flag, boolean full, String var, int span, List<Stmt> body, List<Stmt> yield) {
            List<Stmt> copy = new ArrayList<>();
            copy.add(new Model.ScalarDecl("bool", flag, Boolean.toString(full)));
            if (span > 0) copy.add(new Model.ScalarDecl("int", "qf_span_" + var, Integer.toString(span)));
            copy.addAll(body);
            copy.addAll(yield);
            return copy;
        }

        /**
         * {@code c} is {@code kb·C + arange(C) < N} (the columns possibly broadcast) for the loop variable
         * {@code kb} of a loop whose end is {@code hi = (M + C - 1) floordiv C} with M = N or min(N, ...):
         * true for every key of a step before the last, since (kb + 1)·C <= (hi - 1)·C <= M - 1 < N.
         */
        private boolean keysBelowN(Op.Cmp c, Value kb, Value hi) {
            if (c.kind() != Op.CmpKind.LT || !c.b().tile().isScalar()) return false;
            Value cols = c.a();
            while (defs.get(cols) instanceof Op.Broadcast b) cols = b.a();
            Value start = arangeStart(cols);
            if (start == null || cols.type().shape().size() != 1 || !cols.type().shape().getFirst().isConst()) return false;
            long n = cols.type().shape().getFirst().size();
            if (!(defs.get(start) instanceof Op.Binary mul) || mul.kind() != Op.BinKind.MUL) return false;
            boolean kbTimesC = mul.a() == kb && Objects.equals(constant(mul.b()), (double) n) || mul.b() == kb && Objects.equals(constant(mul.a()), (double) n);
            if (!kbTimesC) return false;
            if (!(defs.get(hi) instanceof Op.Binary div) || div.kind() != Op.BinKind.FLOORDIV || !Objects.equals(constant(div.b()), (double) n)) return false;
            if (!(defs.get(div.a()) instanceof Op.Binary up) || up.kind() != Op.BinKind.ADD) return false;
            return atMost(up.a(), c.b()) && Objects.equals(constant(up.b()), (double) (n - 1))
                    || atMost(up.b(), c.b()) && Objects.equals(constant(up.a()), (double) (n - 1));
        }

        /** The scalar s of a tile defined as {@code s + arange(n)} (either order), or null. */
        private Value arangeStart(Value v) {
            if (!(defs.get(v) instanceof Op.Binary add) || add.kind() != Op.BinKind.ADD) return null;
            if (defs.get(add.a()) instanceof Op.Arange && add.b().tile().isScalar()) return add.b();
            if (defs.get(add.b()) instanceof Op.Arange && add.a().tile().isScalar()) return add.a();
            return null;
        }

        /** {@code x} is {@code n}, or a min with {@code n} (a causal loop ends at cdiv(min(N, last row + 1), BN)). */
        private boolean atMost(Value x, Value n) {
            return sameScalar(x, n) || defs.get(x) instanceof Op.Binary m && m.kind() == Op.BinKind.MIN && (atMost(m.a(), n) || atMost(m.b(), n));
        }

        /** The same value, or the same dimension read twice. */
        private boolean sameScalar(Value x, Value y) {
            return x == y || defs.get(x) instanceof Op.DimOf a && defs.get(y) instanceof Op.DimOf b && a.symbol().equals(b.symbol());
        }

        /**
         * Issues the staged loads of iteration {@code at} into its buffer. The stage statements name the
         * loop variable, so the scope rebinds it to {@code at}; a commit is issued even past the end so that
         * {@code cp.async.wait_group} always counts one group per iteration.
         */
        private Stmt prefetch(String var, String at, String lo, String hi, List<Stmt> stage) {
            List<Stmt> issue = new ArrayList<>();
            issue.add(new Model.ScalarDecl("int", var, "qf_next"));
            issue.add(new Model.ScalarDecl("int", "qf_sbuf", "(" + var + " - " + lo + ") % " + stages));
            issue.addAll(stage);
            return new Model.Block("", List.of(
                    new Model.ScalarDecl("int", "qf_next", at),
                    new Model.Block("if (qf_next < " + hi + ")", issue),
                    new Model.Commit()));
        }

        // ------------------------------------------------------------ expressions

        private record Parts(String offset, String cond) {}

        private Parts access(Op.Load l, List<Axis> axes, Ctx ctx) {
            return access(l.tensor(), l.indices(), axes, ctx);
        }

        /** Element offset and in-bounds condition of a tensor access at a position given by {@code axes} in {@code ctx}. */
        private Parts access(Value tensor, List<Value> indices, List<Axis> axes, Ctx ctx) {
            List<Dim> dims = tensor.type().shape();
            String off = "0LL";
            List<String> conds = new ArrayList<>();
            int ra = 0;
            for (int d = 0; d < dims.size(); d++) {
                Value ix = indices.get(d);
                String e;
                if (ix == null) e = pos(axes.get(ra++), ctx);
                else if (ix.tile().isScalar()) e = uniform(ix);
                else e = expr(ix, List.of(axes.get(ra++)), ctx);
                String n = dimExpr(dims.get(d));
                testBounds(conds, ix, e, dims.get(d));
                off = d == 0 ? "(i64)(" + e + ")" : "(" + off + " * " + n + " + (" + e + "))";
            }
            return new Parts(off, conds.isEmpty() ? "true" : String.join(" && ", conds));
        }

        private String guarded(Op.Load l, Parts p) {
            String t = tensorArg(l.tensor());
            String cond = isOptional(l.tensor()) ? t + " != nullptr && " + p.cond() : p.cond();
            return "(" + cond + " ? " + t + "[" + p.offset() + "] : (" + CExpr.ctype(l.result().type().elem()) + ")0)";
        }

        /**
         * Whether a tensor may be absent (a null pointer that reads as 0): an optional parameter. A derived
         * one is always there (the GPU prologue writes it; a launch of the body alone binds the interpreter's),
         * so its reads are not tested: the tests of the per-row launch constants, each a uniform branch
         * around its load, were ~170 of the ~440 instructions before a ViT block's key loop.
         */
        private boolean isOptional(Value tensor) {
            return vals.get(tensor) instanceof Param(Kernel.Param p) && p.optional();
        }

        /** Element of {@code v} at the position {@code axes} names in {@code ctx}. */
        private String expr(Value v, List<Axis> axes, Ctx ctx) {
            CVal cv = vals.get(v);
            if (cv == null) throw new IllegalStateException("no C value for " + v);
            return switch (cv) {
                case Uniform u -> u.expr();
                case Reg r -> r.name() + "[" + regIndex(r, axes, ctx, v) + "]";
                case Lazy(Op op) -> lazy(op, axes, ctx);
                case Staged s -> throw new Unsupported(v + " lives in shared memory and can only feed a dot");
                case StagedVector s -> s.ptr() + "[" + pos(axes.getFirst(), ctx) + "]";
                case Param p -> throw new Unsupported(v + " is a whole tensor here");
            };
        }

        private String regIndex(Reg r, List<Axis> axes, Ctx ctx, Value v) {
            String idx = switch (r.layout()) {
                case Layout.Rows x -> axes.getFirst() == Axis.ROW ? ctx.rowReg() : null;
                case Layout.Cols c -> axes.getFirst() == Axis.COL && ctx.nt() == c.nt() && ctx.split() == c.split() ? ctx.colReg() : null;
                case Layout.Frag f -> axes.equals(List.of(Axis.ROW, Axis.COL)) && ctx.layout() instanceof Layout.Frag g && g.equals(f) ? ctx.fragReg() : null;
            };
            if (idx == null) throw new Unsupported(v + " is held in registers as " + r.layout() + " but read at " + axes + " in " + ctx.layout());
            return idx;
        }

        private String lazy(Op op, List<Axis> axes, Ctx ctx) {
            return switch (op) {
                case Op.Const c -> CExpr.literal(c.result().type().elem(), c.value());
                case Op.Arange a -> pos(axes.getFirst(), ctx);
                case Op.Broadcast b -> {
                    List<Dim> src = b.a().type().shape();
                    List<Axis> sa = new ArrayList<>();
                    for (int j = 0; j < src.size(); j++) {
                        Dim d = src.get(j);
                        sa.add(d.isConst() && d.size() == 1 ? Axis.ZERO : axes.get(b.dims().get(j)));
                    }
                    yield b.a().tile().isScalar() ? uniform(b.a()) : expr(b.a(), sa, ctx);
                }
                case Op.Load l -> {
                    if (keep == null && l.result().type().rank() == 1) {
                        Axis ax = axes.getFirst();
                        Layout want = ax == Axis.ROW && ctx.rowReg() != null ? new Layout.Rows(mt)
                                : ax == Axis.COL && ctx.colReg() != null ? new Layout.Cols(ctx.nt(), ctx.split()) : null;
                        demands.computeIfAbsent(l.result(), x -> new LinkedHashSet<>()).add(want);
                        if (loop != null) readInLoop.add(l.result());
                        (loop == null && afterStagedLoop ? readAfterStagedLoop : readElsewhere).add(l.result());
                    }
                    yield guarded(l, access(l, axes, ctx));
                }
                case Op.Transpose t -> throw new Unsupported(at(t) + ": a transpose can only feed a dot");
                default -> element(op, axes, ctx);
            };
        }

        /** The C of one element of an elementwise op; a clamp into [0, hi] written as two ops becomes one. */
        private String element(Op op, List<Axis> axes, Ctx ctx) {
            String full = trueInFullStep.get(op.result());
            if (full != null) return "(" + full + " || " + scalarC(op, operandsAt(op, axes, ctx)) + ")";
            Clamp c = clamp0(op);
            if (c != null) return CExpr.clamp0(c.x().tile().isScalar() ? uniform(c.x()) : expr(c.x(), axes, ctx), (long) c.hi());
            return scalarC(op, operandsAt(op, axes, ctx));
        }

        /**
         * The C of one scalar op on operand expressions: {@link CExpr#op(Op, List, boolean)}, or, for a 32-bit
         * right shift whose count is never negative by its own definition but may pass 31, the GPU's own
         * shift, which saturates the count (one instruction where the IR's shift of any count is a branch).
         */
        private String scalarC(Op op, List<String> a) {
            if (op instanceof Op.Binary b && b.kind() == Op.BinKind.SHR && b.result().type().elem() == Elem.I32
                    && !countInWord(b.b()) && countNonNegative(b.b())) {
                return CExpr.shrNonNegative(a.get(0), a.get(1));
            }
            return CExpr.op(op, a, narrowOperands(op));
        }

        /** {@code x} clamped into [lo, hi] by two ops with constant bounds: min(max(x, lo), hi) or max(min(x, hi), lo). */
        private record Clamp(Value x, double lo, double hi) {}

        /** {@code op} as such a clamp whose bounds {@code ok} accepts, or null. */
        private Clamp clamp(Op op, java.util.function.BiPredicate<Double, Double> ok) {
            if (!(op instanceof Op.Binary outer) || (outer.kind() != Op.BinKind.MIN && outer.kind() != Op.BinKind.MAX)) return null;
            Op.BinKind innerKind = outer.kind() == Op.BinKind.MIN ? Op.BinKind.MAX : Op.BinKind.MIN;
            for (int side = 0; side < 2; side++) {
                Value c = side == 0 ? outer.b() : outer.a(), x = side == 0 ? outer.a() : outer.b();
                if (!(defs.get(x) instanceof Op.Binary inner) || inner.kind() != innerKind) continue;
                for (int innerSide = 0; innerSide < 2; innerSide++) {
                    Value ic = innerSide == 0 ? inner.b() : inner.a(), y = innerSide == 0 ? inner.a() : inner.b();
                    Double outerC = constant(c), innerC = constant(ic);
                    if (outerC == null || innerC == null) continue;
                    double lo = outer.kind() == Op.BinKind.MIN ? innerC : outerC, hi = outer.kind() == Op.BinKind.MIN ? outerC : innerC;
                    if (ok.test(lo, hi)) return new Clamp(y, lo, hi);
                }
            }
            return null;
        }

        /** An i32 clamp into [0, hi], hi an int constant >= 0: one instruction ({@link CExpr#clamp0}). */
        private Clamp clamp0(Op op) {
            if (!(op instanceof Op.Binary b) || b.result().type().elem() != Elem.I32) return null;
            return clamp(op, (lo, hi) -> lo == 0 && hi >= 0 && hi <= Integer.MAX_VALUE && hi == Math.rint(hi));
        }

        /**
         * Whether {@code op}'s operands are narrow enough for the fast form of {@link CExpr#op(Op, List, boolean)}:
         * for a 32-bit shift, a count clamped into [0, 31] by its own definition; otherwise every operand a
         * sign-extended 32-bit value (or a small constant).
         */
        private boolean narrowOperands(Op op) {
            if (op instanceof Op.Binary b && (b.kind() == Op.BinKind.SHR || b.kind() == Op.BinKind.SHL)) return countInWord(b.b());
            return op.operands().stream().allMatch(this::narrow);
        }

        /** A count defined as a clamp into [lo, hi] with constants 0 <= lo, hi <= 31, or as a mask by a constant in [0, 31]. */
        private boolean countInWord(Value v) {
            if (defs.get(v) instanceof Op.Broadcast b) return countInWord(b.a());
            Double mask = maskConstant(v);
            return mask != null && mask <= 31 || clamp(defs.get(v), (lo, hi) -> lo >= 0 && hi <= 31) != null;
        }

        /** A count that is never negative by its own definition: a mask by a constant >= 0 (shift-exp's halvings). */
        private boolean countNonNegative(Value v) {
            if (defs.get(v) instanceof Op.Broadcast b) return countNonNegative(b.a());
            return maskConstant(v) != null;
        }

        /** c when {@code v} is defined as {@code x & c} with an integer constant c >= 0; else null. */
        private Double maskConstant(Value v) {
            if (!(defs.get(v) instanceof Op.Binary b) || b.kind() != Op.BinKind.AND || !b.result().type().elem().isInt) return null;
            for (Value side : List.of(b.a(), b.b())) {
                Double c = constant(side);
                if (c != null && c >= 0) return c;
            }
            return null;
        }

        private Double constant(Value v) {
            return defs.get(v) instanceof Op.Const c ? c.value() : null;
        }

        private boolean narrow(Value v) {
            return switch (defs.get(v)) {
                case Op.Convert c -> c.a().type().elem().isInt && c.a().type().elem().bits <= 32;
                case Op.Broadcast b -> narrow(b.a());
                case Op.Const c -> Math.abs(c.value()) < 0x7fffffff;
                case null, default -> false;
            };
        }

        private List<String> operandsAt(Op op, List<Axis> axes, Ctx ctx) {
            List<String> a = new ArrayList<>();
            for (Value v : op.operands()) a.add(v.tile().isScalar() ? uniform(v) : expr(v, axes, ctx));
            return a;
        }

        private String uniform(Value v) {
            if (vals.get(v) instanceof Uniform u) return u.expr();
            throw new Unsupported(v + " is not a scalar here");
        }

        private String pos(Axis a, Ctx ctx) {
            String p = switch (a) {
                case ROW -> ctx.rowPos();
                case COL -> ctx.colPos();
                case ZERO -> "0";
            };
            if (p == null) throw new Unsupported("a " + a + " position is not defined in layout " + ctx.layout());
            return p;
        }

        // ------------------------------------------------------------ names, types, shapes

        private String tensorArg(Value tensor) {
            if (!(vals.get(tensor) instanceof Param(Kernel.Param p))) throw new Unsupported(tensor + " is not a kernel parameter");
            Elem stored = halfOutputs.contains(p.name()) ? Elem.F16 : p.value().type().elem();
            args.putIfAbsent("t:" + p.name(), new Arg(Arg.Kind.TENSOR, p.name(), stored));
            for (Dim d : p.value().type().shape()) if (!d.isConst()) symbol(d.symbol());
            return CExpr.tensorName(p.name());
        }

        private String symbol(String s) {
            Integer v = fixed.get(s);
            if (v != null) return "QF_" + s;
            args.putIfAbsent("n:" + s, new Arg(Arg.Kind.SYMBOL, s, Elem.I32));
            return CExpr.symbolName(s);
        }

        private String dimExpr(Dim d) {
            return d.isConst() ? Integer.toString(d.size()) : symbol(d.symbol());
        }

        private int size(Dim d) {
            if (d.isConst()) return d.size();
            Integer v = fixed.get(d.symbol());
            if (v == null) throw new Unsupported("the size of " + d.symbol() + " must be known when the kernel is emitted (give it, e.g. " + d.symbol() + "=64)");
            return v;
        }

        private Layout layoutOf(Type t) {
            List<Dim> s = t.shape();
            if (s.size() == 1 && size(s.getFirst()) == bm) return new Layout.Rows(mt);
            if (s.size() == 2 && size(s.get(0)) == bm && size(s.get(1)) % (8 * split) == 0) return frag(size(s.get(1)));
            throw new Unsupported("no register layout for " + t + " (per-row vectors and [BLOCK_M, 8k] tiles only"
                    + (split > 1 ? ", 8k a multiple of " + 8 * split + " with ksplit = " + split : "") + ")");
        }

        /** The accumulator layout of a [BLOCK_M, cols] tile: this warp's share of its columns. */
        private Layout.Frag frag(int cols) {
            if (cols % (8 * split) != 0) throw new Unsupported("a [BLOCK_M, " + cols + "] tile cannot be split over ksplit = " + split + " warps of 8-column mma tiles");
            return new Layout.Frag(mt, cols / (8 * split), split);
        }

        private static List<Axis> axesOf(Layout l) {
            return switch (l) {
                case Layout.Rows r -> List.of(Axis.ROW);
                case Layout.Cols c -> List.of(Axis.COL);
                case Layout.Frag f -> List.of(Axis.ROW, Axis.COL);
            };
        }

        private String fresh(Value v) {
            String base = "v_" + CExpr.ident(v.name());
            String name = base;
            for (int n = 1; !usedNames.add(name); n++) name = base + "_" + n;
            return name;
        }
    }
}
