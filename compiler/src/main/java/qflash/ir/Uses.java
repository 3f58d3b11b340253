package qflash.ir;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who defines and who reads each value of a kernel (nested blocks included): what a pass needs to
 * match a pattern fully before it rewrites anything. A snapshot: rebuild it after rewriting.
 */
public final class Uses {
    private final Map<Value, Op> defs = new IdentityHashMap<>();
    private final Map<Value, List<Op>> users = new IdentityHashMap<>();

    public Uses(Kernel k) {
        k.forEachOp(op -> {
            for (Value r : op.results()) defs.put(r, op);
            for (Value v : op.operands()) users.computeIfAbsent(v, x -> new ArrayList<>()).add(op);
        });
    }

    /** The op defining {@code v}, or null for parameters and block arguments. */
    public Op def(Value v) {
        return defs.get(v);
    }

    public List<Op> users(Value v) {
        return users.getOrDefault(v, List.of());
    }

    /** The defining op of {@code v} if it is of class {@code c}. */
    public <T extends Op> T defAs(Value v, Class<T> c) {
        Op op = defs.get(v);
        return c.isInstance(op) ? c.cast(op) : null;
    }
}
