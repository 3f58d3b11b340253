package qflash.pass;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import qflash.ir.*;
import qflash.ir.Type.Tile;

/**
 * {@code requantize-p}: probabilities as 8-bit integers for the P·V product.
 *
 * <p>Matches the probabilities {@code convert(p) * (1/rs)} that {@code shift-exp} produced, where every
 * reader is a row sum or the left operand of a {@code dot}. They become
 * {@code p8 = convert((p * reqM + 2^15) >> 16)}, i.e. {@code p8 ≈ Q * p/rs} (the row maximum maps to
 * about Q), handed on as {@code convert(p8) * (1/Q)}; a row sum becomes an integer row sum of p8.
 * {@code reqM = rne(Q * 2^16 / rs)}, so that p ≤ rs gives p8 ≤ Q; with {@code sm} (the published
 * kernel) {@code reqM = rne(sm * Q * 2^16)} as QFlash computes it. Options:
 * <ul>
 * <li>{@code u8}: Q = 255 into u8 (probabilities are ≥ 0, so the sign bit is wasted otherwise; the
 *     default of the {@code int8} pipeline);</li>
 * <li>{@code s8}: Q = 127 into i8 (QFlash);</li>
 * <li>{@code wrap}: the cast keeps the low 8 bits, as the published reference does. Since rs is rounded,
 *     rs·sm can exceed 1 and p8 can reach Q+1: 128 wraps to −128, the largest probability becoming the
 *     most negative (ALGORITHM.md §3). Without {@code wrap} the cast saturates.</li>
 * </ul>
 */
public record RequantizeP(boolean unsigned, boolean wrap, boolean fromSm) implements Pass {
    @Override
    public String name() {
        return "requantize-p{" + (unsigned ? "u8" : "s8") + (wrap ? ",wrap" : "") + (fromSm ? ",sm" : "") + "}";
    }

    /** rs and sm behind an exp unit {@code 1/convert(rs)} with {@code rs = rne(1/sm)}; null when the value is not one. */
    record ExpUnit(Value rs, Value sm) {
        static ExpUnit of(Value unit, Uses uses) {
            Op.Broadcast b = uses.defAs(unit, Op.Broadcast.class);
            if (b != null) unit = b.a();
            Op.Binary div = uses.defAs(unit, Op.Binary.class);
            if (div == null || div.kind() != Op.BinKind.DIV || Chain.constant(div.a(), uses) != 1) return null;
            Op.Convert rsF = uses.defAs(div.b(), Op.Convert.class);
            if (rsF == null || rsF.a().type().elem() != Elem.I32) return null;
            Op.Convert rs = uses.defAs(rsF.a(), Op.Convert.class);
            Op.Binary inv = rs == null ? null : uses.defAs(rs.a(), Op.Binary.class);
            if (inv == null || inv.kind() != Op.BinKind.DIV || Chain.constant(inv.a(), uses) != 1) return null;
            return new ExpUnit(rsF.a(), inv.b());
        }
    }

    @Override
    public Kernel run(Kernel k) {
        Uses uses = new Uses(k);
        Namer namer = Namer.of(k);
        int q = unsigned ? 255 : 127;
        Elem e8 = unsigned ? Elem.U8 : Elem.I8;
        Map<Op, List<Op>> rewrites = new IdentityHashMap<>();
        k.forEachOp(op -> {
            if (!(op instanceof Op.Binary m) || m.kind() != Op.BinKind.MUL) return;
            Scaled s = Scaled.of(m.result(), uses);
            ExpUnit unit = s == null ? null : ExpUnit.of(s.factor(), uses);
            if (unit == null || m.result().tile().rank() != 2) return;
            List<Op> readers = uses.users(m.result());
            boolean ok = !readers.isEmpty() && readers.stream().allMatch(r ->
                    r instanceof Op.Reduce rd && rd.kind() == Op.RedKind.SUM && rd.axis() == 1
                            || r instanceof Op.Dot d && d.a() == m.result() && d.b() != m.result());
            if (!ok) return;
            Tile t = m.result().tile(), it = t.withElem(Elem.I32), row = unit.sm().tile();
            Emit e = new Emit(new ArrayList<>(), namer, m);
            Value reqF = fromSm
                    ? e.bin(Op.BinKind.MUL, unit.sm(), e.cnst(q * 65536.0, Tile.scalar(row.elem())), row, null)
                    : e.bin(Op.BinKind.DIV, e.cnst(q * 65536.0, Tile.scalar(row.elem())), e.convert(unit.rs(), row), row, null);
            Value reqM = e.toInt(reqF, row.withElem(Elem.I32), "req_m");
            Value scaled = e.bin(Op.BinKind.MUL, s.ints(), e.rows(reqM, it), it, null);
            Value rounded = e.bin(Op.BinKind.SHR, e.bin(Op.BinKind.ADD, scaled, e.cnst(1 << 15, Tile.scalar(Elem.I32)), it, null),
                    e.cnst(16, Tile.scalar(Elem.I32)), it, m.result().name() + ".q");
            Value p8 = namer.fresh(m.result().name() + "8", t.withElem(e8));
            e.out().add(new Op.Convert(p8, rounded, Op.Rounding.RNE, wrap ? Op.Overflow.WRAP : Op.Overflow.SAT, m.loc()));
            Value f = e.convert(p8, t);
            e.out().add(new Op.Binary(m.result(), Op.BinKind.MUL, f, e.cnst(1.0 / q, Tile.scalar(t.elem())), m.loc()));
            rewrites.put(m, e.out());
            // Row sums of the probabilities: an integer sum of p8, over Q.
            for (Op r : readers) {
                if (!(r instanceof Op.Reduce rd)) continue;
                Emit er = new Emit(new ArrayList<>(), namer, rd);
                Value sum = namer.fresh(rd.result().name() + ".i", rd.result().tile().withElem(Elem.I32));
                er.out().add(new Op.Reduce(sum, Op.RedKind.SUM, p8, 1, rd.loc()));
                Value sf = er.convert(sum, rd.result().tile());
                er.out().add(new Op.Binary(rd.result(), Op.BinKind.MUL, sf, er.cnst(1.0 / q, Tile.scalar(t.elem())), rd.loc()));
                rewrites.put(rd, er.out());
            }
        });
        if (rewrites.isEmpty()) return k;
        return k.mapBlocks(b -> Rewrite.expand(b, op -> rewrites.getOrDefault(op, List.of(op))));
    }
}
