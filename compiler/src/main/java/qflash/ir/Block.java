package qflash.ir;

import java.util.List;

/** A straight-line list of ops with block arguments; the last op of every block is a {@link Op.Yield}. */
public record Block(List<Value> args, List<Op> ops) {
    public Block {
        args = List.copyOf(args);
        ops = List.copyOf(ops);
    }

    public Op.Yield terminator() {
        return (Op.Yield) ops.getLast();
    }
}
