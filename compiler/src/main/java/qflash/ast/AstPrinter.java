package qflash.ast;

import java.util.List;
import java.util.stream.Collectors;
import qflash.ast.Ast.*;

/** Prints an AST as indented S-expressions ({@code qflash compile --emit ast}). */
public final class AstPrinter {
    private final StringBuilder out = new StringBuilder();

    public static String print(Program p) {
        AstPrinter printer = new AstPrinter();
        printer.program(p);
        return printer.out.toString();
    }

    private void program(Program p) {
        out.append("(kernel ").append(p.name().name());
        for (Ident a : p.annotations()) out.append(" @").append(a.name());
        out.append('\n');
        for (Param param : p.params()) {
            switch (param) {
                case TensorParam t -> line(1, "(tensor " + t.name().name() + (t.out() ? " out " : " ") + t.elem().name()
                        + " [" + t.dims().stream().map(Ident::name).collect(Collectors.joining(" ")) + "]"
                        + (t.optional() ? " optional" : "") + ")");
                case ScalarParam s -> line(1, "(scalar " + s.name().name() + (s.dflt() == null ? "" : " " + expr(s.dflt())) + ")");
            }
        }
        for (Tunable t : p.tunables()) line(1, "(tunable " + t.name().name() + " " + t.candidates() + " " + t.dflt() + ")");
        Grid g = p.grid();
        line(1, "(grid (" + g.ids().stream().map(Ident::name).collect(Collectors.joining(" ")) + ") ("
                + g.extents().stream().map(this::expr).collect(Collectors.joining(" ")) + ")");
        block(g.body(), 2);
        out.setLength(out.length() - 1);
        out.append("))\n");
    }

    private void block(Block b, int depth) {
        for (Stmt s : b.stmts()) {
            switch (s) {
                case Let l -> line(depth, "(let " + l.name().name() + " " + expr(l.value()) + ")");
                case Var v -> line(depth, "(var " + v.name().name() + " " + expr(v.value()) + ")");
                case Assign a -> line(depth, "(set " + a.name().name() + " " + expr(a.value()) + ")");
                case Store st -> line(depth, "(store " + st.target().name() + " " + indices(st.indices()) + " " + expr(st.value()) + ")");
                case For f -> {
                    line(depth, "(for " + f.iv().name() + " " + expr(f.lo()) + " " + expr(f.hi()));
                    block(f.body(), depth + 1);
                    out.setLength(out.length() - 1);
                    out.append(")\n");
                }
            }
        }
    }

    private String indices(List<Index> idx) {
        return "[" + idx.stream().map(i -> switch (i) {
            case Full f -> ":";
            case NewAxis n -> "None";
            case At a -> expr(a.expr());
        }).collect(Collectors.joining(" ")) + "]";
    }

    private String expr(Expr e) {
        return switch (e) {
            case IntLit i -> i.text();
            case FloatLit f -> Double.toString(f.value());
            case Inf i -> "inf";
            case Name n -> n.name();
            case Load l -> "(load " + l.tensor().name() + " " + indices(l.indices()) + ")";
            case Call c -> "(" + c.fn().name() + c.args().stream()
                    .map(a -> " " + (a.key() == null ? "" : a.key().name() + "=") + expr(a.value()))
                    .collect(Collectors.joining()) + ")";
            case ListLit l -> "[" + l.items().stream().map(this::expr).collect(Collectors.joining(" ")) + "]";
            case Subscript s -> "(subscript " + expr(s.base()) + " " + indices(s.indices()) + ")";
            case Unary u -> "(" + u.op() + " " + expr(u.operand()) + ")";
            case Binary b -> "(" + b.op() + " " + expr(b.left()) + " " + expr(b.right()) + ")";
        };
    }

    private void line(int depth, String s) {
        out.append("  ".repeat(depth)).append(s).append('\n');
    }
}
