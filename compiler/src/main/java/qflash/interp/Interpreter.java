package qflash.interp;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import qflash.ir.*;

/**
 * Executes lowered tile IR on host arrays: the bit-exact oracle every backend is compared with.
 * Deliberately plain — every op is a loop over elements calling {@link Arith}; nothing is fused or
 * reordered. Program instances are independent (as on a GPU) and run on parallel threads; a kernel
 * whose instances write the same element would be racy here as there.
 */
public final class Interpreter {
    private final Kernel kernel;
    private final Map<String, Integer> symbols;

    /** Bad arguments from the caller: shapes that disagree, missing tensors. */
    public static final class BadArguments extends RuntimeException {
        public BadArguments(String message) {
            super(message, null, false, false);
        }
    }

    private Interpreter(Kernel kernel, Map<String, Integer> symbols) {
        this.kernel = kernel;
        this.symbols = symbols;
    }

    /**
     * Runs {@code k} once over its whole grid. {@code tensors} holds every non-optional tensor by
     * parameter name (outputs are written in place); {@code scalars} may omit scalars that have defaults.
     */
    public static void run(Kernel k, Map<String, Arr> tensors, Map<String, Double> scalars) {
        Verifier.verifyLowered(k);
        Map<String, Integer> symbols = bindShapes(k, tensors);
        Interpreter it = new Interpreter(k, symbols);
        Map<Value, Object> env = it.bindArguments(tensors, scalars);
        int[] ext = it.extents();
        long total = 1;
        for (int e : ext) total *= Math.max(0, e);
        IntStream.range(0, (int) total).parallel().forEach(linear -> {
            List<Arr> ids = new ArrayList<>();
            int rest = linear;
            for (int a = ext.length - 1; a >= 0; a--) {
                ids.addFirst(intScalar(rest % ext[a]));
                rest /= ext[a];
            }
            it.block(k.body(), new IdentityHashMap<>(env), ids);
        });
    }

    /**
     * What a launch of {@code k}'s body receives, by parameter name: the tensors given, every scalar
     * (defaults filled in, as rank-0 arrays) and every derived parameter, computed by running the
     * prologue here. An optional tensor left out is absent from the map. A device backend uploads these.
     */
    public static Map<String, Arr> launchArguments(Kernel k, Map<String, Arr> tensors, Map<String, Double> scalars) {
        Verifier.verifyLowered(k);
        Interpreter it = new Interpreter(k, bindShapes(k, tensors));
        Map<Value, Object> env = it.bindArguments(tensors, scalars);
        Map<String, Arr> out = new java.util.LinkedHashMap<>();
        for (Kernel.Param p : k.params()) {
            if (env.get(p.value()) instanceof Arr a) out.put(p.name(), a);
        }
        return out;
    }

    /** The grid's extents, one per body argument, for the shapes bound to {@code symbols}. */
    public static int[] gridExtents(Kernel k, Map<String, Integer> symbols) {
        return new Interpreter(k, symbols).extents();
    }

    private int[] extents() {
        List<Object> extents = block(kernel.grid(), new IdentityHashMap<>(), List.of());
        int[] ext = new int[extents.size()];
        for (int a = 0; a < ext.length; a++) ext[a] = (int) ((Arr) extents.get(a)).i[0];
        return ext;
    }

    /** Binds tensors and scalars (defaults evaluated), then runs the prologue to bind the derived parameters. */
    private Map<Value, Object> bindArguments(Map<String, Arr> tensors, Map<String, Double> scalars) {
        Kernel k = kernel;
        Map<Value, Object> env = new IdentityHashMap<>();
        List<Object> defaults = block(k.defaults(), new IdentityHashMap<>(), List.of());
        int d = 0;
        for (Kernel.Param p : k.params()) {
            if (p.derived()) continue;
            if (p.isTensor()) {
                Arr a = tensors.get(p.name());
                if (a != null && a.elem != p.value().type().elem()) {
                    throw new BadArguments("tensor " + p.name() + " holds " + a.elem + ", the kernel takes " + p.value().type().elem());
                }
                env.put(p.value(), a == null ? Absent.INSTANCE : a);
            } else {
                Double v = scalars.get(p.name());
                Arr dflt = p.hasDefault() ? (Arr) defaults.get(d++) : null;
                if (v == null && dflt == null) throw new BadArguments("scalar " + p.name() + " has no value and no default");
                env.put(p.value(), v != null ? scalar(p.value().type().elem(), v) : dflt);
            }
        }
        List<Object> derived = block(k.prologue(), env, List.of());
        int dp = 0;
        for (Kernel.Param p : k.params()) {
            if (p.derived()) env.put(p.value(), derived.get(dp++));
        }
        return env;
    }

