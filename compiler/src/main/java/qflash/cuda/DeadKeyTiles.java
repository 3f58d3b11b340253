package qflash.cuda;

import qflash.ir.Block;
import qflash.ir.Dim;
import qflash.ir.Op;
import qflash.ir.Value;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which work of a key loop's last step may skip the 8-key column tiles that lie wholly past N.
 *
 * <p>Why: at N = 197 in 64-key blocks the last step holds 5 keys, yet computes 64 scores per row through
 * the whole integer exp and requantization chain; that step is a quarter of a ViT row block's loop. The
 * padding test {@code kb·BN + arange(BN) < N} makes a padding key's score a value that depends on its row
 * only (the select's other arm: the masked constant, or a row vector), and every elementwise op after it
 * whose other operands are per-row keeps it so. Such a tile is <em>row-uniform</em> past N: one tile of it
 * (the warp's last, which is past N whenever any is) stands for all. Its consumers can do without the rest:
 * a row max or min reads the stand-in once; an integer row sum adds the stand-in's value where each
 * skipped element was (the same additions, the same bits); P·V skips the 32-key chunks past N, since V's
 * rows there are zero-filled (the same copy that stages them) and an integer product with zero adds zero.
 * What only feeds the padding select's kept arm (the scores QKᵀ, their alignment) is <em>not needed</em>
 * past N: its tiles there are skipped, products included.
 *
 * <p>The analysis is all or nothing: a row-uniform value read any other way (stored, yielded, mixed with a
 * per-column value, summed in floating point, a float product's operand — where NaN times zero is not
 * zero) leaves the loop as it is. Only the last step skips anything: the emitter's guards name the full-step
 * flag of {@link CudaEmitter}'s peeling first, so the full steps compile to what they were.
 */
final class DeadKeyTiles {
    /** Row-uniform past N, not needed past N, the products whose 32-key chunks past N are skipped, and the row reductions that fold the stand-in. */
    record Plan(Set<Value> rowUniform, Set<Value> notNeeded, Set<Op.Dot> chunkSkip, Set<Op.Reduce> standIn, Value start, Value n, int keys) {
        /** Whether the element loops compute {@code v}'s tiles past N (no: the guard skips them). */
        boolean guarded(Value v) {
            return rowUniform.contains(v) || notNeeded.contains(v);
        }

        /** Whether {@code v} is the register-held left operand of a product that skips chunks (its tiles past N are set to zero). */
        boolean zeroed(Value v) {
            for (Op.Dot d : chunkSkip) if (d.a() == v) return true;
            return false;
        }
    }

    private final Block body;
    private final Map<Value, Op> defs;
    private final Map<Value, List<Op>> users = new IdentityHashMap<>();
    private final Set<Value> padConds = idSet();

    private DeadKeyTiles(Block body, Map<Value, Op> defs) {
        this.body = body;
        this.defs = defs;
        for (Op op : body.ops()) {
            for (Value v : op.operands()) users.computeIfAbsent(v, x -> new ArrayList<>()).add(op);
        }
    }

    /**
     * The plan for a loop body whose padding test {@code pad} is {@code cols < n} with {@code cols = start +
     * arange(BN)} ({@code defs}: the kernel's defining ops), or null when nothing may be skipped.
     */
    static Plan of(Block body, Map<Value, Op> defs, Value pad, Value cols, Value start, Value n, int keys) {
        return new DeadKeyTiles(body, defs).plan(pad, cols, start, n, keys);
    }

    private Plan plan(Value pad, Value cols, Value start, Value n, int keys) {
        if (keys < 16) return null;   // one tile: nothing to skip
        for (Op op : body.ops()) if (op instanceof Op.For) return null;   // a nested loop: not this analysis's shape
        padConds.add(pad);
        Set<Value> ru = idSet();
        List<Dim> shape = null;
        for (Op op : body.ops()) {
            Value r = op.results().isEmpty() ? null : op.results().getFirst();
            switch (op) {
                case Op.Broadcast b when padConds.contains(b.a()) -> padConds.add(r);
                case Op.Binary b when b.kind() == Op.BinKind.AND && (padConds.contains(b.a()) || padConds.contains(b.b())) -> padConds.add(r);
                case Op.Select s when padConds.contains(s.cond()) && r.type().rank() == 2 -> {
                    if (!perRow(s.b(), ru)) return null;
                    if (shape != null && !shape.equals(r.type().shape())) return null;
                    shape = r.type().shape();
                    ru.add(r);
                }
                case Op.Unary u -> { if (!follow(op, ru)) return null; }
                case Op.Binary b -> { if (!follow(op, ru)) return null; }
                case Op.Cmp c -> { if (!follow(op, ru)) return null; }
                case Op.Select s -> { if (!follow(op, ru)) return null; }
                case Op.Convert c -> { if (!follow(op, ru)) return null; }
                default -> {}
            }
        }
        if (ru.isEmpty()) return null;
        for (Value v : ru) if (!v.type().elem().isInt) return null;
        Set<Op.Dot> chunkSkip = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Op.Reduce> standIn = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Value v : ru) {
            for (Op use : users.getOrDefault(v, List.of())) {
                switch (use) {
                    case Op.Reduce rd when rd.axis() == 1 && rd.a() == v -> standIn.add(rd);
                    case Op.Dot d when d.a() == v && d.b() != v && zeroPastN(d.b(), cols, n) -> chunkSkip.add(d);
                    default -> {
                        boolean elementwise = use instanceof Op.Unary || use instanceof Op.Binary || use instanceof Op.Cmp
                                || use instanceof Op.Select || use instanceof Op.Convert;
                        if (!elementwise || !ru.contains(use.results().getFirst())) return null;
                    }
                }
            }
        }
        // Not needed past N: every read is the kept arm of a padding select, or a value itself not needed.
        Set<Value> nn = idSet();
        for (boolean changed = true; changed; ) {
            changed = false;
            for (Op op : body.ops().reversed()) {
                if (op.results().size() != 1) continue;
                Value r = op.results().getFirst();
                if (nn.contains(r) || ru.contains(r) || !r.type().shape().equals(shape) || !users.containsKey(r)) continue;
                if (!(op instanceof Op.Dot || op instanceof Op.Load || op instanceof Op.Unary || op instanceof Op.Binary
                        || op instanceof Op.Cmp || op instanceof Op.Select || op instanceof Op.Convert)) continue;
                boolean all = true;
                for (Op use : users.get(r)) {
                    boolean keptArm = use instanceof Op.Select s && padConds.contains(s.cond()) && s.a() == r && s.b() != r && s.cond() != r;
                    boolean intoNotNeeded = use.results().size() == 1 && nn.contains(use.results().getFirst()) && !(use instanceof Op.Dot);
                    if (!keptArm && !intoNotNeeded) all = false;
                }
                if (all) {
                    nn.add(r);
                    changed = true;
                }
            }
        }
        return new Plan(ru, nn, chunkSkip, standIn, start, n, keys);
    }

    /** An elementwise op reading a row-uniform value is row-uniform if its other operands are per-row; else the analysis gives up. */
    private boolean follow(Op op, Set<Value> ru) {
        boolean reads = false;
        for (Value v : op.operands()) reads |= ru.contains(v);
        if (!reads) return true;
        for (Value v : op.operands()) if (!perRow(v, ru)) return false;
        ru.add(op.results().getFirst());
        return true;
    }

    /** A value whose elements past N depend on the row only: a scalar, a constant, a row-uniform value, or a broadcast along the columns. */
    private boolean perRow(Value v, Set<Value> ru) {
        if (v.tile().isScalar() || ru.contains(v)) return true;
        return switch (defs.get(v)) {
            case Op.Const c -> true;
            case Op.Broadcast b -> {
                List<Dim> src = b.a().type().shape();
                for (int j = 0; j < src.size(); j++) {
                    if (b.dims().get(j) == 1 && !(src.get(j).isConst() && src.get(j).size() == 1)) yield false;
                }
                yield true;
            }
            case null, default -> false;
        };
    }

    /** {@code b} (or the tile it transposes) is loaded at rows {@code cols} of an axis of length {@code n}, so its rows from n on are zero-filled. */
    private boolean zeroPastN(Value b, Value cols, Value n) {
        Op def = defs.get(b);
        if (def instanceof Op.Transpose t) def = defs.get(t.a());
        if (!(def instanceof Op.Load l)) return false;
        if (!b.type().elem().isInt) return false;
        List<Dim> dims = l.tensor().type().shape();
        for (int d = 0; d < l.indices().size(); d++) {
            Value ix = l.indices().get(d);
            if (ix == null || ix.tile().isScalar()) continue;
            return ix == cols && defs.get(n) instanceof Op.DimOf dn && dn.symbol().equals(dims.get(d).symbol());
        }
        return false;
    }

    private static Set<Value> idSet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }
}
