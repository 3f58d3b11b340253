package qflash.front;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import qflash.ast.Ast.*;
import qflash.diag.Pos;
import qflash.front.DType.Kind;
import qflash.ast.Ast;
import qflash.ir.*;
import qflash.ir.Block;
import qflash.ir.Type.Tile;

/**
 * Lowers a checked AST to tile IR, one DSL construct at a time and without cleverness (the passes
 * clean up): shape symbols become {@code dim} ops where read, tunables constants, implicit
 * broadcasting explicit {@code broadcast} ops, and each {@code var} assigned inside a loop a
 * loop-carried value of that loop. Reals stay {@code real}: the pipeline picks their precision.
 */
public final class IrBuilder {
    private final Checker.Result checked;
    private final Namer namer = new Namer();
    private final Map<String, Value> params = new HashMap<>();
    private final List<Map<String, Value>> scopes = new ArrayList<>();
    /** Declaration order of locals: loop-carried values are listed in it, as the source declares them. */
    private final Map<String, Integer> declared = new HashMap<>();
    private List<Op> ops;

    private IrBuilder(Checker.Result checked) {
        this.checked = checked;
    }

    public static Kernel build(Program p, Checker.Result checked) {
        return new IrBuilder(checked).program(p);
    }

    private Kernel program(Program p) {
        List<Kernel.Param> kps = new ArrayList<>();
        for (Param param : p.params()) {
            switch (param) {
                case TensorParam t -> {
                    Elem e = switch (t.elem().name()) {
                        case "f16" -> Elem.F16;
                        case "f32" -> Elem.F32;
                        case "f64" -> Elem.F64;
                        default -> Elem.REAL;
                    };
                    List<Dim> dims = t.dims().stream().map(d -> Dim.sym(d.name())).toList();
                    Value v = namer.fresh(t.name().name(), new Type.Tensor(dims, e));
                    params.put(t.name().name(), v);
                    kps.add(new Kernel.Param(v, t.out(), t.optional(), false));
                }
                case ScalarParam s -> {
                    Value v = namer.fresh(s.name().name(), Tile.scalar(Elem.REAL));
                    params.put(s.name().name(), v);
                    kps.add(new Kernel.Param(v, false, false, s.dflt() != null));
                }
            }
        }
        // Defaults and the grid see only constants and shape symbols; they get their own op lists.
        List<Value> defaults = new ArrayList<>();
        ops = new ArrayList<>();
        scopes.add(new HashMap<>());
        for (Param param : p.params()) {
            if (param instanceof ScalarParam s && s.dflt() != null) defaults.add(expr(s.dflt()));
        }
        Block defaultsBlock = close(defaults, Pos.UNKNOWN);

        ops = new ArrayList<>();
        List<Value> extents = new ArrayList<>();
        for (Expr e : p.grid().extents()) extents.add(expr(e));
        Block gridBlock = close(extents, p.grid().pos());

        ops = new ArrayList<>();
        List<Value> ids = new ArrayList<>();
        for (Ident id : p.grid().ids()) {
            Value v = namer.fresh(id.name(), Tile.scalar(Elem.I32));
            scopes.getLast().put(id.name(), v);
            ids.add(v);
        }
        block(p.grid().body());
        Block body = new Block(ids, closeOps(List.of(), p.grid().pos()));
        Map<String, Long> schedule = new LinkedHashMap<>(checked.tunables());
        return new Kernel(p.name().name(), kps, schedule, p.annotations().stream().map(Ident::name).toList(),
                defaultsBlock, new Block(List.of(), List.of(new Op.Yield(List.of(), Pos.UNKNOWN))), gridBlock, body);
    }

    private Block close(List<Value> yielded, Pos loc) {
        return new Block(List.of(), closeOps(yielded, loc));
    }

    private List<Op> closeOps(List<Value> yielded, Pos loc) {
        ops.add(new Op.Yield(yielded, loc));
        return ops;
    }

    // ---------------------------------------------------------------- statements

    private void block(Ast.Block b) {
        for (Stmt s : b.stmts()) stmt(s);
    }

