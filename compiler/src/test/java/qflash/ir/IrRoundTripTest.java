package qflash.ir;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import qflash.Compiler;
import qflash.TestFiles;
import qflash.diag.CompileError;
import qflash.diag.ErrorKind;
import qflash.diag.Source;
import qflash.pass.Pipeline;

/** The IR's textual form is exact: print, parse and print again gives the same text, at every stage. */
class IrRoundTripTest {
    static Stream<Arguments> stages() {
        return TestFiles.SAMPLES.stream().flatMap(s -> Stream.of(Arguments.of(s, "tile"), Arguments.of(s, "f64"), Arguments.of(s, "f32"),
                Arguments.of(s, "fp16"), Arguments.of(s, "qflash"), Arguments.of(s, "int8")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("stages")
    void printParsePrint(String sample, String stage) {
        Source src = TestFiles.sample(sample);
        Kernel k = Compiler.toIr(src, Compiler.parse(src), Map.of("BLOCK_M", 32L));
        if (!stage.equals("tile")) k = Compiler.lower(k, Pipeline.named(stage), null);
        String once = IrPrinter.print(k);
        Kernel back = IrParser.parse(new Source("printed", once));
        Verifier.verify(back);
        assertEquals(once, IrPrinter.print(back));
    }

    @Test
    void lowered_ir_has_no_real_and_tile_ir_does() {
        Source src = TestFiles.sample("flash_attention.tile");
        Kernel tile = Compiler.toIr(src, Compiler.parse(src), Map.of());
        assertThrows(IrInvalid.class, () -> Verifier.verifyLowered(tile));
        Verifier.verifyLowered(Compiler.lower(tile, Pipeline.named("f32"), null));
    }

    private static CompileError parseError(String text) {
        return assertThrows(CompileError.class, () -> IrParser.parse(new Source("t.ir", text)));
    }

    private static final String HEAD = "kernel @t(%X: tensor<Nxf32>, %Y: out tensor<Nxf32>)\n  schedule {}\ndefaults {\n  yield\n}\ngrid {\n  %n = dim N : i32\n  yield %n\n}\n";

    @Test
    void undefinedValueIsAPositionedError() {
        CompileError e = parseError(HEAD + "body(%i: i32) {\n  %a = add %b, %i : i32\n  yield\n}\n");
        assertEquals(ErrorKind.IR_SYNTAX, e.kind());
        assertEquals("11:12", e.pos().toString());
        assertEquals("undefined value %b", e.getMessage());
    }

    @Test
    void redefinitionIsRejected() {
        CompileError e = parseError(HEAD + "body(%i: i32) {\n  %i = const 1 : i32\n  yield\n}\n");
        assertEquals("%i is defined twice", e.getMessage());
        assertEquals("11:3", e.pos().toString());
    }

    @Test
    void badTypesAndOpsAreRejected() {
        assertTrue(parseError(HEAD + "body(%i: i32) {\n  %a = const 1 : tile<4xq7>\n  yield\n}\n").getMessage().startsWith("bad type"));
        assertTrue(parseError(HEAD + "body(%i: i32) {\n  %a = frobnicate %i : i32\n  yield\n}\n").getMessage().startsWith("unknown op 'frobnicate'"));
        assertTrue(parseError(HEAD + "body(%i: i32) {\n  %a = const 1 : i32\n}\n").getMessage().startsWith("a block must end with 'yield'"));
        assertEquals(ErrorKind.EMPTY_INPUT.format(), parseError("   \n").getMessage().replace("expected 'kernel'", "expected a kernel").replace(" at end of input", ""));
    }

    @Test
    void verifierRejectsIllTypedOps() {
        Kernel k = IrParser.parse(new Source("t.ir", HEAD + "body(%i: i32) {\n  %a = const 1.5 : f32\n  %b = add %a, %i : f32\n  yield\n}\n"));
        IrInvalid e = assertThrows(IrInvalid.class, () -> Verifier.verify(k));
        assertTrue(e.getMessage().contains("expected element type f32"), e.getMessage());
        Kernel bad = IrParser.parse(new Source("t.ir", HEAD + "body(%i: i32) {\n  %a = const 300 : i8\n  yield\n}\n"));
        assertTrue(assertThrows(IrInvalid.class, () -> Verifier.verify(bad)).getMessage().contains("is not a i8 value"));
    }
}
