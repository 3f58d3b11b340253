package qflash.pass;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import qflash.interp.Arith;
import qflash.interp.Arr;
import qflash.ir.*;
import qflash.ir.Type.Tile;

/**
 * {@code fold-constants}: evaluate ops whose operands are all constants.
 *
 * <p>A constant here is a {@code const} op: a scalar, or a tile every element of which is equal.
 * Elementwise ops, conversions and broadcasts of constants become one {@code const} of the result
 * type, computed with {@link Arith} — the interpreter's own semantics, so folding never changes a
 * result. Values of type {@code real} have no precision yet and are left alone. No options.
 */
public final class FoldConstants implements Pass {
    @Override
    public String name() {
        return "fold-constants";
    }

    @Override
    public Kernel run(Kernel k) {
        Map<Value, Double> consts = new IdentityHashMap<>();
        return k.mapBlocks(b -> fold(b, consts));
    }

    private static Block fold(Block b, Map<Value, Double> consts) {
        List<Op> ops = new ArrayList<>();
        for (Op op : b.ops()) {
            Op out = op instanceof Op.For f ? f.withBody(fold(f.body(), consts)) : fold(op, consts);
            if (out instanceof Op.Const c) consts.put(c.result(), c.value());
            ops.add(out);
        }
        return new Block(b.args(), ops);
    }

    private static Op fold(Op op, Map<Value, Double> consts) {
        if (op instanceof Op.Const || op instanceof Op.For || !op.isPure() || op.results().size() != 1) return op;
        if (op.operands().isEmpty() || !op.operands().stream().allMatch(consts::containsKey)) return op;
        if (op.result().type().elem() == Elem.REAL || op.operands().stream().anyMatch(v -> v.type().elem() == Elem.REAL)) return op;
        Double v = switch (op) {
            case Op.Unary u -> u.result().type().elem().isInt
                    ? (double) Arith.unary(u.kind(), elem(u.result()), (long) (double) consts.get(u.a()))
                    : Arith.unary(u.kind(), elem(u.result()), consts.get(u.a()));
            case Op.Binary bi -> bi.result().type().elem().isInt
                    ? (double) Arith.binary(bi.kind(), elem(bi.result()), (long) (double) consts.get(bi.a()), (long) (double) consts.get(bi.b()))
                    : Arith.binary(bi.kind(), elem(bi.result()), consts.get(bi.a()), consts.get(bi.b()));
            case Op.Cmp c -> {
                double x = consts.get(c.a()), y = consts.get(c.b());
                boolean t = c.a().type().elem().isInt ? Arith.compare(c.kind(), (long) x, (long) y) : Arith.compare(c.kind(), x, y);
                yield t ? 1.0 : 0.0;
            }
            case Op.Select s -> consts.get(s.cond()) != 0 ? consts.get(s.a()) : consts.get(s.b());
            case Op.Convert c -> {
                Arr one = new Arr(elem(c.a()));
                if (one.elem.isInt) one.i[0] = (long) (double) consts.get(c.a());
                else one.f[0] = consts.get(c.a());
                yield qflash.interp.Interpreter.convertOne(one, elem(c.result()), c.rounding(), c.overflow());
            }
            case Op.Broadcast bc -> consts.get(bc.a());
            default -> null;
        };
        // Integers above 2^53 do not survive a double; leave such folds to run time.
        if (v == null || op.result().type().elem().isInt && Math.abs(v) > 0x1p53) return op;
        return new Op.Const(op.result(), v, op.loc());
    }

    private static Elem elem(Value v) {
        return ((Tile) v.type()).elem();
    }
}
