package qflash.front;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import qflash.Compiler;
import qflash.TestFiles;
import qflash.diag.CompileError;
import qflash.diag.ErrorKind;
import qflash.diag.Source;

/**
 * Every program under {@code src/test/resources/errors/} must be rejected with exactly the diagnostic
 * its {@code // expect error: LINE:COL: MESSAGE} line names. Run: {@code mvn -pl compiler test -Dtest=MustFailTest}.
 */
class MustFailTest {
    private static final Pattern EXPECT = Pattern.compile("// expect error: (\\d+):(\\d+): (.*)");

    static Stream<Path> programs() {
        return TestFiles.list("errors", ".tile").stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void rejectedAsExpected(Path file) {
        Source src = TestFiles.source(file);
        Matcher m = EXPECT.matcher(src.text());
        assertTrue(m.find(), file + " carries no '// expect error:' line");
        CompileError e = assertThrows(CompileError.class, () -> Compiler.toIr(src, Compiler.parse(src), Map.of()), file + " was accepted");
        assertEquals(m.group(1) + ":" + m.group(2) + ": " + m.group(3), e.pos() + ": " + e.getMessage(), file.toString());
        String rendered = e.render();
        assertTrue(rendered.startsWith(src.name() + ":" + e.pos() + ": error: "), rendered);
        assertTrue(rendered.lines().count() == 3 && rendered.lines().toList().get(2).trim().equals("^"), "source line and caret: " + rendered);
    }

    @Test
    void atLeastThirtyPrograms() {
        assertTrue(programs().count() >= 30, "the suite has " + programs().count() + " programs");
    }

    /** Every rejection rule of the DSL front end has at least one must-fail program. */
    @Test
    void everyDslErrorKindIsExercised() throws Exception {
        Set<ErrorKind> seen = EnumSet.noneOf(ErrorKind.class);
        for (Path p : programs().toList()) {
            Source src = TestFiles.source(p);
            try {
                Compiler.toIr(src, Compiler.parse(src), Map.of());
            } catch (CompileError e) {
                seen.add(e.kind());
            }
        }
        Set<ErrorKind> missing = EnumSet.allOf(ErrorKind.class);
        missing.removeAll(seen);
        // IR text errors are covered by the IR parser's own tests.
        missing.remove(ErrorKind.IR_SYNTAX);
        assertEquals(Set.of(), missing, "error kinds without a must-fail program");
    }
}
