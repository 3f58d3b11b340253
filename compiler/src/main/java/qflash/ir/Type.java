package qflash.ir;

import java.util.List;
import java.util.stream.Collectors;

/** The IR's types: tiles (rank 0 is a scalar, printed bare: {@code i32}) and tensors in global memory. */
public sealed interface Type permits Type.Tile, Type.Tensor {
    Elem elem();

    List<Dim> shape();

    Type withElem(Elem e);

    default int rank() {
        return shape().size();
    }

    /** A register-resident value: {@code tile<64x64xi32>}, or a scalar when the shape is empty. */
    record Tile(List<Dim> shape, Elem elem) implements Type {
        public Tile {
            shape = List.copyOf(shape);
        }

        public static Tile scalar(Elem e) {
            return new Tile(List.of(), e);
        }

        public boolean isScalar() {
            return shape.isEmpty();
        }

        @Override
        public Tile withElem(Elem e) {
            return new Tile(shape, e);
        }

        @Override
        public String toString() {
            return shape.isEmpty() ? elem.text : "tile<" + dims(shape) + "x" + elem.text + ">";
        }
    }

    /** A kernel argument in global memory, indexed by {@code load}/{@code store}. */
    record Tensor(List<Dim> shape, Elem elem) implements Type {
        public Tensor {
            shape = List.copyOf(shape);
        }

        @Override
        public Tensor withElem(Elem e) {
            return new Tensor(shape, e);
        }

        @Override
        public String toString() {
            return "tensor<" + (shape.isEmpty() ? "" : dims(shape) + "x") + elem.text + ">";
        }
    }

    private static String dims(List<Dim> shape) {
        return shape.stream().map(Dim::toString).collect(Collectors.joining("x"));
    }
}
