package qflash.pass;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import qflash.ir.*;

/**
 * {@code dce}: remove pure ops whose results nobody reads.
 *
 * <p>Repeats until nothing changes, since removing one op can leave its operands unread. Stores,
 * loops and yields stay. No options.
 */
public final class Dce implements Pass {
    @Override
    public String name() {
        return "dce";
    }

    @Override
    public Kernel run(Kernel k) {
        while (true) {
            Set<Value> used = Rewrite.uses(k);
            int[] removed = {0};
            Kernel out = k.mapBlocks(b -> sweep(b, used, removed));
            if (removed[0] == 0) return k;
            k = out;
        }
    }

    private static Block sweep(Block b, Set<Value> used, int[] removed) {
        List<Op> ops = new ArrayList<>();
        for (Op op : b.ops()) {
            if (op.isPure() && op.results().stream().noneMatch(used::contains)) {
                removed[0]++;
                continue;
            }
            ops.add(op instanceof Op.For f ? f.withBody(sweep(f.body(), used, removed)) : op);
        }
        return new Block(b.args(), ops);
    }
}
