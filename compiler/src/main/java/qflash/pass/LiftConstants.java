package qflash.pass;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import qflash.diag.Pos;
import qflash.ir.*;

/**
 * {@code lift-constants}: the launch-time constants move into the prologue.
 *
 * <p>The integer passes compute their fixed-point constants (rs, expM, reqM, the re-alignment
 * multiplier, bias offsets) in floats where they are used. Those computations depend only on scalar
 * parameters, constants and tensors read either with no index (per-tensor scales) or all with one and
 * the same index list (per-row scales, a bias) — or with its leading scalar indices only (a per-head reference
 * beside per-row scales: {@code [z, h]} beside {@code [z, h, rows]}). Such a computation is lifted: the prologue
 * evaluates it once per call — on scalars, or elementwise on the whole tensor, a per-head operand broadcast
 * along the other axes — and the body receives the result as a derived parameter (a scalar, or a tensor it
 * loads with that index list). Every float op before the
 * epilogue whose inputs qualify is lifted, together with the integer conversions that consume it, so
 * what the body receives is an integer. Ops after the last top-level loop (the epilogue) stay.
 * A lifted tensor is read back with the original indices, so positions outside the tensor read 0 — as
 * the original load did, but now after the computation: the pass relies on such positions being
 * masked or never stored, as padding is in attention. An absent optional tensor stays absent. No options.
 */
public final class LiftConstants implements Pass {
    @Override
    public String name() {
        return "lift-constants";
    }

    /** Where a liftable value comes from: no index at all, or one tensor read with one index list. */
    private record Anchor(Value tensor, List<Value> indices) {
        static final Anchor NONE = new Anchor(null, List.of());

        boolean scalar() {
            return tensor == null;
        }
    }

