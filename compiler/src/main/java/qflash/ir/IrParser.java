package qflash.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import qflash.diag.CompileError;
import qflash.diag.ErrorKind;
import qflash.diag.Pos;
import qflash.diag.Source;
import qflash.front.DslParser;

/**
 * Reads the text {@link IrPrinter} writes. Values must be defined before use and once only; operand
 * types come from their definitions. {@code //} comments are allowed. Errors are positioned
 * {@link CompileError}s in the IR text; the {@link Verifier} checks the rest.
 */
public final class IrParser {
    private final Source source;
    private final String s;
    private int i;
    private int line = 1, lineStart;
    private final Map<String, Value> values = new HashMap<>();

    private IrParser(Source source) {
        this.source = source;
        this.s = source.text();
    }

    public static Kernel parse(Source source) {
        DslParser.checkText(source);
        return new IrParser(source).kernel();
    }

    // ---------------------------------------------------------------- grammar

    private Kernel kernel() {
        skip();
        if (i >= s.length()) throw error("empty input: expected 'kernel'");
        keyword("kernel");
        expect('@');
        String name = word();
        expect('(');
        List<Kernel.Param> params = new ArrayList<>();
        if (!peek(')')) {
            do params.add(param()); while (accept(','));
        }
        expect(')');
        keyword("schedule");
        expect('{');
        Map<String, Long> schedule = new LinkedHashMap<>();
        if (!peek('}')) {
            do {
                String key = word();
                expect('=');
                schedule.put(key, (long) number());
            } while (accept(','));
        }
        expect('}');
        List<String> annotations = new ArrayList<>();
        if (peekWord("annotations")) {
            keyword("annotations");
            expect('{');
            if (!peek('}')) {
                do annotations.add(word()); while (accept(','));
            }
            expect('}');
        }
        keyword("defaults");
        Block defaults = block(List.of());
        Block prologue = new Block(List.of(), List.of(new Op.Yield(List.of(), Pos.UNKNOWN)));
        if (peekWord("prologue")) {
            keyword("prologue");
            prologue = block(List.of());
        }
        keyword("grid");
        Block grid = block(List.of());
        keyword("body");
        expect('(');
        List<Value> ids = new ArrayList<>();
        if (!peek(')')) {
            do {
                Pos at = pos();
                String n = valueName();
                expect(':');
                ids.add(defineAt(n, type(), at));
            } while (accept(','));
        }
        expect(')');
        Block body = block(ids);
        skip();
        if (i < s.length()) throw error("expected end of input");
        return new Kernel(name, params, schedule, annotations, defaults, prologue, grid, body);
    }

    private Value defineAt(String name, Type type, Pos at) {
        if (values.containsKey(name)) throw new CompileError(ErrorKind.IR_SYNTAX, source, at, "%" + name + " is defined twice");
        Value v = new Value(name, type);
        values.put(name, v);
        return v;
    }

    private Kernel.Param param() {
        Pos at = pos();
        String name = valueName();
        expect(':');
        boolean derived = acceptWord("derived");
        boolean out = acceptWord("out");
        boolean optional = acceptWord("optional");
        Type t = type();
        boolean hasDefault = false;
        if (accept('=')) {
            keyword("default");
            hasDefault = true;
        }
        return new Kernel.Param(defineAt(name, t, at), out, optional, hasDefault, derived);
    }

    private Block block(List<Value> args) {
        expect('{');
        List<Op> ops = new ArrayList<>();
        while (!peek('}')) {
            ops.add(op());
        }
        expect('}');
        if (ops.isEmpty() || !(ops.getLast() instanceof Op.Yield)) throw error("a block must end with 'yield'");
        return new Block(args, ops);
    }

