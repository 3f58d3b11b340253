package qflash.front;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import qflash.ast.Ast.*;
import qflash.diag.CompileError;
import qflash.diag.ErrorKind;
import qflash.diag.Pos;
import qflash.diag.Source;
import qflash.front.DType.Kind;
import qflash.ir.Dim;

/**
 * Type-checks a parsed program before any IR exists, and records the type of every expression for
 * the {@link IrBuilder}. Rules: names are defined once (no shadowing) and before they are read;
 * shapes broadcast as in NumPy (align right, 1 stretches); `dot` takes rank-2 tiles with equal inner
 * dimensions; reductions name an existing axis; a loop-carried `var` keeps its kind and shape;
 * integer literals are the only integers that may stand for reals. Stops at the first error.
 */
public final class Checker {
    /** Annotations a kernel may carry, and what tools do with them. */
    public static final Map<String, String> ANNOTATIONS = Map.of(
            "causal", "the reference attention masks keys after the query (key index > query index)");
    public static final List<String> ELEMENT_TYPES = List.of("float", "f16", "f32", "f64");
    public static final Map<String, Double> CONSTANTS = Map.of(
            "LOG2E", 1.4426950408889634, "LN2", 0.6931471805599453);

    /** What the builder needs: expression types and the resolved schedule. */
    public record Result(Map<Expr, DType> types, Map<String, Long> tunables) {}

    private enum Role { TENSOR, SCALAR, SHAPE, TUNABLE, GRID_ID, LET, VAR, LOOP_VAR, CONSTANT }

    private record Entry(Role role, DType type, Pos pos, TensorParam tensor) {}

    private final Source source;
    private final Map<Expr, DType> types = new IdentityHashMap<>();
    private final Map<String, Long> tunables = new LinkedHashMap<>();
    private final Map<String, Entry> globals = new HashMap<>();
    private final List<Map<String, Entry>> scopes = new ArrayList<>();
    /** First definition of every local name anywhere, for "read before defined". */
    private final Map<String, Pos> laterDefinitions = new HashMap<>();
    private final Set<String> stored = new HashSet<>();
    /** Vars declared outside the innermost loop being checked (they are loop-carried there). */
    private final List<Integer> loopDepths = new ArrayList<>();
    private boolean constantOnly;
    private String constantContext;

    private Checker(Source source) {
        this.source = source;
    }

    /** Checks {@code p}; {@code overrides} replaces tunable defaults (each must be a candidate). */
    public static Result check(Source source, Program p, Map<String, Long> overrides) {
        Checker c = new Checker(source);
        c.program(p, overrides);
        return new Result(c.types, c.tunables);
    }

    private CompileError error(ErrorKind kind, Pos pos, Object... args) {
        return new CompileError(kind, source, pos, args);
    }

    // ---------------------------------------------------------------- declarations

