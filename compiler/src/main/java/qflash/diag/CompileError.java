package qflash.diag;

/**
 * A user error at a position: bad DSL, bad IR text. Carries its kind from {@link ErrorKind} so tests
 * can assert what was rejected; {@link #render} gives the one format every tool prints.
 */
public final class CompileError extends RuntimeException {
    private final ErrorKind kind;
    private final Source source;
    private final Pos pos;

    public CompileError(ErrorKind kind, Source source, Pos pos, Object... args) {
        super(kind.format(args), null, false, false);
        this.kind = kind;
        this.source = source;
        this.pos = pos;
    }

    public ErrorKind kind() { return kind; }
    public Pos pos() { return pos; }
    public Source source() { return source; }

    /** {@code file:line:col: error: message}, the source line and a caret under the column. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        String name = source == null ? "<input>" : source.name();
        sb.append(name).append(':').append(pos.line()).append(':').append(pos.col())
          .append(": error: ").append(getMessage()).append('\n');
        if (source != null && pos.line() > 0) {
            String line = source.line(pos.line());
            int col = Math.max(1, pos.col());
            // Long lines are cut around the caret so a 1 MB line never floods the terminal.
            int from = Math.max(0, col - 1 - 60);
            int to = Math.min(line.length(), col - 1 + 60);
            if (from <= to) {
                String shown = line.substring(from, to).replace('\t', ' ');
                String prefix = from > 0 ? "..." : "";
                sb.append("    ").append(prefix).append(shown).append(to < line.length() ? "..." : "").append('\n');
                sb.append("    ").append(" ".repeat(prefix.length() + col - 1 - from)).append("^\n");
            }
        }
        return sb.toString();
    }
}
