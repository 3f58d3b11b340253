package qflash.ir;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import qflash.ir.Type.Tile;

/**
 * Checks the IR's invariants: SSA (each value defined once, used only where its definition is in
 * scope and earlier), one {@code yield} closing every block, and the typing rule of every op as its
 * javadoc in {@link Op} states it. Runs after every pass. With {@code lowered}, also rejects the
 * number-system-free {@code real} type: executable IR has chosen its precision.
 */
public final class Verifier {
    private final Set<Value> defined = new HashSet<>();
    private final Set<String> symbols = new HashSet<>();
    private final boolean lowered;
    private boolean inPrologue;

    private Verifier(boolean lowered) {
        this.lowered = lowered;
    }

    public static void verify(Kernel k) {
        new Verifier(false).kernel(k);
    }

    /**
     * The epilogue of a kernel body: the top-level ops after its last loop, and every earlier top-level op
     * whose results only the epilogue reads (a V scale loaded early, say). Empty without a loop.
     */
    public static java.util.Set<Op> epilogue(Kernel k) {
        List<Op> ops = k.body().ops();
        int lastLoop = -1;
        for (int i = 0; i < ops.size(); i++) if (ops.get(i) instanceof Op.For) lastLoop = i;
        java.util.Set<Op> epi = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        if (lastLoop < 0) return epi;
        for (int i = lastLoop + 1; i < ops.size(); i++) epi.add(ops.get(i));
        Uses uses = new Uses(k);
        for (int i = lastLoop - 1; i >= 0; i--) {
            Op op = ops.get(i);
            if (op.blocks().isEmpty() && !op.results().isEmpty()
                    && op.results().stream().allMatch(r -> !uses.users(r).isEmpty() && epi.containsAll(uses.users(r)))) epi.add(op);
        }
        return epi;
    }

    /**
     * The integer-only rule of integer pipelines: no float op between the quantized loads and the
     * epilogue ({@link #epilogue}). Returns the first offending op, or null.
     */
    public static Op firstFloatOpBeforeEpilogue(Kernel k) {
        java.util.Set<Op> epi = epilogue(k);
        Op[] found = {null};
        Kernel.forEachOp(k.body(), o -> {
            if (found[0] == null && !(o instanceof Op.For) && !epi.contains(o)
                    && o.results().stream().anyMatch(r -> r.type().elem().isFloat())) found[0] = o;
        });
        return found[0];
    }

    /** Verifies and additionally requires that no {@code real} type is left. */
    public static void verifyLowered(Kernel k) {
        new Verifier(true).kernel(k);
    }

    private void kernel(Kernel k) {
        Scope top = new Scope(null);
        List<Type> defaultTypes = new ArrayList<>();
        List<Kernel.Param> derived = new ArrayList<>();
        for (Kernel.Param p : k.params()) {
            if (p.derived()) {
                if (p.out() || p.optional() || p.hasDefault()) throw new IrInvalid("derived parameter " + p.value() + " cannot be out, optional or defaulted");
                derived.add(p);
                continue;
            }
            define(top, p.value(), "parameter");
            checkType(p.value().type(), "parameter " + p.value());
            if (p.value().type() instanceof Type.Tensor t) {
                t.shape().stream().filter(d -> !d.isConst()).forEach(d -> symbols.add(d.symbol()));
                if (p.hasDefault()) throw new IrInvalid("tensor parameter " + p.value() + " cannot have a default");
            } else {
                if (p.out() || p.optional()) throw new IrInvalid("scalar parameter " + p.value() + " cannot be out or optional");
                if (!((Tile) p.value().type()).isScalar()) throw new IrInvalid("parameter " + p.value() + " must be a tensor or a scalar");
                if (p.hasDefault()) defaultTypes.add(p.value().type());
            }
        }
        // defaults and grid see only shape symbols and constants, not the parameters.
        List<Value> dv = block(k.defaults(), new Scope(null));
        if (!dv.stream().map(Value::type).toList().equals(defaultTypes)) {
            throw new IrInvalid("defaults must yield " + defaultTypes + ", yields " + dv.stream().map(Value::type).toList());
        }
        // The prologue runs once per call on the caller's parameters and yields the derived ones.
        inPrologue = true;
        List<Value> pv = block(k.prologue(), new Scope(top));
        inPrologue = false;
        List<Type> derivedTypes = derived.stream().map(p -> p.value().type()).toList();
        if (!pv.stream().map(Value::type).toList().equals(derivedTypes)) {
            throw new IrInvalid("prologue must yield " + derivedTypes + " for the derived parameters, yields " + pv.stream().map(Value::type).toList());
        }
        for (Kernel.Param p : derived) {
            define(top, p.value(), "derived parameter");
            if (p.value().type() instanceof Type.Tensor t) t.shape().stream().filter(d -> !d.isConst()).forEach(d -> symbols.add(d.symbol()));
        }
        List<Value> gv = block(k.grid(), new Scope(null));
        if (gv.isEmpty() || gv.size() > 3) throw new IrInvalid("grid must yield 1 to 3 extents, yields " + gv.size());
        for (Value v : gv) requireI32Scalar(v, "grid extent");
        if (k.body().args().size() != gv.size()) {
            throw new IrInvalid("body has " + k.body().args().size() + " program ids, grid has " + gv.size() + " axes");
        }
        Scope body = new Scope(top);
        for (Value id : k.body().args()) {
            define(body, id, "program id");
            requireI32Scalar(id, "program id");
        }
        List<Value> bv = block(k.body(), body);
        if (!bv.isEmpty()) throw new IrInvalid("the body's yield must be empty");
    }

