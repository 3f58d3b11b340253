package qflash.pass;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import qflash.ir.*;
import qflash.ir.Type.Tile;

/**
 * {@code integer-scores}: the online max in integers.
 *
 * <p>Scores in the scaled form {@code convert(s) * sm} (one factor per row: {@code fold-scales}) keep
 * their order when the factor is dropped, since {@code sm > 0}. So {@code rowmax}, {@code max},
 * broadcasts and differences of such values are computed on the i32 scores, and the result is again
 * {@code convert(..) * sm}. A loop-carried running max that starts at {@code -inf} becomes an i32
 * loop-carried value starting at -2^20 (the masked score of {@code mask-and-bias}). Float versions of
 * every rewritten value stay defined for any other reader (dce removes those nobody reads); afterwards
 * the operands of {@code exp2} are {@code convert(x) * sm} with x an integer difference, ready for
 * {@code shift-exp}. No options.
 */
public final class IntegerScores implements Pass {
    @Override
    public String name() {
        return "integer-scores";
    }

    /** An integer stand-in: {@code value = convert(ints) * rowFactor} (rowFactor a scalar or per-row vector; null while unknown). */
    private record Si(Value ints, Value rowFactor) {}

    private static final class Ctx {
        final Uses uses;
        final Namer namer;
        final Map<Value, Si> si = new IdentityHashMap<>();
        /** Loop arguments tried as integers; the factor they adopt from what they are combined with. */
        final Map<Value, Value> pending = new IdentityHashMap<>();
        boolean conflict;

        Ctx(Kernel k) {
            uses = new Uses(k);
            namer = Namer.of(k);
        }
    }

    @Override
    public Kernel run(Kernel k) {
        Ctx ctx = new Ctx(k);
        return k.withBody(block(k.body(), ctx));
    }

    private Block block(Block b, Ctx ctx) {
        List<Op> out = new ArrayList<>();
        for (Op op : b.ops()) out.addAll(op(op, ctx));
        return new Block(b.args(), out);
    }

    private List<Op> op(Op op, Ctx ctx) {
        switch (op) {
            case Op.Binary m when m.kind() == Op.BinKind.MUL && m.result().type().elem().isFloat() -> {
                Scaled s = Scaled.of(m.result(), ctx.uses);
                Value row = s == null ? null : FoldScales.rowFactor(s.factor(), m.result().tile(), ctx.uses);
                if (row != null) ctx.si.put(m.result(), new Si(s.ints(), row));
                return List.of(op);
            }
            case Op.Reduce r when r.kind() == Op.RedKind.MAX && ctx.si.containsKey(r.a()) && r.axis() == r.a().tile().rank() - 1 -> {
                Si a = ctx.si.get(r.a());
                if (a.rowFactor() == null) return List.of(op);
                List<Op> out = new ArrayList<>();
                Value ri = ctx.namer.fresh(r.result().name() + ".i", r.result().tile().withElem(Elem.I32));
                out.add(new Op.Reduce(ri, Op.RedKind.MAX, a.ints(), r.axis(), r.loc()));
                bridge(out, ctx, ri, a.rowFactor(), r.result(), r);
                return out;
            }
            case Op.Binary b when (b.kind() == Op.BinKind.MAX || b.kind() == Op.BinKind.SUB) && ctx.si.containsKey(b.a()) && ctx.si.containsKey(b.b()) -> {
                Si x = ctx.si.get(b.a()), y = ctx.si.get(b.b());
                Value factor = adopt(ctx, b.a(), x, b.b(), y);
                if (factor == null) return List.of(op);
                List<Op> out = new ArrayList<>();
                Value ri = ctx.namer.fresh(b.result().name() + ".i", b.result().tile().withElem(Elem.I32));
                out.add(new Op.Binary(ri, b.kind(), x.ints(), y.ints(), b.loc()));
                bridge(out, ctx, ri, factor, b.result(), b);
                return out;
            }
            case Op.Broadcast bc when ctx.si.containsKey(bc.a()) && bc.a().tile().rank() == 1 && bc.dims().equals(List.of(0))
                    && ctx.si.get(bc.a()).rowFactor() != null -> {
                Si a = ctx.si.get(bc.a());
                List<Op> out = new ArrayList<>();
                Value ri = ctx.namer.fresh(bc.result().name() + ".i", bc.result().tile().withElem(Elem.I32));
                out.add(new Op.Broadcast(ri, a.ints(), bc.dims(), bc.loc()));
                bridge(out, ctx, ri, a.rowFactor(), bc.result(), bc);
                return out;
            }
            case Op.For f -> {
                return loop(f, ctx);
            }
            default -> {
                return List.of(op);
            }
        }
    }

