package qflash.gpu;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import qflash.cuda.PrologueEmitter;
import qflash.host.UserError;

/** The GPU prologue's 32-bit indices: the runtime refuses a tensor they cannot address (no GPU needed). */
class PrologueSizeTest {
    @Test
    void aTensorOfTwoToTheThirtyOneElementsIsRefusedWithItsSize() {
        CallPlan.checkPrologueSize("Q", new int[] {256, 12, 197, 64});   // A3 at b = 256: 38.7 M elements
        UserError e = assertThrows(UserError.class, () -> CallPlan.checkPrologueSize("K", new int[] {8192, 16, 4096, 4}));
        assertEquals("the GPU prologue indexes tensors with 32-bit integers: K has 2147483648 elements (at most "
                + PrologueEmitter.MAX_ELEMENTS + ")", e.getMessage());
    }
}
