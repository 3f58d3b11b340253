package qflash.pass;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import qflash.ir.*;
import qflash.ir.Type.Tile;

/**
 * {@code fold-scales}: one scale per integer score.
 *
 * <p>After {@code integer-dot} a score is {@code convert(s) * s_q * s_k * (scale * log2 e)}: an i32
 * tile times a chain of positive factors, each a scalar or a per-row vector. This pass multiplies the
 * factors into one value {@code sm} — log2-units per integer score unit, the quantity every fixed-point
 * constant of the integer softmax derives from — and rewrites the score as {@code convert(s) * sm}.
 * The product is formed in chain order, {@code sm = ((f1 * f2) * f3) ...}, in the factors' own
 * precision; it is computed where the last factor is known and left for {@code licm} and
 * {@code lift-constants} to move out. A per-column factor (per-block K scales) ends the chain:
 * {@code align-block-scales} must run first. No options.
 */
public final class FoldScales implements Pass {
    @Override
    public String name() {
        return "fold-scales";
    }

    @Override
    public Kernel run(Kernel k) {
        Uses uses = new Uses(k);
        Namer namer = Namer.of(k);
        // The last multiply of each chain -> its rewrite.
        Map<Op, List<Op>> rewrites = new IdentityHashMap<>();
        k.forEachOp(op -> {
            if (!(op instanceof Op.Convert c) || c.a().type().elem() != Elem.I32 || !c.result().type().elem().isFloat()) return;
            List<Value> factors = new ArrayList<>();
            Value v = c.result();
            Op.Binary last = null;
            while (uses.users(v).size() == 1 && uses.users(v).getFirst() instanceof Op.Binary m && m.kind() == Op.BinKind.MUL) {
                Value other = m.a() == v ? m.b() : m.a();
                Value f = rowFactor(other, v.tile(), uses);
                if (f == null || other == v) break;
                factors.add(f);
                last = m;
                v = m.result();
            }
            if (factors.size() < 2) return;
            List<Op> out = new ArrayList<>();
            Value sm = factors.getFirst();
            for (int i = 1; i < factors.size(); i++) {
                Value f = factors.get(i);
                Tile t = sm.tile().isScalar() ? f.tile() : sm.tile();
                Value p = namer.fresh(i == factors.size() - 1 ? "sm" : null, t);
                out.add(new Op.Binary(p, Op.BinKind.MUL, sm, f, last.loc()));
                sm = p;
            }
            Value smb = sm;
            Tile rt = last.result().tile();
            if (!sm.tile().isScalar()) {
                smb = namer.fresh(sm.name() + ".rows", rt);
                out.add(new Op.Broadcast(smb, sm, List.of(0), last.loc()));
            }
            out.add(new Op.Binary(last.result(), Op.BinKind.MUL, c.result(), smb, last.loc()));
            rewrites.put(last, out);
        });
        if (rewrites.isEmpty()) return k;
        return k.mapBlocks(b -> Rewrite.expand(b, op -> rewrites.getOrDefault(op, List.of(op))));
    }

    /**
     * A factor constant along each row of a tile shaped like {@code of}: a scalar, or a vector broadcast
     * along axis 0 of a rank-2 tile (returned unbroadcast), or a vector of the tile's own shape if rank 1.
     */
    static Value rowFactor(Value f, Tile of, Uses uses) {
        Tile t = f.tile();
        if (!t.elem().isFloat()) return null;
        if (t.isScalar()) return f;
        if (of.rank() == 1 && t.equals(of)) return f;
        Op.Broadcast b = uses.defAs(f, Op.Broadcast.class);
        if (of.rank() == 2 && b != null && b.a().tile().rank() == 1 && b.dims().equals(List.of(0))) return b.a();
        return null;
    }
}