    /** Marks an optional tensor the caller left out: it reads as zeros. */
    private enum Absent { INSTANCE }

    /** Binds every shape symbol from the tensors given and checks they agree. */
    public static Map<String, Integer> bindShapes(Kernel k, Map<String, Arr> tensors) {
        Map<String, int[]> shapes = new HashMap<>();
        tensors.forEach((name, a) -> shapes.put(name, a.shape));
        return bindShapesOf(k, shapes);
    }

    /** As {@link #bindShapes}, from the shapes alone (of tensors that live elsewhere, on a device say). */
    public static Map<String, Integer> bindShapesOf(Kernel k, Map<String, int[]> shapes) {
        Map<String, Integer> symbols = new HashMap<>();
        Map<String, String> boundBy = new HashMap<>();
        for (Kernel.Param p : k.params()) {
            if (!p.isTensor() || p.derived()) continue;
            int[] shape = shapes.get(p.name());
            if (shape == null) {
                if (p.optional()) continue;
                throw new BadArguments("missing tensor " + p.name());
            }
            List<Dim> dims = p.value().type().shape();
            if (shape.length != dims.size()) {
                throw new BadArguments("tensor " + p.name() + " has rank " + shape.length + ", the kernel takes " + p.value().type());
            }
            for (int i = 0; i < dims.size(); i++) {
                Dim d = dims.get(i);
                if (d.isConst()) {
                    if (d.size() != shape[i]) throw new BadArguments("axis " + i + " of " + p.name() + " is " + shape[i] + ", must be " + d.size());
                    continue;
                }
                Integer old = symbols.putIfAbsent(d.symbol(), shape[i]);
                if (old != null && old != shape[i]) {
                    throw new BadArguments(d.symbol() + " is " + old + " for " + boundBy.get(d.symbol()) + " but " + shape[i] + " for " + p.name());
                }
                boundBy.putIfAbsent(d.symbol(), p.name());
            }
        }
        return symbols;
    }

    /** Every scalar parameter's value: the ones given, the others from their defaults (evaluated for {@code symbols}). */
    public static Map<String, Double> scalarArguments(Kernel k, Map<String, Integer> symbols, Map<String, Double> given) {
        Interpreter it = new Interpreter(k, symbols);
        List<Object> defaults = it.block(k.defaults(), new IdentityHashMap<>(), List.of());
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        int d = 0;
        for (Kernel.Param p : k.params()) {
            if (p.derived() || p.isTensor()) continue;
            Arr dflt = p.hasDefault() ? (Arr) defaults.get(d++) : null;
            Double v = given.get(p.name());
            if (v == null && dflt == null) throw new BadArguments("scalar " + p.name() + " has no value and no default");
            Elem e = p.value().type().elem();
            out.put(p.name(), v == null ? dflt.get(0) : e.isInt ? Math.rint(v) : Arith.round(e, v));
        }
        return out;
    }

    // ---------------------------------------------------------------- execution

    private List<Object> block(Block b, Map<Value, Object> env, List<? extends Object> args) {
        for (int a = 0; a < args.size(); a++) env.put(b.args().get(a), args.get(a));
        for (Op op : b.ops()) {
            if (op instanceof Op.Yield y) {
                List<Object> out = new ArrayList<>();
                for (Value v : y.values()) out.add(env.get(v));
                return out;
            }
            // Whole-tensor work on an absent optional tensor gives an absent tensor (it reads as zeros).
            if (!(op instanceof Op.Load) && op.operands().stream().anyMatch(v -> env.get(v) == Absent.INSTANCE)) {
                for (Value r : op.results()) env.put(r, Absent.INSTANCE);
                continue;
            }
            exec(op, env);
        }
        throw new IllegalStateException("block without yield");
    }