    private Op op() {
        skip();
        Pos at = pos();
        if (peekWord("store")) {
            keyword("store");
            Value t = use();
            List<Value> idx = indices();
            expect(',');
            Value v = use();
            return new Op.Store(t, idx, v, loc());
        }
        if (peekWord("yield")) {
            keyword("yield");
            List<Value> vs = new ArrayList<>();
            if (peek('%')) {
                do vs.add(use()); while (accept(','));
            }
            return new Op.Yield(vs, loc());
        }
        if (peekWord("for")) return forOp(List.of(), at);
        List<String> names = new ArrayList<>();
        List<Pos> namePos = new ArrayList<>();
        do {
            namePos.add(pos());
            names.add(valueName());
        } while (accept(','));
        expect('=');
        if (peekWord("for")) return forOp(names, at);
        String mnemonic = word();
        if (mnemonic.equals("quantize") || mnemonic.equals("center")) return tensorOp(mnemonic, names, namePos, at);
        if (names.size() != 1) throw new CompileError(ErrorKind.IR_SYNTAX, source, at, "'" + mnemonic + "' has one result");
        String rn = names.getFirst();
        return switch (mnemonic) {
            case "const" -> {
                double v = number();
                yield new Op.Const(result(rn, namePos.getFirst()), v, loc());
            }
            case "dim" -> {
                String sym = word();
                yield new Op.DimOf(result(rn, namePos.getFirst()), sym, loc());
            }
            case "cmp" -> {
                Op.CmpKind k = enumWord(Op.CmpKind.class);
                Value a = use();
                expect(',');
                Value b = use();
                yield new Op.Cmp(result(rn, namePos.getFirst()), k, a, b, loc());
            }
            case "select" -> {
                Value c = use();
                expect(',');
                Value a = use();
                expect(',');
                Value b = use();
                yield new Op.Select(result(rn, namePos.getFirst()), c, a, b, loc());
            }
            case "convert" -> {
                Value a = use();
                expect('{');
                keyword("rounding");
                expect('=');
                Op.Rounding r = enumWord(Op.Rounding.class);
                expect(',');
                keyword("overflow");
                expect('=');
                Op.Overflow o = enumWord(Op.Overflow.class);
                expect('}');
                yield new Op.Convert(result(rn, namePos.getFirst()), a, r, o, loc());
            }
            case "arange" -> new Op.Arange(result(rn, namePos.getFirst()), loc());
            case "broadcast" -> {
                Value a = use();
                List<Integer> dims = intList();
                yield new Op.Broadcast(result(rn, namePos.getFirst()), a, dims, loc());
            }
            case "transpose" -> {
                Value a = use();
                yield new Op.Transpose(result(rn, namePos.getFirst()), a, loc());
            }
            case "dot" -> {
                Value a = use();
                expect(',');
                Value b = use();
                yield new Op.Dot(result(rn, namePos.getFirst()), a, b, loc());
            }
            case "reduce" -> {
                Op.RedKind k = enumWord(Op.RedKind.class);
                Value a = use();
                List<Integer> axis = intList();
                if (axis.size() != 1) throw error("reduce takes one axis");
                yield new Op.Reduce(result(rn, namePos.getFirst()), k, a, axis.getFirst(), loc());
            }
            case "load" -> {
                Value t = use();
                List<Value> idx = indices();
                yield new Op.Load(result(rn, namePos.getFirst()), t, idx, loc());
            }
            default -> {
                Op.UnKind u = lookup(Op.UnKind.class, mnemonic);
                if (u != null) {
                    Value a = use();
                    yield new Op.Unary(result(rn, namePos.getFirst()), u, a, loc());
                }
                Op.BinKind b = lookup(Op.BinKind.class, mnemonic);
                if (b != null) {
                    Value x = use();
                    expect(',');
                    Value y = use();
                    yield new Op.Binary(result(rn, namePos.getFirst()), b, x, y, loc());
                }
                throw new CompileError(ErrorKind.IR_SYNTAX, source, at, "unknown op '" + mnemonic + "'");
            }
        };
    }

    /** Parses {@code : type} after the operands, then defines the result. */
    private Value result(String name, Pos at) {
        expect(':');
        return defineAt(name, type(), at);
    }