    private void stmt(Stmt s) {
        switch (s) {
            case Let l -> bind(l.name().name(), named(expr(l.value()), l.name().name()));
            case Var v -> bind(v.name().name(), named(expr(v.value()), v.name().name()));
            case Assign a -> {
                Value v = expr(a.value());
                for (int i = scopes.size() - 1; i >= 0; i--) {
                    if (scopes.get(i).containsKey(a.name().name())) {
                        scopes.get(i).put(a.name().name(), v);
                        return;
                    }
                }
                throw new IllegalStateException("checker let an assignment to an unknown var through");
            }
            case For f -> forLoop(f);
            case Store st -> {
                Value t = params.get(st.target().name());
                List<Value> idx = indices(st.indices());
                Value v = expr(st.value());
                if (t.type().elem() != Elem.REAL) {
                    Value real = v;
                    v = emit(v.tile().withElem(t.type().elem()), r -> new Op.Convert(r, real, Op.Rounding.RNE, Op.Overflow.SAT, st.pos()));
                }
                ops.add(new Op.Store(t, idx, v, st.pos()));
            }
        }
    }

    /** Gives the value a DSL name when it is a fresh temporary, so the IR reads like the source. */
    private Value named(Value v, String name) {
        Op last = ops.isEmpty() ? null : ops.getLast();
        if (last == null || last.results().size() != 1 || last.result() != v || !v.name().matches("[0-9]+")) return v;
        Value renamed = namer.fresh(name, v.type());
        ops.set(ops.size() - 1, rename(last, renamed));
        return renamed;
    }

    private static Op rename(Op op, Value r) {
        Value old = op.result();
        return Rewrite.mapValues(op, v -> v == old ? r : v);
    }

    private void bind(String name, Value v) {
        scopes.getLast().put(name, v);
        declared.putIfAbsent(name, declared.size());
    }

    private Value lookup(String name) {
        for (int i = scopes.size() - 1; i >= 0; i--) {
            Value v = scopes.get(i).get(name);
            if (v != null) return v;
        }
        return null;
    }

    private void forLoop(For f) {
        Value lo = expr(f.lo());
        Value hi = expr(f.hi());
        // Vars declared outside and assigned inside are carried around the loop.
        Set<String> assigned = new LinkedHashSet<>();
        assignedIn(f.body(), assigned);
        List<String> carried = assigned.stream().filter(n -> lookup(n) != null)
                .sorted(java.util.Comparator.comparing(declared::get)).toList();
        List<Value> inits = carried.stream().map(this::lookup).toList();

        List<Op> outer = ops;
        ops = new ArrayList<>();
        scopes.add(new HashMap<>());
        Value iv = namer.fresh(f.iv().name(), Tile.scalar(Elem.I32));
        bind(f.iv().name(), iv);
        List<Value> args = new ArrayList<>(List.of(iv));
        for (String n : carried) {
            Value a = namer.fresh(n, lookup(n).type());
            bind(n, a);
            args.add(a);
        }
        block(f.body());
        List<Value> yielded = carried.stream().map(this::lookup).toList();
        Block body = new Block(args, closeOps(yielded, f.iv().pos()));
        scopes.removeLast();
        ops = outer;
        List<Value> results = carried.stream().map(n -> namer.fresh(n, lookup(n).type())).toList();
        ops.add(new Op.For(results, lo, hi, inits, body, f.iv().pos()));
        for (int i = 0; i < carried.size(); i++) {
            String n = carried.get(i);
            for (int s = scopes.size() - 1; s >= 0; s--) {
                if (scopes.get(s).containsKey(n)) {
                    scopes.get(s).put(n, results.get(i));
                    break;
                }
            }
        }
    }

    private static void assignedIn(Ast.Block b, Set<String> out) {
        for (Stmt s : b.stmts()) {
            if (s instanceof Assign a) out.add(a.name().name());
            if (s instanceof For f) assignedIn(f.body(), out);
        }
    }

    private List<Value> indices(List<Index> idx) {
        List<Value> out = new ArrayList<>();
        for (Index i : idx) out.add(i instanceof At a ? expr(a.expr()) : null);
        return out;
    }

    // ---------------------------------------------------------------- expressions

    private DType typeOf(Expr e) {
        return checked.types().get(e);
    }

    private static Elem elem(Kind k) {
        return switch (k) {
            case INDEX -> Elem.I32;
            case REAL -> Elem.REAL;
            case BOOL -> Elem.I1;
        };
    }

