package qflash.interp;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import qflash.ir.Elem;
import qflash.ir.Op.BinKind;
import qflash.ir.Op.Overflow;
import qflash.ir.Op.Rounding;

/** The integer semantics ALGORITHM.md §3 warns about are defined, and defined the same everywhere. */
class ArithTest {
    @Test
    void shiftCountsAtOrPastTheWidthAreDefined() {
        // Java would give 5 >> 32 == 5 (count masked); C leaves it undefined. The IR says 0 / -1.
        assertEquals(0, Arith.binary(BinKind.SHR, Elem.I32, 5, 32));
        assertEquals(0, Arith.binary(BinKind.SHR, Elem.I32, 5, 1000));
        assertEquals(-1, Arith.binary(BinKind.SHR, Elem.I32, -5, 32));
        assertEquals(-1, Arith.binary(BinKind.SHR, Elem.I64, -5, 64));
        assertEquals(0, Arith.binary(BinKind.SHL, Elem.I32, 1, 32));
        assertEquals(Integer.MIN_VALUE, Arith.binary(BinKind.SHL, Elem.I32, 1, 31));
        // Below the width, shr is floor division by 2^n (rounds toward -inf).
        assertEquals(-3, Arith.binary(BinKind.SHR, Elem.I32, -5, 1));
        assertEquals(2, Arith.binary(BinKind.SHR, Elem.I32, 5, 1));
    }

    @Test
    void divisionTruncatesAndFloordivFloors() {
        assertEquals(-3, Arith.binary(BinKind.DIV, Elem.I32, -7, 2));
        assertEquals(-4, Arith.binary(BinKind.FLOORDIV, Elem.I32, -7, 2));
        assertEquals(-1, Arith.binary(BinKind.REM, Elem.I32, -7, 2));
        assertEquals(0, Arith.binary(BinKind.DIV, Elem.I32, 7, 0));
        assertEquals(Integer.MIN_VALUE, Arith.binary(BinKind.DIV, Elem.I32, Integer.MIN_VALUE, -1), "wraps like the hardware");
    }

    @Test
    void arithmeticWrapsToTheType() {
        assertEquals(Integer.MIN_VALUE, Arith.binary(BinKind.ADD, Elem.I32, Integer.MAX_VALUE, 1));
        assertEquals(-128, Arith.binary(BinKind.ADD, Elem.I8, 127, 1));
        assertEquals(0, Arith.binary(BinKind.ADD, Elem.U8, 255, 1));
    }

    @Test
    void conversionsRoundThenWrapOrSaturate() {
        // The QFlash P cast: 128 does not fit int8. Wrapping gives -128, saturating 127.
        assertEquals(-128, Arith.toInt(Elem.I8, 128.0, Rounding.RNE, Overflow.WRAP));
        assertEquals(127, Arith.toInt(Elem.I8, 128.0, Rounding.RNE, Overflow.SAT));
        assertEquals(255, Arith.toInt(Elem.U8, 300.0, Rounding.RNE, Overflow.SAT));
        assertEquals(2, Arith.toInt(Elem.I32, 2.5, Rounding.RNE, Overflow.SAT), "half to even");
        assertEquals(-2, Arith.toInt(Elem.I32, -2.5, Rounding.RNE, Overflow.SAT));
        assertEquals(-2, Arith.toInt(Elem.I32, -2.7, Rounding.TRUNC, Overflow.SAT));
        assertEquals(-3, Arith.toInt(Elem.I32, -2.2, Rounding.FLOOR, Overflow.SAT));
        assertEquals(0, Arith.toInt(Elem.I32, Double.NaN, Rounding.RNE, Overflow.SAT));
        assertEquals(Integer.MAX_VALUE, Arith.toInt(Elem.I32, 1e30, Rounding.RNE, Overflow.SAT));
    }

    @Test
    void floatRoundingMatchesTheDeclaredPrecision() {
        assertEquals((double) (float) 0.1, Arith.round(Elem.F32, 0.1));
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.1f)), Arith.round(Elem.F16, 0.1));
        assertEquals(65504.0, Arith.round(Elem.F16, 65504.0));
        assertEquals(Double.POSITIVE_INFINITY, Arith.round(Elem.F16, 70000.0));
        assertThrows(IllegalArgumentException.class, () -> Arith.round(Elem.REAL, 1.0));
    }
}
