package qflash.cuda;

import java.util.List;

/**
 * The output model of the CUDA emitter: one record per emitted construct, rendered by the template of
 * the same name in {@code templates/qflash/cuda/Cuda.stg} through {@link ModelWalker}. Components are
 * strings, numbers, booleans, other models or lists of those; the emitter computes every name, offset
 * and count, so the templates only print, loop and branch on booleans.
 */
public sealed interface Model {
    /** A statement inside the kernel body. */
    sealed interface Stmt extends Model {}

    record KernelSource(String banner, List<String> defines, String prelude, Model kernel) implements Model {}

    /** Several kernels in one source (the prologue's). */
    record KernelList(List<SimpleKernel> kernels) implements Model {}

    /** A one-thread-per-element kernel: no shared memory, no warp roles. */
    record SimpleKernel(String name, List<String> params, List<Stmt> body) implements Model {}

    /**
     * A kernel whose blocks all run at once ({@code threads} per block, at most one block per SM), so
     * that its phases can be separated by {@link GridSync}: the whole prologue in one launch.
     */
    record GridKernel(String name, List<String> params, int threads, List<Stmt> body) implements Model {}

    /**
     * The per-head prologue ({@code HeadPrologue}): blocks of {@code threads} that each take one head's share
     * of the work and wait for no other block; {@code qf_dyn} is its dynamic shared memory.
     */
    record HeadKernel(String name, List<String> params, int threads, List<Stmt> body) implements Model {}

    /**
     * Work over {@code count} elements spread over the whole grid: each warp takes 32 consecutive
     * elements at a time, {@code k} is the thread's element. With {@code guarded} the body runs only for
     * k below the count; without, every lane runs it (a warp-wide body that checks k itself).
     */
    record GridLoop(String comment, String count, boolean guarded, List<Stmt> body) implements Stmt {}

    /** Every block of a {@link GridKernel} waits here until all have arrived and their writes are visible. */
    record GridSync(String barrier, String comment) implements Stmt {}

    /**
     * The body kernel; {@code zeroSmem} when a staged tile has padding columns that must read as 0;
     * {@code bounds} the arguments of {@code __launch_bounds__} (threads, and blocks per SM when the
     * schedule asks the compiler to fit that many).
     */
    record KernelFunction(String name, List<String> params, int threads, String bounds, int smemBytes, String warpRow, String warpPart, boolean zeroSmem, List<Stmt> body) implements Model {}

    /** A {@code #line} directive pointing back at the DSL source. */
    record Line(String directive) implements Stmt {}

    record Comment(String text) implements Stmt {}

    record ScalarDecl(String type, String name, String value) implements Stmt {}

    /** A mutable local. */
    record Var(String type, String name, String value) implements Stmt {}

    /** A register-resident tile: one element per position the calling thread owns. */
    record ArrayDecl(String type, String name, int size) implements Stmt {}

    /** A loop over the positions a thread owns in one layout; {@code i} is the position. */
    record ElementLoop(int count, List<Stmt> body) implements Stmt {}

    record Assign(String target, String value) implements Stmt {}

    /** An expression evaluated for its effect (an atomic, say). */
    record ExprStmt(String expr) implements Stmt {}

    record GuardedStore(String guard, String target, String value) implements Stmt {}

    /**
     * A tile stored two adjacent elements at a time: {@code value} at i and i + 1 (i even) into
     * {@code qf_x0}, {@code qf_x1} of type {@code type}, then one {@code target = pair} where {@code guard}
     * holds at i.
     */
    record PairedStore(int count, String type, String value, String guard, String target, String pair) implements Stmt {}

    /** A row reduction over an accumulator-layout tile: per-thread columns, then the row group's four threads. */
    record RowReduce(String target, String type, int rows, int cols, int ntiles, String init, String element,
                     String combineAcc, String combineShfl, String comment, String tileOn, String standIn) implements Stmt {}

    /**
     * Statements of an element loop run only where {@code guard} holds (the 8-key tiles of the last key
     * step that are computed, see {@code DeadKeyTiles}); {@code otherwise} where it does not.
     */
    record TileGuard(String guard, List<Stmt> body, List<Stmt> otherwise) implements Stmt {}

