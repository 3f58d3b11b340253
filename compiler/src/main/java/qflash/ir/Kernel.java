package qflash.ir;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * One compiled kernel: its parameters, its schedule (tunables resolved to values), and three blocks.
 * {@code defaults} computes the default of each scalar parameter that has one (in order) from shape
 * symbols; {@code grid} yields the number of program instances along each grid axis; {@code body} runs
 * once per program instance, its block arguments being the program ids.
 */
public record Kernel(String name, List<Param> params, Map<String, Long> schedule, List<String> annotations,
                     Block defaults, Block grid, Block body) {

    public Kernel {
        params = List.copyOf(params);
        schedule = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(schedule));
        annotations = List.copyOf(annotations);
    }

    /**
     * A kernel argument. Tensors may be outputs ({@code out}) or {@code optional} (an absent one reads
     * as zeros); scalars may have a default computed by the {@code defaults} block.
     */
    public record Param(Value value, boolean out, boolean optional, boolean hasDefault) {
        public boolean isTensor() {
            return value.type() instanceof Type.Tensor;
        }

        public String name() {
            return value.name();
        }
    }

    public Param param(String name) {
        for (Param p : params) if (p.name().equals(name)) return p;
        return null;
    }

    public boolean has(String annotation) {
        return annotations.contains(annotation);
    }

    public Kernel withBlocks(Block defaults, Block grid, Block body) {
        return new Kernel(name, params, schedule, annotations, defaults, grid, body);
    }

    public Kernel withParams(List<Param> ps) {
        return new Kernel(name, ps, schedule, annotations, defaults, grid, body);
    }

    /** Applies {@code f} to each of the three top-level blocks. */
    public Kernel mapBlocks(UnaryOperator<Block> f) {
        return withBlocks(f.apply(defaults), f.apply(grid), f.apply(body));
    }

    public void forEachValue(Consumer<Value> c) {
        for (Param p : params) c.accept(p.value());
        for (Block b : List.of(defaults, grid, body)) forEachValue(b, c);
    }

    private static void forEachValue(Block b, Consumer<Value> c) {
        b.args().forEach(c);
        for (Op op : b.ops()) {
            op.results().forEach(c);
            for (Block inner : op.blocks()) forEachValue(inner, c);
        }
    }

    /** Every op of the kernel, nested ones included, in program order. */
    public void forEachOp(Consumer<Op> c) {
        for (Block b : List.of(defaults, grid, body)) forEachOp(b, c);
    }

    public static void forEachOp(Block b, Consumer<Op> c) {
        for (Op op : b.ops()) {
            c.accept(op);
            for (Block inner : op.blocks()) forEachOp(inner, c);
        }
    }
}
