package qflash.ir;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/** Small shared tools for passes: substituting values everywhere, finding uses. */
public final class Rewrite {
    private Rewrite() {}

    /** {@code op} with every value it defines or reads (block arguments and nested ops included) mapped by {@code f}. */
    public static Op mapValues(Op op, UnaryOperator<Value> f) {
        return switch (op) {
            case Op.Const c -> new Op.Const(f.apply(c.result()), c.value(), c.loc());
            case Op.DimOf d -> new Op.DimOf(f.apply(d.result()), d.symbol(), d.loc());
            case Op.Unary u -> new Op.Unary(f.apply(u.result()), u.kind(), f.apply(u.a()), u.loc());
            case Op.Binary b -> new Op.Binary(f.apply(b.result()), b.kind(), f.apply(b.a()), f.apply(b.b()), b.loc());
            case Op.Cmp c -> new Op.Cmp(f.apply(c.result()), c.kind(), f.apply(c.a()), f.apply(c.b()), c.loc());
            case Op.Select s -> new Op.Select(f.apply(s.result()), f.apply(s.cond()), f.apply(s.a()), f.apply(s.b()), s.loc());
            case Op.Convert c -> new Op.Convert(f.apply(c.result()), f.apply(c.a()), c.rounding(), c.overflow(), c.loc());
            case Op.Arange a -> new Op.Arange(f.apply(a.result()), a.loc());
            case Op.Broadcast b -> new Op.Broadcast(f.apply(b.result()), f.apply(b.a()), b.dims(), b.loc());
            case Op.Transpose t -> new Op.Transpose(f.apply(t.result()), f.apply(t.a()), t.loc());
            case Op.Dot d -> new Op.Dot(f.apply(d.result()), f.apply(d.a()), f.apply(d.b()), d.loc());
            case Op.Reduce r -> new Op.Reduce(f.apply(r.result()), r.kind(), f.apply(r.a()), r.axis(), r.loc());
            case Op.Load l -> {
                Op.Load m = (Op.Load) l.mapOperands(f);
                yield new Op.Load(f.apply(l.result()), m.tensor(), m.indices(), l.loc());
            }
            case Op.Store s -> s.mapOperands(f);
            case Op.Quantize q -> new Op.Quantize(f.apply(q.q()), f.apply(q.scale()), f.apply(q.x()), q.shared(), q.blockAxis(), q.blockSize(), q.loc());
            case Op.Center c -> new Op.Center(f.apply(c.centred()), f.apply(c.mean()), f.apply(c.x()), c.axis(), c.loc());
            case Op.Yield y -> y.mapOperands(f);
            case Op.For fo -> new Op.For(fo.results().stream().map(f).toList(), f.apply(fo.lo()), f.apply(fo.hi()),
                    fo.inits().stream().map(f).toList(), mapValues(fo.body(), f), fo.loc());
        };
    }

    public static Block mapValues(Block b, UnaryOperator<Value> f) {
        List<Op> ops = new ArrayList<>();
        for (Op op : b.ops()) ops.add(mapValues(op, f));
        return new Block(b.args().stream().map(f).toList(), ops);
    }

    /**
     * Rebuilds {@code b} with each op replaced by the ops {@code f} returns for it (itself, to keep it).
     * Loop bodies are rebuilt first, so {@code f} sees a {@code for} whose body is already rewritten.
     */
    public static Block expand(Block b, java.util.function.Function<Op, List<Op>> f) {
        List<Op> ops = new ArrayList<>();
        for (Op op : b.ops()) {
            Op inner = op instanceof Op.For fo ? fo.withBody(expand(fo.body(), f)) : op;
            ops.addAll(f.apply(inner));
        }
        return new Block(b.args(), ops);
    }

    /** Replaces every read of a key of {@code subst} by its value (definitions are untouched). */
    public static Block substitute(Block b, Map<Value, Value> subst) {
        if (subst.isEmpty()) return b;
        List<Op> ops = new ArrayList<>();
        for (Op op : b.ops()) {
            Op m = op.mapOperands(v -> resolve(subst, v));
            if (m instanceof Op.For f) m = f.withBody(substitute(f.body(), subst));
            ops.add(m);
        }
        return new Block(b.args(), ops);
    }

    /** Follows substitution chains to their end. */
    public static Value resolve(Map<Value, Value> subst, Value v) {
        Value r = v;
        for (Value next = subst.get(r); next != null; next = subst.get(r)) r = next;
        return r;
    }

    /** Every value read anywhere in {@code k}. */
    public static Set<Value> uses(Kernel k) {
        Set<Value> used = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        k.forEachOp(op -> used.addAll(op.operands()));
        return used;
    }
}