    private void program(Program p, Map<String, Long> overrides) {
        for (Ident a : p.annotations()) {
            if (!ANNOTATIONS.containsKey(a.name())) {
                throw error(ErrorKind.UNKNOWN_ANNOTATION, a.pos(), a.name(), String.join(", ", ANNOTATIONS.keySet()));
            }
        }
        CONSTANTS.keySet().forEach(n -> globals.put(n, new Entry(Role.CONSTANT, DType.scalar(Kind.REAL), Pos.UNKNOWN, null)));
        boolean anyOut = false;
        for (Param param : p.params()) {
            if (param instanceof TensorParam t) {
                if (!ELEMENT_TYPES.contains(t.elem().name())) {
                    throw error(ErrorKind.UNSUPPORTED_ELEMENT_TYPE, t.elem().pos(), t.elem().name(), String.join(", ", ELEMENT_TYPES));
                }
                if (t.out() && t.optional()) throw error(ErrorKind.OPTIONAL_OUTPUT, t.name().pos(), t.name().name());
                declareGlobal(t.name(), new Entry(Role.TENSOR, null, t.name().pos(), t));
                for (Ident d : t.dims()) {
                    if (!d.name().matches("[A-Z][A-Z0-9_]*")) throw error(ErrorKind.SHAPE_SYMBOL_CASE, d.pos(), d.name());
                    Entry e = globals.get(d.name());
                    if (e == null) globals.put(d.name(), new Entry(Role.SHAPE, DType.scalar(Kind.INDEX), d.pos(), null));
                    else if (e.role() != Role.SHAPE) throw error(ErrorKind.DUPLICATE_NAME, d.pos(), d.name(), e.pos());
                }
                anyOut |= t.out();
            }
        }
        if (!anyOut) throw error(ErrorKind.NO_OUTPUT, p.name().pos());
        for (Tunable t : p.tunables()) {
            Set<Long> seen = new HashSet<>();
            for (long c : t.candidates()) {
                // 0 is allowed for a tunable the kernel's code never names (a switch of the backend, such as
                // pro_blocks); a name in the code must be positive (see name()).
                if (c < 0) throw error(ErrorKind.TUNABLE_NOT_POSITIVE, t.name().pos(), t.name().name(), c);
                if (c == 0) zeroCandidate.put(t.name().name(), t.name().pos());
                if (!seen.add(c)) throw error(ErrorKind.TUNABLE_DUPLICATE_CANDIDATE, t.name().pos(), c, t.name().name());
            }
            if (!t.candidates().contains(t.dflt())) {
                throw error(ErrorKind.TUNABLE_DEFAULT_NOT_CANDIDATE, t.dfltPos(), t.dflt(), t.name().name(), t.candidates());
            }
            declareGlobal(t.name(), new Entry(Role.TUNABLE, DType.scalar(Kind.INDEX), t.name().pos(), null));
            long value = overrides.getOrDefault(t.name().name(), t.dflt());
            if (!t.candidates().contains(value)) {
                throw error(ErrorKind.TUNABLE_DEFAULT_NOT_CANDIDATE, t.name().pos(), value, t.name().name(), t.candidates());
            }
            tunables.put(t.name().name(), value);
        }
        for (Param param : p.params()) {
            if (param instanceof ScalarParam s) {
                if (s.dflt() != null) {
                    DType d = constantExpr(s.dflt(), "the default of scalar '" + s.name().name() + "'");
                    requireKind(s.dflt(), d, Kind.REAL, "the default of a scalar");
                    requireScalar(s.dflt(), d, "the default of a scalar");
                }
                declareGlobal(s.name(), new Entry(Role.SCALAR, DType.scalar(Kind.REAL), s.name().pos(), null));
            }
        }
        Grid g = p.grid();
        if (g.ids().size() > 3) throw error(ErrorKind.GRID_TOO_MANY_AXES, g.ids().get(3).pos(), g.ids().size());
        if (g.ids().size() != g.extents().size()) throw error(ErrorKind.GRID_ARITY, g.pos(), g.ids().size(), g.extents().size());
        for (Expr e : g.extents()) {
            DType t = constantExpr(e, "a grid extent");
            requireKind(e, t, Kind.INDEX, "a grid extent");
            requireScalar(e, t, "a grid extent");
        }
        collectDefinitions(g.body());
        scopes.add(new HashMap<>());
        for (Ident id : g.ids()) declareLocal(id, new Entry(Role.GRID_ID, DType.scalar(Kind.INDEX), id.pos(), null));
        block(g.body());
        for (Param param : p.params()) {
            if (param instanceof TensorParam t && t.out() && !stored.contains(t.name().name())) {
                throw error(ErrorKind.OUTPUT_NEVER_STORED, t.name().pos(), t.name().name());
            }
        }
    }

    private DType constantExpr(Expr e, String context) {
        constantOnly = true;
        constantContext = context;
        try {
            return expr(e);
        } finally {
            constantOnly = false;
        }
    }

    private void collectDefinitions(Block b) {
        for (Stmt s : b.stmts()) {
            switch (s) {
                case Let l -> laterDefinitions.putIfAbsent(l.name().name(), l.name().pos());
                case Var v -> laterDefinitions.putIfAbsent(v.name().name(), v.name().pos());
                case For f -> {
                    laterDefinitions.putIfAbsent(f.iv().name(), f.iv().pos());
                    collectDefinitions(f.body());
                }
                default -> { }
            }
        }
    }

