package qflash.front;

import java.util.List;
import java.util.stream.Collectors;
import qflash.ir.Dim;

/**
 * The checker's type of a DSL expression: a kind, a shape, and — for integer scalars known at
 * compile time (literals, tunables and arithmetic on them) — their value. {@code literal} marks a
 * bare integer literal, the only integer that may stand where a real is expected.
 */
public record DType(Kind kind, List<Dim> shape, Long constant, boolean literal) {
    public enum Kind {
        /** Integer positions and counts (i32 in the IR). */
        INDEX("index"),
        /** Numbers whose precision the pipeline picks. */
        REAL("real"),
        /** Masks. */
        BOOL("bool");

        final String text;

        Kind(String text) {
            this.text = text;
        }
    }

    public DType {
        shape = List.copyOf(shape);
    }

    public static DType scalar(Kind k) {
        return new DType(k, List.of(), null, false);
    }

    public static DType constant(long v) {
        return new DType(Kind.INDEX, List.of(), v, false);
    }

    public static DType tile(Kind k, List<Dim> shape) {
        return new DType(k, shape, null, false);
    }

    public int rank() {
        return shape.size();
    }

    /** Kind and shape alone: what must stay equal for a loop-carried value. */
    public DType plain() {
        return new DType(kind, shape, null, false);
    }

    public DType withKind(Kind k) {
        return new DType(k, shape, null, false);
    }

    @Override
    public String toString() {
        return shape.isEmpty() ? kind.text : kind.text + "[" + shape.stream().map(Dim::toString).collect(Collectors.joining(", ")) + "]";
    }
}
