package qflash.cuda;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import qflash.Compiler;
import qflash.TestFiles;
import qflash.ir.Kernel;
import qflash.ir.Op;
import qflash.ir.Value;
import qflash.pass.Pipeline;

/**
 * The CUDA emitter without a GPU: every template renders from its model class with nothing but the
 * model's values in the output; emitted kernels carry the constructs the schedule promises (asserted as
 * substrings); and, where {@code nvcc} is on the PATH, every sample x pipeline x a few schedules, head
 * dims 16/96/256, every single option change of {@code int8}, and the prologue of every sample and
 * option compile for sm_90a and sm_80. Run:
 * {@code mvn -pl compiler test -Dtest=CudaEmitterTest}.
 */
class CudaEmitterTest {
    static Kernel kernel(String sample, String pipeline, Map<String, String> opts, Map<String, Long> tunables) {
        return Compiler.compile(TestFiles.sample(sample), Pipeline.named(pipeline, opts), tunables);
    }

    static String cuda(String sample, String pipeline, Map<String, String> opts, Map<String, Long> tunables, int d) {
        return CudaEmitter.emit(kernel(sample, pipeline, opts, tunables), Map.of("D", d), sample).source();
    }

    /** The prologue kernel's source ({@code d} &lt; 0), or the body's. */
    static String source(Case c) {
        if (c.d() < 0) {
            Kernel k = kernel(c.sample(), c.pipeline(), c.opts(), c.tunables());
            return PrologueEmitter.emit(k, Set.of("Q", "K", "V"), Map.of("D", 64), CudaEmitter.emit(k, Map.of("D", 64), c.sample())).source();
        }
        return c.halfOut() ? CudaEmitter.emit(kernel(c.sample(), c.pipeline(), c.opts(), c.tunables()), Map.of("D", c.d()), c.sample(), Set.of("O")).source()
                : cuda(c.sample(), c.pipeline(), c.opts(), c.tunables(), c.d());
    }

    @Test
    void everyTemplateHasAModelClassAndRendersOnlyItsValues() throws Exception {
        ModelWalker w = new ModelWalker();
        Set<String> classes = new HashSet<>();
        List<Class<?>> models = new ArrayList<>();
        for (Class<?> c : Model.class.getPermittedSubclasses()) {
            if (c == Model.Stmt.class) {
                for (Class<?> s : c.getPermittedSubclasses()) models.add(s);
            } else {
                models.add(c);
            }
        }
        for (Class<?> c : models) classes.add(c.getSimpleName());
        assertEquals(classes, new HashSet<>(w.templateNames()), "templates and model classes must pair up by name");
        for (Class<?> c : models) {
            Model m = sample(c);
            String text = w.render(m);
            assertFalse(text.isBlank(), c.getSimpleName() + " rendered nothing");
            assertFalse(text.contains("qflash."), c.getSimpleName() + " leaked a Java object: " + text);
            assertFalse(text.matches("(?s).*@[0-9a-f]{4,}.*"), c.getSimpleName() + " leaked an identity hash: " + text);
            for (RecordComponent rc : c.getRecordComponents()) {
                if (rc.getType() == String.class) assertTrue(text.contains("<" + rc.getName() + ">"), c.getSimpleName() + " does not print " + rc.getName() + ":\n" + text);
            }
        }
    }

    /** An instance whose strings name their component, so the test can see each one reach the output. */
    private static Model sample(Class<?> c) throws Exception {
        RecordComponent[] rcs = c.getRecordComponents();
        Object[] values = new Object[rcs.length];
        Class<?>[] types = new Class<?>[rcs.length];
        for (int i = 0; i < rcs.length; i++) {
            types[i] = rcs[i].getType();
            values[i] = value(rcs[i].getType(), rcs[i].getGenericType(), rcs[i].getName());
        }
        Constructor<?> ctor = c.getDeclaredConstructor(types);
        return (Model) ctor.newInstance(values);
    }

    private static Object value(Class<?> t, Type generic, String name) throws Exception {
        if (t == String.class) return "<" + name + ">";
        if (t == int.class) return 7;
        if (t == boolean.class) return true;
        if (t == List.class) {
            Type arg = ((ParameterizedType) generic).getActualTypeArguments()[0];
            if (arg == String.class) return List.of("<" + name + ">");
            return List.of(new Model.Comment("<" + name + ">"));
        }
        if (t.isInterface() && Model.class.isAssignableFrom(t)) return new Model.Comment("<" + name + ">");
        if (Model.class.isAssignableFrom(t)) return sample(t);
        throw new IllegalStateException("no sample value for " + t);
    }

