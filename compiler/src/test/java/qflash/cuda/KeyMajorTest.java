package qflash.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import qflash.interp.Arr;
import qflash.ir.Elem;

class KeyMajorTest {
    /**
     * The contract with the P.V product: lane t of a row group holds P's keys 2t, 2t+1, 8+2t, 9+2t of each 16
     * (the QK^T accumulator layout) and uses them as k slots 4t..4t+3 of its A fragment; ldmatrix hands lane t
     * the 4 bytes at slots 4t..4t+3 of a B row. So those slots must hold the same keys, in the same order.
     */
    @Test
    void aLaneFindsInItsFourSlotsTheKeysItsProbabilitiesBelongTo() {
        for (int group = 0; group < 4; group++) {
            for (int t = 0; t < 4; t++) {
                int[] keys = {2 * t, 2 * t + 1, 8 + 2 * t, 9 + 2 * t};
                for (int j = 0; j < 4; j++) {
                    assertEquals(16 * group + 4 * t + j, KeyMajor.slot(16 * group + keys[j]), "group " + group + ", lane t = " + t + ", byte " + j);
                }
            }
        }
        Set<Integer> slots = new HashSet<>();
        for (int key = 0; key < 64; key++) slots.add(KeyMajor.slot(key));
        assertEquals(64, slots.size(), "a permutation of every 16 keys");
    }

    @Test
    void theCopyHoldsEveryElementTransposedAndPaddedWithZeros() {
        int z = 2, h = 3, n = 37, d = 8;
        Arr a = new Arr(Elem.I8, z, h, n, d);
        for (int i = 0; i < a.size(); i++) a.i[i] = (i * 7919L) % 255 - 127;
        Arr km = KeyMajor.of(a);
        assertArrayEquals(new int[] {z, h, d, 48}, km.shape);
        // head (1, 2), key 21 (group 1, 8h + 2t + e with h = 0, t = 2, e = 1: slot 16 + 9), column 5
        assertEquals(a.i[((1 * h + 2) * n + 21) * d + 5], km.i[((1 * h + 2) * d + 5) * 48 + 25]);
        for (int head = 0; head < z * h; head++) {
            for (int c = 0; c < d; c++) {
                for (int key = 0; key < n; key++) {
                    assertEquals(a.i[(head * n + key) * d + c], km.i[(head * d + c) * 48 + KeyMajor.slot(key)], "head " + head + ", key " + key + ", column " + c);
                }
                for (int key = n; key < 48; key++) assertEquals(0, km.i[(head * d + c) * 48 + KeyMajor.slot(key)], "padding keys are zeros");
            }
        }
    }
}
