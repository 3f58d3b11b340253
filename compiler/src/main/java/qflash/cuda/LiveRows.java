package qflash.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import qflash.cuda.Model.Stmt;

/**
 * A warp whose rows are all past the end of every tensor the kernel stores (the last row block of
 * N = 197 in 64-row blocks holds 5 rows: three of its four warps own none) runs a copy of the key loop
 * that keeps only the block's share of the work: the copies, waits, barriers and transposes every warp
 * takes part in, and the split warps' meeting point (it holds a barrier; the warps of one slab are live
 * or dead together, so a dead slab only meets itself). Its products, its per-score integer chain and its
 * row reductions are left out. Both copies pass the same barriers in the same order (the peeled step's
 * test is the block's, not the warp's), and each is straight-line code, as the loop was: guarding each
 * run of a warp's work inside one loop instead kept values live across the guards, and ptxas spilled
 * (measured on an H200: ViT rows 12-40% slower).
 */
final class LiveRows {
    private LiveRows() {}

    /** {@code loop} as a warp without stored rows runs it: its head, body and yield (one scope) keep only the block's statements. */
    static Model.ForLoop blockShare(Model.ForLoop loop) {
        List<Stmt> head = blockStatements(loop.head()), body = blockStatements(loop.body()), yield = blockStatements(loop.yield());
        List<Stmt> all = new ArrayList<>(head);
        all.addAll(body);
        all.addAll(yield);
        String text = ModelWalker.shared().render(new Model.Block("", all));
        return new Model.ForLoop(loop.comment() + ", the block's share only (this warp's rows are never stored)", loop.var(), loop.lo(), loop.hi(),
                loop.before(), read(head, text), read(body, text), read(yield, text));
    }

    /**
     * The block's statements of {@code stmts}, and of the declarations only those they read: the copy
     * declares none of the warp's tiles it does not touch (nvcc warns about each one otherwise).
     */
    private static List<Stmt> blockShare(List<Stmt> stmts) {
        List<Stmt> kept = blockStatements(stmts);
        return read(kept, ModelWalker.shared().render(new Model.Block("", kept)));
    }

    /** {@code stmts} without the declarations {@code text} (their scope, rendered) names only once: a second mention is a read or a write. */
    private static List<Stmt> read(List<Stmt> stmts, String text) {
        List<Stmt> share = new ArrayList<>();
        for (Stmt s : stmts) {
            String name = declared(s);
            if (name == null || Pattern.compile("\\b" + Pattern.quote(name) + "\\b").matcher(text).results().limit(2).count() == 2) share.add(s);
        }
        return share;
    }

    private static String declared(Stmt s) {
        return switch (s) {
            case Model.ArrayDecl a -> a.name();
            case Model.ScalarDecl d -> d.name();
            default -> null;
        };
    }

    private static List<Stmt> blockStatements(List<Stmt> stmts) {
        List<Stmt> kept = new ArrayList<>();
        for (int i = 0; i < stmts.size(); i++) {
            Stmt s = stmts.get(i);
            // An if / else-if chain (the last step's spans) goes as a whole when every branch keeps nothing.
            if (s instanceof Model.Block b && b.head().startsWith("if ")) {
                List<Stmt> chain = new ArrayList<>();
                boolean empty = true;
                int end = i;
                do {
                    Model.Block branch = (Model.Block) stmts.get(end++);
                    List<Stmt> share = blockShare(branch.body());
                    empty &= share.isEmpty();
                    chain.add(new Model.Block(branch.head(), share));
                } while (end < stmts.size() && stmts.get(end) instanceof Model.Block e && e.head().startsWith("else"));
                if (!empty) kept.addAll(chain);
                i = end - 1;
                continue;
            }
            switch (s) {
                case Model.Mma m -> {}
                case Model.ElementLoop e -> {}
                case Model.RowReduce r -> {}
                case Model.FragmentExchange f -> {}
                case Model.Comment c -> {}
                case Model.Line l -> {}
                case Model.Block b -> kept.add(new Model.Block(b.head(), blockShare(b.body())));
                case Model.ForLoop f -> kept.add(blockShare(f));
                default -> kept.add(s);   // declarations, copies, waits, barriers, transposes, the split's meeting
            }
        }
        return kept;
    }
}