    @Test
    void integerKernelsUseIntegerTensorCoresAndPointBackAtTheSource() {
        String int8 = liveOnly(cuda("flash_attention.tile", "int8", Map.of(), Map.of(), 64));
        assertTrue(int8.contains("qf_mma_u8s8(&"), "int8's PV product is u8 x s8");
        assertTrue(int8.contains("qf_mma_s8s8(&"), "QK^T is s8 x s8");
        assertTrue(int8.contains("qf_cp_async16("), "K/V tiles are staged with cp.async");
        assertTrue(int8.contains("qf_cp_async_wait<0>();\n        __syncthreads();\n         {\n          const int qf_next = v_kb + 1;"),
                "two stages: the head waits for its step's tiles, then the barrier, then issues the next step's copy");
        assertTrue(int8.contains("__shfl_xor_sync"), "row max and sum across the row group");
        assertTrue(int8.contains("qf_ldmatrix_x4(qf_a, ") && int8.contains("qf_ldmatrix_x4(qf_b, "), "fragments from shared memory by ldmatrix");
        assertFalse(int8.contains("_aligned[i] = qf_sat_i32("), "the clamped K-block multiplier makes the aligned score narrow by wrap");
        // The step is written five times (full key blocks, then the last per span of keys below N: 8, 16, 32, 64; see
        // onlyTheLastKeyStepTestsForPadding and DeadKeyTilesTest), so per-step constructs count five times.
        assertEquals(5, int8.split("qf_mul_i64\\(", -1).length - 1, "one 64 x 64 product per row (a * M); the realignment of l and acc multiplies 32-bit values");
        assertEquals(15, int8.split("= qf_mul_wide\\(", -1).length - 1, "widening 32 x 32 products: the K-block alignment and the realignment of l and acc");
        assertTrue(java.util.regex.Pattern.compile("v_halvings\\[i\\] = \\(int\\)\\(v_\\d+\\[i\\] & 255\\);").matcher(int8).find(), "the halvings count is the masked top byte");
        assertTrue(java.util.regex.Pattern.compile("= qf_shr_nonneg\\(v_\\d+\\[i\\], v_halvings\\[i\\]\\);").matcher(int8).find(), "a count that is never negative: the GPU's own shift, no clamp");
        assertFalse(int8.contains("qf_clamp0(v_halvings"), "no clamp of the count left");
        assertTrue(int8.contains("(u8)qf_clamp0((int)(v_p_q[i]), 255)"), "P saturated to u8 by one clamp instruction");
        assertFalse(int8.contains("max(v_halvings"), "no max of the count computed on its own either");
        assertTrue(int8.contains("qf_cp_async4(") && !int8.contains("p_align_m_arg[("), "the K-block multipliers are staged with their K tile, not read from global memory where used");
        assertEquals(2, int8.split("__syncthreads\\(\\)", -1).length - 1,
                "the loop head (which also waits for Q and V's scales) and one for V's scales when no key block ran: V needs no transpose, and no barrier ends the iteration");
        assertTrue(int8.contains("// stage %v.scale = %V.scale[...] in shared memory: 64 x f32, read after the loop"), "V's scales are copied with Q, not read from global memory in the epilogue");
        assertFalse(int8.contains("float v_v_scale["), "V's scales are read in the epilogue, not held through the loop");
        assertTrue(int8.contains("*reinterpret_cast<float2*>(&p_O["), "O stored two columns at a time");
        String half = CudaEmitter.emit(kernel("flash_attention.tile", "int8", Map.of(), Map.of()), Map.of("D", 64), "flash_attention.tile", Set.of("O")).source();
        assertTrue(half.contains("*reinterpret_cast<u32*>(&p_O[") && half.contains("qf_pack2(qf_x0, qf_x1)"), "f16 O stored two columns at a time");
        assertTrue(int8.contains("#line " + TestFiles.lineOf("flash_attention.tile", "let s = where(") + " \"flash_attention.tile\""), "the score line of the DSL");
        assertFalse(int8.contains("float v_s"), "scores stay integer");
        String qflash = cuda("flash_attention.tile", "qflash", Map.of(), Map.of(), 64);
        assertFalse(qflash.contains("qf_mma_u8s8(&"), "qflash's P is s8");
        String fp16 = cuda("flash_attention.tile", "fp16", Map.of(), Map.of(), 64);
        assertTrue(fp16.contains("qf_mma_f16(&"), "fp16 runs on f16 tensor cores");
        String three = cuda("flash_attention.tile", "int8", Map.of(), Map.of("stages", 3L), 64);
        assertTrue(three.contains("qf_cp_async_wait<1>()"), "three stages: the head waits for its step's tiles with the next step's still in flight");
        String one = cuda("flash_attention.tile", "int8", Map.of(), Map.of("stages", 1L), 64);
        assertTrue(one.contains("__syncthreads();\n         {\n          const int qf_next = v_kb;"), "one stage: a barrier before the copy refills the buffer just read");
    }

    @Test
    void pIsPackedWithSaturationAndItsRowSumIsAProductWithOnes() {
        String int8 = liveOnly(cuda("flash_attention.tile", "int8", Map.of(), Map.of(), 64));
        assertTrue(int8.contains("qf_a[0] = qf_pack4_sat_u8("), "int8's u8 P: cvt.pack.sat from the 32-bit values");
        assertFalse(int8.contains("qf_pack4(v_p8["), "no element of P is clamped and packed one by one");
        assertTrue(int8.contains("qf_mma_u8s8(&v_59_i_mma[(qf_mt * 1 + qf_nt) * 4], qf_a, qf_b0, qf_b1);") && int8.contains("qf_b0 = 0x01010101u;"),
                "the row sum of P: P times ones on tensor cores");
        // qflash's P cast wraps: no saturating pack; its s8 P still sums on tensor cores.
        String qflash = liveOnly(cuda("flash_attention.tile", "qflash", Map.of(), Map.of(), 64));
        assertFalse(qflash.contains("] = qf_pack4_sat"), "a wrapping cast packs the 8-bit values as they are");
        assertTrue(qflash.contains("on tensor cores: P times ones") && qflash.contains("qf_mma_s8s8(&v_59_i_mma["), "s8 P: s8 x s8 with ones");
        assertTrue(cuda("flash_attention.tile", "qflash", Map.of("p-cast", "sat"), Map.of(), 64).contains("qf_pack4_sat_s8("), "a saturating s8 cast packs with cvt.pack.sat.s8");
        // Split warps sum their own 32-key chunks so and meet as before.
        String two = liveOnly(cuda("flash_attention.tile", "int8", Map.of(), Map.of("warps", 8L, "ksplit", 2L), 64));
        assertTrue(two.contains("on tensor cores: P times ones") && two.contains("meet their partial sums"), "ksplit 2");
        // fp16's row sum is a float sum: element by element.
        assertFalse(cuda("flash_attention.tile", "fp16", Map.of(), Map.of(), 64).contains("P times ones"));
    }

    @Test
    void anArrayNothingReadsIsNotEmitted() {
        // With 64-key steps the last step's skipped keys add the warp's last tile of the 8-bit P (DeadKeyTiles): P is read.
        String n64 = cuda("flash_attention.tile", "int8", Map.of(), Map.of(), 64);
        assertTrue(n64.contains("u8 v_p8[") && n64.contains("(int)v_p8[(i / 2) * 32"), "P's 8-bit tile, read by the skipped keys' stand-in");
        // One 256-key step: the fragments come from the i32 tile, nothing reads P's 8-bit copy, and it is not computed.
        String n256 = cuda("flash_attention.tile", "int8", Map.of(), Map.of("BLOCK_N", 256L, "ksplit", 4L), 64);
        assertTrue(n256.contains("qf_pack4_sat_u8(v_p_q["), "P packed from its i32 tile");
        assertFalse(n256.contains("v_p8"), "no dead 8-bit copy of P");
        for (String cu : List.of(n64, n256)) {
            for (var m = Pattern.compile("\\b(?:u8|i8|int|float|f16|i64) (v_\\w+)\\[\\d+\\];").matcher(cu); m.find(); ) {
                String name = m.group(1);
                long uses = Pattern.compile("\\b" + name + "\\b").matcher(cu).results().count();
                long writes = Pattern.compile("\\b" + name + "\\[(?:\\d+|i)\\] = ").matcher(cu).results().count()
                        + Pattern.compile("\\b(?:u8|i8|int|float|f16|i64) " + name + "\\[\\d+\\];").matcher(cu).results().count();
                assertTrue(uses > writes, name + " is declared and written but never read");
            }
        }
    }