    private record Scope(Scope parent, Set<Value> values) {
        Scope(Scope parent) {
            this(parent, new HashSet<>());
        }

        boolean sees(Value v) {
            for (Scope s = this; s != null; s = s.parent) if (s.values.contains(v)) return true;
            return false;
        }
    }

    private void define(Scope scope, Value v, String what) {
        if (!defined.add(v)) throw new IrInvalid(what + " " + v + " is defined twice");
        scope.values.add(v);
    }

    /** Verifies a block whose arguments are already defined in {@code scope}; returns what it yields. */
    private List<Value> block(Block b, Scope scope) {
        if (b.ops().isEmpty() || !(b.ops().getLast() instanceof Op.Yield)) throw new IrInvalid("block does not end with yield");
        for (int n = 0; n < b.ops().size(); n++) {
            Op op = b.ops().get(n);
            if (op instanceof Op.Yield && n != b.ops().size() - 1) throw new IrInvalid("yield before the end of a block");
            for (Value v : op.operands()) {
                if (!scope.sees(v)) throw new IrInvalid(where(op) + ": operand " + v + " is not defined before this op");
            }
            if (op instanceof Op.For f) {
                Scope inner = new Scope(scope);
                for (Value a : f.body().args()) define(inner, a, "loop argument");
                List<Value> yielded = block(f.body(), inner);
                checkFor(f, yielded);
            } else {
                check(op);
            }
            for (Value r : op.results()) {
                checkType(r.type(), where(op));
                if (r.type() instanceof Type.Tensor && !inPrologue) throw new IrInvalid(where(op) + ": tensors are made only in the prologue");
                define(scope, r, "value");
            }
        }
        return b.terminator().values();
    }

    private void checkType(Type t, String where) {
        if (lowered && t.elem() == Elem.REAL) throw new IrInvalid(where + ": type " + t + " has no precision yet (real)");
        for (Dim d : t.shape()) {
            if (d.isConst() ? d.size() < 1 : !d.symbol().matches("[A-Z][A-Z0-9_]*")) throw new IrInvalid(where + ": bad dimension " + d);
        }
    }

    private void checkFor(Op.For f, List<Value> yielded) {
        requireI32Scalar(f.lo(), "loop bound");
        requireI32Scalar(f.hi(), "loop bound");
        requireI32Scalar(f.iv(), "induction variable");
        int n = f.inits().size();
        if (f.iterArgs().size() != n || f.results().size() != n || yielded.size() != n) {
            throw new IrInvalid(where(f) + ": " + n + " inits, " + f.iterArgs().size() + " iteration arguments, "
                    + yielded.size() + " yielded values and " + f.results().size() + " results");
        }
        for (int k = 0; k < n; k++) {
            Type t = f.results().get(k).type();
            if (!f.inits().get(k).type().equals(t) || !f.iterArgs().get(k).type().equals(t) || !yielded.get(k).type().equals(t)) {
                throw new IrInvalid(where(f) + ": loop-carried value " + k + " has init " + f.inits().get(k).type()
                        + ", argument " + f.iterArgs().get(k).type() + ", yield " + yielded.get(k).type() + ", result " + t);
            }
        }
    }

