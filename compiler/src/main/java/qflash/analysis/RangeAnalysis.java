package qflash.analysis;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import qflash.ir.*;

/**
 * Interval analysis of every integer value of a lowered integer kernel, under stated assumptions.
 *
 * <p><b>Assumptions.</b> Shape symbols N ≤ {@code maxN}, D ≤ {@code maxD}, any other ≤ 65535; an
 * additive bias within ±{@code biasAbs}; the softmax scale 1/8. All launch-time constants of a call
 * derive from one float per row, sm (log2-units per integer score unit), and the integers they become
 * are tied to each other (rs ≈ 1/sm, expM ≈ −sm·2^k, ...): plain intervals over independent constants
 * would lose those ties and prove nothing. So the analysis <b>sweeps sm</b> from {@code smMin} to
 * {@code smMax} in steps of 2^(1/{@code perOctave}); at each sample the prologue is evaluated (floats as
 * intervals) to give every constant as it would be computed, and the body is analysed with them. Results
 * are the union over samples. A sweep of points is evidence between them; with {@code cover} the samples
 * are intervals that together contain every sm, the prologue is evaluated on intervals, and a constant
 * rounded to one of a few integers is split into its values (so rs and what derives from it stay one
 * number per run): then the result holds for every sm in the range.
 *
 * <p><b>Precision.</b> Loops run their maximum trip count (at most 4096 steps, then the analysis gives up
 * on that loop), unioning loop-carried ranges; per-block K scales vary in [0, k_ref] while k_ref and every
 * per-row scale is the sample's. The integer exp ({@code q = (x*expM) >> k; r = x + q*rs; ...}) is
 * analysed by cases on q, so that r's range is exact for each q — the correlation the hazard of
 * ALGORITHM.md §3 lives in.
 *
 * <p><b>Findings.</b> An arithmetic op whose exact result can leave its type is an {@code overflow}; a
 * narrowing {@code convert} whose input can leave the target type {@code wraps} (with overflow = wrap) or
 * {@code saturates} (overflow = sat). Findings are independent: after one, the analysis goes on as if
 * the op had produced its exact result (a cast, its saturated one), so each finding shows its own cause
 * rather than the echo of an earlier one.
 */
public final class RangeAnalysis {
    /**
     * With {@code cover}, the sweep's samples are the intervals between consecutive points, not the points:
     * every sm in [smMin, smMax] lies in one, and the prologue's constants are evaluated as intervals
     * (outward-rounded), so what holds for every sample holds for every sm — a proof, at the price of
     * many more samples.
     */
    public record Assumptions(long maxN, long maxD, double biasAbs, double smMin, double smMax, int perOctave, boolean cover) {
        public Assumptions(long maxN, long maxD, double biasAbs, double smMin, double smMax, int perOctave) {
            this(maxN, maxD, biasAbs, smMin, smMax, perOctave, false);
        }

        /** The proof setting: intervals of sm 2^(1/256) wide, small enough for the exp's ties to survive. */
        public static final Assumptions PROOF = new Assumptions(16384, 256, 128, Math.pow(2, -16), 1, 256, true);

        /**
         * sm from 2^-16 (below 2^-17 QFlash's 16-bit exp multiplier rounds to 0 and its exp is meaningless)
         * to 1 (a score unit worth a whole halving: no resolution left).
         */
        public static final Assumptions DEFAULT = new Assumptions(16384, 256, 128, Math.pow(2, -16), 1, 8);
    }

    public enum Kind { OVERFLOW, WRAPS, SATURATES }

    /** A finding: where it first showed in the sweep (sm, and the range there), and its range over the whole sweep. */
    public record Finding(Op op, Kind kind, Interval range, Elem type, double sm, Interval firstRange) {
        public String message() {
            String what = switch (kind) {
                case OVERFLOW -> "can overflow " + type + ": exact result in ";
                case WRAPS -> "can wrap: " + type + " gets values in ";
                case SATURATES -> "saturates: " + type + " gets values in ";
            };
            return "'" + IrPrinter.brief(op) + "' " + what + firstRange + " at sm = " + String.format(java.util.Locale.ROOT, "%.3g", sm)
                    + (firstRange.equals(range) ? "" : " (" + range + " over the sweep)");
        }
    }

