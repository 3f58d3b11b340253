package qflash.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import qflash.diag.Pos;

/**
 * The tile IR's operations: compact records behind one sealed interface, so every pass, the
 * printer, the verifier and the interpreter switch over them exhaustively.
 *
 * <p><b>Elementwise rule.</b> Unary, binary, compare and select ops take operands of the result's
 * shape, or scalars (rank 0), which stand for the same value at every position. Other shape changes
 * are explicit ({@link Broadcast}).
 *
 * <p><b>Integer semantics</b> are defined for every input, never left to the target:
 * arithmetic on an n-bit type is exact and then wraps to n bits (two's complement), unless noted;
 * {@code i1} is a boolean. The range analysis proves where wrapping cannot happen.
 *
 * <p>{@code loc} is the DSL position the op came from (printed {@code loc(12:5)}), so later stages can
 * point errors and {@code #line} directives at the source; {@link Pos#UNKNOWN} when there is none.
 */
public sealed interface Op {
    Pos loc();

    List<Value> results();

    List<Value> operands();

    /** The same op with each operand replaced by {@code f(operand)} (blocks are not entered). */
    Op mapOperands(UnaryOperator<Value> f);

    default List<Block> blocks() {
        return List.of();
    }

    default Value result() {
        return results().getFirst();
    }

    /** True when the op only computes its results: no memory effect, no control flow. */
    default boolean isPure() {
        return !(this instanceof Store || this instanceof For || this instanceof Yield || this instanceof Load);
    }

    /** A literal: a scalar, or a tile with every element equal to {@code value}. Integers are exact in the double. */
    record Const(Value result, double value, Pos loc) implements Op {
        public List<Value> results() { return List.of(result); }
        public List<Value> operands() { return List.of(); }
        public Op mapOperands(UnaryOperator<Value> f) { return this; }
    }

    /** The run-time length of a shape symbol ({@code dim N : i32}). */
    record DimOf(Value result, String symbol, Pos loc) implements Op {
        public List<Value> results() { return List.of(result); }
        public List<Value> operands() { return List.of(); }
        public Op mapOperands(UnaryOperator<Value> f) { return this; }
    }

    enum UnKind {
        /** Negation; on integers wraps ({@code neg(min) == min}). */
        NEG,
        /** Logical not of {@code i1}; bitwise not on other integers. */
        NOT,
        /** Absolute value; on integers {@code abs(min) == min} (wraps). */
        ABS,
        /** 2^x, floats only. */
        EXP2,
        /** e^x, floats only. */
        EXP,
        /** Square root, floats only. */
        SQRT,
        /** 1/sqrt(x), floats only. */
        RSQRT;

        public String text() { return name().toLowerCase(); }
    }

    record Unary(Value result, UnKind kind, Value a, Pos loc) implements Op {
        public List<Value> results() { return List.of(result); }
        public List<Value> operands() { return List.of(a); }
        public Op mapOperands(UnaryOperator<Value> f) { return new Unary(result, kind, f.apply(a), loc); }
    }

    enum BinKind {
        ADD, SUB, MUL,
        /** Floats: IEEE division. Integers: quotient truncated toward zero (C and Java {@code /}); x/0 is 0. */
        DIV,
        /** Integers only: quotient rounded toward negative infinity ({@code floor(a/b)}); x/0 is 0. */
        FLOORDIV,
        /** Integers only: {@code a - b*div(a,b)}, the sign of {@code a}; x%0 is 0. */
        REM,
        MIN, MAX,
        /**
         * Integers only: {@code a * 2^b} wrapped to the type, for b >= 0; for b >= bit width the result is 0.
         * Negative counts are shifts the other way.
         */
        SHL,
        /**
         * Integers only: arithmetic shift right, {@code floor(a / 2^b)} (rounds toward negative infinity).
         * Defined for every count: b >= bit width gives 0 for a >= 0 and -1 for a < 0 — unlike C (undefined),
         * PTX {@code shr} (count clamped) or Java {@code >>} (count masked to 5 or 6 bits).
         * Negative counts are shifts the other way.
         */
        SHR,
        /** Bitwise and (logical on i1). */
        AND,
        /** Bitwise or (logical on i1). */
        OR,
        XOR;

        public String text() { return name().toLowerCase(); }
    }

    record Binary(Value result, BinKind kind, Value a, Value b, Pos loc) implements Op {
        public List<Value> results() { return List.of(result); }
        public List<Value> operands() { return List.of(a, b); }
        public Op mapOperands(UnaryOperator<Value> f) { return new Binary(result, kind, f.apply(a), f.apply(b), loc); }
    }

    enum CmpKind {
        LT, LE, GT, GE, EQ, NE;

        public String text() { return name().toLowerCase(); }
    }

