package qflash.diag;

/** A position in a {@link Source}: 1-based line, 1-based column (as editors count them). */
public record Pos(int line, int col) {
    public static final Pos UNKNOWN = new Pos(0, 0);

    @Override
    public String toString() {
        return line + ":" + col;
    }
}