    private void declareGlobal(Ident name, Entry e) {
        Entry old = globals.get(name.name());
        if (old != null) throw error(ErrorKind.DUPLICATE_NAME, name.pos(), name.name(), old.pos() == Pos.UNKNOWN ? "(built in)" : old.pos());
        globals.put(name.name(), e);
    }

    private void declareLocal(Ident name, Entry e) {
        Entry old = lookup(name.name());
        if (old != null) throw error(ErrorKind.DUPLICATE_NAME, name.pos(), name.name(), old.pos() == Pos.UNKNOWN ? "(built in)" : old.pos());
        scopes.getLast().put(name.name(), e);
    }

    /** Tunables with 0 among their candidates: where each is declared. */
    private final java.util.Map<String, Pos> zeroCandidate = new java.util.HashMap<>();

    private Entry lookup(String name) {
        for (int i = scopes.size() - 1; i >= 0; i--) {
            Entry e = scopes.get(i).get(name);
            if (e != null) return e;
        }
        return globals.get(name);
    }

    private int depthOf(String name) {
        for (int i = scopes.size() - 1; i >= 0; i--) if (scopes.get(i).containsKey(name)) return i;
        return -1;
    }

    // ---------------------------------------------------------------- statements

    private void block(Block b) {
        for (Stmt s : b.stmts()) stmt(s);
    }

    private void stmt(Stmt s) {
        switch (s) {
            case Let l -> {
                DType t = expr(l.value());
                declareLocal(l.name(), new Entry(Role.LET, t.plain(), l.name().pos(), null));
            }
            case Var v -> {
                DType t = expr(v.value());
                if (t.literal()) t = t.plain();
                declareLocal(v.name(), new Entry(Role.VAR, t.plain(), v.name().pos(), null));
            }
            case Assign a -> {
                Entry e = lookup(a.name().name());
                if (e == null) throw unknown(a.name().name(), a.name().pos());
                switch (e.role()) {
                    case VAR -> { }
                    case LET -> throw error(ErrorKind.ASSIGN_TO_LET, a.name().pos(), a.name().name());
                    default -> throw error(ErrorKind.ASSIGN_TO_PARAM, a.name().pos(), a.name().name(), role(e.role()));
                }
                DType t = promote(a.value(), expr(a.value()), e.type().kind());
                if (!t.plain().equals(e.type())) {
                    boolean carried = !loopDepths.isEmpty() && depthOf(a.name().name()) < loopDepths.getLast();
                    if (carried) throw error(ErrorKind.LOOP_CARRIED_TYPE, a.value().pos(), a.name().name(), e.type(), t.plain());
                    throw error(ErrorKind.SHAPE_MISMATCH, a.value().pos(), "'" + a.name().name() + "' is " + e.type() + " but is assigned " + t.plain());
                }
            }
            case For f -> {
                for (Expr bound : List.of(f.lo(), f.hi())) {
                    DType t = expr(bound);
                    requireKind(bound, t, Kind.INDEX, "a loop bound");
                    requireScalar(bound, t, "a loop bound");
                }
                scopes.add(new HashMap<>());
                loopDepths.add(scopes.size() - 1);
                declareLocal(f.iv(), new Entry(Role.LOOP_VAR, DType.scalar(Kind.INDEX), f.iv().pos(), null));
                block(f.body());
                loopDepths.removeLast();
                scopes.removeLast();
            }
            case Store st -> {
                TensorParam t = tensor(st.target());
                if (!t.out()) throw error(ErrorKind.STORE_TO_INPUT, st.target().pos(), t.name().name());
                List<Dim> shape = access(t, st.indices());
                DType v = promote(st.value(), expr(st.value()), Kind.REAL);
                requireKind(st.value(), v, Kind.REAL, "a stored value");
                if (!v.shape().equals(shape)) {
                    throw error(ErrorKind.SHAPE_MISMATCH, st.value().pos(), "store to " + t.name().name() + " needs a value of shape "
                            + DType.tile(Kind.REAL, shape) + ", got " + v.plain());
                }
                stored.add(t.name().name());
            }
        }
    }

