package qflash.pass;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import qflash.diag.Pos;
import qflash.ir.*;
import qflash.ir.Type.Tile;

/**
 * {@code align-block-scales}: one scale per row before the row max.
 *
 * <p>With per-block K scales, the scores of one row carry a different scale in each column block:
 * {@code convert(s) * rowFactors * s_k[col]}. {@code rowmax} compares integers, so they must share one
 * scale. This pass re-aligns each column to the largest K scale {@code k_ref} of the program instance (the
 * prologue's maximum of the K scale tensor over the axes the columns index, one per (z, h) head: a max over the whole
 * tensor would make one image's output depend on the rest of its batch): {@code s' = (s * M[col] + 2^15) >> 16} with {@code M = rne(2^16 * s_k / k_ref)}
 * clamped to [0, 2^16], so {@code |s'| ≤ |s|} and s' always fits i32 (a wrapping narrowing, nothing to
 * saturate); the product needs i64. The score becomes
 * {@code convert(s') * rowFactors * k_ref}, ready for {@code fold-scales}. The dot itself keeps the
 * finer per-block integers; only its result is rounded to the common grid (half a unit of
 * {@code s_q * k_ref}). No published integer kernel does this. No options.
 */
public final class AlignBlockScales implements Pass {
    @Override
    public String name() {
        return "align-block-scales";
    }

    @Override
    public Kernel run(Kernel k) {
        Uses uses = new Uses(k);
        Namer namer = Namer.of(k);
        List<Value> yields = k.prologue().terminator().values();
        Map<Value, Value> derivedDef = k.derivedDefinitions();
        Map<Value, Value> refParam = new IdentityHashMap<>(); // scale tensor -> its max, a derived scalar
        List<Op> prologue = new ArrayList<>(k.prologue().ops().subList(0, k.prologue().ops().size() - 1));
        List<Value> newYields = new ArrayList<>(yields);
        List<Kernel.Param> params = new ArrayList<>(k.params());
        Map<Op, List<Op>> rewrites = new IdentityHashMap<>();
        k.forEachOp(op -> {
            if (!(op instanceof Op.Binary m) || m.kind() != Op.BinKind.MUL || m.result().tile().rank() != 2) return;
            for (int side = 0; side < 2; side++) {
                Value x = side == 0 ? m.a() : m.b(), c = side == 0 ? m.b() : m.a();
                Op.Broadcast bc = uses.defAs(c, Op.Broadcast.class);
                Op.Load scales = bc == null || !bc.dims().equals(List.of(1)) ? null : uses.defAs(bc.a(), Op.Load.class);
                Chain chain = Chain.of(x, uses);
                if (scales == null || chain == null || !derivedDef.containsKey(scales.tensor())) continue;
                Value tensor = scales.tensor();
                // One reference per program instance: the max over the axes the row's column blocks index; an axis
                // indexed by a grid id (z, h) is kept, so each head has its own. Every score of a row shares it, and
                // one image's scores do not depend on what else is in the batch.
                List<Integer> kept = new ArrayList<>();
                for (int ax = 0; ax < scales.indices().size(); ax++) {
                    if (k.body().args().contains(scales.indices().get(ax))) kept.add(ax);
                }
                Value ref = refParam.computeIfAbsent(tensor, t -> {
                    Value cur = derivedDef.get(t);
                    for (int ax = cur.type().rank() - 1; ax >= 0; ax--) {
                        if (kept.contains(ax)) continue;
                        List<Dim> shape = new ArrayList<>(cur.type().shape());
                        shape.remove(ax);
                        Value next = namer.fresh(t.name() + ".max", new Type.Tensor(shape, Elem.F32));
                        prologue.add(new Op.Reduce(next, Op.RedKind.MAX, cur, ax, scales.loc()));
                        cur = next;
                    }
                    Value p = namer.fresh(t.name() + ".ref", cur.type());
                    newYields.add(cur);
                    params.add(new Kernel.Param(p, false, false, false, true));
                    return p;
                });
                List<Value> refIndex = kept.stream().map(ax -> scales.indices().get(ax)).toList();
                List<Op> out = new ArrayList<>();
                Emit e = new Emit(out, namer, m);
                Tile rt = m.result().tile(), it = rt.withElem(Elem.I32), lt = rt.withElem(Elem.I64);
                Tile vec = bc.a().tile();
                Value kref = namer.fresh("k_ref", Tile.scalar(Elem.F32));
                out.add(new Op.Load(kref, ref, refIndex, m.loc()));
                Value ratio = e.bin(Op.BinKind.DIV, bc.a(), kref, vec, null);
                Value raw = e.toInt(e.bin(Op.BinKind.MUL, ratio, e.cnst(65536, Tile.scalar(Elem.F32)), vec, null), vec.withElem(Elem.I32), "align_m.raw");
                // Clamped to [0, 2^16]: nothing changes for what the prologue computes (s_k <= k_ref, NaN -> 0),
                // but every reader of M now has that range by construction, so the narrowing below is exact
                // with wrap: |s * M + 2^15| >> 16 lies in [-2^31, 2^31) for any i32 s. No saturation to check
                // per score.
                Value mult = e.bin(Op.BinKind.MIN, e.bin(Op.BinKind.MAX, raw, e.cnst(0, Tile.scalar(Elem.I32)), raw.tile(), null),
                        e.cnst(65536, Tile.scalar(Elem.I32)), raw.tile(), "align_m");
                Value multCols = namer.fresh(mult.name() + ".cols", it);
                out.add(new Op.Broadcast(multCols, mult, List.of(1), m.loc()));
                Value prod = e.bin(Op.BinKind.MUL, e.convert(chain.ints(), lt), e.convert(multCols, lt), lt, null);
                Value shifted = e.bin(Op.BinKind.SHR, e.bin(Op.BinKind.ADD, prod, e.cnst(1 << 15, Tile.scalar(Elem.I64)), lt, null),
                        e.cnst(16, Tile.scalar(Elem.I64)), lt, null);
                Value aligned = namer.fresh(chain.ints().name() + ".aligned", it);
                out.add(new Op.Convert(aligned, shifted, Op.Rounding.RNE, Op.Overflow.WRAP, m.loc()));
                Value f = e.convert(aligned, rt);
                for (Value factor : chain.factors()) f = e.bin(Op.BinKind.MUL, f, factor, rt, null);
                out.add(new Op.Binary(m.result(), Op.BinKind.MUL, f, kref, m.loc()));
                rewrites.put(m, out);
                return;
            }
        });
        if (rewrites.isEmpty()) return k;
        prologue.add(new Op.Yield(newYields, Pos.UNKNOWN));
        return k.withParams(params).withPrologue(new Block(List.of(), prologue))
                .withBody(Rewrite.expand(k.body(), op -> rewrites.getOrDefault(op, List.of(op))));
    }
}