    @Test
    void registersAreBudgetedForAsManyBlocksPerSmAsTheTilesAllowUnlessTheScheduleSays() {
        for (var e : Map.of(16, 6, 32, 5, 64, 4, 96, 3, 128, 3).entrySet()) {
            assertTrue(cuda("flash_attention.tile", "int8", Map.of(), Map.of(), e.getKey()).contains("__launch_bounds__(128, " + e.getValue() + ") qf_"),
                    "D = " + e.getKey() + ": " + e.getValue() + " blocks per SM");
        }
        assertTrue(cuda("flash_attention.tile", "int8", Map.of(), Map.of(), 256).contains("__launch_bounds__(128) qf_"), "D = 256: one block, no bound");
        // A schedule whose min_blocks is above 0 chooses for itself (the sample's default, 0, takes the estimate above).
        qflash.diag.Source src = TestFiles.sample("flash_attention.tile");
        String text = src.text().replaceFirst("tunable min_blocks in \\{[0-9, ]*\\} = 0;", "tunable min_blocks in {1, 2, 3} = 2;");
        assertNotEquals(src.text(), text);
        Kernel k = Compiler.compile(new qflash.diag.Source(src.name(), text), Pipeline.named("int8", Map.of()), Map.of());
        assertTrue(CudaEmitter.emit(k, Map.of("D", 64), src.name()).source().contains("__launch_bounds__(128, 2) qf_"));
    }

    @Test
    void thePrologueIsOneLaunchWithABarrierOnlyWhereAPartReadsAnothersResult() {
        // int8: centre K, quantize Q (a warp per row), zero V's amax, each head's largest K scale starts at -inf |
        // quantize K (a warp, or with D fixed a block, per 64 tokens; each updates its head's largest scale), V's amax | quantize V, launch constants
        PrologueEmitter.Program p = PrologueEmitter.emit(kernel("flash_attention.tile", "int8", Map.of(), Map.of()), Set.of());
        assertEquals(1, p.steps().size());
        assertEquals("9 parts in 3 phases", p.steps().get(0).what(), "D symbolic: V's channels are strided, amax by atomics");
        assertEquals(2, p.source().split("qf_grid_sync\\(", -1).length - 2, "one barrier per phase boundary (plus its definition)");
        Set<String> names = new HashSet<>();
        p.buffers().forEach(b -> names.add(b.name()));
        // row groups are quantized by a warp each: no amax buffer; V's channels are strided: atomics into one
        assertFalse(names.contains("b_Q_s_amax"));
        assertTrue(names.contains("b_V_s_amax"));
        // each head's max over N of K's scales is taken as they are written: an atomic max into the group's head
        assertTrue(p.source().contains("== 0) qf_atomic_max(&b_K_scale_max[qf_first / (n_N)], qf_s)"), "into the group's head's element");
        assertTrue(p.source().contains("b_K_scale_max[k] = -qf_inf();"), "every head's starts at -inf");
        // the launch constants read it through the broadcast along the tokens: no buffer for the broadcast
        assertTrue(p.source().contains("b_K_scale_max[(k) / (n_N)]"), "element k of the broadcast is element k / N of the head's");
        assertFalse(names.contains("b_K_scale_max_b"), "a broadcast gets no buffer");
        // the launch constants are one part: the intermediates between them stay in registers
        assertFalse(names.contains("b_inv_sm_pro"), "a value only its own part reads gets no buffer");
        assertTrue(names.contains("b_rs_pro"), "a value the body reads keeps its buffer");
        PrologueEmitter.Program q = PrologueEmitter.emit(kernel("flash_attention.tile", "qflash", Map.of(), Map.of()), Set.of());
        assertEquals("13 parts in 4 phases", q.steps().get(0).what());
        // With D fixed (as the runtime compiles it), V's channels are columns of D: their amax needs no
        // atomics and no zeroing, and it runs in the first phase.
        PrologueEmitter.Program fixed = PrologueEmitter.emit(kernel("flash_attention.tile", "int8", Map.of(), Map.of()), Set.of(), Map.of("D", 64));
        assertEquals("7 parts in 3 phases", fixed.steps().get(0).what());
        assertFalse(fixed.source().contains("atomicMax(reinterpret_cast<int*>(b_V_s_amax)"), "no atomics for V's column amax");
        assertTrue(fixed.source().indexOf("amax and scale of %V per column") < fixed.source().indexOf("qf_grid_sync(reinterpret_cast"), "V's amax in phase 0");
        assertTrue(fixed.source().contains("*reinterpret_cast<u32*>(&b_V_q[k]) = qf_pack4((i8)qf_sat_f2i_rne(qf_raw.x / qf_s4.x, -128, 127)"), "V quantized four columns per thread by the scales its amax part wrote, with a 32-bit convert");
        // K is centred on read: no f32 centred tensor is written, K's quantization subtracts the means as it reads K.
        Set<String> fixedNames = new HashSet<>();
        fixed.buffers().forEach(b -> fixedNames.add(b.name()));
        assertFalse(fixedNames.contains("b_K_centred"), "the centred K is never stored");
        assertFalse(fixedNames.contains("b_V_s_amax"), "V's column maxima stay in the part that turns them into scales");
        assertTrue(fixed.source().contains("const float4 qf_mv = *reinterpret_cast<const float4*>(&b_K_mean[qf_mrow + j % 64]);")
                && fixed.source().contains("(qf_raw.x - qf_mv.x)"), "the quantization of K reads K minus its columns' means, four at a time");
        assertTrue(fixed.source().contains("for (int j = qf_lane * 2; j < qf_len; j += 32 * 2) {"), "a token of D = 64: two elements per load");
        assertTrue(fixed.source().contains("*reinterpret_cast<u32*>(&b_K_q[qf_start + j]) = qf_pack4("), "K's 64-token blocks: four bytes per store");
        assertTrue(fixed.source().indexOf("%K.mean of center %K") < fixed.source().indexOf("qf_grid_sync(reinterpret_cast"), "the means in phase 0, K's quantization after them");
        // The parts of a phase run side by side: each starts on the blocks after the earlier parts' footprints.
        String src = fixed.source();
        String phase0 = src.substring(0, src.indexOf("qf_grid_sync(reinterpret_cast"));
        assertEquals(1, phase0.split("const int qf_bid = \\(int\\)blockIdx.x;", -1).length - 1, "the first part of a phase starts at block 0");
        assertTrue(phase0.split("const int qf_bid = qf_rotate\\(\\(int\\)blockIdx.x, ", -1).length - 1 >= 3, "the others are rotated past it");
        assertTrue(src.contains("for (int qf_o = qf_bid; qf_o < (n_Z * n_H); qf_o += gridDim.x)"), "block-per-group loops start at the rotated block");
        // A block's walks over its rows issue 16 loads before using any (one per row waited a memory latency each).
        assertTrue(src.contains("for (int qf_j0 = (int)threadIdx.x; qf_j0 < qf_n * 64; qf_j0 += 16 * QF_THREADS)"), "K's rows staged 16 loads at a time");
        assertTrue(src.contains("for (int qf_j0 = (int)threadIdx.x / 64; qf_j0 < n_N; qf_j0 += 16 * qf_step)"), "V's column maxima 16 rows at a time");
        assertFalse(src.contains("blockDim"), "the block size is the constant QF_THREADS");
    }

