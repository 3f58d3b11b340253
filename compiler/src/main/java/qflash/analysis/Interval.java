package qflash.analysis;

import java.math.BigInteger;

/**
 * A closed integer interval with exact arithmetic: bounds are BigIntegers, so a result past i64 is
 * still known exactly and can be reported as an overflow rather than silently wrapped.
 */
public record Interval(BigInteger lo, BigInteger hi) {
    public static Interval of(long lo, long hi) {
        return new Interval(BigInteger.valueOf(lo), BigInteger.valueOf(hi));
    }

    public static Interval point(long v) {
        return of(v, v);
    }

    public static Interval type(qflash.ir.Elem e) {
        return of(e.min(), e.max());
    }

    public boolean isPoint() {
        return lo.equals(hi);
    }

    public boolean within(Interval o) {
        return lo.compareTo(o.lo) >= 0 && hi.compareTo(o.hi) <= 0;
    }

    public Interval union(Interval o) {
        return o == null ? this : new Interval(lo.min(o.lo), hi.max(o.hi));
    }

    /** The part of this interval inside [a, b], or null when empty. */
    public Interval meet(BigInteger a, BigInteger b) {
        BigInteger l = lo.max(a), h = hi.min(b);
        return l.compareTo(h) > 0 ? null : new Interval(l, h);
    }

    public Interval add(Interval o) {
        return new Interval(lo.add(o.lo), hi.add(o.hi));
    }

    public Interval sub(Interval o) {
        return new Interval(lo.subtract(o.hi), hi.subtract(o.lo));
    }

    public Interval mul(Interval o) {
        BigInteger a = lo.multiply(o.lo), b = lo.multiply(o.hi), c = hi.multiply(o.lo), d = hi.multiply(o.hi);
        return new Interval(a.min(b).min(c).min(d), a.max(b).max(c).max(d));
    }

    public Interval neg() {
        return new Interval(hi.negate(), lo.negate());
    }

    public Interval max(Interval o) {
        return new Interval(lo.max(o.lo), hi.max(o.hi));
    }

    public Interval min(Interval o) {
        return new Interval(lo.min(o.lo), hi.min(o.hi));
    }

    /** floor(a / 2^n) over both intervals (n ≥ 0; counts past 64 behave like 64). */
    public Interval shr(Interval n) {
        int nl = clampCount(n.lo), nh = clampCount(n.hi);
        BigInteger[] c = {lo.shiftRight(nl), lo.shiftRight(nh), hi.shiftRight(nl), hi.shiftRight(nh)};
        return new Interval(c[0].min(c[1]).min(c[2]).min(c[3]), c[0].max(c[1]).max(c[2]).max(c[3]));
    }

    public Interval shl(Interval n) {
        int nl = clampCount(n.lo), nh = clampCount(n.hi);
        BigInteger[] c = {lo.shiftLeft(nl), lo.shiftLeft(nh), hi.shiftLeft(nl), hi.shiftLeft(nh)};
        return new Interval(c[0].min(c[1]).min(c[2]).min(c[3]), c[0].max(c[1]).max(c[2]).max(c[3]));
    }

    private static int clampCount(BigInteger n) {
        return n.signum() < 0 ? 0 : n.min(BigInteger.valueOf(64)).intValue();
    }

    /** Every value times a count in [0, len] (a sum of up to len terms of this interval). */
    public Interval times(long len) {
        BigInteger l = BigInteger.valueOf(len);
        return new Interval(lo.min(BigInteger.ZERO).multiply(l), hi.max(BigInteger.ZERO).multiply(l));
    }

    @Override
    public String toString() {
        return "[" + bound(lo) + ", " + bound(hi) + "]";
    }

    /** Bounds past 2^100 only arise from unbounded floats: print them as such. */
    private static String bound(BigInteger b) {
        return b.bitLength() > 100 ? (b.signum() < 0 ? "-unbounded" : "unbounded") : b.toString();
    }
}