    public record Report(Map<Op, Interval> ranges, List<Finding> findings, Assumptions assumptions, int samples) {
        public boolean safe() {
            return findings.stream().noneMatch(f -> f.kind() != Kind.SATURATES);
        }
    }

    private final Kernel k;
    private final Assumptions a;
    private final Map<Op, Interval> ranges = new IdentityHashMap<>();
    private final Map<String, Finding> findings = new LinkedHashMap<>();
    private final Uses uses;
    // Per sample:
    private double sm;
    private final Map<Value, Interval> iv = new IdentityHashMap<>();
    private final Map<Value, double[]> fv = new IdentityHashMap<>();
    private Set<Value> blockScales;

    private RangeAnalysis(Kernel k, Assumptions a) {
        this.k = k;
        this.a = a;
        this.uses = new Uses(k);
    }

    public static Report analyze(Kernel k, Assumptions a) {
        List<double[]> samples = new ArrayList<>();
        double step = Math.pow(2, 1.0 / a.perOctave());
        for (double s = a.smMin(); s <= a.smMax() * (1 + 1e-9); s *= step) {
            samples.add(a.cover() ? new double[] {s, Math.min(s * step, a.smMax())} : new double[] {s, s});
            if (a.cover() && s * step >= a.smMax()) break;
        }
        // Samples are independent: each worker analyses a share with its own state; the results merge.
        int workers = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), samples.size() / 64));
        List<RangeAnalysis> parts = java.util.stream.IntStream.range(0, workers).parallel().mapToObj(w -> {
            RangeAnalysis r = new RangeAnalysis(k, a);
            for (int i = w; i < samples.size(); i += workers) r.sample(samples.get(i)[0], samples.get(i)[1]);
            return r;
        }).toList();
        Map<Op, Interval> ranges = new IdentityHashMap<>();
        Map<String, Finding> findings = new LinkedHashMap<>();
        for (RangeAnalysis r : parts) {
            r.ranges.forEach((op, iv) -> ranges.merge(op, iv, Interval::union));
            r.findings.forEach((key, f) -> findings.merge(key, f, (x, y) -> {
                Finding first = x.sm() <= y.sm() ? x : y;
                return new Finding(first.op(), first.kind(), x.range().union(y.range()), first.type(), first.sm(), first.firstRange());
            }));
        }
        List<Finding> ordered = new ArrayList<>(findings.values());
        ordered.sort(java.util.Comparator.comparingDouble(Finding::sm));
        return new Report(ranges, ordered, a, samples.size());
    }

    // ---------------------------------------------------------------- one sample

    private double sLo, sHi;

    /** One sample: sm in [smLo, smHi] (a point when equal). */
    private void sample(double smLo, double smHi) {
        sm = smLo;
        iv.clear();
        fv.clear();
        splits.clear();
        blockScales = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        double scale = 0.125;
        sLo = Math.sqrt(smLo / (scale * 1.4426950408889634));
        sHi = Math.sqrt(smHi / (scale * 1.4426950408889634));
        if (sHi != sLo) {
            // Outward by an ulp-scale margin, so the product of two scales covers [smLo, smHi] after rounding.
            sLo = Math.nextDown(sLo) * (1 - 1e-6);
            sHi = Math.nextUp(sHi) * (1 + 1e-6);
        }
        for (Kernel.Param p : k.params()) {
            if (p.derived()) continue;
            Type t = p.value().type();
            if (t.elem().isInt) iv.put(p.value(), Interval.type(t.elem()));
            else if (p.value().type() instanceof Type.Tensor) fv.put(p.value(), p.name().equals("bias") ? new double[] {-a.biasAbs(), a.biasAbs()} : new double[] {-1e4, 1e4});
            else fv.put(p.value(), new double[] {scale, scale});
        }
        prologueFrom(0);
    }

    /**
     * Runs the prologue from op {@code from}, then grid and body. A launch constant the prologue rounds to
     * one of a few integers (rs, expM, ... when a sample straddles a rounding boundary) is split into its
     * values, one run each: the body then sees each constant as one number, as every real call does, and
     * the ties between constants derived from it (expM, reqM, M all from rs) survive.
     */
    private void prologueFrom(int from) {
        List<Op> ops = k.prologue().ops();
        for (int i = from; i < ops.size(); i++) {
            Op op = ops.get(i);
            if (op instanceof Op.Yield) break;
            exec(op);
            if (op instanceof Op.Convert c && !c.a().type().elem().isInt && c.result().type().elem().isInt) {
                Interval r = iv.get(c.result());
                long width = r.hi().subtract(r.lo()).longValue();
                if (width > 0 && width <= 8 && c.result().type().rank() == 0 | c.result().type() instanceof Type.Tensor) {
                    Map<Value, Interval> savedIv = new IdentityHashMap<>(iv);
                    Map<Value, double[]> savedFv = new IdentityHashMap<>(fv);
                    Set<Value> savedBlocks = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
                    savedBlocks.addAll(blockScales);
                    for (long v = r.lo().longValue(); v <= r.hi().longValue(); v++) {
                        iv.clear();
                        iv.putAll(savedIv);
                        fv.clear();
                        fv.putAll(savedFv);
                        blockScales.clear();
                        blockScales.addAll(savedBlocks);
                        splits.clear();
                        iv.put(c.result(), Interval.point(v));
                        prologueFrom(i + 1);
                    }
                    return;
                }
            }
        }
        for (var def : k.derivedDefinitions().entrySet()) {
            Kernel.Param p = k.param(def.getKey().name());
            Value y = def.getValue();
            if (iv.containsKey(y)) iv.put(p.value(), iv.get(y));
            if (fv.containsKey(y)) fv.put(p.value(), fv.get(y));
            if (blockScales.contains(y)) blockScales.add(p.value());
        }
        block(k.grid());
        List<Value> ext = k.grid().terminator().values();
        for (int i = 0; i < ext.size(); i++) {
            Interval e = iv.get(ext.get(i));
            iv.put(k.body().args().get(i), new Interval(BigInteger.ZERO, e.hi().subtract(BigInteger.ONE).max(BigInteger.ZERO)));
        }
        block(k.body());
    }

    private void block(Block b) {
        List<Op> ops = b.ops();
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            if (op instanceof Op.Yield) return;
            int split = halvingSplit(ops, i);
            if (split > i) {
                i = split;
                continue;
            }
            exec(op);
        }
    }

    private Interval dim(String symbol) {
        long max = symbol.equals("N") ? a.maxN() : symbol.equals("D") ? a.maxD() : 65535;
        return Interval.of(1, max);
    }

    private long maxLen(Dim d) {
        return d.isConst() ? d.size() : dim(d.symbol()).hi().longValue();
    }

    private void exec(Op op) {
        switch (op) {
            case Op.Const c -> {
                if (c.result().type().elem().isInt) iv.put(c.result(), Interval.point((long) c.value()));
                else fv.put(c.result(), new double[] {c.value(), c.value()});
            }
            case Op.DimOf d -> iv.put(d.result(), dim(d.symbol()));
            case Op.Arange ar -> iv.put(ar.result(), Interval.of(0, ar.result().tile().shape().getFirst().size() - 1));
            case Op.Broadcast b -> copy(b.a(), b.result());
            case Op.Transpose t -> copy(t.a(), t.result());
            case Op.Load l -> {
                Value t = l.tensor();
                if (blockScales.contains(t)) {
                    double[] f = fv.get(t);
                    fv.put(l.result(), new double[] {0, f[1]});
                } else {
                    copy(t, l.result());
                }
                if (!iv.containsKey(l.result()) && l.result().type().elem().isInt) iv.put(l.result(), Interval.type(l.result().type().elem()));
            }
            case Op.Store st -> { }
            case Op.Quantize q -> {
                iv.put(q.q(), Interval.type(q.q().type().elem()));
                fv.put(q.scale(), new double[] {sLo, sHi});
                if (q.blockSize() > 0) blockScales.add(q.scale());
            }
            case Op.Center c -> {
                fv.put(c.centred(), new double[] {-2e4, 2e4});
                fv.put(c.mean(), new double[] {-1e4, 1e4});
            }
            case Op.Cmp c -> iv.put(c.result(), Interval.of(0, 1));
            case Op.Select sel -> {
                if (sel.result().type().elem().isInt) iv.put(sel.result(), iv.get(sel.a()).union(iv.get(sel.b())));
                else fv.put(sel.result(), hull(fv.get(sel.a()), fv.get(sel.b())));
            }
            case Op.Unary u -> {
                if (u.result().type().elem().isInt) {
                    Interval x = iv.get(u.a());
                    Interval r = switch (u.kind()) {
                        case NEG -> x.neg();
                        case ABS -> x.neg().max(x).max(Interval.point(0));
                        case NOT -> u.result().type().elem() == Elem.I1 ? Interval.of(0, 1) : x.neg().sub(Interval.point(1));
                        default -> Interval.type(u.result().type().elem());
                    };
                    arith(op, r);
                } else {
                    double[] x = fv.get(u.a());
                    fv.put(u.result(), x[0] == x[1] ? pointUnary(u.kind(), u.result().type().elem(), x[0]) : floatUnary(u.kind(), x));
                }
            }
            case Op.Binary b -> binary(b);
            case Op.Convert c -> convert(c);
            case Op.Reduce r -> {
                if (!r.result().type().elem().isInt) {
                    double[] f = fv.get(r.a());
                    long len = maxLen(r.a().type().shape().get(r.axis()));
                    // The maximum of per-block scales is the sample's k_ref (they vary below it, see the class comment).
                    double[] max = blockScales.contains(r.a()) ? new double[] {sLo, sHi} : f;
                    fv.put(r.result(), r.kind() == Op.RedKind.MAX ? max : new double[] {Math.min(0, f[0]) * len, Math.max(0, f[1]) * len});
                    return;
                }
                Interval x = iv.get(r.a());
                long len = maxLen(r.a().type().shape().get(r.axis()));
                arith(op, r.kind() == Op.RedKind.MAX ? x : x.times(len));
            }
            case Op.Dot d -> {
                if (!d.result().type().elem().isInt) return;
                long inner = maxLen(d.a().type().shape().get(1));
                arith(op, iv.get(d.a()).mul(iv.get(d.b())).times(inner));
            }
            case Op.For f -> loop(f);
            case Op.Yield y -> { }
        }
    }

    private void copy(Value from, Value to) {
        if (iv.containsKey(from)) iv.put(to, iv.get(from));
        if (fv.containsKey(from)) fv.put(to, fv.get(from));
    }

    private static double[] hull(double[] x, double[] y) {
        if (x == null) return y;
        if (y == null) return x;
        return new double[] {Math.min(x[0], y[0]), Math.max(x[1], y[1])};
    }

    private void binary(Op.Binary b) {
        Elem e = b.result().type().elem();
        if (!e.isInt) {
            double[] x = fv.get(b.a()), y = fv.get(b.b());
            if (x == null || y == null) return;
            if (x[0] == x[1] && y[0] == y[1] && e != Elem.REAL) {
                // Points stay points, rounded exactly as the kernel rounds: the constants of a sample are exact.
                double v = qflash.interp.Arith.binary(b.kind(), e, x[0], y[0]);
                fv.put(b.result(), new double[] {v, v});
                return;
            }
            double[] c = switch (b.kind()) {
                case ADD -> new double[] {x[0] + y[0], x[1] + y[1]};
                case SUB -> new double[] {x[0] - y[1], x[1] - y[0]};
                case MUL -> corners(x[0] * y[0], x[0] * y[1], x[1] * y[0], x[1] * y[1]);
                case DIV -> y[0] > 0 || y[1] < 0 ? corners(x[0] / y[0], x[0] / y[1], x[1] / y[0], x[1] / y[1])
                        : new double[] {Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY};
                case MIN -> new double[] {Math.min(x[0], y[0]), Math.min(x[1], y[1])};
                case MAX -> new double[] {Math.max(x[0], y[0]), Math.max(x[1], y[1])};
                default -> new double[] {Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY};
            };
            // Float results are rounded to the type; a relative 2^-23 margin covers f32 rounding.
            double m = e == Elem.F64 ? 1e-15 : 2e-7;
            fv.put(b.result(), new double[] {c[0] - Math.abs(c[0]) * m, c[1] + Math.abs(c[1]) * m});
            return;
        }
        Interval x = iv.get(b.a()), y = iv.get(b.b());
        Interval r = switch (b.kind()) {
            case ADD -> x.add(y);
            case SUB -> isRunningMaxOf(b.b(), b.a()) ? nonPositive(x.sub(y)) : x.sub(y);
            case MUL -> x.mul(y);
            case SHR -> x.shr(y);
            case SHL -> x.shl(y);
            case MIN -> x.min(y);
            case MAX -> x.max(y);
            case AND -> e == Elem.I1 ? Interval.of(0, 1) : maskOf(x, y, e);
            case OR, XOR -> e == Elem.I1 ? Interval.of(0, 1) : Interval.type(e);
            case DIV, FLOORDIV -> y.lo().signum() > 0
                    ? new Interval(x.lo().min(BigInteger.ZERO).divide(y.lo()).subtract(BigInteger.ONE), x.hi().max(BigInteger.ZERO).divide(y.lo()))
                    : x.neg().union(x);
            case REM -> Interval.of(-Math.max(Math.abs(y.lo().longValue()), Math.abs(y.hi().longValue())),
                    Math.max(Math.abs(y.lo().longValue()), Math.abs(y.hi().longValue())));
        };
        arith(b, r);
    }

    /**
     * {@code a & b}: where one side is a low-bit mask 2^k - 1 and the other lies in [0, 2^k), that other side
     * (shift-exp's masked halvings, which its case split on q keeps exact); else, with an operand that is never
     * negative, at least 0 and at most that operand.
     */
    private static Interval maskOf(Interval a, Interval b, Elem e) {
        for (Interval[] p : new Interval[][] {{a, b}, {b, a}}) {
            Interval m = p[0], x = p[1];
            boolean lowBits = m.isPoint() && m.lo().signum() > 0 && m.lo().add(BigInteger.ONE).bitCount() == 1;
            if (lowBits && x.lo().signum() >= 0 && x.hi().compareTo(m.lo()) <= 0) return x;
        }
        BigInteger hi = null;
        for (Interval v : List.of(a, b)) if (v.lo().signum() >= 0) hi = hi == null ? v.hi() : hi.min(v.hi());
        return hi == null ? Interval.type(e) : new Interval(BigInteger.ZERO, hi);
    }

    /**
     * True when {@code m} is (a row broadcast of) {@code max(old, rowmax(a))} or {@code max(a, ...)}: then
     * {@code a - m ≤ 0} — the one relation between two values the online softmax rests on.
     */
    private boolean isRunningMaxOf(Value m, Value a) {
        Op.Broadcast bc = uses.defAs(m, Op.Broadcast.class);
        if (bc != null) m = bc.a();
        Op.Binary mx = uses.defAs(m, Op.Binary.class);
        if (mx == null || mx.kind() != Op.BinKind.MAX) return false;
        for (Value side : List.of(mx.a(), mx.b())) {
            if (side == a) return true;
            Op.Reduce r = uses.defAs(side, Op.Reduce.class);
            if (r != null && r.kind() == Op.RedKind.MAX && r.a() == a) return true;
        }
        return false;
    }

    private static Interval nonPositive(Interval x) {
        return new Interval(x.lo().min(BigInteger.ZERO), x.hi().min(BigInteger.ZERO));
    }

    private static double[] corners(double... c) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double v : c) {
            if (Double.isNaN(v)) return new double[] {Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY};
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return new double[] {lo, hi};
    }

    private static double[] pointUnary(Op.UnKind k, Elem e, double x) {
        double v = qflash.interp.Arith.unary(k, e, x);
        return new double[] {v, v};
    }

    private static double[] floatUnary(Op.UnKind k, double[] x) {
        return switch (k) {
            case NEG -> new double[] {-x[1], -x[0]};
            case ABS -> new double[] {x[0] > 0 ? x[0] : x[1] < 0 ? -x[1] : 0, Math.max(Math.abs(x[0]), Math.abs(x[1]))};
            case EXP2 -> new double[] {Math.pow(2, x[0]), Math.pow(2, x[1])};
            case EXP -> new double[] {Math.exp(x[0]), Math.exp(x[1])};
            case SQRT -> new double[] {Math.sqrt(Math.max(0, x[0])), Math.sqrt(Math.max(0, x[1]))};
            case RSQRT -> new double[] {1 / Math.sqrt(x[1]), 1 / Math.sqrt(x[0])};
            case NOT -> x;
        };
    }

    /** Records an integer op's exact range, reports an overflow, and continues with what the type can hold. */
    private void arith(Op op, Interval exact) {
        Elem e = op.result().type().elem();
        Interval type = Interval.type(e);
        ranges.merge(op, exact, Interval::union);
        if (!exact.within(type)) report(op, Kind.OVERFLOW, exact, e);
        iv.put(op.result(), exact);
    }

    private void convert(Op.Convert c) {
        Elem to = c.result().type().elem();
        if (!to.isInt) {
            Interval x = iv.get(c.a());
            fv.put(c.result(), x != null ? new double[] {x.lo().doubleValue(), x.hi().doubleValue()} : fv.get(c.a()));
            return;
        }
        Interval src;
        if (c.a().type().elem().isInt) {
            src = iv.get(c.a());
        } else {
            double[] f = fv.get(c.a());
            // Rounding is monotone: the rounded ends bound the rounded values exactly.
            java.util.function.DoubleUnaryOperator round = switch (c.rounding()) {
                case RNE -> Math::rint;
                case FLOOR -> Math::floor;
                case TRUNC -> v -> v < 0 ? Math.ceil(v) : Math.floor(v);
            };
            double lo = round.applyAsDouble(f[0]), hi = round.applyAsDouble(f[1]);
            if (Double.isNaN(lo) || Double.isNaN(hi)) {
                lo = Double.NEGATIVE_INFINITY;
                hi = Double.POSITIVE_INFINITY;
            }
            src = new Interval(big(lo), big(hi));
        }
        Interval type = Interval.type(to);
        ranges.merge(c, src, Interval::union);
        if (src.within(type)) {
            iv.put(c.result(), src);
            return;
        }
        boolean wraps = c.overflow() == Op.Overflow.WRAP;
        // A float far beyond every integer is a constant the sweep drove to an extreme; report it as saturating.
        report(c, wraps ? Kind.WRAPS : Kind.SATURATES, src, to);
        iv.put(c.result(), new Interval(src.lo().max(type.lo()).min(type.hi()), src.hi().min(type.hi()).max(type.lo())));
    }

    private static BigInteger big(double v) {
        if (v == Double.NEGATIVE_INFINITY) return BigInteger.ONE.shiftLeft(200).negate();
        if (v == Double.POSITIVE_INFINITY) return BigInteger.ONE.shiftLeft(200);
        return new java.math.BigDecimal(v).toBigInteger();
    }

    private void report(Op op, Kind kind, Interval range, Elem type) {
        String key = System.identityHashCode(op) + ":" + kind;
        Finding old = findings.get(key);
        findings.put(key, old == null ? new Finding(op, kind, range, type, sm, range)
                : new Finding(op, kind, old.range().union(range), type, old.sm(), old.firstRange()));
    }

    // ---------------------------------------------------------------- loops

    private void loop(Op.For f) {
        Interval lo = iv.get(f.lo()), hi = iv.get(f.hi());
        long trips = hi.hi().subtract(lo.lo()).max(BigInteger.ZERO).min(BigInteger.valueOf(1 << 20)).longValue();
        iv.put(f.iv(), new Interval(lo.lo(), hi.hi().subtract(BigInteger.ONE).max(lo.lo())));
        List<Value> args = f.iterArgs();
        for (int i = 0; i < args.size(); i++) copy(f.inits().get(i), args.get(i));
        long steps = Math.min(trips, 4096);
        for (long t = 0; t < steps; t++) {
            block(f.body());
            boolean changed = false;
            List<Value> ys = f.body().terminator().values();
            for (int i = 0; i < args.size(); i++) {
                Value arg = args.get(i), y = ys.get(i);
                if (iv.containsKey(y)) {
                    Interval u = iv.get(arg).union(iv.get(y));
                    changed |= !u.equals(iv.get(arg));
                    iv.put(arg, u);
                }
            }
            if (!changed) break;
        }
        if (trips > 4096) {
            for (Value arg : args) if (arg.type().elem().isInt) iv.put(arg, Interval.type(arg.type().elem()));
            block(f.body());
        }
        for (int i = 0; i < args.size(); i++) copy(args.get(i), f.results().get(i));
    }

    // ---------------------------------------------------------------- the integer exp, by cases on q

    /**
     * At {@code ops[i] = shr(mul(x, e), k)} with e and k known points and x ≤ 0: analyses this op and the
     * elementwise ops after it that depend on it once per value of q, with x restricted to the values that
     * give that q, and unions. Returns the index of the last op so analysed, or i when the pattern is absent.
     */
    private int halvingSplit(List<Op> ops, int i) {
        if (!(ops.get(i) instanceof Op.Binary q) || q.kind() != Op.BinKind.SHR) return i;
        Op.Binary m = uses.defAs(q.a(), Op.Binary.class);
        if (m == null || m.kind() != Op.BinKind.MUL) return i;
        Interval x = iv.get(m.a()), e = iv.get(m.b()), kk = iv.get(q.b());
        if (x == null || e == null || kk == null || !kk.isPoint() || e.hi().signum() >= 0 || x.hi().signum() > 0) return i;
        // The dependent elementwise ops right after q.
        Set<Value> dep = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        dep.add(q.result());
        int last = i;
        for (int j = i + 1; j < ops.size(); j++) {
            Op o = ops.get(j);
            boolean elementwise = o instanceof Op.Binary || o instanceof Op.Unary || o instanceof Op.Convert || o instanceof Op.Broadcast
                    || o instanceof Op.Const || o instanceof Op.Load;
            if (!elementwise) break;
            if (o.operands().stream().anyMatch(dep::contains)) {
                dep.add(o.result());
                last = j;
            }
        }
        // Loops revisit the exp every trip with the same inputs once the running max has settled: reuse.
        List<Op> stretch = ops.subList(i, last + 1);
        List<Object> key = new ArrayList<>();
        key.add(x);
        key.add(e);
        for (Op o : stretch) {
            for (Value v : o.operands()) {
                if (!dep.contains(v) && v != m.a()) {
                    key.add(iv.get(v));
                    key.add(fv.containsKey(v) ? java.util.Arrays.toString(fv.get(v)) : null);
                }
            }
        }
        Split cached = splits.get(q);
        if (cached != null && cached.key().equals(key)) {
            iv.putAll(cached.values());
            for (var en : cached.ranges().entrySet()) ranges.merge(en.getKey(), en.getValue(), Interval::union);
            for (Op o : stretch) if (o.results().stream().noneMatch(dep::contains)) exec(o);
            return last;
        }
        BigInteger two = BigInteger.ONE.shiftLeft(kk.lo().intValue());
        List<Op> region = ops.subList(i, last + 1);
        Map<Value, Interval> union = new IdentityHashMap<>();
        Map<Op, Interval> unionRanges = new IdentityHashMap<>();
        Interval xAll = x;
        // e may be an interval [e1, e2] < 0: x gives halving count q for some e in it when
        // x*e1 >= q*2^k and x*e2 <= (q+1)*2^k - 1, i.e. x in [ceil(((q+1)2^k - 1)/e2), floor(q*2^k/e1)].
        BigInteger e1 = e.lo(), e2 = e.hi();
        long qMax = x.lo().multiply(e1).shiftRight(kk.lo().intValue()).min(BigInteger.valueOf(70)).longValue();
        for (long qv = 0; qv <= qMax; qv++) {
            // x*e in [q*2^k, (q+1)*2^k - 1], e < 0: x in [ceil(((q+1)2^k - 1)/e), floor(q*2^k/e)].
            BigInteger top = BigInteger.valueOf(qv).multiply(two), bot = BigInteger.valueOf(qv + 1).multiply(two).subtract(BigInteger.ONE);
            BigInteger xHi = floorDiv(top, e1), xLo = ceilDiv(bot, e2);
            if (qv == qMax && qMax == 70) xLo = xAll.lo();
            Interval xq = xAll.meet(xLo, xHi);
            if (xq == null) continue;
            iv.put(m.a(), xq);
            Map<Op, Interval> saved = new IdentityHashMap<>(ranges);
            exec(m);
            boolean bucket = qv == 70;
            for (Op o : region) {
                exec(o);
                // This case is "q = qv": whatever e is, x was narrowed to the values that give it.
                if (o == q && !bucket) iv.put(q.result(), Interval.point(qv));
            }
            for (Op o : region) {
                for (Value r : o.results()) if (iv.containsKey(r)) union.merge(r, iv.get(r), Interval::union);
                if (ranges.containsKey(o)) unionRanges.merge(o, ranges.get(o), Interval::union);
            }
            ranges.clear();
            ranges.putAll(saved);
        }
        iv.put(m.a(), xAll);
        exec(m);
        iv.putAll(union);
        for (var en : unionRanges.entrySet()) ranges.merge(en.getKey(), en.getValue(), Interval::union);
        // Ops in the stretch that do not depend on q were evaluated with x narrowed: run them again plainly.
        for (Op o : region) if (o.results().stream().noneMatch(dep::contains)) exec(o);
        splits.put(q, new Split(key, union, unionRanges));
        return last;
    }

    /** A case split already done for these inputs in this sample. */
    private record Split(List<Object> key, Map<Value, Interval> values, Map<Op, Interval> ranges) {}

    private final Map<Op, Split> splits = new IdentityHashMap<>();

    private static BigInteger floorDiv(BigInteger a, BigInteger b) {
        BigInteger[] qr = a.divideAndRemainder(b);
        return qr[1].signum() != 0 && (qr[1].signum() != b.signum()) ? qr[0].subtract(BigInteger.ONE) : qr[0];
    }

    private static BigInteger ceilDiv(BigInteger a, BigInteger b) {
        return floorDiv(a, b).add(floorDiv(a, b).multiply(b).equals(a) ? BigInteger.ZERO : BigInteger.ONE);
    }
}
