package qflash.pass;

import java.util.ArrayList;
import java.util.List;
import qflash.ir.*;
import qflash.ir.Type.Tile;

/**
 * {@code shift-exp}: the exponential in integers.
 *
 * <p>Replaces {@code exp2(convert(x) * sm)} — x an i32 score difference, x ≤ 0, sm the row's log2-units
 * per score unit — by an integer approximation of {@code rs * 2^(x*sm)}, where {@code rs = rne(1/sm)} is
 * the integer standing for 1.0. Shared first step (ALGORITHM.md §2): {@code q = (x * expM) >> 16} with
 * {@code expM = rne(-sm * 2^16)} counts the whole halvings (q ≥ 0), and {@code r = x + q*rs} is the
 * remainder in (−rs, 0], i.e. {@code t = r/rs} in (−1, 0]. Then, by option:
 * <ul>
 * <li>{@code shift} (QFlash, I-ViT): {@code 2^t ≈ 1 + t/2}: {@code p = ((r >> 1) + rs) >> q}.
 *     Error up to 6.1% relative.</li>
 * <li>{@code poly2} (I-BERT's second-order fit of e^u on u = t·ln2 in (−ln2, 0]):
 *     {@code 2^t ≈ 1 + t*(k1 + k2*t)}, k2 = 0.35815147·ln2² and k1 = 0.5 + k2, which makes the
 *     approximation meet 1/2 at t = −1 so it is continuous (hence monotone) across halvings — I-BERT's
 *     own k1 = 0.96963238·ln2 differs by 3·10⁻⁵. Evaluated as
 *     {@code p = (rs + ((r * (K1 + ((r * K2) >> 16))) >> 15)) >> q} with {@code K1 = rne(k1 * 2^15)}
 *     and {@code K2 = rne(k2 * 2^31 / rs)}: 15 fractional bits keep {@code |r * (K1 + ...)| ≤ rs * 2^15 * 0.84}
 *     within int32 for rs up to 78000 (sm down to 1.3·10⁻⁵). Error about 0.3% relative (plus rounding).</li>
 * </ul>
 * Shifts by q ≥ 32 give 0, as the IR defines. Option {@code clamp}: first raise x to
 * {@code xmin = rne(-32/sm)}, below which the result is 0 anyway. Unclamped, a masked score (−2^20
 * minus a maximum of up to 2^22) times a large {@code expM} can overflow int32 (the published kernel
 * does not clamp). Clamped, {@code |x| ≤ 32/sm}, which leaves room for 8 more bits in the multiplier, and
 * the halvings are counted in the unit the remainder uses: {@code expM = rne(-2^24 / rs)},
 * {@code q = (x * expM) >> 24} = floor(−x/rs) up to rounding, so {@code r} stays in (−rs, 0] (±1) and
 * nothing downstream can overflow, whatever sm is; x·expM ≤ 2^29, so q is written {@code ((x * expM) >> 24) & 255},
 * the same value, which is never negative by its definition and so needs no clamp as a shift count. QFlash instead takes {@code expM = rne(-sm * 2^16)}:
 * its 16 bits put whole halvings wrong once sm is small (at sm = 10⁻⁴, expM = −7 stands for −6.55), and
 * counting halvings in sm while the remainder counts in rs lets r leave its range when rs·sm ≠ 1 —
 * the origin of the P-cast hazard. The clamped exponent's slope is 1/rs instead of sm: off by at most
 * 0.5·sm relative (0.2% at sm = 2^-8).
 * The result is handed on as {@code convert(p) * (1/rs)}.
 * The constants are computed from sm in f32 where the exponent is used; {@code lift-constants} moves
 * them into the prologue.
 */
public record ShiftExp(Variant variant, boolean clamp) implements Pass {
    public enum Variant { SHIFT, POLY2 }

    static final double K2 = 0.35815147 * Math.log(2) * Math.log(2);
    static final double K1 = 0.5 + K2;

    @Override
    public String name() {
        return "shift-exp{" + variant.name().toLowerCase() + (clamp ? ",clamp" : "") + "}";
    }

    @Override
    public Kernel run(Kernel k) {
        Uses uses = new Uses(k);
        Namer namer = Namer.of(k);
        Block body = Rewrite.expand(k.body(), op -> {
            if (!(op instanceof Op.Unary u) || u.kind() != Op.UnKind.EXP2) return List.of(op);
            Scaled s = Scaled.of(u.a(), uses);
            Value row = s == null ? null : FoldScales.rowFactor(s.factor(), u.a().tile(), uses);
            if (row == null) return List.of(op);
            return expand(u, s.ints(), row, namer);
        });
        return k.withBody(body);
    }

