package qflash.ir;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * One compiled kernel: its parameters, its schedule (tunables resolved to values), and four blocks.
 * {@code defaults} computes the default of each scalar parameter that has one (in order) from shape
 * symbols; {@code prologue} runs once per call before the grid, on whole tensors (quantization, the
 * fixed-point constants of a call) and yields the {@code derived} parameters in order; {@code grid}
 * yields the number of program instances along each grid axis; {@code body} runs once per program
 * instance, its block arguments being the program ids.
 */
public record Kernel(String name, List<Param> params, Map<String, Long> schedule, List<String> annotations,
                     Block defaults, Block prologue, Block grid, Block body) {

    public Kernel {
        params = List.copyOf(params);
        schedule = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(schedule));
        annotations = List.copyOf(annotations);
    }

    /**
     * A kernel argument. Tensors may be outputs ({@code out}) or {@code optional} (an absent one reads
     * as zeros); scalars may have a default computed by the {@code defaults} block. A {@code derived}
     * parameter is not passed by the caller: the prologue computes it.
     */
    public record Param(Value value, boolean out, boolean optional, boolean hasDefault, boolean derived) {
        public Param(Value value, boolean out, boolean optional, boolean hasDefault) {
            this(value, out, optional, hasDefault, false);
        }

        public Param withValue(Value v) {
            return new Param(v, out, optional, hasDefault, derived);
        }

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

    /** Each derived parameter and the prologue value that defines it (its yield). */
    public Map<Value, Value> derivedDefinitions() {
        Map<Value, Value> out = new java.util.IdentityHashMap<>();
        List<Value> yields = prologue.terminator().values();
        int d = 0;
        for (Param p : params) if (p.derived()) out.put(p.value(), yields.get(d++));
        return out;
    }

    /** True when the prologue computes something (more than its yield): quantization, launch constants. */
    public boolean hasPrologue() {
        return prologue.ops().size() > 1;
    }

    public boolean has(String annotation) {
        return annotations.contains(annotation);
    }

    public Kernel withBlocks(Block defaults, Block prologue, Block grid, Block body) {
        return new Kernel(name, params, schedule, annotations, defaults, prologue, grid, body);
    }

    /** The same kernel under another schedule: only for tunables its code does not name (they change no op). */
    public Kernel withSchedule(Map<String, Long> s) {
        return new Kernel(name, params, s, annotations, defaults, prologue, grid, body);
    }

    public Kernel withParams(List<Param> ps) {
        return new Kernel(name, ps, schedule, annotations, defaults, prologue, grid, body);
    }

    public Kernel withPrologue(Block p) {
        return new Kernel(name, params, schedule, annotations, defaults, p, grid, body);
    }

    public Kernel withBody(Block b) {
        return new Kernel(name, params, schedule, annotations, defaults, prologue, grid, b);
    }

    /** Applies {@code f} to each of the four top-level blocks. */
    public Kernel mapBlocks(UnaryOperator<Block> f) {
        return withBlocks(f.apply(defaults), f.apply(prologue), f.apply(grid), f.apply(body));
    }

    public List<Block> blocks() {
        return List.of(defaults, prologue, grid, body);
    }

    public void forEachValue(Consumer<Value> c) {
        for (Param p : params) c.accept(p.value());
        for (Block b : blocks()) forEachValue(b, c);
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
        for (Block b : blocks()) forEachOp(b, c);
    }

    public static void forEachOp(Block b, Consumer<Op> c) {
        for (Op op : b.ops()) {
            c.accept(op);
            for (Block inner : op.blocks()) forEachOp(inner, c);
        }
    }
}