    @Test
    void onlyTheLastKeyStepTestsForPadding() {
        for (String sample : List.of("flash_attention.tile", "flash_attention_bias.tile", "flash_attention_causal.tile")) {
            for (String pipeline : List.of("int8", "qflash", "fp16")) {
                String src = liveOnly(cuda(sample, pipeline, Map.of(), Map.of(), 64));
                String what = sample + " " + pipeline;
                // The integer pipelines write the last step once per span of keys below N (DeadKeyTilesTest): 8, 16, 32, 64.
                int copies = pipeline.equals("fp16") ? 2 : 5;
                assertEquals(1, count(src, "if (v_kb + 1 < qf_hi_v_kb) {"), what);
                assertEquals(1, count(src, "const bool qf_full_v_kb = true;"), what);
                assertEquals(copies - 1, count(src, "const bool qf_full_v_kb = false;"), what);
                int tests = count(src, "(qf_full_v_kb || (qf_add_int(qf_mul_int(v_kb, 64), ");
                assertTrue(tests >= copies && tests % copies == 0, what + ": the padding test in every copy, " + tests);
            }
        }
        // The causal test (key past the query) is not a padding test: it stays whole in both copies.
        String causal = liveOnly(cuda("flash_attention_causal.tile", "int8", Map.of(), Map.of(), 64));
        assertEquals(0, count(causal, "qf_full_v_kb || ((qf_add_int(qf_mul_int(v_kb, 64), (((i / 4) % 8) * 8 + 2 * qf_t + i % 2)) <= "), causal);
        // A test the peel cannot prove true in the full steps (keys <= N) keeps the step written once.
        qflash.diag.Source plain = TestFiles.sample("flash_attention.tile");
        qflash.diag.Source edited = new qflash.diag.Source("edited.tile", plain.text().replace("cols[None, :] < N", "cols[None, :] <= N"));
        assertNotEquals(plain.text(), edited.text());
        String src = CudaEmitter.emit(Compiler.compile(edited, Pipeline.named("int8", Map.of()), Map.of()), Map.of("D", 64), "edited.tile").source();
        assertFalse(src.contains("qf_full"), "no peel for keys <= N");
    }

    /** The index just past the brace that closes the one at {@code open}. */
    private static int closing(String src, int open) {
        int depth = 0;
        for (int i = open; i < src.length(); i++) {
            if (src.charAt(i) == '{') depth++;
            else if (src.charAt(i) == '}' && --depth == 0) return i + 1;
        }
        throw new AssertionError("unbalanced braces from " + open);
    }

    /** {@code src} without the key loop that warps without stored rows run (the block's share of the live loop). */
    static String liveOnly(String src) {
        int share = src.indexOf("the block's share only");
        if (share < 0) return src;
        int open = src.lastIndexOf("else {", share) + "else ".length();
        return src.substring(0, open) + "{ }" + src.substring(closing(src, open));
    }

