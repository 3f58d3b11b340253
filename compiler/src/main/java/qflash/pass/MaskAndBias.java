package qflash.pass;

import java.util.ArrayList;
import java.util.List;
import qflash.ir.*;
import qflash.ir.Type.Tile;

/**
 * {@code mask-and-bias}: masks and additive biases in integer score units.
 *
 * <p>A masked score, {@code where(mask, convert(s) * sm, -inf)}, becomes
 * {@code convert(where(mask, s, -2^20)) * sm}: -2^20 score units is far enough below any real score
 * that its exponential is 0 after the integer exp (ALGORITHM.md §2), and it keeps every later difference
 * within int32. An additive bias, {@code convert(s) * sm + t}, becomes the integer offset
 * {@code convert(s + rne(t / sm)) * sm} (saturated to i32): for an attention bias {@code t = bias * log2 e},
 * so the offset is {@code bias * log2(e) / sm}, rounded. The offset's float arithmetic depends only on
 * the bias and {@code sm}; {@code lift-constants} moves it into the prologue. No options.
 */
public final class MaskAndBias implements Pass {
    /** The integer score standing for "no weight at all". */
    public static final int MASKED = -(1 << 20);

    @Override
    public String name() {
        return "mask-and-bias";
    }

    @Override
    public Kernel run(Kernel k) {
        // Biases first: a masked biased score is where(mask, s*sm + t, -inf), and the mask then sees the scaled form.
        Kernel out = rewrite(k, true);
        return rewrite(out, false);
    }

    private static Kernel rewrite(Kernel k, boolean biases) {
        Uses uses = new Uses(k);
        Namer namer = Namer.of(k);
        Block body = Rewrite.expand(k.body(), op -> {
            if (biases && op instanceof Op.Binary b && b.kind() == Op.BinKind.ADD && b.result().type().elem().isFloat()) {
                for (int side = 0; side < 2; side++) {
                    Scaled s = Scaled.of(side == 0 ? b.a() : b.b(), uses);
                    Value t = side == 0 ? b.b() : b.a();
                    if (s == null || Scaled.of(t, uses) != null || !t.type().equals(b.result().type())) continue;
                    List<Op> ops = new ArrayList<>();
                    Tile rt = b.result().tile(), it = rt.withElem(Elem.I32);
                    Value off = offset(ops, namer, t, s.factor(), uses, b);
                    Value sum = namer.fresh(b.result().name() + ".i", it);
                    ops.add(new Op.Binary(sum, Op.BinKind.ADD, s.ints(), off, b.loc()));
                    new Emit(ops, namer, b).dequantize(sum, List.of(s.factor()), b.result());
                    return ops;
                }
            }
            if (!biases && op instanceof Op.Select sel && sel.result().type().elem().isFloat()) {
                for (int side = 0; side < 2; side++) {
                    Scaled s = Scaled.of(side == 0 ? sel.a() : sel.b(), uses);
                    Value other = side == 0 ? sel.b() : sel.a();
                    if (s == null || !Scaled.isMinusInf(other, uses)) continue;
                    List<Op> ops = new ArrayList<>();
                    Tile it = sel.result().tile().withElem(Elem.I32);
                    Value neg = namer.fresh("masked", Tile.scalar(Elem.I32));
                    ops.add(new Op.Const(neg, MASKED, sel.loc()));
                    Value picked = namer.fresh(sel.result().name() + ".i", it);
                    ops.add(side == 0 ? new Op.Select(picked, sel.cond(), s.ints(), neg, sel.loc())
                            : new Op.Select(picked, sel.cond(), neg, s.ints(), sel.loc()));
                    new Emit(ops, namer, sel).dequantize(picked, List.of(s.factor()), sel.result());
                    return ops;
                }
            }
            return List.of(op);
        });
        return k.withBody(body);
    }

    /**
     * The bias {@code t} in score units. With one sm for the whole kernel, {@code rne(t / sm)} (lifted into
     * the prologue as a tensor like the bias). With one sm per row that division would mix the bias's and
     * the rows' indices, so it runs in fixed point in the kernel: {@code (rne(t*2^10) * rne(2^10/sm) + 2^19) >> 20}
     * in i64 — both factors lift on their own, and the product of at most 2^18 by 2^26 cannot overflow.
     */
    private static Value offset(List<Op> ops, Namer namer, Value t, Value factor, Uses uses, Op at) {
        Tile rt = t.tile(), it = rt.withElem(Elem.I32), lt = rt.withElem(Elem.I64);
        Value row = FoldScales.rowFactor(factor, rt, uses);
        Emit e = new Emit(ops, namer, at);
        if (row == null || row.tile().isScalar()) {
            return e.toInt(e.bin(Op.BinKind.DIV, t, factor, rt, t.name() + ".units"), it, t.name() + ".offset");
        }
        Tile rowF = row.tile();
        Value fixed = e.toInt(e.bin(Op.BinKind.MUL, t, e.cnst(1024, Tile.scalar(rt.elem())), rt, null), it, t.name() + ".fixed");
        Value inv = e.toInt(e.bin(Op.BinKind.DIV, e.cnst(1024, Tile.scalar(rowF.elem())), row, rowF, null), rowF.withElem(Elem.I32), "bias_inv_sm");
        Value invRows = e.rows(inv, it);
        Value prod = e.bin(Op.BinKind.MUL, e.convert(fixed, lt), e.convert(invRows, lt), lt, null);
        Value shifted = e.bin(Op.BinKind.SHR, e.bin(Op.BinKind.ADD, prod, e.cnst(1 << 19, Tile.scalar(Elem.I64)), lt, null),
                e.cnst(20, Tile.scalar(Elem.I64)), lt, null);
        Value off = namer.fresh(t.name() + ".offset", it);
        ops.add(new Op.Convert(off, shifted, Op.Rounding.RNE, Op.Overflow.SAT, at.loc()));
        return off;
    }
}
