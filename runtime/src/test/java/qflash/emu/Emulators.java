package qflash.emu;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** For tests that need the CUDA emulator: it, or the test skipped with the reason there is none here. */
public final class Emulators {
    private Emulators() {}

    public static Emulator orSkip() {
        try {
            return Emulator.open();
        } catch (Emulator.Unavailable e) {
            assumeTrue(false, "no CUDA emulator here: " + e.getMessage());
            throw e;   // not reached: assumeTrue(false) aborts the test
        }
    }
}