    private static String role(Role r) {
        return switch (r) {
            case TENSOR -> "tensor parameter";
            case SCALAR -> "scalar parameter";
            case SHAPE -> "shape symbol";
            case TUNABLE -> "tunable";
            case GRID_ID -> "program id";
            case LOOP_VAR -> "loop variable";
            case CONSTANT -> "built-in constant";
            case LET, VAR -> "local";
        };
    }

    private TensorParam tensor(Ident name) {
        Entry e = lookup(name.name());
        if (e == null) throw unknown(name.name(), name.pos());
        if (e.role() == Role.SCALAR) throw error(ErrorKind.LOAD_OF_SCALAR, name.pos(), name.name());
        if (e.role() != Role.TENSOR) throw error(ErrorKind.UNKNOWN_TENSOR, name.pos(), name.name());
        return e.tensor();
    }

    /** The shape a load/store of {@code t} at {@code idx} reads or writes. */
    private List<Dim> access(TensorParam t, List<Index> idx) {
        if (idx.size() != t.dims().size()) {
            throw error(ErrorKind.INDEX_COUNT, idx.isEmpty() ? t.name().pos() : idx.get(Math.min(idx.size(), t.dims().size()) - 1).pos(),
                    t.name().name(), t.dims().size(), idx.size());
        }
        List<Dim> shape = new ArrayList<>();
        for (int i = 0; i < idx.size(); i++) {
            switch (idx.get(i)) {
                case Full f -> shape.add(Dim.sym(t.dims().get(i).name()));
                case NewAxis n -> throw error(ErrorKind.INDEX_KIND, n.pos(), t.name().name(), "None");
                case At a -> {
                    DType it = expr(a.expr());
                    if (it.kind() != Kind.INDEX || it.rank() > 1) throw error(ErrorKind.INDEX_KIND, a.pos(), t.name().name(), it);
                    if (it.rank() == 1) shape.add(it.shape().getFirst());
                }
            }
        }
        return shape;
    }

    // ---------------------------------------------------------------- expressions

    private CompileError unknown(String name, Pos pos) {
        Pos later = laterDefinitions.get(name);
        if (later != null && (later.line() > pos.line() || later.line() == pos.line() && later.col() > pos.col())) {
            return error(ErrorKind.USED_BEFORE_DEFINED, pos, name, later);
        }
        return error(ErrorKind.UNKNOWN_NAME, pos, name);
    }

    private DType expr(Expr e) {
        DType t = compute(e);
        types.put(e, t);
        return t;
    }

    private DType compute(Expr e) {
        return switch (e) {
            case IntLit i -> {
                long v;
                try {
                    v = Long.parseLong(i.text());
                } catch (NumberFormatException x) {
                    v = Long.MAX_VALUE;
                }
                if (v > Integer.MAX_VALUE) throw error(ErrorKind.LITERAL_RANGE, i.pos(), i.text());
                yield new DType(Kind.INDEX, List.of(), v, true);
            }
            case FloatLit f -> DType.scalar(Kind.REAL);
            case Inf i -> DType.scalar(Kind.REAL);
            case Name n -> name(n);
            case Load l -> {
                if (constantOnly) throw error(ErrorKind.SCALAR_DEFAULT_NOT_CONSTANT, l.pos(), constantContext, "load");
                yield DType.tile(Kind.REAL, access(tensor(l.tensor()), l.indices()));
            }
            case Call c -> call(c);
            case ListLit l -> throw error(ErrorKind.KIND_MISMATCH, l.pos(), "a list [...] may only give the shape argument of full()");
            case Subscript s -> subscript(s);
            case Unary u -> {
                DType t = expr(u.operand());
                if (u.op().equals("!")) {
                    requireKind(u.operand(), t, Kind.BOOL, "'!'");
                    yield t.plain();
                }
                if (t.kind() == Kind.BOOL) throw error(ErrorKind.KIND_MISMATCH, u.pos(), "cannot negate a bool");
                yield t.constant() != null ? new DType(Kind.INDEX, List.of(), -t.constant(), t.literal()) : t.plain();
            }
            case Binary b -> binary(b);
        };
    }