    /** The row factor two operands share (a pending loop argument takes its partner's); null if they differ. */
    private static Value adopt(Ctx ctx, Value a, Si x, Value b, Si y) {
        Value fx = x.rowFactor() != null ? x.rowFactor() : ctx.pending.get(a);
        Value fy = y.rowFactor() != null ? y.rowFactor() : ctx.pending.get(b);
        Value f = fx != null ? fx : fy;
        if (f == null || (fx != null && fy != null && fx != fy)) return null;
        for (Value v : List.of(a, b)) {
            if (ctx.pending.containsKey(v) || (ctx.si.get(v).rowFactor() == null)) {
                Value before = ctx.pending.put(v, f);
                if (before != null && before != f) ctx.conflict = true;
            }
        }
        return f;
    }

    /** Defines {@code into} (the original float value) as {@code convert(ints) * factor} and records it. */
    private static void bridge(List<Op> out, Ctx ctx, Value ints, Value rowFactor, Value into, Op at) {
        Value f = rowFactor;
        Tile t = into.tile();
        if (!f.tile().isScalar() && !f.tile().shape().equals(t.shape())) {
            f = ctx.namer.fresh(rowFactor.name() + ".b", t);
            out.add(new Op.Broadcast(f, rowFactor, List.of(0), at.loc()));
        }
        new Emit(out, ctx.namer, at).dequantize(ints, List.of(f), into);
        ctx.si.put(into, new Si(ints, rowFactor));
    }

    private List<Op> loop(Op.For f, Ctx ctx) {
        // Try every loop argument that starts at -inf as an integer; keep those the body confirms.
        Set<Integer> tried = new HashSet<>();
        for (int i = 0; i < f.inits().size(); i++) {
            if (Scaled.isMinusInf(f.inits().get(i), ctx.uses) && f.iterArgs().get(i).type().elem().isFloat()) tried.add(i);
        }
        while (true) {
            Map<Value, Si> saved = new IdentityHashMap<>(ctx.si);
            java.util.Map<Integer, Value> ia = new java.util.HashMap<>();
            for (int i : tried) {
                Value arg = f.iterArgs().get(i);
                Value ai = ctx.namer.fresh(arg.name() + ".i", arg.tile().withElem(Elem.I32));
                ia.put(i, ai);
                ctx.si.put(arg, new Si(ai, null));
                ctx.pending.remove(arg);
            }
            ctx.conflict = false;
            Block body = block(f.body(), ctx);
            Set<Integer> failed = new HashSet<>();
            Set<Value> inside = new HashSet<>();
            Kernel.forEachOp(body, o -> inside.addAll(o.results()));
            inside.addAll(body.args());
            for (int i : tried) {
                Value y = f.body().terminator().values().get(i);
                Si s = ctx.si.get(y);
                Value factor = ctx.pending.get(f.iterArgs().get(i));
                if (s == null || s.rowFactor() == null || inside.contains(s.rowFactor()) || (factor != null && factor != s.rowFactor())) failed.add(i);
            }
            if (ctx.conflict) failed.addAll(tried);
            if (!failed.isEmpty()) {
                ctx.si.clear();
                ctx.si.putAll(saved);
                tried.removeAll(failed);
                if (tried.isEmpty()) {
                    Block plain = block(f.body(), ctx);
                    return List.of(f.withBody(plain));
                }
                continue;
            }
            // Commit: integer loop arguments, a float view of each at the top of the body, float views of the results.
            List<Op> before = new ArrayList<>(), after = new ArrayList<>();
            List<Value> inits = new ArrayList<>(f.inits()), args = new ArrayList<>(body.args()), results = new ArrayList<>(f.results());
            List<Value> yields = new ArrayList<>(body.terminator().values());
            List<Op> top = new ArrayList<>();
            for (int i : tried) {
                Value arg = f.iterArgs().get(i), ai = ia.get(i);
                Si y = ctx.si.get(f.body().terminator().values().get(i));
                Value init = ctx.namer.fresh(arg.name() + ".init", ai.type());
                before.add(new Op.Const(init, MaskAndBias.MASKED, f.loc()));
                inits.set(i, init);
                args.set(i + 1, ai);
                yields.set(i, y.ints());
                bridge(top, ctx, ai, y.rowFactor(), arg, f);
                Value res = f.results().get(i);
                Value ri = ctx.namer.fresh(res.name() + ".i", ai.type());
                results.set(i, ri);
                bridge(after, ctx, ri, y.rowFactor(), res, f);
            }
            List<Op> bodyOps = new ArrayList<>(top);
            bodyOps.addAll(body.ops().subList(0, body.ops().size() - 1));
            bodyOps.add(new Op.Yield(yields, body.terminator().loc()));
            List<Op> out = new ArrayList<>(before);
            out.add(new Op.For(results, f.lo(), f.hi(), inits, new Block(args, bodyOps), f.loc()));
            out.addAll(after);
            return out;
        }
    }
}