    private void check(Op op) {
        switch (op) {
            case Op.Const c -> {
                Elem e = c.result().type().elem();
                if (e.isInt && (c.value() != Math.rint(c.value()) || c.value() < e.min() || c.value() > e.max())) {
                    throw new IrInvalid(where(op) + ": " + IrPrinter.number(c.value()) + " is not a " + e + " value");
                }
                tile(c.result(), op);
            }
            case Op.DimOf d -> {
                requireI32Scalar(d.result(), "dim");
                if (!symbols.contains(d.symbol())) throw new IrInvalid(where(op) + ": no tensor parameter has shape symbol " + d.symbol());
            }
            case Op.Unary u -> {
                Tile r = tile(u.result(), op);
                if (!tile(u.a(), op).equals(r)) throw new IrInvalid(where(op) + ": operand type " + u.a().type() + " differs from result " + r);
                boolean floatOnly = switch (u.kind()) {
                    case EXP2, EXP, SQRT, RSQRT -> true;
                    default -> false;
                };
                if (floatOnly && r.elem().isInt) throw new IrInvalid(where(op) + ": " + u.kind().text() + " needs a float type");
                if (u.kind() == Op.UnKind.NOT && !r.elem().isInt) throw new IrInvalid(where(op) + ": not needs an integer type");
            }
            case Op.Binary b -> {
                Tile r = tile(b.result(), op);
                elementwise(op, r, b.a(), r.elem());
                elementwise(op, r, b.b(), r.elem());
                boolean intOnly = switch (b.kind()) {
                    case FLOORDIV, REM, SHL, SHR, AND, OR, XOR -> true;
                    default -> false;
                };
                if (intOnly && !r.elem().isInt) throw new IrInvalid(where(op) + ": " + b.kind().text() + " needs an integer type");
            }
            case Op.Cmp c -> {
                Tile r = tile(c.result(), op);
                if (r.elem() != Elem.I1) throw new IrInvalid(where(op) + ": cmp gives i1");
                elementwise(op, r, c.a(), c.a().type().elem());
                elementwise(op, r, c.b(), c.a().type().elem());
            }
            case Op.Select s -> {
                Tile r = tile(s.result(), op);
                elementwise(op, r, s.cond(), Elem.I1);
                elementwise(op, r, s.a(), r.elem());
                elementwise(op, r, s.b(), r.elem());
            }
            case Op.Convert c -> {
                Tile r = tile(c.result(), op);
                if (!tile(c.a(), op).shape().equals(r.shape())) throw new IrInvalid(where(op) + ": convert keeps the shape");
            }
            case Op.Arange a -> {
                Tile r = tile(a.result(), op);
                if (r.rank() != 1 || !r.shape().getFirst().isConst() || r.elem() != Elem.I32) {
                    throw new IrInvalid(where(op) + ": arange gives a rank-1 i32 tile of constant length");
                }
            }
            case Op.Broadcast b -> {
                Tile r = tile(b.result(), op);
                Tile a = tile(b.a(), op);
                if (a.elem() != r.elem() || b.dims().size() != a.rank()) throw new IrInvalid(where(op) + ": broadcast needs one result axis per operand axis and the same element type");
                int prev = -1;
                for (int i = 0; i < a.rank(); i++) {
                    int d = b.dims().get(i);
                    if (d <= prev || d >= r.rank()) throw new IrInvalid(where(op) + ": broadcast axes must increase and lie in the result");
                    Dim ad = a.shape().get(i);
                    if (!ad.equals(r.shape().get(d)) && !ad.equals(Dim.of(1))) throw new IrInvalid(where(op) + ": axis " + i + " of " + a + " does not fit " + r);
                    prev = d;
                }
            }
            case Op.Transpose t -> {
                Tile r = tile(t.result(), op);
                Tile a = tile(t.a(), op);
                if (a.rank() != 2 || !r.equals(new Tile(List.of(a.shape().get(1), a.shape().get(0)), a.elem()))) {
                    throw new IrInvalid(where(op) + ": transpose of " + a + " cannot give " + r);
                }
            }
            case Op.Dot d -> {
                Tile r = tile(d.result(), op);
                Tile a = tile(d.a(), op);
                Tile b = tile(d.b(), op);
                if (a.rank() != 2 || b.rank() != 2 || r.rank() != 2 || !a.shape().get(1).equals(b.shape().get(0))
                        || !r.shape().equals(List.of(a.shape().get(0), b.shape().get(1)))) {
                    throw new IrInvalid(where(op) + ": dot of " + a + " and " + b + " cannot give " + r);
                }
                if (a.elem().isInt != r.elem().isInt || b.elem().isInt != r.elem().isInt) throw new IrInvalid(where(op) + ": dot mixes integer and float types");
            }
            case Op.Reduce rd -> {
                Tile r = tile(rd.result(), op);
                Tile a = tile(rd.a(), op);
                if (rd.axis() < 0 || rd.axis() >= a.rank()) throw new IrInvalid(where(op) + ": axis " + rd.axis() + " of a rank-" + a.rank() + " tile");
                List<Dim> shape = new ArrayList<>(a.shape());
                shape.remove(rd.axis());
                if (!r.shape().equals(shape) || a.elem().isInt != r.elem().isInt || (rd.kind() == Op.RedKind.MAX && a.elem() != r.elem())) {
                    throw new IrInvalid(where(op) + ": reduce of " + a + " over axis " + rd.axis() + " cannot give " + r);
                }
            }
            case Op.Load l -> {
                Type.Tensor t = tensor(l.tensor(), op);
                List<Dim> shape = access(op, t, l.indices());
                Tile r = tile(l.result(), op);
                if (!r.equals(new Tile(shape, t.elem()))) throw new IrInvalid(where(op) + ": load gives " + new Tile(shape, t.elem()) + ", not " + r);
            }
            case Op.Store s -> {
                Type.Tensor t = tensor(s.tensor(), op);
                List<Dim> shape = access(op, t, s.indices());
                Tile v = tile(s.value(), op);
                if (!v.equals(new Tile(shape, t.elem()))) throw new IrInvalid(where(op) + ": store needs " + new Tile(shape, t.elem()) + ", got " + v);
            }
            case Op.Quantize q -> {
                Type.Tensor x = tensor(q.x(), op), qt = tensor(q.q(), op), st = tensor(q.scale(), op);
                if (x.elem().isInt || !(qt.elem() == Elem.I8 || qt.elem() == Elem.U8) || !qt.shape().equals(x.shape())) {
                    throw new IrInvalid(where(op) + ": quantize maps a float tensor to an i8 or u8 tensor of the same shape");
                }
                List<Dim> scaleShape = new ArrayList<>();
                for (int i = 0; i < x.rank(); i++) {
                    if (!q.shared().contains(i)) scaleShape.add(x.shape().get(i));
                }
                if (!st.equals(new Type.Tensor(scaleShape, Elem.F32)) || q.shared().stream().anyMatch(a -> a < 0 || a >= x.rank())) {
                    throw new IrInvalid(where(op) + ": the scale tensor must be " + new Type.Tensor(scaleShape, Elem.F32));
                }
                if (q.blockSize() > 0 && (q.blockAxis() < 0 || q.blockAxis() >= x.rank() || q.shared().contains(q.blockAxis()))) {
                    throw new IrInvalid(where(op) + ": the block axis must be an axis that is not shared");
                }
            }
            case Op.Center c -> {
                Type.Tensor x = tensor(c.x(), op), ct = tensor(c.centred(), op), mt = tensor(c.mean(), op);
                List<Dim> meanShape = new ArrayList<>(x.shape());
                if (c.axis() < 0 || c.axis() >= x.rank()) throw new IrInvalid(where(op) + ": no axis " + c.axis());
                meanShape.remove(c.axis());
                if (x.elem().isInt || !ct.equals(x) || !mt.equals(new Type.Tensor(meanShape, x.elem()))) {
                    throw new IrInvalid(where(op) + ": center gives " + x + " and " + new Type.Tensor(meanShape, x.elem()));
                }
            }
            case Op.For f -> throw new IllegalStateException("for is checked with its body");
            case Op.Yield y -> { }
        }
    }