    /** Comparison giving {@code i1}. Float comparisons with NaN are false except {@code ne}. */
    record Cmp(Value result, CmpKind kind, Value a, Value b, Pos loc) implements Op {
        public List<Value> results() { return List.of(result); }
        public List<Value> operands() { return List.of(a, b); }
        public Op mapOperands(UnaryOperator<Value> f) { return new Cmp(result, kind, f.apply(a), f.apply(b), loc); }
    }

    /** {@code cond ? a : b} per element; {@code cond} is {@code i1}. */
    record Select(Value result, Value cond, Value a, Value b, Pos loc) implements Op {
        public List<Value> results() { return List.of(result); }
        public List<Value> operands() { return List.of(cond, a, b); }
        public Op mapOperands(UnaryOperator<Value> f) { return new Select(result, f.apply(cond), f.apply(a), f.apply(b), loc); }
    }

    /** How a float becomes an integer. */
    enum Rounding {
        /** Round half to even (IEEE default, {@code torch.round}). */
        RNE,
        /** Toward zero (C casts). */
        TRUNC,
        /** Toward negative infinity. */
        FLOOR;

        public String text() { return name().toLowerCase(); }
    }

    /** What happens to an integer that does not fit the result type. */
    enum Overflow {
        /** Keep the low bits (two's complement), as a C cast does. */
        WRAP,
        /** Clamp to the type's [min, max]. */
        SAT;

        public String text() { return name().toLowerCase(); }
    }

    /**
     * Element type conversion. Float to float rounds to nearest even. Integer to float is exact or rounds
     * to nearest even. Float to integer first rounds by {@code rounding} (NaN becomes 0), then applies
     * {@code overflow}; integer to integer applies {@code overflow}. {@code i1} converts to 0/1.
     */
    record Convert(Value result, Value a, Rounding rounding, Overflow overflow, Pos loc) implements Op {
        public List<Value> results() { return List.of(result); }
        public List<Value> operands() { return List.of(a); }
        public Op mapOperands(UnaryOperator<Value> f) { return new Convert(result, f.apply(a), rounding, overflow, loc); }
    }

    /** {@code [0, 1, ..., n-1]}, n the length of the rank-1 result. */
    record Arange(Value result, Pos loc) implements Op {
        public List<Value> results() { return List.of(result); }
        public List<Value> operands() { return List.of(); }
        public Op mapOperands(UnaryOperator<Value> f) { return this; }
    }

    /**
     * Places axis i of {@code a} at result axis {@code dims.get(i)} (strictly increasing); the other result
     * axes repeat it. An operand axis of length 1 may stretch to any length.
     */
    record Broadcast(Value result, Value a, List<Integer> dims, Pos loc) implements Op {
        public Broadcast {
            dims = List.copyOf(dims);
        }

        public List<Value> results() { return List.of(result); }
        public List<Value> operands() { return List.of(a); }
        public Op mapOperands(UnaryOperator<Value> f) { return new Broadcast(result, f.apply(a), dims, loc); }
    }

    /** Swaps the two axes of a rank-2 tile. */
    record Transpose(Value result, Value a, Pos loc) implements Op {
        public List<Value> results() { return List.of(result); }
        public List<Value> operands() { return List.of(a); }
        public Op mapOperands(UnaryOperator<Value> f) { return new Transpose(result, f.apply(a), loc); }
    }

    /**
     * Matrix product {@code [M,K] x [K,N] -> [M,N]}. Operands are converted exactly to the result type,
     * and the sum runs in the result type in increasing k (so an f32 dot rounds after every step;
     * an integer dot wraps). Mixed operand types are allowed (u8 x i8 into i32).
     */
    record Dot(Value result, Value a, Value b, Pos loc) implements Op {
        public List<Value> results() { return List.of(result); }
        public List<Value> operands() { return List.of(a, b); }
        public Op mapOperands(UnaryOperator<Value> f) { return new Dot(result, f.apply(a), f.apply(b), loc); }
    }

    enum RedKind {
        MAX, SUM;

        public String text() { return name().toLowerCase(); }
    }

    /** Reduces one axis; a sum runs in the result type in increasing index order. */
    record Reduce(Value result, RedKind kind, Value a, int axis, Pos loc) implements Op {
        public List<Value> results() { return List.of(result); }
        public List<Value> operands() { return List.of(a); }
        public Op mapOperands(UnaryOperator<Value> f) { return new Reduce(result, kind, f.apply(a), axis, loc); }
    }

    /**
     * Reads {@code tensor} at one index per axis: a scalar selects one position, a rank-1 tile a set of
     * positions that becomes a result axis, {@code null} (printed {@code :}) the whole axis. Result axes
     * come in tensor-axis order. Out-of-bounds positions (index < 0 or >= the axis length) and every
     * position of an absent optional tensor read as 0.
     */
    record Load(Value result, Value tensor, List<Value> indices, Pos loc) implements Op {
        public Load {
            indices = java.util.Collections.unmodifiableList(new ArrayList<>(indices));
        }