    @Override
    public Kernel run(Kernel k) {
        Uses uses = new Uses(k);
        Map<Value, Kernel.Param> params = new IdentityHashMap<>();
        for (Kernel.Param p : k.params()) params.put(p.value(), p);
        java.util.Set<Value> written = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        k.forEachOp(op -> {
            if (op instanceof Op.Store s) written.add(s.tensor());
        });
        // 1. Classify the body's ops before the epilogue.
        java.util.Set<Op> epilogue = Verifier.epilogue(k);
        List<Op> region = new ArrayList<>();
        for (Op op : k.body().ops()) {
            if (epilogue.contains(op)) continue;
            region.add(op);
            for (Block b : op.blocks()) Kernel.forEachOp(b, region::add);
        }
        if (epilogue.isEmpty()) return k;
        Map<Value, Anchor> anchor = new IdentityHashMap<>();
        for (Kernel.Param p : k.params()) if (!p.isTensor()) anchor.put(p.value(), Anchor.NONE);
        for (Op op : region) {
            Anchor a = classify(op, anchor, params, written);
            if (a != null) for (Value r : op.results()) anchor.put(r, a);
        }
        // 2. Lift float ops that qualify, then the ops that only consume lifted values (their conversions).
        Map<Op, Boolean> lifted = new LinkedHashMap<>();
        for (Op op : region) {
            if (op.results().size() == 1 && anchor.containsKey(op.result()) && op.result().type().elem().isFloat()) pull(op, uses, lifted, anchor);
        }
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Op op : region) {
                if (lifted.containsKey(op) || op.results().size() != 1 || !anchor.containsKey(op.result())) continue;
                boolean consumesLifted = op.operands().stream().anyMatch(v -> lifted.containsKey(uses.def(v)));
                if (consumesLifted) {
                    pull(op, uses, lifted, anchor);
                    grew = true;
                }
            }
        }
        if (lifted.isEmpty()) return k;
        // 3. The values the rest of the body reads become derived parameters.
        // A constant the body reads too (a loop bound, say) is copied, not moved: a literal is no parameter.
        List<Value> boundary = new ArrayList<>();
        java.util.Set<Op> shared = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        k.forEachOp(op -> {
            if (lifted.containsKey(op)) return;
            for (Value v : op.operands()) {
                Op d = uses.def(v);
                if (d == null || !lifted.containsKey(d)) continue;
                if (d instanceof Op.Const) shared.add(d);
                else if (!boundary.contains(v)) boundary.add(v);
            }
        });
        Namer namer = Namer.of(k);
        Map<Value, Value> derivedDef = k.derivedDefinitions();
        List<Value> yields = k.prologue().terminator().values();
        List<Op> prologue = new ArrayList<>(k.prologue().ops().subList(0, k.prologue().ops().size() - 1));
        Map<Value, Value> inPrologue = new IdentityHashMap<>();
        Map<List<Object>, Value> broadcasts = new java.util.HashMap<>();   // (per-head value, wide shape) -> its broadcast
        for (Op op : lifted.keySet()) prologue.addAll(wholeTensor(op, anchor, inPrologue, derivedDef, namer, uses, broadcasts));
        List<Value> newYields = new ArrayList<>(yields);
        List<Kernel.Param> newParams = new ArrayList<>(k.params());
        Map<Value, Value> bodyValue = new IdentityHashMap<>();
        Map<Value, Op> reload = new IdentityHashMap<>();
        for (Value v : boundary) {
            Anchor a = anchor.get(v);
            Value pv = inPrologue.get(v);
            Value param = namer.fresh(v.name() + ".arg", pv.type());
            newYields.add(pv);
            newParams.add(new Kernel.Param(param, false, false, false, true));
            if (a.scalar()) {
                bodyValue.put(v, param);
            } else {
                Value loaded = namer.fresh(v.name(), v.type());
                reload.put(v, new Op.Load(loaded, param, a.indices(), uses.def(v).loc()));
                bodyValue.put(v, loaded);
            }
        }
        prologue.add(new Op.Yield(newYields, Pos.UNKNOWN));
        // 4. The body: lifted ops go; a tensor-valued one is read back where it was computed.
        Block body = Rewrite.expand(k.body(), op -> {
            if (!lifted.containsKey(op) || shared.contains(op)) return List.of(op);
            Op r = op.results().isEmpty() ? null : reload.get(op.result());
            return r == null ? List.of() : List.of(r);
        });
        body = Rewrite.substitute(body, bodyValue);
        return k.withParams(newParams).withPrologue(new Block(List.of(), prologue)).withBody(body);
    }

    /** Adds {@code op} and, first, the lifted ops it reads. */
    private static void pull(Op op, Uses uses, Map<Op, Boolean> lifted, Map<Value, Anchor> anchor) {
        if (lifted.containsKey(op)) return;
        for (Value v : op.operands()) {
            Op d = uses.def(v);
            if (d != null && anchor.containsKey(v) && !(op instanceof Op.Load)) pull(d, uses, lifted, anchor);
        }
        lifted.put(op, true);
    }

    private static Anchor classify(Op op, Map<Value, Anchor> anchor, Map<Value, Kernel.Param> params, java.util.Set<Value> written) {
        switch (op) {
            case Op.Const c -> {
                return c.result().tile().isScalar() ? Anchor.NONE : null;
            }
            case Op.Load l -> {
                Kernel.Param p = params.get(l.tensor());
                if (p == null || written.contains(l.tensor())) return null;
                if (l.indices().isEmpty() || l.indices().stream().allMatch(Objects::isNull)) {
                    return l.result().tile().isScalar() ? Anchor.NONE : null;
                }
                return new Anchor(l.tensor(), l.indices());
            }
            case Op.Unary u -> {
                return anchor.get(u.a());
            }
            case Op.Convert c -> {
                return anchor.get(c.a());
            }
            case Op.Binary b -> {
                return join(anchor.get(b.a()), anchor.get(b.b()));
            }
            default -> {
                return null;
            }
        }
    }

    private static Anchor join(Anchor a, Anchor b) {
        if (a == null || b == null) return null;
        if (a.scalar()) return b;
        if (b.scalar()) return a;
        if (a.tensor() == b.tensor() && a.indices().equals(b.indices())) return a;
        if (within(b, a)) return a;
        if (within(a, b)) return b;
        return null;
    }

    /**
     * Whether {@code small} is one element per leading index of {@code big}: a tensor read at scalar indices that
     * are {@code big}'s first ones, over the same leading axes (a per-head value beside per-row ones). The prologue
     * broadcasts it along {@code big}'s other axes.
     */
    private static boolean within(Anchor small, Anchor big) {
        List<Value> si = small.indices(), bi = big.indices();
        List<Dim> ss = small.tensor().type().shape(), bs = big.tensor().type().shape();
        if (si.size() >= bi.size() || si.size() != ss.size() || !si.equals(bi.subList(0, si.size()))) return false;
        for (Value v : si) if (v == null || !v.type().shape().isEmpty()) return false;
        return ss.equals(bs.subList(0, ss.size()));
    }

    /**
     * The prologue's version of a lifted op: the same op on scalars, or elementwise on the anchor's whole tensor,
     * after broadcasts of the operands that have one element per leading index of it (see {@link #within}).
     */
    private static List<Op> wholeTensor(Op op, Map<Value, Anchor> anchor, Map<Value, Value> inPrologue, Map<Value, Value> derivedDef,
                                        Namer namer, Uses uses, Map<List<Object>, Value> broadcasts) {
        Anchor a = anchor.get(op.result());
        List<Dim> shape = a.scalar() ? null : a.tensor().type().shape();
        Type t = a.scalar() ? op.result().type() : new Type.Tensor(shape, op.result().type().elem());
        Value r = namer.fresh(op.result().name() + ".pro", t);
        inPrologue.put(op.result(), r);
        List<Op> out = new ArrayList<>();
        java.util.function.UnaryOperator<Value> in = v -> {
            Value mapped = inPrologue.get(v);
            if (mapped == null) mapped = derivedDef.getOrDefault(v, v);
            Anchor va = anchor.get(v);
            if (shape == null || va == null || va.scalar() || va.tensor() == a.tensor()) return mapped;
            if (uses.def(v) instanceof Op.Load) mapped = derivedDef.getOrDefault(va.tensor(), va.tensor());   // the tensor itself, not its copy
            Value narrow = mapped;
            return broadcasts.computeIfAbsent(List.of(narrow, shape), x -> {
                Value wide = namer.fresh(narrow.name() + ".b", new Type.Tensor(shape, narrow.type().elem()));
                out.add(new Op.Broadcast(wide, narrow, java.util.stream.IntStream.range(0, narrow.type().rank()).boxed().toList(), op.loc()));
                return wide;
            });
        };
        out.add(switch (op) {
            case Op.Load l -> a.scalar()
                    ? new Op.Load(r, derivedDef.getOrDefault(l.tensor(), l.tensor()), l.indices(), l.loc())
                    : identity(r, derivedDef.getOrDefault(l.tensor(), l.tensor()), l.loc());
            case Op.Const c -> new Op.Const(r, c.value(), c.loc());
            default -> Rewrite.mapValues(op, v -> v == op.result() ? r : in.apply(v));
        });
        return out;
    }

    /** A whole-tensor load is the tensor itself; the prologue spells it as a convert to the same type. */
    private static Op identity(Value r, Value tensor, Pos loc) {
        return new Op.Convert(r, tensor, Op.Rounding.RNE, Op.Overflow.SAT, loc);
    }
}