    private static Arr arr(Map<Value, Object> env, Value v) {
        Object o = env.get(v);
        if (o instanceof Arr a) return a;
        throw new IllegalStateException("value " + v + " is not an array here");
    }

    private int[] shape(Type t) {
        List<Dim> dims = t.shape();
        int[] s = new int[dims.size()];
        for (int i = 0; i < s.length; i++) {
            Dim d = dims.get(i);
            s[i] = d.isConst() ? d.size() : symbols.get(d.symbol());
        }
        return s;
    }

    private void exec(Op op, Map<Value, Object> env) {
        switch (op) {
            case Op.Const c -> {
                Arr r = new Arr(c.result().type().elem(), shape(c.result().type()));
                if (r.elem.isInt) java.util.Arrays.fill(r.i, (long) c.value());
                else java.util.Arrays.fill(r.f, Arith.round(r.elem, c.value()));
                env.put(c.result(), r);
            }
            case Op.DimOf d -> env.put(d.result(), intScalar(symbols.get(d.symbol())));
            case Op.Unary u -> {
                Arr a = arr(env, u.a());
                Arr r = new Arr(a.elem, a.shape);
                for (int k = 0; k < r.size(); k++) {
                    if (r.elem.isInt) r.i[k] = Arith.unary(u.kind(), r.elem, a.i[k]);
                    else r.f[k] = Arith.unary(u.kind(), r.elem, a.f[k]);
                }
                env.put(u.result(), r);
            }
            case Op.Binary b -> {
                Arr x = arr(env, b.a()), y = arr(env, b.b());
                Arr r = new Arr(b.result().type().elem(), shape(b.result().type()));
                boolean sx = x.shape.length == 0, sy = y.shape.length == 0;
                for (int k = 0; k < r.size(); k++) {
                    int kx = sx ? 0 : k, ky = sy ? 0 : k;
                    if (r.elem.isInt) r.i[k] = Arith.binary(b.kind(), r.elem, x.i[kx], y.i[ky]);
                    else r.f[k] = Arith.binary(b.kind(), r.elem, x.f[kx], y.f[ky]);
                }
                env.put(b.result(), r);
            }
            case Op.Cmp c -> {
                Arr x = arr(env, c.a()), y = arr(env, c.b());
                Arr r = new Arr(Elem.I1, shape(c.result().type()));
                boolean sx = x.shape.length == 0, sy = y.shape.length == 0;
                for (int k = 0; k < r.size(); k++) {
                    int kx = sx ? 0 : k, ky = sy ? 0 : k;
                    boolean t = x.elem.isInt ? Arith.compare(c.kind(), x.i[kx], y.i[ky]) : Arith.compare(c.kind(), x.f[kx], y.f[ky]);
                    r.i[k] = t ? 1 : 0;
                }
                env.put(c.result(), r);
            }
            case Op.Select s -> {
                Arr c = arr(env, s.cond()), x = arr(env, s.a()), y = arr(env, s.b());
                Arr r = new Arr(s.result().type().elem(), shape(s.result().type()));
                for (int k = 0; k < r.size(); k++) {
                    boolean t = c.i[c.shape.length == 0 ? 0 : k] != 0;
                    Arr from = t ? x : y;
                    int kk = from.shape.length == 0 ? 0 : k;
                    if (r.elem.isInt) r.i[k] = from.i[kk];
                    else r.f[k] = from.f[kk];
                }
                env.put(s.result(), r);
            }
            case Op.Convert c -> env.put(c.result(), convert(arr(env, c.a()), c.result().type().elem(), c.rounding(), c.overflow()));
            case Op.Arange a -> {
                Arr r = new Arr(Elem.I32, shape(a.result().type()));
                for (int k = 0; k < r.size(); k++) r.i[k] = k;
                env.put(a.result(), r);
            }
            case Op.Broadcast b -> env.put(b.result(), broadcast(arr(env, b.a()), b.dims(), shape(b.result().type())));
            case Op.Transpose t -> {
                Arr a = arr(env, t.a());
                int m = a.shape[0], n = a.shape[1];
                Arr r = new Arr(a.elem, n, m);
                for (int p = 0; p < m; p++) {
                    for (int q = 0; q < n; q++) {
                        if (a.elem.isInt) r.i[q * m + p] = a.i[p * n + q];
                        else r.f[q * m + p] = a.f[p * n + q];
                    }
                }
                env.put(t.result(), r);
            }
            case Op.Dot d -> env.put(d.result(), dot(arr(env, d.a()), arr(env, d.b()), d.result().type().elem()));
            case Op.Reduce rd -> env.put(rd.result(), reduce(arr(env, rd.a()), rd.kind(), rd.axis(), rd.result().type().elem()));
            case Op.Load l -> env.put(l.result(), load(env.get(l.tensor()), l.tensor(), indices(env, l.indices()), shape(l.result().type())));
            case Op.Store s -> store(arr(env, s.tensor()), indices(env, s.indices()), arr(env, s.value()));
            case Op.For f -> {
                long lo = arr(env, f.lo()).i[0], hi = arr(env, f.hi()).i[0];
                List<Object> carried = new ArrayList<>();
                for (Value v : f.inits()) carried.add(arr(env, v));
                for (long iv = lo; iv < hi; iv++) {
                    List<Object> args = new ArrayList<>();
                    args.add(intScalar(iv));
                    args.addAll(carried);
                    carried = block(f.body(), env, args);
                }
                for (int k = 0; k < carried.size(); k++) env.put(f.results().get(k), carried.get(k));
            }
            case Op.Quantize q -> {
                Arr[] qs = quantize(arr(env, q.x()), q.shared(), q.blockAxis(), q.blockSize(), q.q().type().elem());
                env.put(q.q(), qs[0]);
                env.put(q.scale(), qs[1]);
            }
            case Op.Center c -> {
                Arr[] cm = center(arr(env, c.x()), c.axis());
                env.put(c.centred(), cm[0]);
                env.put(c.mean(), cm[1]);
            }
            case Op.Yield y -> throw new IllegalStateException("yield is handled by its block");
        }
    }

