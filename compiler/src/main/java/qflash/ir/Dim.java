package qflash.ir;

/**
 * One axis length: a compile-time constant ({@code 64}) or a shape symbol bound at run time
 * ({@code D}). Symbols are upper case so that {@code tile<64xDxf32>} reads unambiguously.
 */
public record Dim(int size, String symbol) {
    public static Dim of(int size) {
        return new Dim(size, null);
    }

    public static Dim sym(String symbol) {
        return new Dim(-1, symbol);
    }

    public boolean isConst() {
        return symbol == null;
    }

    @Override
    public String toString() {
        return isConst() ? Integer.toString(size) : symbol;
    }
}
