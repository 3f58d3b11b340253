package qflash.samples;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import qflash.diag.Source;

/** The API example runs and its answer is right: V's rows are all equal, so attention returns them. */
class ApiExampleTest {
    @Test
    void exampleRunsAndIsExact() throws Exception {
        Path file = Path.of("flash_attention.tile");
        String report = ApiExample.run(new Source(file.toString(), Files.readString(file)));
        assertTrue(report.contains("schedule {BLOCK_M=32, BLOCK_N=64, warps=4, stages=2, ksplit=1, pro_blocks=0, pdl=0, min_blocks=0}"), report);
        double worst = Double.parseDouble(report.substring(report.lastIndexOf(' ') + 1));
        assertTrue(worst < 1e-5, report);
    }
}