    static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }

    @Test
    void schedulesTheMmaLayoutCannotTakeAreRefusedWithAReason() {
        CudaEmitter.Unsupported e = assertThrows(CudaEmitter.Unsupported.class,
                () -> cuda("flash_attention.tile", "int8", Map.of(), Map.of("BLOCK_M", 16L, "warps", 4L), 64));
        assertTrue(e.getMessage().contains("BLOCK_M"), e.getMessage());
        e = assertThrows(CudaEmitter.Unsupported.class, () -> cuda("flash_attention.tile", "f32", Map.of(), Map.of(), 64));
        assertTrue(e.getMessage().contains("cannot feed tensor cores"), e.getMessage());
        e = assertThrows(CudaEmitter.Unsupported.class, () -> cuda("flash_attention.tile", "int8", Map.of(), Map.of("BLOCK_N", 16L), 64));
        assertTrue(e.getMessage().contains("BLOCK_N"), e.getMessage());
        assertTrue(e.getMessage().matches("\\d+:\\d+: '%\\S+ = dot .*': its k dimension is 16 \\(BLOCK_N\\).*multiples of 32"),
                "names the DSL position and the IR op, not a Java record: " + e.getMessage());
        e = assertThrows(CudaEmitter.Unsupported.class, () -> cuda("flash_attention.tile", "int8", Map.of(), Map.of("BLOCK_N", 32L, "ksplit", 2L), 64));
        assertTrue(e.getMessage().contains("multiples of 32 per warp (ksplit = 2)"), "each warp's share of P must fill whole k chunks: " + e.getMessage());
        e = assertThrows(CudaEmitter.Unsupported.class, () -> cuda("flash_attention.tile", "int8", Map.of(), Map.of("BLOCK_M", 16L, "ksplit", 2L), 64));
        assertTrue(e.getMessage().contains("(4 warps, ksplit = 2)"), e.getMessage());
    }

    @Test
    void aKeySplitDealsColumnsOutAndMeetsThroughSharedMemory() {
        String one = cuda("flash_attention.tile", "int8", Map.of(), Map.of("warps", 8L, "BLOCK_M", 128L), 64);
        String two = liveOnly(cuda("flash_attention.tile", "int8", Map.of(), Map.of("warps", 8L, "ksplit", 2L), 64));
        assertFalse(one.contains("qf_wp"), "ksplit 1 emits what it did before the split existed");
        assertTrue(two.contains("const int qf_wrow = (qf_warp / 2) * 16;") && two.contains("const int qf_wp = qf_warp % 2;"), "two warps per 16-row slab");
        // every warp holds 32 of the 64 scores of a key block and 32 of the 64 output columns
        assertTrue(two.contains("int v_44_i32[16];") && two.contains("int v_acc_1_i[16];"), two);
        assertTrue(two.contains("(qf_wp * 32 + ((i / 4) % 4) * 8 + 2 * qf_t + i % 2)"), "a warp's columns start at its share");
        assertEquals(2 * 2, count(two, "meet their partial"), "row max and row sum meet across the warps, in both copies of the peeled step");
        assertEquals(2, count(two, "A fragments of %p8: this warp's 1 of 2 k chunks"), "P is exchanged once per step copy");
        int exchange = two.indexOf("A fragments of %p8"), sync = two.indexOf("__syncthreads();", exchange), mma = two.indexOf("qf_mma_u8s8", sync);
        assertTrue(exchange > 0 && exchange < sync && sync < mma, "the exchange is written, then a barrier, then the other warps' fragments are read");
    }

    @Test
    void aWarpWhoseRowsAreNeverStoredRunsOnlyTheBlocksShareOfTheLoop() {
        for (String sample : List.of("flash_attention.tile", "flash_attention_causal.tile")) {
            for (Map<String, Long> sched : List.of(Map.<String, Long>of(), Map.of("warps", 8L, "ksplit", 2L))) {
                String src = cuda(sample, "int8", Map.of(), sched, 64);
                String what = sample + " " + sched;
                assertTrue(src.contains("const bool qf_live = (unsigned)(qf_mul_int((int)blockIdx.x, 64) + qf_wrow) < (unsigned)n_N;"),
                        "a warp is live when its first row is below N: " + what);
                int live = src.indexOf("if (qf_live) {") + "if (qf_live) ".length(), dead = src.indexOf("the block's share only", live);
                assertTrue(live > 0 && dead > live, what);
                int orElse = src.indexOf("else {", closing(src, live)) + "else ".length();
                assertEquals("else", src.substring(closing(src, live), orElse).strip(), "the live test's else holds the block's share: " + what);
                assertTrue(orElse < dead, what);
                String whole = src.substring(live, closing(src, live)), share = src.substring(orElse, closing(src, orElse));
                assertEquals(count(src, "qf_mma_s8s8(&"), count(whole, "qf_mma_s8s8(&"), "every product is in the live warps' loop: " + what);
                for (String own : List.of("qf_mma_s8s8(&", "qf_mma_u8s8(&", "__shfl_xor_sync", "qf_mul_wide(", "v_p_q[i] = ")) {
                    assertTrue(whole.contains(own), own + " in the live warps' loop: " + what);
                    assertFalse(share.contains(own), own + " left out of the loop of a warp without stored rows: " + what);
                }
                for (String block : List.of("__syncthreads()", "qf_cp_async", "from its key-major copy", "meet their partial", "qf_cp_async_wait")) {
                    assertEquals(count(whole, block), count(share, block), block + ": both loops pass the same barriers and copies: " + what);
                }
            }
        }
        String oneSlab = cuda("flash_attention.tile", "int8", Map.of(), Map.of("BLOCK_M", 16L, "BLOCK_N", 128L, "ksplit", 4L), 64);
        assertFalse(oneSlab.contains("qf_live"), "a block of one slab (4 warps sharing 16 rows) has no warp without rows: one loop");
    }

    @Test
    void copiesAddressTheTilesFirstRowOnceAndTestOnlyWhatCanBeOutOfBounds() {
        String src = cuda("flash_attention.tile", "int8", Map.of(), Map.of(), 64);
        // K's tile: its first row's address from the step's start, each chunk a small int offset from it, no select of the address
        assertTrue(src.contains("const unsigned char* qf_tile = reinterpret_cast<const unsigned char*>(p_K_i8 + ((((i64)((int)blockIdx.z) * n_H + ((int)blockIdx.y)) * n_N + (0)) * QF_D + (0)) + (i64)(qf_mul_int(v_kb, 64)) * 1LL * QF_D);"), "K's first row");
        assertTrue(src.contains("qf_tile + (qf_r * (int)(1LL * QF_D) * 1 + qf_k * 16), qf_ok ? 16 : 0);"), "a chunk is an offset from the first row");
        assertFalse(src.contains("qf_ok ? qf_base"), "no address is selected against the tensor's start");
        // z and h are grid variables over exactly Z and H: never tested; the rows (past N in the last step) are
        assertFalse(src.contains("(unsigned)((int)blockIdx.z) < (unsigned)n_Z") || src.contains("(unsigned)((int)blockIdx.y) < (unsigned)n_H"), "grid axes are in bounds by the launch");
        assertTrue(src.contains("const bool qf_ok = qf_uok && (unsigned)(qf_mul_int(v_kb, 64) + qf_r) < (unsigned)n_N;"), "rows are tested against N");
        // derived tensors (the prologue's) are read unguarded; an optional one (the bias) still reads as 0 when absent
        assertFalse(src.contains("p_rs_arg != nullptr") || src.contains("p_K_i8 != nullptr"), "derived tensors are always there");
        String bias = cuda("flash_attention_bias.tile", "fp16", Map.of(), Map.of(), 32);   // fp16 reads the caller's bias itself
        assertTrue(bias.contains("p_bias != nullptr"), "an absent bias reads as 0");
    }

    /**
     * Under the per-head prologue nothing but the prologue writes the body's derived tensors (the body's preamble that
     * once wrote the launch constants is gone): for every sample and every single int8 option change with a per-head
     * form, each derived tensor the body takes is a buffer of the prologue with a store into it.
     */
    @Test
    void thePerHeadPrologueWritesEveryDerivedTensorTheBodyReads() {
        List<Map<String, String>> options = new ArrayList<>(List.of(Map.of()));
        for (String o : List.of("exp=shift", "p=s8", "p-cast=wrap", "smooth-k=false", "out=int8", "sum-init=1", "halvings=published")) {
            String[] kv = o.split("=");
            options.add(Map.of(kv[0], kv[1]));
        }
        int checked = 0;
        for (String sample : List.of("flash_attention.tile", "flash_attention_bias.tile", "flash_attention_causal.tile")) {
            for (Map<String, String> opts : options) {
                Kernel k = kernel(sample, "int8", opts, Map.of("pro_blocks", 2L));
                CudaEmitter.CudaKernel body = CudaEmitter.emit(k, Map.of("D", 64), sample);
                PrologueEmitter.Program pro = PrologueEmitter.emit(k, Set.of("Q", "K", "V"), Map.of("D", 64), body);
                for (CudaEmitter.Arg a : body.args()) {
                    Kernel.Param p = k.param(a.name());
                    if (a.kind() != CudaEmitter.Arg.Kind.TENSOR || p == null || !p.derived()) continue;
                    String buffer = pro.derived().get(a.name());
                    assertNotNull(buffer, sample + " " + opts + ": the body reads " + a.name() + ", which the prologue does not write");
                    java.util.regex.Pattern store = java.util.regex.Pattern.compile("(\\b" + buffer + "\\[[^;=]*\\]|&" + buffer + "\\[[^;=]*\\]\\))\\s*=[^=]");
                    assertTrue(store.matcher(pro.source()).find(), sample + " " + opts + ": no store into " + buffer + " (" + a.name() + ")");
                    checked++;
                }
            }
        }
        assertTrue(checked >= 24 * 8, "derived tensors checked: " + checked);
    }

    @Test
    void thePerHeadPrologueWaitsForNoOtherBlockAndComputesTheLaunchConstants() {
        Kernel k = kernel("flash_attention.tile", "int8", Map.of(), Map.of("pro_blocks", 2L));
        CudaEmitter.CudaKernel body = CudaEmitter.emit(k, Map.of("D", 64), "flash_attention.tile");
        PrologueEmitter.Program pro = PrologueEmitter.emit(k, Set.of("Q", "K", "V"), Map.of("D", 64), body);
        // K and V staged, 2 blocks each per head; Q on 2 blocks of its own; no grid barrier
        assertEquals(new PrologueEmitter.Launch(256, 6, List.of(qflash.ir.Dim.sym("Z"), qflash.ir.Dim.sym("H")), List.of(qflash.ir.Dim.sym("N"), qflash.ir.Dim.sym("D")),
                List.of(qflash.ir.Dim.sym("N"))), pro.launch());
        assertFalse(pro.source().contains("qf_grid_sync("), "no grid barrier");
        assertEquals(3 + 3, count(pro.source(), "__syncthreads();"), "block barriers only: K staged, its means, its group maxima; V staged, its column maxima, its scales");
        // the maxima spread over all threads, combined by shared-memory atomics (a max in any order is the same)
        assertTrue(pro.source().contains("atomicMax(&qf_gm[g], qf_m)") && pro.source().contains("atomicMax(&qf_colm[c], qf_m)"), "group and column maxima");
        assertTrue(pro.source().contains("qf_sum = qf_sum + qf_dyn[r * 64 + c];"), "the mean still one thread per column, in token order");
        assertTrue(pro.source().contains("qf_hi[u] = fmaxf(qf_hi[u], qf_dyn[r * 64 + c]);") && pro.source().contains("if (qf_ext)"),
                "K's group maxima from its columns' extremes (CentredExtremesTest), a pass over the head where the groups are too many");
        assertTrue(pro.source().contains("else {\n    // %Q.q, %Q.s = quantize Q per token"), "Q on its own blocks");
        // K's largest scale is per head: the head's first K block writes it
        String kref = "b_K_scale_max";
        assertTrue(pro.source().contains(kref + "[qf_head] = qf_p"), "the head's k_ref");
        assertEquals(kref, pro.derived().get("K.scale.ref"), "the derived parameter is that buffer");
        // and every K block of the head knows it, with K's group scales and (recomputed) Q's token scales: the launch
        // constants of its tokens are computed there, so the body has no preamble
        String consts = pro.source().substring(pro.source().indexOf("the launch constants of this block's tokens"));
        assertTrue(pro.source().indexOf("the launch constants of this block's tokens") < pro.source().indexOf("else if (qf_track == 1)"), "in K's blocks");
        assertTrue(consts.contains("qf_max_K_scale_max = fmaxf(qf_max_K_scale_max, "), "k_ref from the group scales in shared memory");
        assertTrue(consts.contains("qf_s_Q = ") && consts.contains("b_rs_pro[qf_head * n_N + t] = e_rs_pro;") && consts.contains("b_align_m_pro[qf_head * n_N + t] = e_align_m_pro;"),
                "row constants from Q's recomputed scale, key constants from K's group scale");
        assertTrue(pro.source().contains("float s_scale"), "the scalars the constants name are the prologue's arguments");
        String src = liveOnly(body.source());
        assertFalse(src.contains("qf_pre_"), "no preamble in the body");
        assertTrue(body.args().stream().noneMatch(a -> a.name().equals(kref)), "the body does not read k_ref");
        // the grid-wide form is unchanged by the tunable's presence
        Kernel grid = kernel("flash_attention.tile", "int8", Map.of(), Map.of("pro_blocks", 0L));
        assertFalse(PrologueEmitter.emit(grid, Set.of(), Map.of("D", 64)).launch().perHead());
        // groups over all heads (qflash's per-tensor scales) have no per-head form: said, not emitted
        CudaEmitter.Unsupported e = assertThrows(CudaEmitter.Unsupported.class,
                () -> PrologueEmitter.emit(kernel("flash_attention.tile", "qflash", Map.of(), Map.of("pro_blocks", 2L)), Set.of(), Map.of("D", 64)));
        assertTrue(e.getMessage().contains("pro_blocks > 0") && e.getMessage().contains("span heads"), e.getMessage());
    }

    @Test
    void underPdlThePrologueEndsWithTheTriggerAndTheBodyWaitsBeforeItReadsAnything() {
        for (long b : new long[] {0, 2}) {
            Kernel k = kernel("flash_attention.tile", "int8", Map.of(), Map.of("pro_blocks", b, "pdl", 1L));
            CudaEmitter.CudaKernel body = CudaEmitter.emit(k, Map.of("D", 64), "flash_attention.tile");
            String pro = PrologueEmitter.emit(k, Set.of("Q", "K", "V"), Map.of("D", 64), body).source();
            String tail = pro.substring(pro.lastIndexOf("qf_pdl_trigger();"));
            assertEquals("qf_pdl_trigger();\n}", tail.strip(), "the trigger is the prologue's last statement (pro_blocks = " + b + ")");
            assertEquals(2, count(pro, "qf_pdl_trigger()"), "defined once, called once");
            String src = liveOnly(body.source());
            int wait = src.indexOf("qf_pdl_wait();"), firstRead = src.indexOf("p_", src.indexOf("qf_smem[];"));
            assertTrue(wait > 0 && wait < firstRead, "the body waits before its first read of device memory");
            // without it, the same kernels and no call of either
            Kernel plain = kernel("flash_attention.tile", "int8", Map.of(), Map.of("pro_blocks", b));
            CudaEmitter.CudaKernel plainBody = CudaEmitter.emit(plain, Map.of("D", 64), "flash_attention.tile");
            assertFalse(plainBody.source().contains("qf_pdl_wait();"));
            assertFalse(PrologueEmitter.emit(plain, Set.of("Q", "K", "V"), Map.of("D", 64), plainBody).source().contains("qf_pdl_trigger();"));
        }
        CudaEmitter.Unsupported e = assertThrows(CudaEmitter.Unsupported.class,
                () -> PrologueEmitter.dependent(kernel("flash_attention.tile", "int8", Map.of(), Map.of()).withSchedule(Map.of("pdl", 2L))));
        assertTrue(e.getMessage().startsWith("pdl = 2: 0"), e.getMessage());
    }

    @Test
    void theIntegerPipelinesReadVKeyMajorAsThePrologueWritesIt() {
        for (String pipeline : List.of("int8", "qflash")) {
            Kernel k = kernel("flash_attention.tile", pipeline, Map.of(), Map.of());
            CudaEmitter.CudaKernel body = CudaEmitter.emit(k, Map.of("D", 64), "flash_attention.tile");
            assertEquals(Set.of("V.i8"), body.keyMajor(), pipeline + ": V, the right operand of P.V, and only V");
            assertFalse(body.source().contains("transpose %v.i8"), pipeline + ": no V transpose in shared memory");
            assertEquals(2 * 2, count(body.source(), "stage %v.i8 = %V.i8[...] in shared memory from its key-major copy: 64 rows of 64 keys"),
                    pipeline + ": V copied as 64 rows (D) of 64 keys, before and in the loop, in both loops of the warp skip");
            assertTrue(body.source().contains("(unsigned)(qf_mul_int(v_kb, 64) + qf_k * 16) < (unsigned)n_N"), pipeline + ": a 16-key chunk from N on is zero-filled");
            PrologueEmitter.Program pro = PrologueEmitter.emit(k, Set.of(), Map.of("D", 64), body);
            PrologueEmitter.Buffer v = pro.buffers().stream().filter(b -> b.name().equals(pro.derived().get("V.i8"))).findFirst().orElseThrow();
            assertTrue(v.keyMajor(), pipeline + ": the prologue's V buffer is key-major");
            assertArrayEquals(new int[] {2, 3, 64, 208}, v.allocated(d -> d.isConst() ? d.size() : Map.of("Z", 2, "H", 3, "N", 197, "D", 64).get(d.symbol())),
                    pipeline + ": [Z, H, D, N rounded up to 16]");
            assertTrue(pro.source().contains("quantize %V into its key-major copy") && pro.source().contains("*reinterpret_cast<u32*>(&b_V_q[(qf_head * 64 + qf_col + 3) * ((n_N + 15) & ~15) + qf_g16 * 16 + 4 * qf_t]) = __byte_perm(qf_t2, qf_t3, 0x7632);"),
                    pipeline + ": V quantized 4 columns x 4 keys per thread, stored a word per column");
            assertEquals(1, pro.buffers().stream().filter(PrologueEmitter.Buffer::keyMajor).count(), pipeline);
        }
        // fp16 reads V as the caller gives it (f16, no prologue): ldmatrix's transposing form makes its B fragments
        CudaEmitter.CudaKernel fp16 = CudaEmitter.emit(kernel("flash_attention.tile", "fp16", Map.of(), Map.of()), Map.of("D", 64), "flash_attention.tile");
        assertEquals(Set.of(), fp16.keyMajor());
        assertTrue(fp16.source().contains("qf_ldmatrix_x4_trans(qf_b, ") && !fp16.source().contains("transpose %v"), "no f16 transpose in shared memory");
        assertEquals(1, count(liveOnly(fp16.source()), "__syncthreads()"), "fp16 too: one barrier per step, the loop head's");
    }

    @Test
    void anI8VTheCallerGivesIsStillTransposedInSharedMemory() throws Exception {
        // The int8 kernel with V.i8 a plain input (as hand-written IR may have it): its layout is the caller's, so
        // the body turns each V tile around in shared memory, permuting keys into the A fragment's k order.
        Kernel k = kernel("flash_attention.tile", "int8", Map.of(), Map.of());
        Kernel.Param v = k.param("V.i8");
        Value yielded = k.derivedDefinitions().get(v.value());
        List<Kernel.Param> params = new ArrayList<>();
        for (Kernel.Param p : k.params()) params.add(p == v ? new Kernel.Param(p.value(), false, false, false, false) : p);
        List<Op> ops = new ArrayList<>(k.prologue().ops());
        Op.Yield y = (Op.Yield) ops.removeLast();
        ops.add(new Op.Yield(y.values().stream().filter(x -> x != yielded).toList(), y.loc()));
        Kernel given = k.withParams(params).withPrologue(new qflash.ir.Block(k.prologue().args(), ops));
        CudaEmitter.CudaKernel body = CudaEmitter.emit(given, Map.of("D", 64), "flash_attention.tile");
        assertEquals(Set.of(), body.keyMajor());
        assertEquals(5, count(liveOnly(body.source()), "transpose %v.i8 in shared memory: [64, 64] -> [64, 64], keys in the A fragment's k order"), "in every copy of the step (the full one, and the last per span)");
        assertEquals(7, count(liveOnly(body.source()), "__syncthreads()"), "the loop head, the transpose in each copy of the step, and one for V's scales when no key block ran");
        assumeTrue(hasNvcc(), "nvcc is not on the PATH: emitted CUDA is not compiled here");
        Path cu = Files.createTempFile("qflash-given-v", ".cu");
        Files.writeString(cu, body.source());
        Process p = new ProcessBuilder("nvcc", "-cubin", "-arch=sm_90a", "-fmad=false", "-o", cu + ".cubin", cu.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS) && p.exitValue() == 0, log);
    }

    static boolean hasNvcc() {
        try {
            Process p = new ProcessBuilder("nvcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** {@code halfOut}: the body stores O as f16 (the end of a whole call). */
    record Case(String sample, String pipeline, Map<String, String> opts, Map<String, Long> tunables, int d, boolean halfOut) {
        Case(String sample, String pipeline, Map<String, String> opts, Map<String, Long> tunables, int d) {
            this(sample, pipeline, opts, tunables, d, false);
        }

        @Override
        public String toString() {
            return sample + " " + pipeline + " " + opts + " " + tunables + (d < 0 ? " prologue" : " D=" + d) + (halfOut ? " f16 out" : "");
        }
    }

    static List<Case> compileCases() {
        List<Case> cases = new ArrayList<>();
        List<Map<String, Long>> schedules = List.of(Map.of(), Map.of("BLOCK_M", 128L, "warps", 8L, "stages", 3L), Map.of("BLOCK_N", 32L, "stages", 1L),
                Map.of("warps", 8L, "ksplit", 2L), Map.of("BLOCK_M", 32L, "BLOCK_N", 128L, "ksplit", 2L), Map.of("BLOCK_M", 16L, "BLOCK_N", 128L, "ksplit", 4L));
        int[] dims = {64, 128, 80, 64, 128, 64};
        for (String s : TestFiles.SAMPLES) {
            for (String p : List.of("int8", "qflash", "fp16")) {
                for (int i = 0; i < schedules.size(); i++) cases.add(new Case(s, p, Map.of(), schedules.get(i), dims[i]));
            }
        }
        for (var e : Pipeline.OPTIONS.entrySet()) {
            for (String v : e.getValue()) {
                cases.add(new Case("flash_attention.tile", "int8", Map.of(e.getKey(), v), Map.of(), 32));
                cases.add(new Case("flash_attention_bias.tile", "int8", Map.of(e.getKey(), v), Map.of(), -1));   // its prologue
            }
        }
        for (String s : TestFiles.SAMPLES) {
            for (String p : List.of("int8", "qflash")) {
                cases.add(new Case(s, p, Map.of(), Map.of(), -1));
                cases.add(new Case(s, p, Map.of(), Map.of(), 64, true));   // the body of a whole call: f16 out
            }
        }
        // the per-head prologue (pro_blocks > 0) and the bodies that fold its partials, for every option it takes
        for (String s : TestFiles.SAMPLES) {
            for (long b : new long[] {1, 4}) {
                cases.add(new Case(s, "int8", Map.of(), Map.of("pro_blocks", b), -1));
                cases.add(new Case(s, "int8", Map.of(), Map.of("pro_blocks", b), b == 1 ? 32 : 128, true));
            }
        }
        for (Map<String, String> o : List.of(Map.of("smooth-k", "false"), Map.of("exp", "shift"), Map.of("p", "s8"), Map.of("out", "int8"))) {
            cases.add(new Case("flash_attention_bias.tile", "int8", o, Map.of("pro_blocks", 2L), -1));
            cases.add(new Case("flash_attention.tile", "int8", o, Map.of("pro_blocks", 2L, "warps", 8L, "ksplit", 2L), 80));
        }
        // the dependent launch's trigger and wait (griddepcontrol on sm_90a, nothing on sm_80), both prologue forms
        for (long b : new long[] {0, 2}) {
            cases.add(new Case("flash_attention_causal.tile", "int8", Map.of(), Map.of("pro_blocks", b, "pdl", 1L), -1));
            cases.add(new Case("flash_attention_causal.tile", "int8", Map.of(), Map.of("pro_blocks", b, "pdl", 1L), 64, true));
        }
        // the ends of the head-dim range the issue names (16..256) and 96, for the causal sample
        for (int d : new int[] {16, 96, 256}) {
            for (String p : List.of("int8", "fp16")) cases.add(new Case("flash_attention_causal.tile", p, Map.of(), Map.of(), d));
        }
        return cases;
    }

    @Test
    void emittedCudaCompilesWithNvccForHopperAndAmpere() throws Exception {
        assumeTrue(hasNvcc(), "nvcc is not on the PATH: emitted CUDA is not compiled here");
        Path dir = Files.createTempDirectory("qflash-nvcc");
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Case> cases = compileCases();
        cases.parallelStream().forEach(c -> {
            try {
                Path cu = Files.createTempFile(dir, "k", ".cu");
                Files.writeString(cu, source(c));
                for (String arch : List.of("sm_90a", "sm_80")) {
                    Process p = new ProcessBuilder("nvcc", "-cubin", "-arch=" + arch, "-fmad=false", "-o", cu + "." + arch + ".cubin", cu.toString())
                            .redirectErrorStream(true).start();
                    String log = new String(p.getInputStream().readAllBytes());
                    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) failures.add(c + " " + arch + ":\n" + log);
                }
            } catch (IOException | InterruptedException e) {
                failures.add(c + ": " + e);
            }
        });
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() * 2 + " compilations failed:\n" + String.join("\n", failures));
    }
}