    /** Group index of each element: its coordinates with the shared axes dropped and the block axis divided. */
    private static int[] groups(int[] shape, List<Integer> shared, int blockAxis, int blockSize) {
        int n = Arr.size(shape);
        int[] group = new int[n];
        int[] idx = new int[shape.length];
        for (int k = 0; k < n; k++) {
            int g = 0;
            for (int d = 0; d < shape.length; d++) {
                if (shared.contains(d)) continue;
                int coord = d == blockAxis && blockSize > 0 ? idx[d] / blockSize : idx[d];
                g = g * shape[d] + coord;
            }
            group[k] = g;
            next(idx, shape);
        }
        return group;
    }

    static Arr[] quantize(Arr x, List<Integer> shared, int blockAxis, int blockSize, Elem qElem) {
        List<Integer> kept = new ArrayList<>();
        for (int d = 0; d < x.shape.length; d++) if (!shared.contains(d)) kept.add(d);
        int[] scaleShape = kept.stream().mapToInt(d -> x.shape[d]).toArray();
        int[] group = groups(x.shape, shared, blockAxis, blockSize);
        // Group g's scale is kept at index g; with a block axis, g counts blocks and is spread below.
        float[] amax = new float[Arr.size(scaleShape)];
        for (int k = 0; k < x.size(); k++) amax[group[k]] = Math.max(amax[group[k]], Math.abs((float) x.f[k]));
        float qmax = (float) qElem.max();
        float[] scale = new float[amax.length];
        for (int g = 0; g < amax.length; g++) scale[g] = amax[g] == 0 ? 1f : amax[g] / qmax;
        Arr q = new Arr(qElem, x.shape);
        for (int k = 0; k < x.size(); k++) {
            q.i[k] = Arith.toInt(qElem, (float) x.f[k] / scale[group[k]], Op.Rounding.RNE, Op.Overflow.SAT);
        }
        Arr s = new Arr(Elem.F32, scaleShape);
        int[] idx = new int[scaleShape.length];
        for (int k = 0; k < s.size(); k++) {
            int g = 0;
            for (int d = 0; d < scaleShape.length; d++) {
                int axis = kept.get(d);
                g = g * scaleShape[d] + (axis == blockAxis && blockSize > 0 ? idx[d] / blockSize : idx[d]);
            }
            s.f[k] = scale[g];
            next(idx, scaleShape);
        }
        return new Arr[] {q, s};
    }

