package qflash.front;

import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.*;
import qflash.ast.Ast.*;
import qflash.diag.CompileError;
import qflash.diag.ErrorKind;
import qflash.diag.Pos;
import qflash.diag.Source;
import qflash.dsl.TileLexer;
import qflash.dsl.TileParser;

/**
 * Text to AST. Rejects what is not a program at all (empty, binary, absurdly long lines) before
 * ANTLR sees it, and turns ANTLR's syntax errors into positioned {@link CompileError}s: no parser
 * message ever reaches the console on its own.
 */
public final class DslParser {
    /** Longer lines are almost surely not hand-written DSL; refusing them keeps diagnostics readable. */
    public static final int MAX_LINE = 10_000;

    private final Source source;

    private DslParser(Source source) {
        this.source = source;
    }

    public static Program parse(Source source) {
        return new DslParser(source).program();
    }

    /** Checks shared by the DSL and IR readers: the input must be non-empty text of sane lines. */
    public static void checkText(Source source) {
        String text = source.text();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == '\uFFFD') {
                int line = 1, col = 1;
                for (int j = 0; j < i; j++) {
                    if (text.charAt(j) == '\n') { line++; col = 1; } else col++;
                }
                throw new CompileError(ErrorKind.BINARY_INPUT, source, new Pos(line, col), (int) c & 0xff, i);
            }
        }
        int line = 1, start = 0;
        for (int i = 0; i <= text.length(); i++) {
            if (i == text.length() || text.charAt(i) == '\n') {
                if (i - start > MAX_LINE) {
                    throw new CompileError(ErrorKind.LINE_TOO_LONG, source, new Pos(line, MAX_LINE + 1), i - start, MAX_LINE);
                }
                line++;
                start = i + 1;
            }
        }
    }

    private Program program() {
        checkText(source);
        TileLexer lexer = new TileLexer(CharStreams.fromString(source.text(), source.name()));
        lexer.removeErrorListeners();
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        tokens.fill();
        if (tokens.getTokens().size() == 1) {
            throw new CompileError(ErrorKind.EMPTY_INPUT, source, new Pos(1, 1));
        }
        List<Token> all = tokens.getTokens();
        for (int i = 0; i < all.size(); i++) {
            Token t = all.get(i);
            // A closed /* comment never reaches the token stream, so an adjacent '/' '*' pair is an open one.
            boolean openComment = t.getText().equals("/") && i + 1 < all.size() && all.get(i + 1).getText().equals("*")
                    && all.get(i + 1).getStartIndex() == t.getStopIndex() + 1;
            if (openComment) throw new CompileError(ErrorKind.SYNTAX, source, pos(t), "unterminated /* comment");
            if (t.getType() == TileLexer.ERROR_CHAR) {
                throw new CompileError(ErrorKind.SYNTAX, source, pos(t), "unexpected character '" + printable(t.getText()) + "'");
            }
        }
        TileParser parser = new TileParser(tokens);
        parser.removeErrorListeners();
        parser.addErrorListener(new BaseErrorListener() {
            @Override
            public void syntaxError(Recognizer<?, ?> r, Object offending, int line, int col, String msg, RecognitionException e) {
                throw new CompileError(ErrorKind.SYNTAX, source, new Pos(line, col + 1), tidy(msg));
            }
        });
        return build(parser.program());
    }

    private static String printable(String s) {
        return s.codePoints().allMatch(c -> c >= 0x20 && c < 0x7f) ? s : String.format("\\u%04x", s.codePointAt(0));
    }

    /** ANTLR lists every expected token; past a handful the list is noise. */
    private static String tidy(String msg) {
        if (msg.startsWith("extraneous input '<EOF>'") || msg.startsWith("mismatched input '<EOF>'")) {
            return "unexpected end of file" + (msg.contains("'}'") ? " (a '}' is missing)" : "");
        }
        msg = msg.replace("<EOF>", "end of file");
        int brace = msg.indexOf("expecting {");
        if (brace >= 0) {
            String set = msg.substring(brace + "expecting {".length(), msg.lastIndexOf('}'));
            String[] items = set.split(", ");
            if (items.length > 6) msg = msg.substring(0, brace) + "expecting one of " + String.join(", ", List.of(items).subList(0, 6)) + ", ...";
        }
        return msg;
    }

    private Pos pos(Token t) {
        return new Pos(t.getLine(), t.getCharPositionInLine() + 1);
    }

    private Pos pos(ParserRuleContext ctx) {
        return pos(ctx.getStart());
    }

    private Ident ident(Token t) {
        return new Ident(t.getText(), pos(t));
    }

    private Program build(TileParser.ProgramContext ctx) {
        List<Ident> annotations = ctx.annotation().stream().map(a -> ident(a.name)).toList();
        List<Param> params = new ArrayList<>();
        if (ctx.params() != null) {
            for (TileParser.ParamContext p : ctx.params().param()) {
                switch (p) {
                    case TileParser.TensorParamContext t -> params.add(new TensorParam(ident(t.name), t.OUT() != null,
                            ident(t.elem), t.dims.stream().map(this::ident).toList(), t.optional != null));
                    case TileParser.ScalarParamContext s -> params.add(new ScalarParam(ident(s.name), s.dflt == null ? null : expr(s.dflt)));
                    default -> throw new IllegalStateException("unknown param form");
                }
            }
        }
        List<Tunable> tunables = new ArrayList<>();
        if (ctx.schedule() != null) {
            for (TileParser.TunableContext t : ctx.schedule().tunable()) {
                tunables.add(new Tunable(ident(t.name), t.cands.stream().map(c -> intValue(c)).toList(), intValue(t.dflt), pos(t.dflt)));
            }
        }
        TileParser.GridContext g = ctx.grid();
        Grid grid = new Grid(g.ids.stream().map(this::ident).toList(), g.extents.stream().map(this::expr).toList(), block(g.block()), pos(g));
        return new Program(annotations, ident(ctx.name), params, tunables, grid);
    }

    private long intValue(Token t) {
        try {
            long v = Long.parseLong(t.getText());
            if (v <= Integer.MAX_VALUE) return v;
        } catch (NumberFormatException ignored) {
            // falls through to the range error
        }
        throw new CompileError(ErrorKind.LITERAL_RANGE, source, pos(t), t.getText());
    }

    private Block block(TileParser.BlockContext ctx) {
        List<Stmt> stmts = new ArrayList<>();
        for (TileParser.StmtContext s : ctx.stmt()) {
            stmts.add(switch (s) {
                case TileParser.LetStmtContext l -> new Let(ident(l.name), expr(l.expr()));
                case TileParser.VarStmtContext v -> new Var(ident(v.name), expr(v.expr()));
                case TileParser.AssignStmtContext a -> new Assign(ident(a.name), expr(a.expr()));
                case TileParser.ForStmtContext f -> new For(ident(f.name), expr(f.lo), expr(f.hi), block(f.block()));
                case TileParser.StoreStmtContext st -> new Store(ident(st.target), indices(st.indices()), expr(st.value), pos(st));
                default -> throw new IllegalStateException("unknown statement form");
            });
        }
        return new Block(stmts);
    }

    private List<Index> indices(TileParser.IndicesContext ctx) {
        return ctx.index().stream().map(i -> (Index) switch (i) {
            case TileParser.FullIndexContext f -> new Full(pos(f));
            case TileParser.NewAxisIndexContext n -> new NewAxis(pos(n));
            case TileParser.ExprIndexContext e -> new At(expr(e.expr()));
            default -> throw new IllegalStateException("unknown index form");
        }).toList();
    }

    private Expr expr(TileParser.ExprContext ctx) {
        return switch (ctx) {
            case TileParser.PrimaryExprContext p -> primary(p.primary());
            case TileParser.SubscriptExprContext s -> new Subscript(expr(s.expr()), indices(s.indices()), pos(s.indices()));
            case TileParser.UnaryExprContext u -> new Unary(u.op.getText(), expr(u.expr()), pos(u.op));
            case TileParser.MulExprContext b -> new Binary(b.op.getText(), expr(b.expr(0)), expr(b.expr(1)), pos(b.op));
            case TileParser.AddExprContext b -> new Binary(b.op.getText(), expr(b.expr(0)), expr(b.expr(1)), pos(b.op));
            case TileParser.CmpExprContext b -> new Binary(b.op.getText(), expr(b.expr(0)), expr(b.expr(1)), pos(b.op));
            case TileParser.AndExprContext b -> new Binary(b.op.getText(), expr(b.expr(0)), expr(b.expr(1)), pos(b.op));
            case TileParser.OrExprContext b -> new Binary(b.op.getText(), expr(b.expr(0)), expr(b.expr(1)), pos(b.op));
            default -> throw new IllegalStateException("unknown expression form");
        };
    }

    private Expr primary(TileParser.PrimaryContext ctx) {
        return switch (ctx) {
            case TileParser.IntLitContext i -> new IntLit(i.INT().getText(), pos(i));
            case TileParser.FloatLitContext f -> new FloatLit(Double.parseDouble(f.FLOAT().getText()), pos(f));
            case TileParser.InfLitContext i -> new Inf(pos(i));
            case TileParser.LoadExprContext l -> new Load(ident(l.tensor), indices(l.indices()), pos(l));
            case TileParser.CallExprContext c -> new Call(ident(c.fn),
                    c.arg().stream().map(a -> new Arg(a.key == null ? null : ident(a.key), expr(a.expr()))).toList(), pos(c));
            case TileParser.ListExprContext l -> new ListLit(l.expr().stream().map(this::expr).toList(), pos(l));
            case TileParser.NameExprContext n -> new Name(n.ID().getText(), pos(n));
            case TileParser.ParenExprContext p -> expr(p.expr());
            default -> throw new IllegalStateException("unknown primary form");
        };
    }

}