    /** The prologue's two-result tensor ops: {@code quantize} and {@code center}. */
    private Op tensorOp(String mnemonic, List<String> names, List<Pos> namePos, Pos at) {
        if (names.size() != 2) throw new CompileError(ErrorKind.IR_SYNTAX, source, at, "'" + mnemonic + "' has two results");
        Value x = use();
        expect('{');
        Op op;
        if (mnemonic.equals("quantize")) {
            keyword("shared");
            expect('=');
            List<Integer> shared = intList();
            expect(',');
            keyword("block");
            expect('=');
            int axis = -1, size = 0;
            if (!acceptWord("none")) {
                List<Integer> b = intList();
                if (b.size() != 2) throw error("block = [axis, size]");
                axis = b.get(0);
                size = b.get(1);
            }
            expect('}');
            Type[] t = twoTypes();
            Pos loc = loc();
            op = new Op.Quantize(defineAt(names.get(0), t[0], namePos.get(0)), defineAt(names.get(1), t[1], namePos.get(1)), x, shared, axis, size, loc);
        } else {
            keyword("axis");
            expect('=');
            int axis = (int) number();
            expect('}');
            Type[] t = twoTypes();
            Pos loc = loc();
            op = new Op.Center(defineAt(names.get(0), t[0], namePos.get(0)), defineAt(names.get(1), t[1], namePos.get(1)), x, axis, loc);
        }
        return op;
    }

    /** {@code : type, type}, the result types of a two-result op. */
    private Type[] twoTypes() {
        expect(':');
        Type a = type();
        expect(',');
        return new Type[] {a, type()};
    }

    private Op forOp(List<String> names, Pos at) {
        keyword("for");
        Pos ivAt = pos();
        String ivName = valueName();
        expect('=');
        Value lo = use();
        keyword("to");
        Value hi = use();
        List<String> argNames = new ArrayList<>();
        List<Pos> argPos = new ArrayList<>();
        List<Value> inits = new ArrayList<>();
        List<Type> types = new ArrayList<>();
        if (acceptWord("iter")) {
            expect('(');
            do {
                argPos.add(pos());
                argNames.add(valueName());
                expect('=');
                inits.add(use());
            } while (accept(','));
            expect(')');
            expect(':');
            do types.add(type()); while (accept(','));
        }
        if (types.size() != argNames.size() || names.size() != argNames.size()) {
            throw new CompileError(ErrorKind.IR_SYNTAX, source, at,
                    "for has " + names.size() + " results, " + argNames.size() + " iteration arguments and " + types.size() + " types");
        }
        Pos loc = loc();
        List<Value> args = new ArrayList<>();
        args.add(defineAt(ivName, Type.Tile.scalar(Elem.I32), ivAt));
        for (int k = 0; k < argNames.size(); k++) args.add(defineAt(argNames.get(k), types.get(k), argPos.get(k)));
        Block body = block(args);
        List<Value> results = new ArrayList<>();
        for (int k = 0; k < names.size(); k++) results.add(defineAt(names.get(k), types.get(k), at));
        return new Op.For(results, lo, hi, inits, body, loc);
    }

    private List<Value> indices() {
        expect('[');
        List<Value> idx = new ArrayList<>();
        if (accept(']')) return idx;
        do {
            if (accept(':')) idx.add(null);
            else idx.add(use());
        } while (accept(','));
        expect(']');
        return idx;
    }

    private List<Integer> intList() {
        expect('[');
        List<Integer> out = new ArrayList<>();
        if (!peek(']')) {
            do out.add((int) number()); while (accept(','));
        }
        expect(']');
        return out;
    }

    private Pos loc() {
        if (!peekWord("loc")) return Pos.UNKNOWN;
        keyword("loc");
        expect('(');
        int l = (int) number();
        expect(':');
        int c = (int) number();
        expect(')');
        return new Pos(l, c);
    }

    private Type type() {
        skip();
        Pos at = pos();
        String w = word();
        if (!w.equals("tile") && !w.equals("tensor")) {
            Elem e = Elem.parse(w);
            if (e == null) throw new CompileError(ErrorKind.IR_SYNTAX, source, at, "unknown type '" + w + "'");
            return Type.Tile.scalar(e);
        }
        expect('<');
        int start = i;
        while (i < s.length() && s.charAt(i) != '>' && s.charAt(i) != '\n') i++;
        String body = s.substring(start, i);
        expect('>');
        String[] parts = body.split("x", -1);
        Elem e = Elem.parse(parts[parts.length - 1]);
        if (e == null || (parts.length < 2 && w.equals("tile"))) throw new CompileError(ErrorKind.IR_SYNTAX, source, at, "bad type '" + w + "<" + body + ">'");
        List<Dim> dims = new ArrayList<>();
        for (int k = 0; k < parts.length - 1; k++) {
            String d = parts[k];
            if (d.matches("[0-9]{1,9}")) dims.add(Dim.of(Integer.parseInt(d)));
            else if (d.matches("[A-Z][A-Z0-9_]*")) dims.add(Dim.sym(d));
            else throw new CompileError(ErrorKind.IR_SYNTAX, source, at, "bad dimension '" + d + "' in " + w + "<" + body + ">");
        }
        return w.equals("tile") ? new Type.Tile(dims, e) : new Type.Tensor(dims, e);
    }

