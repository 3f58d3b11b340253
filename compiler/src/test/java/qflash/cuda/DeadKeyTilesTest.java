package qflash.cuda;

import org.junit.jupiter.api.Test;
import qflash.ir.Block;
import qflash.ir.Kernel;
import qflash.ir.Op;
import qflash.ir.Value;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static qflash.cuda.CudaEmitterTest.count;
import static qflash.cuda.CudaEmitterTest.cuda;
import static qflash.cuda.CudaEmitterTest.kernel;
import static qflash.cuda.CudaEmitterTest.liveOnly;

/** The last key step's 8-key tiles past N: which copies of the step exist, and what each skips. */
class DeadKeyTilesTest {
    @Test
    void theLastStepIsWrittenPerSpanAndSkipsTheTilesPastIt() {
        for (String pipeline : List.of("int8", "qflash")) {
            for (String sample : List.of("flash_attention.tile", "flash_attention_bias.tile", "flash_attention_causal.tile")) {
                String src = liveOnly(cuda(sample, pipeline, Map.of(), Map.of(), 64));
                String what = sample + " " + pipeline;
                // 64-key blocks: a copy for 8, 16 and 32 keys below N, the 64-key one, and the full steps'.
                for (int span : List.of(8, 16, 32)) {
                    assertEquals(1, count(src, "else if ((n_N - qf_mul_int(v_kb, 64)) <= " + span + ") {\n          const bool qf_full_v_kb = false;\n          const int qf_span_v_kb = " + span + ";"), what + " " + span);
                }
                assertEquals(2, count(src, "const int qf_span_v_kb = 64;"), what);
                assertEquals(5, count(src, "if (!(qf_np * 16 < qf_span_v_kb)) continue;   // scores past N are masked"), what + ": QK^T's n tiles past the span");
                assertEquals(5, count(src, "if (!(qf_kc * 32 < qf_span_v_kb)) continue;   // keys past N: V's rows there are zero"), what + ": P.V's k chunks past the span");
                assertTrue(count(src, "if ((((i / 4) % 8) == 7 || ((i / 4) % 8) * 8 < qf_span_v_kb)) {") >= 5 * 3, what + ": element loops and the row max, in every copy");
                // P's tiles past the span are zero where a computed chunk reads them (packed as zero from the 32-bit
                // values); the row sum, a product with ones, adds the warp's last tile once for each key skipped.
                assertEquals(5, count(src, "else {\n              v_p8[i] = 0;\n            }"), what);
                assertEquals(5, count(src, "on tensor cores: P times ones"), what);
                assertEquals(5, count(src, "qf_mul_int((7 - min(7, (qf_span_v_kb + 7) / 8)) * 8, (int)v_p8[(i / 2) * 32 + 28 + (i & 1) * 2])"), what);
                // int8 packs P from the 32-bit values, the skipped tiles as zero; qflash's wrapping cast packs P itself.
                int guardedPacks = count(src, "(((((qf_mt * 32 + qf_kc * 16 + 0) / 4) % 8) == 7 || (((qf_mt * 32 + qf_kc * 16 + 0) / 4) % 8) * 8 < qf_span_v_kb) ? v_p_q[");
                if (pipeline.equals("int8")) assertTrue(guardedPacks >= 5, what + ": P packed from the 32-bit values, the skipped tiles as zero");
                else assertEquals(0, guardedPacks, what + ": a wrapping cast packs the 8-bit values as they are");
            }
        }
        // 128-key blocks: spans 16, 32, 64.
        String wide = liveOnly(cuda("flash_attention.tile", "int8", Map.of(), Map.of("BLOCK_N", 128L), 64));
        for (int span : List.of(16, 32, 64)) assertEquals(1, count(wide, "<= " + span + ") {"), "BLOCK_N 128, span " + span);
        assertFalse(wide.contains("<= 8) {"));
    }

    @Test
    void floatScoresSplitKeysAndPerColumnReadsLeaveTheStepWhole() {
        // fp16: a float sum and a float product (NaN times zero is not zero) read the probabilities.
        assertFalse(cuda("flash_attention.tile", "fp16", Map.of(), Map.of(), 64).contains("qf_span"));
        // Split warps: their column parts are run-time values, so the guards would not fold.
        assertFalse(cuda("flash_attention.tile", "int8", Map.of(), Map.of("ksplit", 2L, "BLOCK_M", 32L), 64).contains("qf_span"));
        // A row-uniform value read together with a per-column one (the scores plus the K-block multipliers, as a
        // hand edit of the IR): its elements past N then differ per key, and nothing is skipped.
        Kernel k = kernel("flash_attention.tile", "int8", Map.of(), Map.of());
        String src = CudaEmitter.emit(perColumnMax(k), Map.of("D", 64), "flash_attention.tile").source();
        assertFalse(src.contains("qf_span"), "a per-column read of the masked scores keeps every tile");
        assertTrue(src.contains("const bool qf_full_v_kb = false;"), "the padding peel itself is unchanged");
    }

    /** {@code k} with the row max of the key loop taken over the masked scores plus the K-block multipliers. */
    private static Kernel perColumnMax(Kernel k) {
        List<Op> outer = new ArrayList<>();
        for (Op op : k.body().ops()) {
            if (!(op instanceof Op.For f)) {
                outer.add(op);
                continue;
            }
            Value scores = null, perColumn = null;
            List<Op> ops = new ArrayList<>();
            for (Op inner : f.body().ops()) {
                if (inner instanceof Op.Select s && s.result().name().equals("s.i")) scores = s.result();
                if (inner instanceof Op.Broadcast b && b.result().name().equals("align_m.cols")) perColumn = b.result();
                if (inner instanceof Op.Reduce rd && rd.a() == scores) {
                    Value sum = new Value("s.i.col", scores.type());
                    ops.add(new Op.Binary(sum, Op.BinKind.ADD, scores, perColumn, rd.loc()));
                    ops.add(new Op.Reduce(rd.result(), rd.kind(), sum, rd.axis(), rd.loc()));
                    continue;
                }
                ops.add(inner);
            }
            assertTrue(scores != null && perColumn != null, "the int8 loop's masked scores and column multipliers");
            outer.add(new Op.For(f.results(), f.lo(), f.hi(), f.inits(), new Block(f.body().args(), ops), f.loc()));
        }
        return k.withBody(new Block(k.body().args(), outer));
    }
}
