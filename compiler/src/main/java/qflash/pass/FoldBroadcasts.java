package qflash.pass;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import qflash.ir.*;

/**
 * {@code fold-broadcasts}: one broadcast instead of a chain.
 *
 * <p>The front end spells {@code l[:, None] * acc} as two broadcasts ({@code [M] -> [M,1] -> [M,D]}).
 * A broadcast of a broadcast becomes one broadcast of the original value, composing the axis maps
 * (an axis of length 1 may stretch in either step); a broadcast to the operand's own type is dropped.
 * The intermediate value is left for {@code dce}. No options.
 */
public final class FoldBroadcasts implements Pass {
    @Override
    public String name() {
        return "fold-broadcasts";
    }

    @Override
    public Kernel run(Kernel k) {
        Map<Value, Op.Broadcast> defs = new IdentityHashMap<>();
        Map<Value, Value> subst = new IdentityHashMap<>();
        Kernel out = k.mapBlocks(b -> fold(b, defs, subst));
        return out.mapBlocks(b -> Rewrite.substitute(b, subst));
    }

    private static Block fold(Block b, Map<Value, Op.Broadcast> defs, Map<Value, Value> subst) {
        List<Op> ops = new ArrayList<>();
        for (Op op : b.ops()) {
            if (op instanceof Op.For f) {
                ops.add(f.withBody(fold(f.body(), defs, subst)));
                continue;
            }
            if (op instanceof Op.Broadcast outer) {
                Op.Broadcast inner = defs.get(outer.a());
                if (inner != null) {
                    List<Integer> dims = new ArrayList<>();
                    for (int d : inner.dims()) dims.add(outer.dims().get(d));
                    outer = new Op.Broadcast(outer.result(), inner.a(), dims, outer.loc());
                }
                if (outer.a().type().equals(outer.result().type()) && isIdentity(outer.dims())) {
                    subst.put(outer.result(), outer.a());
                    continue;
                }
                defs.put(outer.result(), outer);
                ops.add(outer);
                continue;
            }
            ops.add(op);
        }
        return new Block(b.args(), ops);
    }

    private static boolean isIdentity(List<Integer> dims) {
        for (int i = 0; i < dims.size(); i++) if (dims.get(i) != i) return false;
        return true;
    }
}