    /**
     * A row-major shape seen around one axis: element (o, k, i) sits at {@code (o * len + k) * inner + i};
     * {@code rest} is the shape without the axis.
     */
    private record AroundAxis(int outer, int len, int inner, int[] rest) {
        static AroundAxis of(int[] shape, int axis) {
            int outer = 1, inner = 1;
            int[] rest = new int[shape.length - 1];
            for (int d = 0, j = 0; d < shape.length; d++) {
                if (d < axis) outer *= shape[d];
                if (d > axis) inner *= shape[d];
                if (d != axis) rest[j++] = shape[d];
            }
            return new AroundAxis(outer, shape[axis], inner, rest);
        }
    }

    static Arr[] center(Arr x, int axis) {
        AroundAxis g = AroundAxis.of(x.shape, axis);
        int outer = g.outer(), inner = g.inner(), len = g.len();
        Arr mean = new Arr(x.elem, g.rest());
        Arr c = new Arr(x.elem, x.shape);
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                float sum = 0;
                for (int k = 0; k < len; k++) sum += (float) x.f[(o * len + k) * inner + in];
                double m = Arith.round(x.elem, sum / len);
                mean.f[o * inner + in] = m;
                for (int k = 0; k < len; k++) {
                    int at = (o * len + k) * inner + in;
                    c.f[at] = Arith.round(x.elem, x.f[at] - m);
                }
            }
        }
        return new Arr[] {c, mean};
    }

    /** Steps a row-major multi-index to the next position (wrapping to all zeros after the last). */
    static void next(int[] idx, int[] shape) {
        for (int d = shape.length - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) return;
            idx[d] = 0;
        }
    }

    private static Arr intScalar(long v) {
        Arr a = new Arr(Elem.I32);
        a.i[0] = v;
        return a;
    }

    private static Arr scalar(Elem e, double v) {
        Arr a = new Arr(e);
        if (e.isInt) a.i[0] = Arith.toInt(e, v, Op.Rounding.RNE, Op.Overflow.SAT);
        else a.f[0] = Arith.round(e, v);
        return a;
    }

    /** Converts the single element of {@code a}: what {@code convert} does to each element. */
    public static double convertOne(Arr a, Elem to, Op.Rounding rounding, Op.Overflow overflow) {
        return convert(a, to, rounding, overflow).get(0);
    }

    static Arr convert(Arr a, Elem to, Op.Rounding rounding, Op.Overflow overflow) {
        Arr r = new Arr(to, a.shape);
        for (int k = 0; k < r.size(); k++) {
            if (to.isInt) {
                r.i[k] = a.elem.isInt ? Arith.intToInt(to, a.i[k], overflow) : Arith.toInt(to, a.f[k], rounding, overflow);
            } else {
                r.f[k] = Arith.round(to, a.elem.isInt ? (double) a.i[k] : a.f[k]);
            }
        }
        return r;
    }

    private static Arr broadcast(Arr a, List<Integer> dims, int[] shape) {
        Arr r = new Arr(a.elem, shape);
        int rank = shape.length;
        int[] strides = new int[rank];
        // Stride of each result axis in the operand: 0 where the operand repeats (new or stretched axis).
        int stride = 1;
        for (int i = a.shape.length - 1; i >= 0; i--) {
            int d = dims.get(i);
            strides[d] = a.shape[i] == 1 && shape[d] != 1 ? 0 : stride;
            stride *= a.shape[i];
        }
        int[] idx = new int[rank];
        for (int k = 0; k < r.size(); k++) {
            int src = 0;
            for (int d = 0; d < rank; d++) src += idx[d] * strides[d];
            if (a.elem.isInt) r.i[k] = a.i[src];
            else r.f[k] = a.f[src];
            next(idx, shape);
        }
        return r;
    }

    private static Arr dot(Arr a, Arr b, Elem e) {
        int m = a.shape[0], kk = a.shape[1], n = b.shape[1];
        Arr r = new Arr(e, m, n);
        for (int p = 0; p < m; p++) {
            for (int q = 0; q < n; q++) {
                if (e.isInt) {
                    long acc = 0;
                    for (int k = 0; k < kk; k++) acc = Arith.wrap(e, acc + a.i[p * kk + k] * b.i[k * n + q]);
                    r.i[p * n + q] = acc;
                } else {
                    double acc = 0;
                    for (int k = 0; k < kk; k++) {
                        double prod = Arith.round(e, Arith.round(e, a.get(p * kk + k)) * Arith.round(e, b.get(k * n + q)));
                        acc = Arith.round(e, acc + prod);
                    }
                    r.f[p * n + q] = acc;
                }
            }
        }
        return r;
    }

    private static Arr reduce(Arr a, Op.RedKind kind, int axis, Elem e) {
        AroundAxis g = AroundAxis.of(a.shape, axis);
        int outer = g.outer(), inner = g.inner(), len = g.len();
        Arr r = new Arr(e, g.rest());
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int base = o * len * inner + in;
                if (e.isInt) {
                    long acc = kind == Op.RedKind.MAX ? Long.MIN_VALUE : 0;
                    for (int k = 0; k < len; k++) {
                        long v = a.i[base + k * inner];
                        acc = kind == Op.RedKind.MAX ? Math.max(acc, v) : Arith.wrap(e, acc + v);
                    }
                    r.i[o * inner + in] = acc;
                } else {
                    double acc = kind == Op.RedKind.MAX ? Double.NEGATIVE_INFINITY : 0;
                    for (int k = 0; k < len; k++) {
                        double v = a.f[base + k * inner];
                        acc = kind == Op.RedKind.MAX ? Math.max(acc, v) : Arith.round(e, acc + v);
                    }
                    r.f[o * inner + in] = acc;
                }
            }
        }
        return r;
    }

    private static List<Arr> indices(Map<Value, Object> env, List<Value> idx) {
        List<Arr> out = new ArrayList<>();
        for (Value v : idx) out.add(v == null ? null : arr(env, v));
        return out;
    }

    /**
     * Walks every position of an access: result axes come from rank-1 indices and ':' in tensor-axis
     * order. Calls {@code visit(resultIndex, tensorOffset)} with offset -1 for out-of-bounds positions.
     */
    private static void access(int[] tshape, List<Arr> idx, int[] rshape, java.util.function.BiConsumer<Integer, Long> visit) {
        int rank = tshape.length;
        int n = Arr.size(rshape);
        int[] ridx = new int[rshape.length];
        for (int k = 0; k < n; k++) {
            long off = 0;
            boolean in = true;
            int ra = 0;
            for (int d = 0; d < rank; d++) {
                Arr ix = idx.get(d);
                long pos;
                if (ix == null) pos = ridx[ra++];
                else if (ix.shape.length == 0) pos = ix.i[0];
                else pos = ix.i[ridx[ra++]];
                if (pos < 0 || pos >= tshape[d]) in = false;
                off = off * tshape[d] + pos;
            }
            visit.accept(k, in ? off : -1L);
            next(ridx, rshape);
        }
    }

    private static Arr load(Object tensor, Value param, List<Arr> idx, int[] rshape) {
        Arr r = new Arr(param.type().elem(), rshape);
        if (!(tensor instanceof Arr t)) return r; // absent optional tensor: zeros
        access(t.shape, idx, rshape, (k, off) -> {
            if (off < 0) return;
            if (r.elem.isInt) r.i[k] = t.i[(int) (long) off];
            else r.f[k] = t.f[(int) (long) off];
        });
        return r;
    }

    private static void store(Arr t, List<Arr> idx, Arr v) {
        access(t.shape, idx, v.shape, (k, off) -> {
            if (off < 0) return;
            if (t.elem.isInt) t.i[(int) (long) off] = v.i[k];
            else t.f[(int) (long) off] = v.f[k];
        });
    }
}