    private List<Op> expand(Op.Unary u, Value x0, Value sm, Namer namer) {
        List<Op> out = new ArrayList<>();
        Emit e = new Emit(out, namer, u);
        Tile rowF = sm.tile(), rowI = rowF.withElem(Elem.I32), t = x0.tile();
        // Per-row constants (scalars or [M] vectors), from sm in its own float type.
        Value rsF = e.bin(Op.BinKind.DIV, e.cnst(1, Tile.scalar(rowF.elem())), sm, rowF, "inv_sm");
        Value rs = e.toInt(rsF, rowI, "rs");
        int bits = clamp ? 24 : 16;
        Value expM = clamp
                ? e.toInt(e.bin(Op.BinKind.DIV, e.cnst(-(double) (1 << bits), Tile.scalar(rowF.elem())), e.convert(rs, rowF), rowF, null), rowI, "exp_m")
                : e.toInt(e.bin(Op.BinKind.MUL, sm, e.cnst(-(double) (1 << bits), Tile.scalar(rowF.elem())), rowF, null), rowI, "exp_m");
        Value rsT = e.rows(rs, t), expMT = e.rows(expM, t);
        Value sixteen = e.cnst(16, Tile.scalar(Elem.I32)), one = e.cnst(1, Tile.scalar(Elem.I32));
        Value x = x0;
        if (clamp) {
            Value xmin = e.toInt(e.bin(Op.BinKind.DIV, e.cnst(-32, Tile.scalar(rowF.elem())), sm, rowF, null), rowI, "exp_xmin");
            x = e.bin(Op.BinKind.MAX, x0, e.rows(xmin, t), t, x0.name() + ".clamped");
        }
        // Clamped, x * expM lies in [0, 2^29] by construction (|x| <= 32/sm, expM = -2^24/rs), so its top byte is
        // the halvings count: masking it changes nothing there, and makes q >= 0 for all to see (below).
        Value q = e.bin(Op.BinKind.SHR, e.bin(Op.BinKind.MUL, x, expMT, t, null), e.cnst(bits, Tile.scalar(Elem.I32)), t, clamp ? null : "halvings");
        if (clamp) q = e.bin(Op.BinKind.AND, q, e.cnst(255, Tile.scalar(Elem.I32)), t, "halvings");
        Value r = e.bin(Op.BinKind.ADD, x, e.bin(Op.BinKind.MUL, q, rsT, t, null), t, "rem");
        Value frac = switch (variant) {
            case SHIFT -> e.bin(Op.BinKind.ADD, e.bin(Op.BinKind.SHR, r, one, t, null), rsT, t, null);
            case POLY2 -> {
                Value k1 = e.cnst(Math.rint(K1 * 32768), Tile.scalar(Elem.I32));
                Value k2f = e.bin(Op.BinKind.DIV, e.cnst(K2 * 2147483648.0, Tile.scalar(rowF.elem())), e.convert(rs, rowF), rowF, null);
                Value k2 = e.rows(e.toInt(k2f, rowI, "poly_k2"), t);
                Value inner = e.bin(Op.BinKind.ADD, k1, e.bin(Op.BinKind.SHR, e.bin(Op.BinKind.MUL, r, k2, t, null), sixteen, t, null), t, null);
                yield e.bin(Op.BinKind.ADD, rsT, e.bin(Op.BinKind.SHR, e.bin(Op.BinKind.MUL, r, inner, t, null),
                        e.cnst(15, Tile.scalar(Elem.I32)), t, null), t, null);
            }
        };
        // A shift by q >= 31 gives the sign, as the IR defines, so q itself is the count. With q >= 0 by its
        // definition (the mask), a GPU shifts by it in one instruction (its shift saturates the count at 32),
        // where a count of unknown sign needs a branch over both directions, or a clamp first.
        Value p = e.bin(Op.BinKind.SHR, frac, q, t, u.result().name() + ".i");
        // Hand the integer on as p * (1/rs): the float value the exp2 used to give, up to the approximation.
        Value unit = e.bin(Op.BinKind.DIV, e.cnst(1, Tile.scalar(rowF.elem())), e.convert(rs, rowF), rowF, "exp_unit");
        Value unitT = unit.tile().isScalar() || unit.tile().shape().equals(t.shape()) ? unit : e.rows(unit, u.result().tile());
        e.dequantize(p, List.of(unitT), u.result());
        return out;
    }
}
