package qflash.pass;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import qflash.ir.*;
import qflash.ir.Type.Tile;

/**
 * {@code scale-realign}: integer running sums that keep one scale.
 *
 * <p>Matches loop-carried float sums updated as {@code X = X * alpha + T}, where alpha is an integer
 * exponential {@code convert(a) * (1/rs)} (from {@code shift-exp}, possibly broadcast along rows) and T
 * is a dequantized integer {@code convert(t) * f1 * f2 ...} with loop-invariant factors (the row sum of
 * P, or the P·V product). X becomes an i32 sum in T's units, updated as
 * {@code X = ((X * (a * M) + 2^29) >> 30) + t} with {@code M = rne(2^30 / rs)}: multiplying by alpha and
 * re-aligning to the same fixed scale in one step, so the scale never compounds across blocks. The
 * product needs 64 bits (|X| up to 2^31, a up to rs, M up to 2^30/rs), so it runs in i64; the
 * range analysis checks the narrowing back. {@code a * M} itself is saturated to 32 bits (a no-op on
 * what the prologue computes, about 2^30 at most), so the product is one 32 x 32 -> 64 multiply.
 * After the loop, X's float value is {@code convert(X) * f1 * f2 ...}.
 * Option {@code sum-init=1}: rank-1 sums (the row sum l) start at 1 instead of 0, as the published
 * QFlash kernel does; the default is 0.
 */
public record ScaleRealign(int sumInit) implements Pass {
    @Override
    public String name() {
        return "scale-realign" + (sumInit != 0 ? "{sum-init=" + sumInit + "}" : "");
    }

    /** A matched update of loop argument {@code index}. */
    private record Update(int index, Value a, Value rs, Value t, List<Value> factors) {}

    @Override
    public Kernel run(Kernel k) {
        Uses uses = new Uses(k);
        Namer namer = Namer.of(k);
        return k.mapBlocks(b -> Rewrite.expand(b, op -> op instanceof Op.For f ? realign(f, uses, namer) : List.of(op)));
    }