    // ---------------------------------------------------------------- lexing

    private Value use() {
        skip();
        Pos at = pos();
        String n = valueName();
        Value v = values.get(n);
        if (v == null) throw new CompileError(ErrorKind.IR_SYNTAX, source, at, "undefined value %" + n);
        return v;
    }

    private String valueName() {
        skip();
        if (i >= s.length() || s.charAt(i) != '%') throw error("expected a value name (%name)");
        i++;
        int start = i;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '.')) i++;
        if (start == i) throw error("expected a value name after '%'");
        return s.substring(start, i);
    }

    private String word() {
        skip();
        int start = i;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) i++;
        if (start == i) throw error("expected a word");
        return s.substring(start, i);
    }

    private <E extends Enum<E>> E enumWord(Class<E> cls) {
        skip();
        Pos at = pos();
        String w = word();
        E e = lookup(cls, w);
        if (e == null) throw new CompileError(ErrorKind.IR_SYNTAX, source, at, "unknown " + cls.getSimpleName() + " '" + w + "'");
        return e;
    }

    private static <E extends Enum<E>> E lookup(Class<E> cls, String w) {
        for (E e : cls.getEnumConstants()) if (e.name().toLowerCase().equals(w)) return e;
        return null;
    }

    private double number() {
        skip();
        int start = i;
        if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) i++;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.'
                || ((s.charAt(i) == '-' || s.charAt(i) == '+') && (s.charAt(i - 1) == 'E' || s.charAt(i - 1) == 'e')))) i++;
        String t = s.substring(start, i);
        switch (t) {
            case "inf", "+inf": return Double.POSITIVE_INFINITY;
            case "-inf": return Double.NEGATIVE_INFINITY;
            case "nan": return Double.NaN;
            default:
        }
        try {
            if (t.isEmpty() || !Character.isDigit(t.charAt(t.length() - 1)) && !t.endsWith(".")) throw new NumberFormatException();
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            i = start;
            throw error("expected a number, got '" + t + "'");
        }
    }

    private void keyword(String w) {
        skip();
        int start = i;
        String got = i < s.length() && (Character.isLetter(s.charAt(i))) ? word() : "";
        if (!got.equals(w)) {
            i = start;
            throw error("expected '" + w + "'" + (got.isEmpty() ? "" : ", got '" + got + "'"));
        }
    }

    private boolean peekWord(String w) {
        skip();
        return s.startsWith(w, i) && (i + w.length() >= s.length() || !Character.isLetterOrDigit(s.charAt(i + w.length())));
    }

    private boolean acceptWord(String w) {
        if (!peekWord(w)) return false;
        i += w.length();
        return true;
    }

    private boolean peek(char c) {
        skip();
        return i < s.length() && s.charAt(i) == c;
    }

    private boolean accept(char c) {
        if (!peek(c)) return false;
        i++;
        return true;
    }

    private void expect(char c) {
        if (!accept(c)) throw error("expected '" + c + "'");
    }

    private void skip() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\n') {
                i++;
                line++;
                lineStart = i;
            } else if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '/') {
                while (i < s.length() && s.charAt(i) != '\n') i++;
            } else {
                break;
            }
        }
    }

    private Pos pos() {
        return new Pos(line, i - lineStart + 1);
    }

    private CompileError error(String msg) {
        skip();
        String at = i >= s.length() ? "end of input" : "'" + s.substring(i, Math.min(s.length(), i + 12)).split("\\s")[0] + "'";
        return new CompileError(ErrorKind.IR_SYNTAX, source, pos(), msg + " at " + at);
    }
}
