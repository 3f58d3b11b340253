package qflash.pass;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import qflash.diag.Pos;
import qflash.ir.*;
import qflash.ir.Type.Tile;

/**
 * {@code quantize-inputs}: read the matrix operands as int8 plus scales.
 *
 * <p>Finds the input tensors whose every load feeds a {@code dot}: as its left operand (Q: rows are
 * tokens, the reduced axis channels), transposed as its right operand (K), or as its right operand
 * (V: the reduced axis is tokens). The prologue quantizes each such tensor ({@link Op.Quantize}) into
 * a derived int8 tensor and an f32 scale tensor; every load becomes a load of the int8 tile and of its
 * scales, and a dequantization ({@code convert}, then {@code mul} by the broadcast scale), so the
 * kernel still computes in floats — later passes move the scales out and the integers in.
 *
 * <p>Options: {@code q=tensor|token} (one scale, or one per query row — free, since a row keeps one
 * scale), {@code k=tensor|block} (one scale, or one per run of BLOCK_N keys, the load's key count),
 * {@code v=tensor|channel} (one scale, or one per output channel — free, it scales only its column),
 * {@code smooth} (subtract K's mean over tokens per batch and head before quantizing: each query row's
 * scores shift by one constant, which the softmax ignores).
 */
public record QuantizeInputs(boolean qPerToken, boolean kPerBlock, boolean vPerChannel, boolean smoothK) implements Pass {

    @Override
    public String name() {
        return "quantize-inputs{q=" + (qPerToken ? "token" : "tensor") + ",k=" + (kPerBlock ? "block" : "tensor")
                + ",v=" + (vPerChannel ? "channel" : "tensor") + (smoothK ? ",smooth" : "") + "}";
    }

    enum Role { LHS, KEY, VALUE }

    /** How one tensor is quantized: which axes share a scale and the optional block along an axis. */
    record Plan(Role role, List<Integer> shared, int blockAxis, int blockSize) {}

    @Override
    public Kernel run(Kernel k) {
        Uses uses = new Uses(k);
        Map<Value, Role> roles = new LinkedHashMap<>();
        Map<Value, Op.Load> sampleLoad = new LinkedHashMap<>();
        Map<Value, Boolean> disqualified = new IdentityHashMap<>();
        k.forEachOp(op -> {
            if (!(op instanceof Op.Load l)) return;
            Kernel.Param p = param(k, l.tensor());
            if (p == null || p.out() || p.derived() || !l.tensor().type().elem().isFloat()) return;
            Role r = role(l, uses);
            Role before = roles.putIfAbsent(l.tensor(), r);
            sampleLoad.putIfAbsent(l.tensor(), l);
            if (r == null || (before != null && before != r)) disqualified.put(l.tensor(), true);
        });
        roles.keySet().removeIf(t -> roles.get(t) == null || disqualified.containsKey(t));
        if (roles.isEmpty()) return k;

        Namer namer = Namer.of(k);
        List<Op> prologue = new ArrayList<>(k.prologue().ops().subList(0, k.prologue().ops().size() - 1));
        List<Value> yielded = new ArrayList<>(k.prologue().terminator().values());
        List<Kernel.Param> params = new ArrayList<>(k.params());
        Map<Value, Value[]> quantized = new IdentityHashMap<>(); // tensor -> {int8 param, scale param}
        Map<Value, Plan> plans = new IdentityHashMap<>();
        for (var e : roles.entrySet()) {
            Value t = e.getKey();
            Op.Load l = sampleLoad.get(t);
            Plan plan = plan(e.getValue(), l);
            plans.put(t, plan);
            Type.Tensor tt = (Type.Tensor) t.type();
            Value source = t;
            if (plan.role() == Role.KEY && smoothK) {
                List<Dim> meanShape = new ArrayList<>(tt.shape());
                meanShape.remove(tokenAxis(l, 0));
                Value centred = namer.fresh(t.name() + ".centred", tt);
                Value mean = namer.fresh(t.name() + ".mean", new Type.Tensor(meanShape, tt.elem()));
                prologue.add(new Op.Center(centred, mean, t, tokenAxis(l, 0), l.loc()));
                source = centred;
            }
            List<Dim> scaleShape = new ArrayList<>();
            for (int a = 0; a < tt.rank(); a++) if (!plan.shared().contains(a)) scaleShape.add(tt.shape().get(a));
            Type.Tensor i8 = new Type.Tensor(tt.shape(), Elem.I8), sc = new Type.Tensor(scaleShape, Elem.F32);
            Value q = namer.fresh(t.name() + ".q", i8), s = namer.fresh(t.name() + ".s", sc);
            prologue.add(new Op.Quantize(q, s, source, plan.shared(), plan.blockAxis(), plan.blockSize(), l.loc()));
            Value qp = namer.fresh(t.name() + ".i8", i8), sp = namer.fresh(t.name() + ".scale", sc);
            yielded.add(q);
            yielded.add(s);
            params.add(new Kernel.Param(qp, false, false, false, true));
            params.add(new Kernel.Param(sp, false, false, false, true));
            quantized.put(t, new Value[] {qp, sp});
        }
        prologue.add(new Op.Yield(yielded, Pos.UNKNOWN));

        Map<Value, Value> subst = new IdentityHashMap<>();
        Block body = Rewrite.expand(k.body(), op -> {
            if (!(op instanceof Op.Load l) || !quantized.containsKey(l.tensor())) return List.of(op);
            Value[] qs = quantized.get(l.tensor());
            Plan plan = plans.get(l.tensor());
            List<Op> out = new ArrayList<>();
            Tile ft = l.result().tile();
            Value q8 = namer.fresh(l.result().name() + ".i8", ft.withElem(Elem.I8));
            out.add(new Op.Load(q8, qs[0], l.indices(), l.loc()));
            // The scale is read with the data's own indices, minus the axes that share it.
            List<Value> sidx = new ArrayList<>();
            List<Dim> sshape = new ArrayList<>();
            List<Integer> dims = new ArrayList<>();
            int resultAxis = 0;
            for (int a = 0; a < l.indices().size(); a++) {
                Value ix = l.indices().get(a);
                boolean tileAxis = ix == null || ix.tile().rank() == 1;
                if (!plan.shared().contains(a)) {
                    sidx.add(ix);
                    if (tileAxis) {
                        sshape.add(ft.shape().get(resultAxis));
                        dims.add(resultAxis);
                    }
                }
                if (tileAxis) resultAxis++;
            }
            Value s = namer.fresh(l.result().name() + ".scale", new Tile(sshape, Elem.F32));
            out.add(new Op.Load(s, qs[1], sidx, l.loc()));
            Value f = namer.fresh(l.result().name() + ".f", ft);
            out.add(new Op.Convert(f, q8, Op.Rounding.RNE, Op.Overflow.SAT, l.loc()));
            Value sb = s;
            if (!sshape.isEmpty() && !sshape.equals(ft.shape())) {
                sb = namer.fresh(l.result().name() + ".scale.b", ft);
                out.add(new Op.Broadcast(sb, s, dims, l.loc()));
            }
            out.add(new Op.Binary(l.result(), Op.BinKind.MUL, f, sb, l.loc()));
            return out;
        });
        return k.withParams(params).withPrologue(new Block(List.of(), prologue)).withBody(Rewrite.substitute(body, subst));
    }