    private List<Op> realign(Op.For f, Uses uses, Namer namer) {
        Set<Value> inside = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        inside.addAll(f.body().args());
        Kernel.forEachOp(f.body(), o -> inside.addAll(o.results()));
        List<Update> updates = new ArrayList<>();
        for (int i = 0; i < f.inits().size(); i++) {
            Value arg = f.iterArgs().get(i);
            Op.Const init = uses.defAs(f.inits().get(i), Op.Const.class);
            if (!arg.type().elem().isFloat() || init == null || init.value() != 0) continue;
            Update u = match(i, arg, f.body().terminator().values().get(i), uses, inside);
            if (u != null) updates.add(u);
        }
        if (updates.isEmpty()) return List.of(f);
        List<Op> before = new ArrayList<>(), top = new ArrayList<>(), after = new ArrayList<>();
        List<Value> inits = new ArrayList<>(f.inits()), args = new ArrayList<>(f.body().args()), results = new ArrayList<>(f.results());
        List<Value> yields = new ArrayList<>(f.body().terminator().values());
        List<Op> tail = new ArrayList<>();
        for (Update u : updates) {
            Value arg = f.iterArgs().get(u.index());
            Tile ft = arg.tile(), it = ft.withElem(Elem.I32), lt = ft.withElem(Elem.I64);
            Value init = namer.fresh(arg.name() + ".init", it);
            before.add(new Op.Const(init, ft.rank() == 1 ? sumInit : 0, f.loc()));
            inits.set(u.index(), init);
            Value ai = namer.fresh(arg.name() + ".i", it);
            args.set(u.index() + 1, ai);
            new Emit(top, namer, f).dequantize(ai, u.factors(), arg);
            Emit e = new Emit(tail, namer, f);
            Tile rowF = u.rs().tile().withElem(Elem.F32);
            Value m = e.toInt(e.bin(Op.BinKind.DIV, e.cnst(1 << 30, Tile.scalar(Elem.F32)), e.convert(u.rs(), rowF), rowF, null),
                    u.rs().tile(), "realign_m");
            Value x64 = e.convert(ai, lt);
            // a * M once per row (a row vector, when alpha is one), then X times that: the same bits as
            // (X * a) * M, since i64 products wrap, for one 64-bit product per element instead of two.
            Tile at = u.a().tile(), mt = m.tile();
            Tile factorT = (at.isScalar() ? mt : mt.isScalar() || at.shape().equals(mt.shape()) ? at : it).withElem(Elem.I64);
            Value wide = e.bin(Op.BinKind.MUL, e.rows(e.convert(u.a(), at.withElem(Elem.I64)), factorT),
                    e.rows(e.convert(m, mt.withElem(Elem.I64)), factorT), factorT, null);
            // a * M is at most about 2^30 (a <= rs, M ~ 2^30 / rs), so saturating it to 32 bits changes
            // nothing the prologue can produce; it makes both operands of the per-element product 32-bit
            // values, whose exact product one widening multiply gives (no 64 x 64 product per element).
            Value factor32 = namer.fresh(arg.name() + ".factor", factorT.withElem(Elem.I32));
            tail.add(new Op.Convert(factor32, wide, Op.Rounding.RNE, Op.Overflow.SAT, f.loc()));
            Value factor = e.convert(factor32, factorT);
            Value prod = e.bin(Op.BinKind.MUL, x64, e.rows(factor, lt), lt, null);
            Value shifted = e.bin(Op.BinKind.SHR, e.bin(Op.BinKind.ADD, prod, e.cnst(1 << 29, Tile.scalar(Elem.I64)), lt, null),
                    e.cnst(30, Tile.scalar(Elem.I64)), lt, null);
            Value narrow = namer.fresh(arg.name() + ".kept", it);
            tail.add(new Op.Convert(narrow, shifted, Op.Rounding.RNE, Op.Overflow.WRAP, f.loc()));
            yields.set(u.index(), e.bin(Op.BinKind.ADD, narrow, u.t(), it, arg.name() + ".next"));
            Value res = f.results().get(u.index());
            Value ri = namer.fresh(res.name() + ".i", it);
            results.set(u.index(), ri);
            new Emit(after, namer, f).dequantize(ri, u.factors(), res);
        }
        List<Op> bodyOps = new ArrayList<>(top);
        bodyOps.addAll(f.body().ops().subList(0, f.body().ops().size() - 1));
        bodyOps.addAll(tail);
        bodyOps.add(new Op.Yield(yields, f.body().terminator().loc()));
        List<Op> out = new ArrayList<>(before);
        out.add(new Op.For(results, f.lo(), f.hi(), inits, new Block(args, bodyOps), f.loc()));
        out.addAll(after);
        return out;
    }

    private static Update match(int index, Value arg, Value next, Uses uses, Set<Value> inside) {
        Op.Binary add = uses.defAs(next, Op.Binary.class);
        if (add == null || add.kind() != Op.BinKind.ADD) return null;
        for (int side = 0; side < 2; side++) {
            Op.Binary mul = uses.defAs(side == 0 ? add.a() : add.b(), Op.Binary.class);
            Value tv = side == 0 ? add.b() : add.a();
            if (mul == null || mul.kind() != Op.BinKind.MUL || (mul.a() != arg && mul.b() != arg)) continue;
            Value alphaV = mul.a() == arg ? mul.b() : mul.a();
            Op.Broadcast bc = uses.defAs(alphaV, Op.Broadcast.class);
            if (bc != null && bc.dims().equals(List.of(0))) alphaV = bc.a();
            Scaled alpha = Scaled.of(alphaV, uses);
            RequantizeP.ExpUnit unit = alpha == null ? null : RequantizeP.ExpUnit.of(alpha.factor(), uses);
            Chain t = Chain.of(tv, uses);
            if (unit == null || t == null || t.factors().isEmpty() || t.factors().stream().anyMatch(inside::contains)) continue;
            return new Update(index, alpha.ints(), unit.rs(), t.ints(), t.factors());
        }
        return null;
    }
}
