package qflash.ir;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import qflash.diag.Pos;

/**
 * The textual form of the tile IR. {@link IrParser} reads exactly this back: printing, parsing and
 * printing again gives identical text, so IR can be diffed, stored in golden tests and edited by hand.
 */
public final class IrPrinter {
    private final StringBuilder out = new StringBuilder();
    private final java.util.function.Function<Op, String> note;

    private IrPrinter(java.util.function.Function<Op, String> note) {
        this.note = note;
    }

    private IrPrinter() {
        this(op -> null);
    }

    public static String print(Kernel k) {
        IrPrinter p = new IrPrinter();
        p.kernel(k);
        return p.out.toString();
    }

    /** The IR with {@code // note} after each op that {@code note} has something to say about (the parser skips comments). */
    public static String print(Kernel k, java.util.function.Function<Op, String> note) {
        IrPrinter p = new IrPrinter(note);
        p.kernel(k);
        return p.out.toString();
    }

    /** One op on one line (a {@code for} prints only its header): for messages. */
    public static String brief(Op op) {
        IrPrinter p = new IrPrinter();
        p.opLine(op);
        return p.out.toString();
    }

    private void kernel(Kernel k) {
        out.append("kernel @").append(k.name()).append('(');
        out.append(k.params().stream().map(IrPrinter::param).collect(Collectors.joining(", ")));
        out.append(")\n");
        out.append("  schedule {").append(k.schedule().entrySet().stream()
                .map((Map.Entry<String, Long> e) -> e.getKey() + " = " + e.getValue()).collect(Collectors.joining(", "))).append("}\n");
        if (!k.annotations().isEmpty()) out.append("  annotations {").append(String.join(", ", k.annotations())).append("}\n");
        block("defaults", k.defaults(), false);
        // Float pipelines have nothing to do before the grid; their IR stays free of an empty prologue.
        if (k.hasPrologue() || !k.prologue().terminator().values().isEmpty()) block("prologue", k.prologue(), false);
        block("grid", k.grid(), false);
        block("body", k.body(), true);
    }

    private static String param(Kernel.Param p) {
        return p.value() + ": " + (p.derived() ? "derived " : "") + (p.out() ? "out " : "") + (p.optional() ? "optional " : "") + p.value().type()
                + (p.hasDefault() ? " = default" : "");
    }

    private void block(String name, Block b, boolean withArgs) {
        out.append(name);
        if (withArgs) out.append('(').append(typedList(b.args())).append(')');
        out.append(" {\n");
        ops(b, 1);
        out.append("}\n");
    }

    private void ops(Block b, int depth) {
        for (Op op : b.ops()) {
            out.append("  ".repeat(depth));
            opLine(op);
            String n = note.apply(op);
            if (n != null && !(op instanceof Op.For)) out.append("  // ").append(n);
            if (op instanceof Op.For f) {
                out.append(" {\n");
                ops(f.body(), depth + 1);
                out.append("  ".repeat(depth)).append("}");
            }
            out.append('\n');
        }
    }

    private void opLine(Op op) {
        switch (op) {
            case Op.Const c -> def(c.result(), "const " + number(c.value()));
            case Op.DimOf d -> def(d.result(), "dim " + d.symbol());
            case Op.Unary u -> def(u.result(), u.kind().text() + " " + u.a());
            case Op.Binary b -> def(b.result(), b.kind().text() + " " + b.a() + ", " + b.b());
            case Op.Cmp c -> def(c.result(), "cmp " + c.kind().text() + " " + c.a() + ", " + c.b());
            case Op.Select s -> def(s.result(), "select " + s.cond() + ", " + s.a() + ", " + s.b());
            case Op.Convert c -> def(c.result(), "convert " + c.a() + " {rounding = " + c.rounding().text() + ", overflow = " + c.overflow().text() + "}");
            case Op.Arange a -> def(a.result(), "arange");
            case Op.Broadcast b -> def(b.result(), "broadcast " + b.a() + " " + b.dims());
            case Op.Transpose t -> def(t.result(), "transpose " + t.a());
            case Op.Dot d -> def(d.result(), "dot " + d.a() + ", " + d.b());
            case Op.Reduce r -> def(r.result(), "reduce " + r.kind().text() + " " + r.a() + " [" + r.axis() + "]");
            case Op.Load l -> def(l.result(), "load " + l.tensor() + indices(l.indices()));
            case Op.Store s -> out.append("store ").append(s.tensor()).append(indices(s.indices())).append(", ").append(s.value());
            case Op.Quantize q -> out.append(q.q()).append(", ").append(q.scale()).append(" = quantize ").append(q.x())
                    .append(" {shared = ").append(q.shared()).append(", block = ")
                    .append(q.blockSize() > 0 ? "[" + q.blockAxis() + ", " + q.blockSize() + "]" : "none").append("} : ")
                    .append(q.q().type()).append(", ").append(q.scale().type());
            case Op.Center c -> out.append(c.centred()).append(", ").append(c.mean()).append(" = center ").append(c.x())
                    .append(" {axis = ").append(c.axis()).append("} : ").append(c.centred().type()).append(", ").append(c.mean().type());
            case Op.For f -> {
                if (!f.results().isEmpty()) out.append(list(f.results())).append(" = ");
                out.append("for ").append(f.iv()).append(" = ").append(f.lo()).append(" to ").append(f.hi());
                if (!f.inits().isEmpty()) {
                    out.append(" iter(");
                    for (int i = 0; i < f.inits().size(); i++) {
                        if (i > 0) out.append(", ");
                        out.append(f.iterArgs().get(i)).append(" = ").append(f.inits().get(i));
                    }
                    out.append(") : ").append(f.results().stream().map(v -> v.type().toString()).collect(Collectors.joining(", ")));
                }
            }
            case Op.Yield y -> out.append("yield").append(y.values().isEmpty() ? "" : " " + list(y.values()));
        }
        loc(op.loc());
    }

    private void def(Value result, String rest) {
        out.append(result).append(" = ").append(rest).append(" : ").append(result.type());
    }

    private void loc(Pos p) {
        if (p != null && p.line() > 0) out.append(" loc(").append(p).append(')');
    }

    private static String indices(List<Value> idx) {
        return "[" + idx.stream().map(v -> v == null ? ":" : v.toString()).collect(Collectors.joining(", ")) + "]";
    }

    private static String list(List<Value> vs) {
        return vs.stream().map(Value::toString).collect(Collectors.joining(", "));
    }

    private static String typedList(List<Value> vs) {
        return vs.stream().map(v -> v + ": " + v.type()).collect(Collectors.joining(", "));
    }

    /** Shortest text that parses back to the same double; integers print without a fraction. */
    public static String number(double v) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e18 && !(v == 0 && 1 / v < 0)) return Long.toString((long) v);
        return Double.toString(v);
    }
}