    private static Kernel.Param param(Kernel k, Value v) {
        for (Kernel.Param p : k.params()) if (p.value() == v) return p;
        return null;
    }

    /** The role every use of this load agrees on, or null. */
    private static Role role(Op.Load l, Uses uses) {
        if (l.result().tile().rank() != 2) return null;
        Role role = null;
        for (Op u : uses.users(l.result())) {
            Role r;
            if (u instanceof Op.Dot d && d.a() == l.result() && d.b() != l.result()) r = Role.LHS;
            else if (u instanceof Op.Dot d && d.b() == l.result() && d.a() != l.result()) r = Role.VALUE;
            else if (u instanceof Op.Transpose t && !uses.users(t.result()).isEmpty()
                    && uses.users(t.result()).stream().allMatch(x -> x instanceof Op.Dot d && d.b() == t.result() && d.a() != t.result())) r = Role.KEY;
            else return null;
            if (role != null && role != r) return null;
            role = r;
        }
        return role;
    }

    /** The tensor axis that becomes result axis {@code resultAxis} of the load. */
    private static int tokenAxis(Op.Load l, int resultAxis) {
        int seen = 0;
        for (int a = 0; a < l.indices().size(); a++) {
            Value ix = l.indices().get(a);
            if (ix == null || ix.tile().rank() == 1) {
                if (seen == resultAxis) return a;
                seen++;
            }
        }
        throw new IllegalStateException("load has no result axis " + resultAxis);
    }

    private Plan plan(Role role, Op.Load l) {
        int rank = l.indices().size();
        List<Integer> all = new ArrayList<>();
        for (int a = 0; a < rank; a++) all.add(a);
        int rows = tokenAxis(l, 0), cols = tokenAxis(l, 1);
        return switch (role) {
            // Q [rows, channels]: a row's channels share a scale.
            case LHS -> qPerToken ? new Plan(role, List.of(cols), -1, 0) : new Plan(role, all, -1, 0);
            // K [keys, channels]: a block of keys' channels share a scale.
            case KEY -> kPerBlock
                    ? new Plan(role, List.of(cols), rows, l.result().tile().shape().getFirst().size())
                    : new Plan(role, all, -1, 0);
            // V [keys, channels]: a channel's keys share a scale.
            case VALUE -> vPerChannel ? new Plan(role, List.of(rows), -1, 0) : new Plan(role, all, -1, 0);
        };
    }
}
