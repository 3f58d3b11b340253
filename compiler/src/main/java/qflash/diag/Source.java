package qflash.diag;

import java.util.List;

/** A named text being compiled: a `.tile` file, IR text or standard input ("<stdin>"). */
public record Source(String name, String text) {

    /** The 1-based line, without its line terminator; empty past the end. */
    public String line(int line) {
        List<String> lines = text.lines().toList();
        return line >= 1 && line <= lines.size() ? lines.get(line - 1) : "";
    }
}
