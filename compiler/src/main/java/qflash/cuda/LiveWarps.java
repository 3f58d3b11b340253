package qflash.cuda;

import qflash.cuda.Model.Stmt;

import java.util.ArrayList;
import java.util.List;

/**
 * Lets a warp whose query rows all lie past the end of the sequence skip its own work. Such a warp
 * stores nothing (every store's rows are {@code s + arange(BLOCK_M)}, bounded by the row axis), so
 * what it computes in registers is never seen: its products, softmax and epilogue are wrapped in
 * {@code if (qf_live)}. It still takes its share of the block's cooperative work (the cp.async copies,
 * the V transpose) and every barrier, which is why it cannot simply return. At N = 197 and BLOCK_M = 64
 * the last row block holds 5 rows: 3 of its 4 warps, 3 of the 16 warps a head needs, have nothing to do.
 *
 * <p>The condition is warp-uniform, so the branches do not diverge. Arrays stay declared outside the
 * wrapped runs (a later run, or the loop's yield, reads them); on a dead warp they are never written
 * and what the yield copies is never stored.
 */
final class LiveWarps {
    private LiveWarps() {}

    static final String LIVE = "qf_live";

    /** The statements with every maximal run of warp-private work wrapped in {@code if (qf_live)}. */
    static List<Stmt> wrap(List<Stmt> stmts) {
        List<Stmt> out = new ArrayList<>();
        List<Stmt> run = new ArrayList<>();
        for (Stmt s : stmts) {
            switch (s) {
                case Model.ArrayDecl d -> out.add(d);   // declared ahead of the run that fills it
                case Model.Line l -> (run.isEmpty() ? out : run).add(l);
                case Model.Comment c -> (run.isEmpty() ? out : run).add(c);
                case Model.ElementLoop e -> run.add(e);
                case Model.RowReduce r -> run.add(r);
                case Model.Mma m -> run.add(m);
                case Model.PairedStore p -> run.add(p);
                case Model.GuardedStore g -> run.add(g);
                case Model.ForLoop f -> {
                    flush(run, out);
                    // The yield only copies next values into the carried arrays: left unwrapped, the copies
                    // are renamings the compiler folds away, where a branch around them would keep them.
                    out.add(new Model.ForLoop(f.comment(), f.var(), f.lo(), f.hi(), wrap(f.before()), wrap(f.head()), wrap(f.body()), f.yield()));
                }
                case Model.Block b -> {
                    flush(run, out);
                    out.add(new Model.Block(b.head(), wrap(b.body())));
                }
                default -> {   // cooperative or uniform: copies, waits, barriers, transposes, scalars
                    flush(run, out);
                    out.add(s);
                }
            }
        }
        flush(run, out);
        return out;
    }

    private static void flush(List<Stmt> run, List<Stmt> out) {
        int end = run.size();   // a trailing #line or comment belongs to what follows the run
        while (end > 0 && (run.get(end - 1) instanceof Model.Line || run.get(end - 1) instanceof Model.Comment)) end--;
        if (end > 0) out.add(new Model.Block("if (" + LIVE + ")", List.copyOf(run.subList(0, end))));
        out.addAll(run.subList(end, run.size()));
        run.clear();
    }

    /** True when no statement has an effect the wrap could hide (an atomic or other expression statement). */
    static boolean safe(List<Stmt> stmts) {
        for (Stmt s : stmts) {
            boolean ok = switch (s) {
                case Model.ExprStmt e -> false;
                case Model.GridLoop g -> false;
                case Model.ForLoop f -> safe(f.before()) && safe(f.head()) && safe(f.body()) && safe(f.yield());
                case Model.Block b -> safe(b.body());
                case Model.ElementLoop e -> safe(e.body());
                default -> true;
            };
            if (!ok) return false;
        }
        return true;
    }
}
