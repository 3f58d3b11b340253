package qflash.pass;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import qflash.ir.*;

/**
 * {@code licm}: hoist loop-invariant work out of loops.
 *
 * <p>A pure op in a loop body whose operands are all defined outside the loop computes the same value
 * every iteration; it moves in front of the loop (nested loops first, so work climbs as far as it
 * can). Pure ops have no effects and every integer op is defined for all inputs, so running one on a
 * loop that makes zero trips is harmless. A load moves too when no op of the kernel stores to its
 * tensor (nothing can change what it reads) — loads of scales, say; out-of-bounds reads are defined
 * (0), so an early load is harmless too. No options.
 */
public final class Licm implements Pass {
    @Override
    public String name() {
        return "licm";
    }

    @Override
    public Kernel run(Kernel k) {
        Set<Value> written = Collections.newSetFromMap(new IdentityHashMap<>());
        k.forEachOp(op -> {
            if (op instanceof Op.Store s) written.add(s.tensor());
        });
        return k.mapBlocks(b -> hoistIn(b, written));
    }

    private static Block hoistIn(Block b, Set<Value> written) {
        List<Op> ops = new ArrayList<>();
        for (Op op : b.ops()) {
            if (op instanceof Op.For f) {
                Op.For inner = f.withBody(hoistIn(f.body(), written));
                List<Op> hoisted = new ArrayList<>();
                Op.For out = hoist(inner, hoisted, written);
                ops.addAll(hoisted);
                ops.add(out);
            } else {
                ops.add(op);
            }
        }
        return new Block(b.args(), ops);
    }

    /** Moves invariant ops of {@code f}'s body into {@code hoisted}; returns the loop without them. */
    private static Op.For hoist(Op.For f, List<Op> hoisted, Set<Value> written) {
        Set<Value> inside = Collections.newSetFromMap(new IdentityHashMap<>());
        inside.addAll(f.body().args());
        List<Op> kept = new ArrayList<>();
        for (Op op : f.body().ops()) {
            boolean movable = op.isPure() || op instanceof Op.Load l && !written.contains(l.tensor());
            boolean invariant = movable && op.operands().stream().noneMatch(inside::contains);
            if (invariant) {
                hoisted.add(op);
            } else {
                kept.add(op);
                inside.addAll(op.results());
                for (Block blk : op.blocks()) Kernel.forEachOp(blk, o -> inside.addAll(o.results()));
            }
        }
        return f.withBody(new Block(f.body().args(), kept));
    }
}