    private DType name(Name n) {
        Entry e = lookup(n.name());
        if (e == null) throw unknown(n.name(), n.pos());
        if (constantOnly && e.role() != Role.SHAPE && e.role() != Role.TUNABLE && e.role() != Role.CONSTANT) {
            throw error(ErrorKind.SCALAR_DEFAULT_NOT_CONSTANT, n.pos(), constantContext, n.name());
        }
        return switch (e.role()) {
            case TENSOR -> throw error(ErrorKind.KIND_MISMATCH, n.pos(), "tensor '" + n.name() + "' is read with load " + n.name() + "[...]");
            case TUNABLE -> {
                Pos zero = zeroCandidate.get(n.name());
                if (zero != null) throw error(ErrorKind.TUNABLE_NOT_POSITIVE, zero, n.name(), 0);
                yield DType.constant(tunables.get(n.name()));
            }
            default -> e.type();
        };
    }

    private DType subscript(Subscript s) {
        DType base = expr(s.base());
        int full = 0;
        List<Dim> shape = new ArrayList<>();
        for (Index i : s.indices()) {
            switch (i) {
                case Full f -> {
                    if (full < base.rank()) shape.add(base.shape().get(full));
                    full++;
                }
                case NewAxis n -> shape.add(Dim.of(1));
                case At a -> throw error(ErrorKind.BAD_NEWAXIS, a.pos(), describe(s.base()), base.rank());
            }
        }
        if (full != base.rank()) throw error(ErrorKind.BAD_NEWAXIS, s.pos(), describe(s.base()), base.rank());
        return DType.tile(base.kind(), shape);
    }

    private static String describe(Expr e) {
        return e instanceof Name n ? n.name() : "expression";
    }

    private DType binary(Binary b) {
        DType l = expr(b.left());
        DType r = expr(b.right());
        switch (b.op()) {
            case "&&", "||" -> {
                requireKind(b.left(), l, Kind.BOOL, "'" + b.op() + "'");
                requireKind(b.right(), r, Kind.BOOL, "'" + b.op() + "'");
                return DType.tile(Kind.BOOL, broadcast(b, l, r));
            }
            default -> { }
        }
        if (l.kind() == Kind.BOOL || r.kind() == Kind.BOOL) {
            throw error(ErrorKind.KIND_MISMATCH, b.pos(), "'" + b.op() + "' takes numbers, got " + l + " and " + r);
        }
        l = promote(b.left(), l, r.kind());
        r = promote(b.right(), r, l.kind());
        if (l.kind() != r.kind()) {
            throw error(ErrorKind.KIND_MISMATCH, b.pos(), "'" + b.op() + "' mixes " + l + " and " + r + " (convert with float(...))");
        }
        List<Dim> shape = broadcast(b, l, r);
        boolean cmp = switch (b.op()) {
            case "<", "<=", ">", ">=", "==", "!=" -> true;
            default -> false;
        };
        if (cmp) return DType.tile(Kind.BOOL, shape);
        if (l.constant() != null && r.constant() != null) {
            Long v = fold(b.op(), l.constant(), r.constant());
            if (v != null) return DType.constant(v);
        }
        return DType.tile(l.kind(), shape);
    }

    private static Long fold(String op, long a, long b) {
        return switch (op) {
            case "+" -> a + b;
            case "-" -> a - b;
            case "*" -> a * b;
            case "/" -> b == 0 ? null : Math.floorDiv(a, b);
            default -> null;
        };
    }

    /** An integer literal where a real is wanted becomes a real; everything else stays. */
    private DType promote(Expr e, DType t, Kind wanted) {
        if (t.literal() && wanted == Kind.REAL) {
            DType real = DType.scalar(Kind.REAL);
            types.put(e, real);
            return real;
        }
        return t;
    }

