package qflash.pass;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import qflash.ir.*;

/**
 * {@code cse}: compute each pure value once.
 *
 * <p>Two pure ops with the same kind, attributes, operands and result type compute the same value;
 * the later one is replaced by the earlier. Scoped: an op inside a loop body may reuse a value from
 * an enclosing block, never the other way round. Loads are not merged (a store may come between).
 * Source locations do not count. No options.
 */
public final class Cse implements Pass {
    @Override
    public String name() {
        return "cse";
    }

    @Override
    public Kernel run(Kernel k) {
        Map<Value, Value> subst = new IdentityHashMap<>();
        return k.mapBlocks(b -> cse(b, new HashMap<>(), subst));
    }

    private static Block cse(Block b, Map<List<Object>, Value> seen, Map<Value, Value> subst) {
        List<Op> ops = new ArrayList<>();
        for (Op op : b.ops()) {
            Op m = op.mapOperands(v -> Rewrite.resolve(subst, v));
            if (m instanceof Op.For f) {
                ops.add(f.withBody(cse(f.body(), new HashMap<>(seen), subst)));
                continue;
            }
            if (!m.isPure() || m.results().size() != 1) {
                ops.add(m);
                continue;
            }
            List<Object> key = signature(m);
            Value earlier = seen.get(key);
            if (earlier != null) {
                subst.put(m.result(), earlier);
            } else {
                seen.put(key, m.result());
                ops.add(m);
            }
        }
        return new Block(b.args(), ops);
    }

    /** Everything that makes the op's value: its class, attributes and operands (by identity), and the result type. */
    static List<Object> signature(Op op) {
        List<Object> key = new ArrayList<>();
        key.add(op.getClass());
        key.add(op.result().type());
        for (RecordComponent rc : op.getClass().getRecordComponents()) {
            if (rc.getName().equals("result") || rc.getName().equals("loc")) continue;
            try {
                Object v = rc.getAccessor().invoke(op);
                key.add(v); // Value has identity equality, so operands match only when they are the same value
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return key;
    }
}