    private List<Dim> access(Op op, Type.Tensor t, List<Value> idx) {
        if (idx.size() != t.rank()) throw new IrInvalid(where(op) + ": " + t + " needs " + t.rank() + " indices, got " + idx.size());
        List<Dim> shape = new ArrayList<>();
        for (int i = 0; i < idx.size(); i++) {
            Value v = idx.get(i);
            if (v == null) {
                shape.add(t.shape().get(i));
                continue;
            }
            Tile it = tile(v, op);
            if (it.elem() != Elem.I32 || it.rank() > 1) throw new IrInvalid(where(op) + ": index " + v + " must be an i32 scalar or rank-1 tile");
            if (it.rank() == 1) shape.add(it.shape().getFirst());
        }
        return shape;
    }

    private void elementwise(Op op, Tile r, Value v, Elem elem) {
        Tile t = tile(v, op);
        if (t.elem() != elem) throw new IrInvalid(where(op) + ": operand " + v + " is " + t + ", expected element type " + elem);
        if (!t.isScalar() && !t.shape().equals(r.shape())) throw new IrInvalid(where(op) + ": operand " + v + " of shape " + t + " does not match " + r);
    }

    /** The tile type of an operand; in the prologue a tensor counts as one big tile (whole-tensor elementwise ops). */
    private Tile tile(Value v, Op op) {
        if (v.type() instanceof Type.Tensor t && inPrologue) return new Tile(t.shape(), t.elem());
        if (!(v.type() instanceof Tile t)) throw new IrInvalid(where(op) + ": " + v + " is a tensor; only load and store take tensors");
        return t;
    }

    private static Type.Tensor tensor(Value v, Op op) {
        if (!(v.type() instanceof Type.Tensor t)) throw new IrInvalid(where(op) + ": " + v + " is not a tensor");
        return t;
    }

    private static void requireI32Scalar(Value v, String what) {
        if (!v.type().equals(Tile.scalar(Elem.I32))) throw new IrInvalid(what + " " + v + " must be an i32 scalar, is " + v.type());
    }

    private static String where(Op op) {
        return "'" + IrPrinter.brief(op) + "'";
    }
}
