package qflash.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import qflash.host.Inputs;
import qflash.host.Npy;
import qflash.host.Shape;

/** The {@code qflash} command as a user meets it: outputs, exit codes, and errors without stack traces. */
class CliTest {
    record Outcome(int code, String out, String err) {}

    static Outcome qflash(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        Outcome o = new Outcome(code, out.toString(), err.toString());
        assertFalse(o.err.contains("Exception") || o.err.contains("\tat "), "a stack trace reached the user:\n" + o.err);
        return o;
    }

    static Outcome qflashWithStdin(String stdin, String... args) {
        InputStream old = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes()));
        try {
            return qflash(args);
        } finally {
            System.setIn(old);
        }
    }

    static String sample(String name) {
        return Path.of("..", "samples", name).toString();
    }

    /** The 1-based line of sample {@code name} holding {@code text}, so that the tests pointing at a DSL line survive a sample's growth. */
    static int lineOf(String name, String text) throws IOException {
        List<String> lines = Files.readAllLines(Path.of(sample(name)));
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) return i + 1;
        }
        throw new IllegalStateException(name + " has no line containing " + text);
    }

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"flash_attention.tile", "flash_attention_bias.tile", "flash_attention_causal.tile"})
    void irRoundTripsThroughTheCommandLine(String name) {
        for (String emit : new String[] {"ir", "lowered"}) {
            Outcome ir = qflash("compile", sample(name), "--emit", emit);
            assertEquals(0, ir.code, ir.err);
            Outcome again = qflashWithStdin(ir.out, "compile", "-", "--from", "ir", "--emit", "ir");
            assertEquals(0, again.code, again.err);
            assertEquals(ir.out, again.out);
        }
    }

    static double sqnr(String json) {
        Matcher m = Pattern.compile("\"sqnr_db\": ([0-9.e+-]+)").matcher(json);
        assertTrue(m.find(), json);
        return Double.parseDouble(m.group(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"flash_attention.tile", "flash_attention_bias.tile", "flash_attention_causal.tile"})
    void floatPipelinesReachTheirAccuracyOnA2(String name) {
        Outcome f64 = qflash("run", sample(name), "--pipeline", "f64", "--workload", "A2", "--json");
        assertEquals(0, f64.code, f64.err);
        for (String key : new String[] {"\"kernel\"", "\"backend\": \"cpu\"", "\"pipeline\": \"f64\"", "\"shape\": {\"Z\": 1, \"H\": 6, \"N\": 197, \"D\": 64}", "\"max_abs_err\"", "\"time_ms\""}) {
            assertTrue(f64.out.contains(key), key + " missing from " + f64.out);
        }
        assertTrue(sqnr(f64.out) >= 120, f64.out);
        Outcome f32 = qflash("run", sample(name), "--pipeline", "f32", "--workload", "A2", "--json");
        assertTrue(sqnr(f32.out) >= 60, f32.out);
        assertTrue(sqnr(f32.out) < sqnr(f64.out));
    }

    @Test
    void irAfterAllPrintsEveryPassAndMarksTheIdleOnes() {
        Outcome lowered = qflash("compile", sample("flash_attention.tile"));
        Path ir = tmp.resolve("k.ir");
        try {
            Files.writeString(ir, lowered.out);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        Outcome all = qflash("compile", ir.toString(), "--from", "ir", "--emit", "ir-after-all");
        assertEquals(0, all.code, all.err);
        assertTrue(all.out.contains("// -----// IR after set-precision{f64} (unchanged) //----- //"), all.out);
        Outcome fresh = qflash("compile", sample("flash_attention.tile"), "--emit", "ir-after-all");
        for (String pass : new String[] {"set-precision{f64}", "fold-constants", "fold-broadcasts", "cse", "licm", "dce"}) {
            assertTrue(fresh.out.contains("IR after " + pass), pass);
        }
        assertTrue(qflash("compile", sample("flash_attention.tile"), "--emit", "ast").out.startsWith("(kernel flash_attention"));
    }

    static void assertPositioned(Outcome o, String file) {
        assertEquals(2, o.code, o.err);
        assertTrue(o.err.matches("(?s)" + Pattern.quote(file) + ":\\d+:\\d+: error: .*"), o.err);
    }

    @Test
    void garbageGetsAPositionedErrorAndExitTwo() throws IOException {
        Path empty = Files.writeString(tmp.resolve("empty.tile"), "");
        assertPositioned(qflash("compile", empty.toString()), empty.toString());
        Path binary = Files.write(tmp.resolve("binary.tile"), new byte[] {0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, (byte) 0xff, (byte) 0xfe});
        assertPositioned(qflash("compile", binary.toString()), binary.toString());
        Path comment = Files.writeString(tmp.resolve("comment.tile"), "kernel k(/* no end\n");
        Outcome c = qflash("compile", comment.toString());
        assertPositioned(c, comment.toString());
        assertTrue(c.err.contains("unterminated /* comment"));
        Path huge = Files.writeString(tmp.resolve("huge.tile"), "kernel " + "x".repeat(1 << 20) + "\n");
        Outcome h = qflash("compile", huge.toString());
        assertPositioned(h, huge.toString());
        assertTrue(h.err.length() < 1000, "the error must not echo the 1 MB line");
        assertPositioned(qflashWithStdin("kernel k(", "compile", "-"), "<stdin>");
        Path badIr = Files.writeString(tmp.resolve("bad.ir"), "kernel @k(%x: tile<4xq9>)\n");
        assertPositioned(qflash("compile", badIr.toString(), "--from", "ir"), badIr.toString());
    }

    @Test
    void badOptionsAreOneLineUserErrors() {
        for (String[] args : new String[][] {
                {"compile", sample("flash_attention.tile"), "--bogus"},
                {"compile", "no/such/file.tile"},
                {"compile", sample("flash_attention.tile"), "--pipeline", "int4"},
                {"compile", sample("flash_attention.tile"), "--emit", "ptx"},
                {"compile", sample("flash_attention.tile"), "--tune", "BLOCK_Q=32"},
                {"compile", sample("flash_attention.tile"), "--tune", "BLOCK_M=abc"},
                {"run", sample("flash_attention.tile"), "--workload", "A9"},
                {"run", sample("flash_attention.tile"), "--shape", "Z=1,H=2,N=3"},
                {"run", sample("flash_attention.tile"), "--shape", "Z=1,H=2,N=0,D=4"},
                {"run", sample("flash_attention.tile")},
                {"run", sample("flash_attention.tile"), "--workload", "A1", "--batch", "0"},
                {"run", sample("flash_attention.tile"), "--inputs", "no/such/dir"},
                {"run", sample("flash_attention.tile"), "--backend", "tpu", "--workload", "A1"},
                {"tune", sample("flash_attention.tile"), "--tune", "BLOCK_Q=32"},
                {"run", sample("flash_attention.tile"), "--workload", "A1", "--autotune"},
                {"bench", sample("flash_attention.tile"), "--autotune", "--tune", "warps=many"},
                {"bench", sample("flash_attention.tile"), "--call-reps", "0"},
                {"bench", sample("flash_attention.tile"), "--reps", "0"},
                {"bench", sample("flash_attention.tile"), "--call-warmup", "-1"},
        }) {
            Outcome o = qflash(args);
            assertEquals(2, o.code, String.join(" ", args) + " -> " + o.err);
            assertEquals(1, o.err.strip().lines().count(), "one line: " + o.err);
            assertTrue(o.err.startsWith("qflash: error: "), o.err);
        }
        Outcome t = qflash("compile", sample("flash_attention.tile"), "--tune", "BLOCK_M=48");
        assertPositioned(t, sample("flash_attention.tile"));
        assertTrue(t.err.contains("is not one of its candidates"));
    }

    @Test
    void integerPipelineOptionsAndStages() {
        Outcome o = qflash("run", sample("flash_attention.tile"), "--pipeline", "int8", "--opt", "exp=shift", "--opt", "p=s8",
                "--workload", "A7", "--json");
        assertEquals(0, o.code, o.err);
        assertTrue(o.out.contains("\"pipeline\": \"int8\""), o.out);
        Outcome stage = qflash("compile", sample("flash_attention.tile"), "--pipeline", "qflash", "--stop-after", "integer-dot");
        assertEquals(0, stage.code, stage.err);
        assertTrue(stage.out.contains("dot %p8, %v.i8"), "the last integer-dot made P·V integer:\n" + stage.out);
        for (String[] args : new String[][] {
                {"run", sample("flash_attention.tile"), "--pipeline", "int8", "--opt", "exp=cubic", "--workload", "A7"},
                {"run", sample("flash_attention.tile"), "--pipeline", "int8", "--opt", "speed=max", "--workload", "A7"},
                {"run", sample("flash_attention.tile"), "--pipeline", "f32", "--opt", "exp=shift", "--workload", "A7"},
                {"compile", sample("flash_attention.tile"), "--pipeline", "int8", "--stop-after", "no-such-pass"}}) {
            Outcome bad = qflash(args);
            assertEquals(2, bad.code, String.join(" ", args) + " -> " + bad.err);
            assertEquals(1, bad.err.strip().lines().count(), bad.err);
        }
    }

    @Test
    void emitRangesAnnotatesTheIrAndWarnsAboutThePublishedKernel() throws IOException {
        int p8Line = lineOf("flash_attention.tile", "let p = exp2(");
        Outcome q = qflash("compile", sample("flash_attention.tile"), "--pipeline", "qflash", "--emit", "ranges");
        assertEquals(0, q.code, q.err);
        assertTrue(q.out.contains("// range ["), q.out);
        assertTrue(q.out.lines().anyMatch(l -> l.contains("warning") && l.contains("%p8") && l.contains("can wrap")), q.out);
        Outcome i = qflash("compile", sample("flash_attention.tile"), "--pipeline", "int8", "--emit", "ranges");
        assertTrue(i.out.contains("every integer op and narrowing cast stays within its type"), i.out);
        Outcome warn = qflash("compile", sample("flash_attention.tile"), "--pipeline", "qflash");
        assertTrue(warn.err.lines().anyMatch(l -> l.matches(".*flash_attention.tile:" + p8Line + ":17: warning: .*%p8.*can wrap.*")), warn.err);
        assertEquals("", qflash("compile", sample("flash_attention.tile"), "--pipeline", "int8").err);
    }

    /** The emulated GPU call gives the interpreter's bits, so the same SQNR to the last digit; skipped without a host compiler. */
    @Test
    void theEmulatorBackendGivesTheInterpretersResult() {
        qflash.emu.Emulators.orSkip();
        String[] run = {"run", sample("flash_attention_causal.tile"), "--pipeline", "int8", "--shape", "Z=1,H=2,N=7,D=80", "--json", "--backend"};
        Outcome cpu = qflash(java.util.stream.Stream.concat(java.util.Arrays.stream(run), java.util.stream.Stream.of("cpu")).toArray(String[]::new));
        Outcome emu = qflash(java.util.stream.Stream.concat(java.util.Arrays.stream(run), java.util.stream.Stream.of("emu")).toArray(String[]::new));
        assertEquals(0, emu.code, emu.err);
        assertTrue(emu.out.contains("\"backend\": \"emu\""), emu.out);
        java.util.function.Function<String, String> sqnr = j -> j.replaceAll("(?s).*\"sqnr_db\": ([^,]+),.*", "$1");
        assertEquals(sqnr.apply(cpu.out), sqnr.apply(emu.out), cpu.out + "\n" + emu.out);
    }

    @Test
    void aMissingGpuBackendIsExitThree() {
        Outcome o = qflash("run", sample("flash_attention.tile"), "--backend", "cuda", "--workload", "A1");
        assertEquals(3, o.code);
        assertEquals(1, o.err.strip().lines().count(), o.err);
        Outcome b = qflash("bench", sample("flash_attention.tile"), "--pipeline", "int8", "--sdpa", "off", "--rows", "A1");
        assertEquals(3, b.code, b.err);
        assertEquals(1, b.err.strip().lines().count(), b.err);
        for (String[] args : new String[][] {{"tune", sample("flash_attention.tile"), "--pipeline", "int8"},
                {"bench", sample("flash_attention.tile"), "--pipeline", "int8", "--sdpa", "off", "--rows", "A1", "--autotune", "--tune", "stages=2"},
                {"run", sample("flash_attention.tile"), "--pipeline", "int8", "--workload", "A1", "--backend", "cuda", "--autotune"}}) {
            Outcome t = qflash(args);
            assertEquals(3, t.code, t.err);
            assertEquals(1, t.err.strip().lines().count(), t.err);
        }
    }

    @Test
    void tuneListsTheScheduleSpaceWithoutAGpu() {
        Outcome o = qflash("tune", sample("flash_attention.tile"), "--pipeline", "int8", "--list", "--tune", "stages=2", "--tune", "pro_blocks=0", "--tune", "pdl=0", "--tune", "min_blocks=0", "--rows", "A3,A4");
        assertEquals(0, o.code, o.err);
        assertTrue(o.out.startsWith(sample("flash_attention.tile") + ", pipeline int8: 120 schedules (listed, not timed)"), o.out);
        assertTrue(o.out.contains("D=32\n") && o.out.contains("D=64\n"), "one section per head dimension of the rows: " + o.out);
        assertTrue(o.out.matches("(?s).*BLOCK_M=64 BLOCK_N=64 warps=4 stages=2 ksplit=1 pro_blocks=0 pdl=0 min_blocks=0 +128 threads, +[0-9.]+ KiB shared, registers budgeted for 4 blocks per SM.*"), o.out);
        assertTrue(o.out.matches("(?s).*BLOCK_M=128 BLOCK_N=64 warps=8 stages=2 ksplit=1 pro_blocks=0 pdl=0 min_blocks=0 +256 threads.*"), o.out);
        assertTrue(o.out.contains("refused 5 (BLOCK_M=16 BLOCK_N=16 warps=4 stages=2 ksplit=1 pro_blocks=0 pdl=0 min_blocks=0, ...): BLOCK_M = 16 cannot be split over 4 warps"), o.out);
        assertTrue(o.out.contains("its k dimension is 16 (BLOCK_N)"), o.out);
        assertTrue(o.out.matches("(?s).*BLOCK_M=32 BLOCK_N=64 warps=4 stages=2 ksplit=2 pro_blocks=0 pdl=0 min_blocks=0 +128 threads.*"), "two warps per 16 rows make 32-row blocks of 4 warps: " + o.out);
        assertEquals(2 * 41, o.out.lines().filter(l -> l.contains(" threads, ")).count(), "41 emittable schedules per head dimension: " + o.out);
    }

    @Test
    void emitCudaPrintsTheKernelOrSaysWhyNot() throws IOException {
        Outcome o = qflash("compile", sample("flash_attention_causal.tile"), "--pipeline", "int8", "--emit", "cuda", "--dim", "D=80");
        assertEquals(0, o.code, o.err);
        assertTrue(o.out.contains("extern \"C\" __global__ void __launch_bounds__(128, 4) qf_flash_attention_causal("), "4 blocks per SM budgeted at D = 80: " + o.out);
        assertTrue(o.out.contains("#define QF_D 80"), "the head dimension the kernel is specialised for");
        assertTrue(o.out.contains("#line " + lineOf("flash_attention_causal.tile", "let s = where(") + " \"") && o.out.contains("flash_attention_causal.tile\""), "lines point at the DSL");
        Outcome f32 = qflash("compile", sample("flash_attention.tile"), "--pipeline", "f32", "--emit", "cuda");
        assertEquals(2, f32.code);
        assertTrue(f32.err.startsWith("qflash: error: CUDA backend: "), f32.err);
        assertEquals(1, f32.err.strip().lines().count(), f32.err);
        Outcome narrow = qflash("compile", sample("flash_attention.tile"), "--pipeline", "int8", "--emit", "cuda", "--tune", "BLOCK_M=16");
        assertEquals(2, narrow.code);
        assertTrue(narrow.err.contains("BLOCK_M = 16"), narrow.err);
    }

    @Test
    void emitCudaProloguePrintsTheOneKernelOrSaysThereIsNone() {
        Outcome o = qflash("compile", sample("flash_attention.tile"), "--pipeline", "int8", "--emit", "cuda-prologue", "--dim", "D=32");
        assertEquals(0, o.code, o.err);
        assertTrue(o.out.startsWith("// prologue of kernel @flash_attention: one launch, 7 parts in 3 phases"), o.out);
        assertTrue(o.out.contains("__launch_bounds__(1024, 1) qf_prologue("), "one block of 1024 threads per SM");
        assertTrue(o.out.contains("const int qf_o = k >> 5;"), "a warp per token group");
        assertTrue(o.out.contains("qf_start = qf_first * 32"), "the row group's length is D = 32, fixed at compile time");
        Outcome fp16 = qflash("compile", sample("flash_attention.tile"), "--pipeline", "fp16", "--emit", "cuda-prologue");
        assertEquals(2, fp16.code);
        assertEquals("qflash: error: the fp16 pipeline leaves kernel @flash_attention no prologue", fp16.err.strip());
    }

    @Test
    void usersBringTheirOwnActivations() throws IOException {
        Shape s = new Shape(1, 2, 9, 8);
        Inputs in = Inputs.generate(Inputs.Model.GAUSS, s, 3, false);
        Files.write(tmp.resolve("q.npy"), Npy.float32(s.dims(), in.q()));
        Files.write(tmp.resolve("k.npy"), Npy.float32(s.dims(), in.k()));
        Files.write(tmp.resolve("v.npy"), Npy.float32(s.dims(), in.v()));
        Outcome o = qflash("run", sample("flash_attention.tile"), "--inputs", tmp.toString(), "--json", "--tune", "BLOCK_M=16", "--tune", "BLOCK_N=16");
        assertEquals(0, o.code, o.err);
        assertTrue(o.out.contains("\"shape\": {\"Z\": 1, \"H\": 2, \"N\": 9, \"D\": 8}"), o.out);
        assertTrue(sqnr(o.out) > 250, o.out);
        // No bias.npy: the bias sample's optional bias is absent, reads as zeros, and the integer
        // pipeline's lifted bias offsets stay absent too — the result is the plain sample's.
        Outcome plain = qflash("run", sample("flash_attention.tile"), "--pipeline", "int8", "--inputs", tmp.toString(), "--json");
        Outcome noBias = qflash("run", sample("flash_attention_bias.tile"), "--pipeline", "int8", "--inputs", tmp.toString(), "--json");
        assertEquals(0, noBias.code, noBias.err);
        assertEquals(sqnr(plain.out), sqnr(noBias.out));

        byte[] v = Files.readAllBytes(tmp.resolve("v.npy"));
        Files.write(tmp.resolve("v.npy"), java.util.Arrays.copyOf(v, v.length - 4));
        Outcome truncated = qflash("run", sample("flash_attention.tile"), "--inputs", tmp.toString());
        assertEquals(2, truncated.code);
        assertTrue(truncated.err.contains("v.npy") && truncated.err.contains("bytes"), truncated.err);
        Files.writeString(tmp.resolve("v.npy"), "not numpy at all");
        assertTrue(qflash("run", sample("flash_attention.tile"), "--inputs", tmp.toString()).err.contains("bad magic"));
        Files.write(tmp.resolve("v.npy"), Npy.float32(new int[] {1, 2, 9, 7}, new double[126]));
        assertTrue(qflash("run", sample("flash_attention.tile"), "--inputs", tmp.toString()).err.contains("differs from q.npy"));
    }

    @Test
    void theDemoRunsEverySampleWithEveryPipeline() {
        Outcome o = qflash("demo");
        assertEquals(0, o.code, o.err);
        assertEquals(3L * qflash.pass.Pipeline.names().size(), o.out.lines().filter(l -> l.startsWith("flash_attention")).count(), o.out);
    }
}