    private static Tile tileType(DType t) {
        return new Tile(t.shape(), elem(t.kind()));
    }

    private Value emit(Type t, java.util.function.Function<Value, Op> make) {
        Value r = namer.fresh(t);
        ops.add(make.apply(r));
        return r;
    }

    private Value constant(double v, Tile t, Pos loc) {
        return emit(t, r -> new Op.Const(r, v, loc));
    }

    private Value expr(Expr e) {
        DType t = typeOf(e);
        Tile type = tileType(t);
        return switch (e) {
            case IntLit i -> constant(Double.parseDouble(i.text()), type, i.pos());
            case FloatLit f -> constant(f.value(), type, f.pos());
            case Inf i -> constant(Double.POSITIVE_INFINITY, type, i.pos());
            case Name n -> name(n, type);
            case Load l -> {
                Value tensor = params.get(l.tensor().name());
                List<Value> idx = indices(l.indices());
                Tile rt = new Tile(type.shape(), tensor.type().elem());
                Value loaded = emit(rt, r -> new Op.Load(r, tensor, idx, l.pos()));
                // A tensor that pins its storage type (f16, ...) is widened to the pipeline's reals on load.
                yield rt.elem() == Elem.REAL ? loaded : emit(type, r -> new Op.Convert(r, loaded, Op.Rounding.RNE, Op.Overflow.SAT, l.pos()));
            }
            case Call c -> call(c, t, type);
            case ListLit l -> throw new IllegalStateException("lists only appear in full()");
            case Subscript s -> {
                Value base = expr(s.base());
                List<Integer> dims = new ArrayList<>();
                int pos = 0;
                for (Index i : s.indices()) {
                    if (i instanceof Full) dims.add(pos);
                    pos++;
                }
                yield emit(type, r -> new Op.Broadcast(r, base, dims, s.pos()));
            }
            case Unary u -> {
                Value a = expr(u.operand());
                yield emit(type, r -> new Op.Unary(r, u.op().equals("!") ? Op.UnKind.NOT : Op.UnKind.NEG, a, u.pos()));
            }
            case Binary b -> binary(b, type);
        };
    }

    private Value name(Name n, Tile type) {
        Value local = lookup(n.name());
        if (local != null) return local;
        Value param = params.get(n.name());
        if (param != null) return param;
        Long tunable = checked.tunables().get(n.name());
        if (tunable != null) return constant(tunable, type, n.pos());
        Double c = Checker.CONSTANTS.get(n.name());
        if (c != null) return constant(c, type, n.pos());
        return emit(type, r -> new Op.DimOf(r, n.name(), n.pos()));
    }

    /** Broadcasts {@code v} (NumPy rules: align right) to {@code shape}, if it is not a scalar or already there. */
    private Value fit(Value v, List<Dim> shape, Pos loc) {
        Tile t = v.tile();
        if (t.isScalar() || t.shape().equals(shape)) return v;
        int offset = shape.size() - t.rank();
        List<Integer> dims = new ArrayList<>();
        for (int i = 0; i < t.rank(); i++) dims.add(offset + i);
        return emit(new Tile(shape, t.elem()), r -> new Op.Broadcast(r, v, dims, loc));
    }

    private Value binary(Binary b, Tile type) {
        Value l = expr(b.left());
        Value r = expr(b.right());
        l = fit(l, type.shape(), b.pos());
        r = fit(r, type.shape(), b.pos());
        Value fl = l, fr = r;
        Op.CmpKind cmp = switch (b.op()) {
            case "<" -> Op.CmpKind.LT;
            case "<=" -> Op.CmpKind.LE;
            case ">" -> Op.CmpKind.GT;
            case ">=" -> Op.CmpKind.GE;
            case "==" -> Op.CmpKind.EQ;
            case "!=" -> Op.CmpKind.NE;
            default -> null;
        };
        if (cmp != null) return emit(type, res -> new Op.Cmp(res, cmp, fl, fr, b.pos()));
        boolean isInt = type.elem().isInt;
        Op.BinKind k = switch (b.op()) {
            case "+" -> Op.BinKind.ADD;
            case "-" -> Op.BinKind.SUB;
            case "*" -> Op.BinKind.MUL;
            // Index arithmetic divides like Python's //: toward negative infinity.
            case "/" -> isInt ? Op.BinKind.FLOORDIV : Op.BinKind.DIV;
            case "&&" -> Op.BinKind.AND;
            case "||" -> Op.BinKind.OR;
            default -> throw new IllegalStateException("unknown operator " + b.op());
        };
        return emit(type, res -> new Op.Binary(res, k, fl, fr, b.pos()));
    }

