package qflash.pass;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import qflash.Compiler;
import qflash.TestFiles;
import qflash.diag.Source;
import qflash.ir.IrParser;
import qflash.ir.IrPrinter;
import qflash.ir.Kernel;
import qflash.ir.Verifier;

/**
 * Golden tests, one file per pass or lowering step, in one sectioned format:
 * <pre>
 * // PASS: fold-constants          (or "// STEP: build-ir" for DSL to tile IR)
 * // CASE: one line of prose saying what the case shows
 * ...input IR (or DSL for build-ir)...
 * // EXPECT:
 * ...output IR, or the single line (unchanged)...
 * // -----
 * </pre>
 * Each case's input is parsed, the pass runs, the verifier checks the result and the printed IR must
 * equal the expectation. To regenerate after an intended change, run
 * {@code mvn -pl compiler test -Dtest=GoldenTest -Dgolden.update=true} from the repository root (the
 * sources under src/test/resources/golden are rewritten) and review the diff before committing.
 */
class GoldenTest {
    static final String SEPARATOR = "// -----";

    static Stream<String> files() {
        return TestFiles.list("golden", ".golden").stream().map(p -> p.getFileName().toString());
    }

    record Case(String prose, String input, String expected) {}

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void golden(String name) throws IOException {
        Path file = TestFiles.dir("golden").resolve(name);
        String text = Files.readString(file);
        String header = text.lines().findFirst().orElse("");
        boolean build = header.startsWith("// STEP: build-ir");
        Pass pass = build ? null : Passes.parse(header.replaceFirst("^// PASS: ", "").trim());
        List<Case> cases = parse(text.substring(header.length() + 1));
        assertFalse(cases.isEmpty(), name + " has no cases");
        List<String> actual = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            String out;
            if (build) {
                Source src = new Source(name, c.input());
                out = IrPrinter.print(Compiler.toIr(src, Compiler.parse(src), Map.of()));
            } else {
                Kernel in = IrParser.parse(new Source(name, c.input()));
                Verifier.verify(in);
                Kernel k = pass.run(in);
                Verifier.verify(k);
                String printed = IrPrinter.print(k);
                out = printed.equals(IrPrinter.print(in)) ? "(unchanged)\n" : printed;
            }
            actual.add(out);
            if (!out.equals(c.expected())) failures.add("case '" + c.prose() + "':\n--- expected\n" + c.expected() + "--- actual\n" + out);
        }
        if (Boolean.getBoolean("golden.update")) {
            StringBuilder sb = new StringBuilder(header).append('\n');
            for (int i = 0; i < cases.size(); i++) {
                if (i > 0) sb.append(SEPARATOR).append('\n');
                sb.append("// CASE: ").append(cases.get(i).prose()).append('\n').append(cases.get(i).input())
                  .append("// EXPECT:\n").append(actual.get(i));
            }
            Path source = Path.of(System.getProperty("user.dir")).resolve("src/test/resources/golden").resolve(name);
            Files.writeString(source, sb.toString());
            return;
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    static List<Case> parse(String body) {
        List<Case> out = new ArrayList<>();
        for (String chunk : body.split("(?m)^" + SEPARATOR + "\n")) {
            if (chunk.isBlank()) continue;
            String first = chunk.lines().findFirst().orElse("");
            if (!first.startsWith("// CASE: ")) throw new IllegalStateException("a case must start with '// CASE: ', got: " + first);
            String rest = chunk.substring(first.length() + 1);
            int e = rest.indexOf("// EXPECT:\n");
            if (e < 0) throw new IllegalStateException("case '" + first + "' has no '// EXPECT:' line");
            out.add(new Case(first.substring("// CASE: ".length()), rest.substring(0, e), rest.substring(e + "// EXPECT:\n".length())));
        }
        return out;
    }
}
