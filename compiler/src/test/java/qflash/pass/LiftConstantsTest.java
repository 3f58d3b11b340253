package qflash.pass;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import qflash.Compiler;
import qflash.TestFiles;
import qflash.ir.Kernel;
import qflash.ir.Op;
import qflash.ir.Value;

/**
 * {@code lift-constants} moves launch-time computations into the prologue, but a literal is never made a
 * parameter: a constant that a lifted computation and the body both read (the 0 of a clamp and the key
 * loop's lower bound, once CSE has merged them) is copied into the prologue and stays in the body. Run:
 * {@code mvn -pl compiler test -Dtest=LiftConstantsTest}.
 */
class LiftConstantsTest {
    @ParameterizedTest
    @ValueSource(strings = {"int8", "qflash"})
    void noDerivedParameterIsALiteral(String pipeline) {
        for (String sample : TestFiles.SAMPLES) {
            Kernel k = Compiler.compile(TestFiles.sample(sample), Pipeline.named(pipeline, Map.of()), Map.of());
            Map<Value, Value> defs = k.derivedDefinitions();
            for (Kernel.Param p : k.params()) {
                if (!p.derived()) continue;
                Value def = defs.get(p.value());
                boolean literal = k.prologue().ops().stream().anyMatch(op -> op instanceof Op.Const c && c.result() == def);
                assertFalse(literal, sample + " " + pipeline + ": derived " + p.value() + " is the literal " + def);
            }
            k.body().ops().stream().filter(op -> op instanceof Op.For).map(op -> (Op.For) op).forEach(f ->
                    assertTrue(k.body().ops().stream().anyMatch(op -> op instanceof Op.Const c && c.result() == f.lo()),
                            sample + " " + pipeline + ": the key loop starts at a literal of the body"));
        }
    }
}