    /**
     * A tile copied from global to shared memory with {@code cp.async}: rows from row {@code rowStart} of the
     * tensor (row r at {@code rowBase} + r * {@code rowStride} elements, {@code srcRowBytes} bytes apart), rows
     * at or past {@code rowLimit} (or with {@code uniformOk} false) zero-filled. The tile's first row is
     * addressed once and each chunk as a small offset from it: with every chunk's address formed in 64 bits
     * from the tensor's start, the copies of a ViT key step were 106 instructions a warp, 13% of the step.
     */
    record StageTile(String comment, int chunksPerRow, int chunkBytes, String smem, int rowStrideBytes, String src, String rowBase,
                     String rowStride, String srcRowBytes, String rowStart, String rowLimit, String uniformOk, Spread spread) implements Stmt {}

    /**
     * A [keys, cols] tile of a key-major tensor (see {@code KeyMajor}) copied as {@code cols} rows of keys with
     * 16-byte {@code cp.async} chunks: row c from {@code base} + c * {@code rowStride}, chunk j holding keys
     * {@code keyStart} + 16j on, zero-filled from {@code keyLimit} on (or where {@code uniformOk} is false).
     */
    record StageKeyMajor(String comment, int chunksPerRow, String smem, int rowStrideBytes, String src, String base,
                         String rowStride, String keyStart, String keyLimit, String uniformOk, Spread spread) implements Stmt {}

    /**
     * {@code count} items spread over a block's {@code threads} threads, item {@code var} = thread + i *
     * threads for a constant {@code iters} rounds: the copy and transpose loops unroll with their
     * addresses known per thread, instead of looping on a bound the compiler cannot see through.
     */
    record Spread(String var, int count, int threads, int iters, boolean ragged) implements Model {
        static Spread of(String var, int count, int threads) {
            return new Spread(var, count, threads, (count + threads - 1) / threads, count % threads != 0);
        }
    }

    record StageWait(int pending, boolean sync) implements Stmt {}

    /**
     * A staged [keys, D] tile transposed into [D, keys] in shared memory so that a B fragment (k = keys
     * along a row) is one 32-bit load (or a quarter of an ldmatrix): 4x4 byte blocks ({@code half}: 2x2 f16 blocks) turned with
     * byte permutes. With {@code permute}, keys land in the k order the register-held A fragment uses.
     */
    record TransposeTile(String comment, int blocksPerRow, String src, int srcStride, String dst, int dstStride,
                         boolean half, boolean permute, Spread spread) implements Stmt {}

    record Commit() implements Stmt {}

    record Sync() implements Stmt {}

    /** A scope: {@code head { body }}. */
    record Block(String head, List<Stmt> body) implements Stmt {}

    /**
     * A tensor-core product into an accumulator-layout tile; {@code loadA}/{@code loadB} fill the fragments
     * ({@code pairedB}: each {@code loadB} round fills {@code qf_b[4]}, the fragments of two n tiles). Where
     * set, {@code chunkOn} (of {@code qf_kc}) and {@code tileOn} (of {@code qf_np} or {@code qf_nt}) say which
     * k chunks and n tiles are computed (the rest past N in a last key step, see {@code DeadKeyTiles}).
     */
    record Mma(String comment, String dst, int count, int mtiles, int ntiles, int kchunks,
               List<String> loadA, List<String> loadB, boolean pairedB, String call, String chunkOn, String tileOn) implements Stmt {}

    /**
     * A warp's A fragments of its own k chunks written to shared memory for the warps that share its rows
     * (ksplit): {@code pack} computes qf_a for local chunk qf_kc of slab qf_mt, {@code dst} is where lane
     * qf_lane's four words go (32 words apart).
     */
    record FragmentExchange(String comment, int mtiles, int kchunks, List<String> pack, String dst) implements Stmt {}

    /**
     * Per-row partial reductions of the {@code split} warps sharing a slab met through shared memory
     * ({@code buffer}, [block row][split]; {@code row} is the block row of entry i of the per-row layout) and
     * combined in warp order with {@code acc} (of qf_a and qf_x).
     */
    record SplitCombine(String comment, String target, String type, int rows, String row, int split, String buffer, String acc) implements Stmt {}

    record ForLoop(String comment, String var, String lo, String hi, List<Stmt> before, List<Stmt> head,
                   List<Stmt> body, List<Stmt> yield) implements Stmt {}
}