        public List<Value> results() { return List.of(result); }
        public List<Value> operands() { return nonNull(tensor, indices); }
        public Op mapOperands(UnaryOperator<Value> f) { return new Load(result, f.apply(tensor), mapNullable(indices, f), loc); }
    }

    /** Writes {@code value} at the positions a {@link Load} with the same indices would read; out-of-bounds positions are skipped. */
    record Store(Value tensor, List<Value> indices, Value value, Pos loc) implements Op {
        public Store {
            indices = java.util.Collections.unmodifiableList(new ArrayList<>(indices));
        }

        public List<Value> results() { return List.of(); }
        public List<Value> operands() {
            List<Value> ops = new ArrayList<>(nonNull(tensor, indices));
            ops.add(value);
            return ops;
        }
        public Op mapOperands(UnaryOperator<Value> f) { return new Store(f.apply(tensor), mapNullable(indices, f), f.apply(value), loc); }
    }

    /**
     * {@code for iv = lo to hi} (hi exclusive, step 1, i32) with loop-carried values. The body's block
     * arguments are {@code iv} then the iteration arguments, bound to {@code inits} on entry and to the
     * body's yield afterwards; {@code results} are their final values (the inits when the loop runs zero times).
     */
    record For(List<Value> results, Value lo, Value hi, List<Value> inits, Block body, Pos loc) implements Op {
        public For {
            results = List.copyOf(results);
            inits = List.copyOf(inits);
        }

        public Value iv() { return body.args().getFirst(); }

        public List<Value> iterArgs() { return body.args().subList(1, body.args().size()); }

        public List<Value> operands() {
            List<Value> ops = new ArrayList<>(List.of(lo, hi));
            ops.addAll(inits);
            return ops;
        }

        public Op mapOperands(UnaryOperator<Value> f) {
            return new For(results, f.apply(lo), f.apply(hi), inits.stream().map(f).toList(), body, loc);
        }

        public List<Block> blocks() { return List.of(body); }

        public For withBody(Block b) {
            return new For(results, lo, hi, inits, b, loc);
        }
    }

    /**
     * Prologue only: symmetric quantization of a whole tensor. Elements sharing one scale form a group:
     * all positions that differ only along the {@code shared} axes and, when {@code blockSize > 0},
     * lie in the same run of {@code blockSize} positions along {@code blockAxis}. Per group, in f32:
     * {@code amax = max|x|}, {@code scale = amax / qmax} ({@code qmax} = 127 for i8, 255 for u8; a group
     * of zeros gets scale 1), {@code q = sat(rne(x / scale))}. The scale tensor drops the shared axes and
     * keeps every position of the block axis (each holds its block's scale), so a body reads a scale with
     * the indices it reads the data with. Results: the integer tensor, then the f32 scale tensor.
     */
    record Quantize(Value q, Value scale, Value x, List<Integer> shared, int blockAxis, int blockSize, Pos loc) implements Op {
        public Quantize {
            shared = List.copyOf(shared);
        }

        public List<Value> results() { return List.of(q, scale); }
        public List<Value> operands() { return List.of(x); }
        public Op mapOperands(UnaryOperator<Value> f) { return new Quantize(q, scale, f.apply(x), shared, blockAxis, blockSize, loc); }
    }

    /**
     * Prologue only: subtracts from a tensor its mean along {@code axis} (computed in f32, in increasing
     * index order). Results: the centred tensor and the mean (the input's shape without {@code axis}).
     * Used to smooth K: {@code q·(k - mean)} differs from {@code q·k} by a constant per query row, which
     * the softmax ignores.
     */
    record Center(Value centred, Value mean, Value x, int axis, Pos loc) implements Op {
        public List<Value> results() { return List.of(centred, mean); }
        public List<Value> operands() { return List.of(x); }
        public Op mapOperands(UnaryOperator<Value> f) { return new Center(centred, mean, f.apply(x), axis, loc); }
    }

    /** Ends a block, passing its values out (loop-carried values, grid extents, scalar defaults). */
    record Yield(List<Value> values, Pos loc) implements Op {
        public Yield {
            values = List.copyOf(values);
        }

        public List<Value> results() { return List.of(); }
        public List<Value> operands() { return values; }
        public Op mapOperands(UnaryOperator<Value> f) { return new Yield(values.stream().map(f).toList(), loc); }
    }

    private static List<Value> nonNull(Value first, List<Value> rest) {
        List<Value> out = new ArrayList<>();
        out.add(first);
        for (Value v : rest) if (v != null) out.add(v);
        return out;
    }

    private static List<Value> mapNullable(List<Value> vs, UnaryOperator<Value> f) {
        List<Value> out = new ArrayList<>();
        for (Value v : vs) out.add(v == null ? null : f.apply(v));
        return out;
    }
}