    private Value call(Call c, DType t, Tile type) {
        String fn = c.fn().name();
        List<Expr> args = c.args().stream().filter(a -> a.key() == null).map(Arg::value).toList();
        Expr axis = c.args().stream().filter(a -> a.key() != null).map(Arg::value).findFirst().orElse(null);
        Pos loc = c.pos();
        if (fn.equals("full")) {
            Value v = expr(args.get(1));
            return emit(type, r -> new Op.Broadcast(r, v, List.of(), loc));
        }
        if (t.constant() != null && (fn.equals("cdiv") || fn.equals("max") || fn.equals("min"))) {
            return constant(t.constant(), type, loc);
        }
        List<Value> vs = new ArrayList<>();
        for (Expr a : args) vs.add(expr(a));
        return switch (fn) {
            case "dot" -> emit(type, r -> new Op.Dot(r, vs.get(0), vs.get(1), loc));
            case "trans" -> emit(type, r -> new Op.Transpose(r, vs.getFirst(), loc));
            case "exp2" -> unary(Op.UnKind.EXP2, vs.getFirst(), type, loc);
            case "exp" -> unary(Op.UnKind.EXP, vs.getFirst(), type, loc);
            case "sqrt" -> unary(Op.UnKind.SQRT, vs.getFirst(), type, loc);
            case "rsqrt" -> unary(Op.UnKind.RSQRT, vs.getFirst(), type, loc);
            case "abs" -> unary(Op.UnKind.ABS, vs.getFirst(), type, loc);
            case "float" -> emit(type, r -> new Op.Convert(r, vs.getFirst(), Op.Rounding.RNE, Op.Overflow.WRAP, loc));
            case "cdiv" -> {
                // (a + b - 1) // b, the number of b-sized blocks covering a (a, b >= 1).
                Tile i32 = Tile.scalar(Elem.I32);
                Value one = constant(1, i32, loc);
                Value bm1 = emit(i32, r -> new Op.Binary(r, Op.BinKind.SUB, vs.get(1), one, loc));
                Value sum = emit(i32, r -> new Op.Binary(r, Op.BinKind.ADD, vs.get(0), bm1, loc));
                yield emit(i32, r -> new Op.Binary(r, Op.BinKind.FLOORDIV, sum, vs.get(1), loc));
            }
            case "max", "min", "sum" -> {
                if (axis != null) {
                    int ax = typeOf(axis).constant().intValue();
                    yield emit(type, r -> new Op.Reduce(r, fn.equals("sum") ? Op.RedKind.SUM : Op.RedKind.MAX, vs.getFirst(), ax, loc));
                }
                Value a = fit(vs.get(0), type.shape(), loc), b = fit(vs.get(1), type.shape(), loc);
                yield emit(type, r -> new Op.Binary(r, fn.equals("max") ? Op.BinKind.MAX : Op.BinKind.MIN, a, b, loc));
            }
            case "rowmax" -> emit(type, r -> new Op.Reduce(r, Op.RedKind.MAX, vs.getFirst(), 1, loc));
            case "rowsum" -> emit(type, r -> new Op.Reduce(r, Op.RedKind.SUM, vs.getFirst(), 1, loc));
            case "where" -> {
                Value cond = fit(vs.get(0), type.shape(), loc);
                Value a = fit(vs.get(1), type.shape(), loc), b = fit(vs.get(2), type.shape(), loc);
                yield emit(type, r -> new Op.Select(r, cond, a, b, loc));
            }
            case "arange" -> emit(type, r -> new Op.Arange(r, loc));
            default -> throw new IllegalStateException("checker let unknown function " + fn + " through");
        };
    }

    private Value unary(Op.UnKind k, Value a, Tile type, Pos loc) {
        return emit(type, r -> new Op.Unary(r, k, a, loc));
    }
}