    private List<Dim> broadcast(Expr at, DType... ts) {
        int rank = 0;
        for (DType t : ts) rank = Math.max(rank, t.rank());
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            Dim d = Dim.of(1);
            for (DType t : ts) {
                int j = i - (rank - t.rank());
                if (j < 0) continue;
                Dim td = t.shape().get(j);
                if (td.equals(Dim.of(1))) continue;
                if (d.equals(Dim.of(1)) || d.equals(td)) d = td;
                else throw error(ErrorKind.SHAPE_MISMATCH, at.pos(), "shapes do not broadcast: " + describeAll(ts));
            }
            out.add(d);
        }
        return out;
    }

    private static String describeAll(DType... ts) {
        List<String> s = new ArrayList<>();
        for (DType t : ts) s.add(t.plain().toString());
        return String.join(" and ", s);
    }

    // ---------------------------------------------------------------- calls

    private DType call(Call c) {
        String fn = c.fn().name();
        Map<String, Expr> keywords = new LinkedHashMap<>();
        List<Expr> args = new ArrayList<>();
        for (Arg a : c.args()) {
            if (a.key() == null) args.add(a.value());
            else {
                if (!(fn.equals("sum") || fn.equals("max")) || !a.key().name().equals("axis")) {
                    throw error(ErrorKind.UNKNOWN_KEYWORD, a.key().pos(), fn, a.key().name());
                }
                keywords.put(a.key().name(), a.value());
            }
        }
        if (fn.equals("full")) return full(c, args);
        List<DType> ts = new ArrayList<>();
        for (Expr a : args) ts.add(expr(a));
        return switch (fn) {
            case "dot" -> {
                arity(c, args, 2);
                DType a = ts.get(0), b = ts.get(1);
                requireKind(args.get(0), a, Kind.REAL, "dot");
                requireKind(args.get(1), b, Kind.REAL, "dot");
                if (a.rank() != 2 || b.rank() != 2) throw error(ErrorKind.DOT_RANK, c.pos(), a, b);
                if (!a.shape().get(1).equals(b.shape().get(0))) {
                    throw error(ErrorKind.DOT_INNER, c.pos(), describe(args.get(0)), a.shape().get(1), describe(args.get(1)), b.shape().get(0));
                }
                yield DType.tile(Kind.REAL, List.of(a.shape().get(0), b.shape().get(1)));
            }
            case "trans" -> {
                arity(c, args, 1);
                DType a = ts.getFirst();
                if (a.rank() != 2) throw error(ErrorKind.RANK_MISMATCH, c.pos(), "trans needs a rank-2 tile, got " + a);
                yield DType.tile(a.kind(), List.of(a.shape().get(1), a.shape().get(0)));
            }
            case "exp2", "exp", "sqrt", "rsqrt" -> {
                arity(c, args, 1);
                DType a = promote(args.getFirst(), ts.getFirst(), Kind.REAL);
                requireKind(args.getFirst(), a, Kind.REAL, fn);
                yield a.plain();
            }
            case "abs" -> {
                arity(c, args, 1);
                if (ts.getFirst().kind() == Kind.BOOL) throw error(ErrorKind.KIND_MISMATCH, args.getFirst().pos(), "abs takes a number");
                yield ts.getFirst().plain();
            }
            case "float" -> {
                arity(c, args, 1);
                requireKind(args.getFirst(), ts.getFirst(), Kind.INDEX, "float");
                yield ts.getFirst().withKind(Kind.REAL);
            }
            case "cdiv" -> {
                arity(c, args, 2);
                for (int i = 0; i < 2; i++) {
                    requireKind(args.get(i), ts.get(i), Kind.INDEX, "cdiv");
                    requireScalar(args.get(i), ts.get(i), "an argument of cdiv");
                }
                Long a = ts.get(0).constant(), b = ts.get(1).constant();
                yield a != null && b != null && b > 0 ? DType.constant(Math.floorDiv(a + b - 1, b)) : DType.scalar(Kind.INDEX);
            }
            case "max", "min", "sum" -> {
                if (keywords.containsKey("axis")) {
                    arity(c, args, 1);
                    yield reduce(c, args.getFirst(), ts.getFirst(), keywords.get("axis"));
                }
                if (fn.equals("sum")) throw error(ErrorKind.ARITY, c.pos(), fn, "1 positional argument and axis=", args.size());
                arity(c, args, 2);
                DType a = promote(args.get(0), ts.get(0), ts.get(1).kind());
                DType b = promote(args.get(1), ts.get(1), a.kind());
                if (a.kind() != b.kind() || a.kind() == Kind.BOOL) {
                    throw error(ErrorKind.KIND_MISMATCH, c.pos(), fn + " needs two numbers of one kind, got " + a + " and " + b);
                }
                if (a.constant() != null && b.constant() != null) {
                    yield DType.constant(fn.equals("max") ? Math.max(a.constant(), b.constant()) : Math.min(a.constant(), b.constant()));
                }
                yield DType.tile(a.kind(), broadcast(c, a, b));
            }
            case "rowmax", "rowsum" -> {
                arity(c, args, 1);
                yield reduceAxis(c, args.getFirst(), ts.getFirst(), 1);
            }
            case "where" -> {
                arity(c, args, 3);
                requireKind(args.get(0), ts.get(0), Kind.BOOL, "the condition of where");
                DType a = promote(args.get(1), ts.get(1), ts.get(2).kind());
                DType b = promote(args.get(2), ts.get(2), a.kind());
                if (a.kind() != b.kind() || a.kind() == Kind.BOOL) {
                    throw error(ErrorKind.KIND_MISMATCH, c.pos(), "where needs two numbers of one kind, got " + a + " and " + b);
                }
                yield DType.tile(a.kind(), broadcast(c, ts.get(0), a, b));
            }
            case "arange" -> {
                arity(c, args, 1);
                Long n = ts.getFirst().constant();
                if (n == null || ts.getFirst().kind() != Kind.INDEX) {
                    throw error(ErrorKind.NOT_COMPILE_TIME, args.getFirst().pos(), "the length of arange", ts.getFirst());
                }
                if (n < 1) throw error(ErrorKind.SHAPE_MISMATCH, args.getFirst().pos(), "arange needs a positive length, got " + n);
                yield DType.tile(Kind.INDEX, List.of(Dim.of(n.intValue())));
            }
            default -> throw error(ErrorKind.UNKNOWN_FUNCTION, c.fn().pos(), fn);
        };
    }

    private DType reduce(Call c, Expr arg, DType t, Expr axisExpr) {
        DType a = expr(axisExpr);
        if (a.constant() == null) throw error(ErrorKind.NOT_COMPILE_TIME, axisExpr.pos(), "a reduction axis", a);
        return reduceAxis(c, arg, t, a.constant().intValue());
    }

    private DType reduceAxis(Call c, Expr arg, DType t, int axis) {
        if (t.kind() == Kind.BOOL) throw error(ErrorKind.KIND_MISMATCH, arg.pos(), c.fn().name() + " takes numbers, got " + t);
        if (axis < 0 || axis >= t.rank()) throw error(ErrorKind.REDUCTION_AXIS, c.pos(), axis, t.rank(), t);
        List<Dim> shape = new ArrayList<>(t.shape());
        shape.remove(axis);
        return DType.tile(t.kind(), shape);
    }

    private DType full(Call c, List<Expr> args) {
        arity(c, args, 2);
        if (!(args.get(0) instanceof ListLit list)) {
            throw error(ErrorKind.KIND_MISMATCH, args.get(0).pos(), "the shape of full is a list such as [BLOCK_M, D]");
        }
        List<Dim> shape = new ArrayList<>();
        for (Expr item : list.items()) {
            DType t = expr(item);
            Entry e = item instanceof Name n ? lookup(n.name()) : null;
            if (e != null && e.role() == Role.SHAPE) shape.add(Dim.sym(((Name) item).name()));
            else if (t.constant() != null && t.constant() >= 1) shape.add(Dim.of(t.constant().intValue()));
            else throw error(ErrorKind.NOT_COMPILE_TIME, item.pos(), "an axis length of full", t);
        }
        DType v = expr(args.get(1));
        requireScalar(args.get(1), v, "the fill value of full");
        return DType.tile(v.literal() ? Kind.INDEX : v.kind(), shape);
    }

    private void arity(Call c, List<Expr> args, int n) {
        if (args.size() != n) throw error(ErrorKind.ARITY, c.pos(), c.fn().name(), n, args.size());
    }

    private void requireKind(Expr e, DType t, Kind k, String what) {
        if (t.kind() != k) throw error(ErrorKind.KIND_MISMATCH, e.pos(), what + " needs " + k.text + ", got " + t);
    }

    private void requireScalar(Expr e, DType t, String what) {
        if (t.rank() != 0) throw error(ErrorKind.RANK_MISMATCH, e.pos(), what + " must be a scalar, got " + t);
    }
}
