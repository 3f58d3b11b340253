package qflash.emu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import qflash.cuda.ModelWalker;
import qflash.cuda.PrologueEmitter;
import qflash.gpu.CallPlan;
import qflash.gpu.CubinCache;
import qflash.gpu.CudaBackend;
import qflash.interp.Arr;
import qflash.ir.Kernel;

/**
 * Runs emitted CUDA on the CPU: the same kernel sources NVRTC compiles, built for the host with a C++ compiler
 * against {@code qf_emu.h} in place of the device prelude, each CUDA thread a fiber, and launched as a
 * {@link CudaBackend.Call} launches them (the same {@link CallPlan}). Integer kernels give exactly the GPU's bits,
 * so a machine without a GPU checks the emitted code, its layouts and its launch plan against the interpreter.
 * Slow (a few million emulated thread-instructions a second): for tests and teaching, not for speed.
 *
 * <p>The calls run in a child process ({@code qf_emu_driver.cpp}): a kernel that writes out of bounds or
 * deadlocks is reported as such, with the kernel and block, and never takes the JVM down.
 */
public final class Emulator {
    /** The device the plan is made for: few SMs, so that the grid-wide prologue's blocks loop over many items each. */
    public static final CallPlan.Device DEVICE = new CallPlan.Device(3, 227 * 1024);
    /** Flags kernels and driver are built with: IEEE float steps in the written order (no contraction, as NVRTC's --fmad=false). */
    static final List<String> FLAGS = List.of("-std=c++17", "-Og", "-ffp-contract=off", "-fno-strict-aliasing", "-fno-fast-math", "-w");
    private static final String HEADER = "qf_emu.h";
    /** The two sources every build reads, from the jar once. */
    private static final String HEADER_TEXT = resource(HEADER), DRIVER_TEXT = resource("qf_emu_driver.cpp");
    private static final Pattern DYNAMIC_SMEM = Pattern.compile("extern __shared__ (?:__align__\\(\\d+\\) )?([a-z][a-z ]*?) (\\w+)\\[\\];");

    /** No host compiler, or a host the fiber switch is not written for; the message says which. */
    public static final class Unavailable extends RuntimeException {
        public Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    /** A kernel that failed in the emulator (out-of-bounds write, deadlock, crash, time-out), or failed to build. */
    public static final class Failure extends RuntimeException {
        public Failure(String message) {
            super(message, null, false, false);
        }
    }

    private final String compiler, version;
    private final CubinCache cache;
    private final Path driver;
    private final long timeoutSeconds;

    private Emulator(String compiler, String version, CubinCache cache, Path driver, long timeoutSeconds) {
        this.compiler = compiler;
        this.version = version;
        this.cache = cache;
        this.driver = driver;
        this.timeoutSeconds = timeoutSeconds;
    }

    /** The emulator with the host's C++ compiler ({@code $QFLASH_CXX}, else g++ or c++ on the PATH) and the standard cache. */
    public static Emulator open() {
        return open(CubinCache.standard());
    }

    public static Emulator open(CubinCache cache) {
        String arch = System.getProperty("os.arch"), os = System.getProperty("os.name");
        if (!os.startsWith("Linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new Unavailable("the CUDA emulator runs on Linux x86-64 only (its fiber switch is x86-64 assembly); this is " + os + " " + arch);
        }
        String env = System.getenv("QFLASH_CXX");
        List<String> candidates = env != null && !env.isBlank() ? List.of(env) : List.of("g++", "c++");
        for (String cxx : candidates) {
            String version = firstLine(List.of(cxx, "--version"), 60).orElse(null);
            if (version == null) continue;
            Emulator e = new Emulator(cxx, version, cache, null, 600);
            try {
                return e.withDriver(e.buildDriver());
            } catch (Failure f) {
                throw new Unavailable(cxx + " cannot build the CUDA emulator's driver: " + f.getMessage());
            }
        }
        throw new Unavailable("no C++ compiler for the CUDA emulator: none of " + String.join(", ", candidates) + " runs (set QFLASH_CXX)");
    }

    private Emulator withDriver(Path d) {
        return new Emulator(compiler, version, cache, d, timeoutSeconds);
    }

    /** The same emulator with another limit on each call's wall time (600 s by default). */
    public Emulator withTimeout(long seconds) {
        return new Emulator(compiler, version, cache, driver, seconds);
    }

    /** The compiler, for reports. */
    public String describe() {
        return version;
    }

    /** The driver executable, built once per compiler and source (cached), written where it can run. */
    private Path buildDriver() {
        List<String> flags = new ArrayList<>(FLAGS);
        flags.set(flags.indexOf("-Og"), "-O2");
        String key = CubinCache.digest(List.of("driver", version, String.join(" ", flags), HEADER_TEXT, DRIVER_TEXT));
        byte[] exe = cache.entry(key, ".emu-driver", () -> build(DRIVER_TEXT, "driver.cpp", flags, List.of("-rdynamic"), List.of("-ldl", "-lpthread")));
        IOException first = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                // Where it can run: beside the cache, else (a read-only cache) in a temporary directory of this process.
                Path dir = attempt == 0 ? Files.createDirectories(cache.dir().resolve("emu")) : Files.createTempDirectory("qflash-emu-driver");
                Path file = dir.resolve(key.substring(0, 16) + "-qf_emu_driver");
                if (!Files.exists(file) || Files.size(file) != exe.length) {
                    Path tmp = Files.createTempFile(dir, "driver", ".tmp");
                    Files.write(tmp, exe);
                    if (!tmp.toFile().setExecutable(true)) throw new IOException("cannot make " + tmp + " executable");
                    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                }
                return file;
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        throw new Unavailable("cannot write the CUDA emulator's driver under " + cache.dir() + " or a temporary directory: " + first.getMessage());
    }

    /**
     * One CUDA source as a host library: the device prelude replaced by {@code qf_emu.h} (force-included), the
     * dynamic shared memory declarations bound to the block's emulated shared memory, and an exported entry per kernel.
     */
    static String hostSource(String cuda, List<String> entries) {
        String prelude = ModelWalker.prelude();
        if (!cuda.contains(prelude)) throw new IllegalArgumentException("not an emitted kernel source: it does not contain the device prelude");
        String s = cuda.replace(prelude, "// (device prelude: qf_emu.h)\n");
        Matcher m = DYNAMIC_SMEM.matcher(s);
        s = m.replaceAll(r -> r.group(1) + "* const " + r.group(2) + " = reinterpret_cast<" + r.group(1) + "*>(qf_emu::dyn_smem());");
        StringBuilder b = new StringBuilder(s).append("\n");
        for (String e : entries) b.append("QF_EMU_ENTRY(").append(e).append(")\n");
        return b.toString();
    }

    /** The host library of a CUDA source with these kernels, from the cache or compiled. */
    private byte[] library(String cuda, List<String> entries, String name) {
        String src = hostSource(cuda, entries);
        String key = CubinCache.digest(List.of("kernel", version, String.join(" ", FLAGS), HEADER_TEXT, src));
        return cache.entry(key, ".emu-so", () -> build(src, name, FLAGS, List.of("-fPIC", "-shared", "-fvisibility=hidden"), List.of()));
    }

    /** Compiles one source with the header force-included; a failure carries the compiler's log (its lines point at the .tile through #line). */
    private byte[] build(String src, String name, List<String> flags, List<String> linkFlags, List<String> libs) {
        return inTempDir("qflash-emu", "while compiling " + name, dir -> {
            Files.writeString(dir.resolve(HEADER), HEADER_TEXT);
            Path cpp = dir.resolve(name.replaceAll("[^A-Za-z0-9_.-]", "_") + (name.endsWith(".cpp") ? "" : ".cpp"));
            Files.writeString(cpp, src);
            Path out = dir.resolve("out.bin");
            List<String> cmd = new ArrayList<>(List.of(compiler));
            cmd.addAll(flags);
            cmd.addAll(linkFlags);
            cmd.addAll(List.of("-I", dir.toString(), "-include", HEADER, "-o", out.toString(), cpp.toString()));
            cmd.addAll(libs);
            Exit x = exec(cmd, dir, 600);
            if (x.timedOut()) throw new Failure("the host compiler did not finish " + name + " in 600 s");
            if (x.code() != 0) throw new Failure("the host compiler failed on " + name + " for the CUDA emulator:\n" + x.log());
            return Files.readAllBytes(out);
        });
    }

    /**
     * One whole call of an emitted kernel, as {@link CudaBackend.Call} makes it: the prologue's kernels, then the
     * body, over the caller's tensors (inputs as given, outputs zero-filled, each in its own element type) and
     * zero-filled prologue buffers. Returns every output tensor the caller passed, by name.
     */
    public Map<String, Arr> call(CudaBackend.Emitted e, String sourceFile, Map<String, Arr> tensors, Map<String, Double> scalars) {
        return call(e, sourceFile, tensors, scalars, false);
    }

    /** As {@link #call}; {@code eagerCopies}: each cp.async lands when issued instead of at its wait (the other order a GPU may take). */
    public Map<String, Arr> call(CudaBackend.Emitted e, String sourceFile, Map<String, Arr> tensors, Map<String, Double> scalars, boolean eagerCopies) {
        Kernel k = e.kernel();
        PrologueEmitter.Program pro = e.prologue();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        tensors.forEach((n, t) -> shapes.put(n, t.shape));
        CallPlan plan = CallPlan.of(k, e.code(), pro, shapes, scalars, DEVICE);

        List<byte[]> libs = new ArrayList<>();
        libs.add(library(e.code().source(), List.of(e.code().entry()), sourceFile));
        if (pro != null) libs.add(library(pro.source(), pro.steps().stream().map(PrologueEmitter.Step::entry).toList(), sourceFile + ".prologue"));

        // Buffers: the caller's tensors in their order, then the prologue's.
        Map<String, Integer> callerIndex = new LinkedHashMap<>(), bufferIndex = new LinkedHashMap<>();
        List<byte[]> contents = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (var t : tensors.entrySet()) {
            Kernel.Param p = k.param(t.getKey());
            callerIndex.put(t.getKey(), contents.size());
            byte[] b = t.getValue().toBytes();
            contents.add(p != null && p.out() ? null : b);
            sizes.add((long) b.length);
        }
        for (CallPlan.Alloc a : plan.buffers()) {
            bufferIndex.put(a.name(), contents.size());
            contents.add(null);
            sizes.add((long) Arr.size(a.shape()) * Arr.bytes(a.elem()));
        }

        Script s = new Script(eagerCopies);
        if (pro != null && plan.blocks() > 0) {
            for (PrologueEmitter.Step st : pro.steps()) {
                s.launch(1, st.entry(), new int[] {plan.blocks(), 1, 1}, plan.threads(), plan.smem(), plan.gridWide(), plan.prologueArgs(), callerIndex, bufferIndex);
            }
        }
        if (plan.bodyRuns()) s.launch(0, e.code().entry(), plan.grid(), e.code().threads(), e.code().smemBytes(), false, plan.bodyArgs(), callerIndex, bufferIndex);
        List<String> outs = new ArrayList<>();
        for (String n : tensors.keySet()) {
            Kernel.Param p = k.param(n);
            if (p != null && p.out()) outs.add(n);
        }

        List<byte[]> got = execute(e.code().entry(), libs, s, sizes, contents, outs.stream().map(callerIndex::get).toList());
        Map<String, Arr> result = new LinkedHashMap<>();
        for (int i = 0; i < outs.size(); i++) {
            Arr t = tensors.get(outs.get(i));
            result.put(outs.get(i), Arr.fromBytes(t.elem, t.shape, got.get(i)));
        }
        return result;
    }

    /**
     * One launch of a hand-written kernel (a source that includes {@link ModelWalker#prelude()}), for tests of the
     * emulator itself: {@code args} are buffers ({@code byte[]}, their initial contents) or {@code int} values.
     * Returns every buffer's contents afterwards, in argument order.
     */
    List<byte[]> launch(String cuda, String entry, int[] grid, int threads, int smem, List<Object> args, boolean eagerCopies) {
        List<Long> sizes = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        List<CallPlan.Binding> bindings = new ArrayList<>();
        Map<String, Integer> index = new LinkedHashMap<>();
        for (Object a : args) {
            if (a instanceof byte[] b) {
                index.put("b" + contents.size(), contents.size());
                bindings.add(new CallPlan.Binding.Tensor("b" + contents.size(), false));
                contents.add(b);
                sizes.add((long) b.length);
            } else {
                bindings.add(new CallPlan.Binding.Symbol((Integer) a));
            }
        }
        Script s = new Script(eagerCopies);
        s.launch(0, entry, grid, threads, smem, false, bindings, index, Map.of());
        return execute(entry, List.of(library(cuda, List.of(entry), entry)), s, sizes, contents, new ArrayList<>(index.values()));
    }

    /** Runs a script in the driver; returns the contents of the buffers {@code outs} names, in that order. */
    private List<byte[]> execute(String what, List<byte[]> libs, Script s, List<Long> sizes, List<byte[]> contents, List<Integer> outs) {
        return inTempDir("qflash-emu-call", "in an emulated call of " + what, dir -> {
            List<Path> libPaths = new ArrayList<>();
            for (int i = 0; i < libs.size(); i++) {
                Path so = dir.resolve("k" + i + ".so");
                Files.write(so, libs.get(i));
                libPaths.add(so);
            }
            Path script = dir.resolve("call.bin"), out = dir.resolve("out.bin");
            Files.write(script, s.bytes(libPaths, sizes, contents, outs));
            Exit x = exec(List.of(driver.toString(), script.toString(), out.toString()), dir, timeoutSeconds);
            if (x.timedOut()) throw new Failure("the emulated call of " + what + " did not finish in " + timeoutSeconds + " s (a grid barrier that never opens?)");
            String log = x.log().strip();
            if (x.code() != 0) {
                String why = x.code() > 128 ? "killed by signal " + (x.code() - 128) + (x.code() == 139 ? " (a bad memory access)" : "") : "exit " + x.code();
                throw new Failure("the emulated call of " + what + " failed (" + why + ")" + (log.isEmpty() ? "" : ": " + log));
            }
            byte[] all = Files.readAllBytes(out);
            List<byte[]> got = new ArrayList<>();
            int at = 0;
            for (int o : outs) {
                int len = sizes.get(o).intValue();
                got.add(java.util.Arrays.copyOfRange(all, at, at + len));
                at += len;
            }
            return got;
        });
    }

    /** The driver's input (read by qf_emu_driver.cpp's main), little-endian. */
    private static final class Script {
        private final ByteBuffer launches = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        private final boolean eager;
        private int count;

        Script(boolean eager) {
            this.eager = eager;
        }

        void launch(int lib, String entry, int[] grid, int threads, int smem, boolean coresident, List<CallPlan.Binding> args,
                    Map<String, Integer> caller, Map<String, Integer> buffers) {
            count++;
            launches.putInt(lib);
            string(launches, entry);
            launches.putInt(grid[0]).putInt(grid[1]).putInt(grid[2]).putInt(threads).putInt(smem).putInt(coresident ? 1 : 0).putInt(args.size());
            for (CallPlan.Binding b : args) {
                switch (b) {
                    case CallPlan.Binding.Tensor t -> launches.putInt(0).putInt((t.buffer() ? buffers : caller).get(t.name()));
                    case CallPlan.Binding.Absent x -> launches.putInt(0).putInt(-1);
                    case CallPlan.Binding.Value v -> {
                        byte[] bits = CallPlan.valueBytes(v.elem(), v.value());
                        launches.putInt(1).putInt(bits.length).put(bits);
                    }
                    case CallPlan.Binding.Symbol y -> launches.putInt(1).putInt(4).putInt(y.value());
                }
            }
        }

        byte[] bytes(List<Path> libPaths, List<Long> sizes, List<byte[]> contents, List<Integer> outs) {
            long total = 1024 + launches.position();
            for (int i = 0; i < sizes.size(); i++) total += 16 + (contents.get(i) == null ? 0 : sizes.get(i));
            for (Path p : libPaths) total += 8 + p.toString().length() * 4L;
            if (total > Integer.MAX_VALUE - 64) throw new qflash.host.UserError("the CUDA emulator takes calls of at most 2 GB of tensors");
            ByteBuffer b = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
            b.put("QFEMU1\n".getBytes(StandardCharsets.US_ASCII)).putInt(eager ? 1 : 0);
            b.putInt(libPaths.size());
            for (Path p : libPaths) string(b, p.toString());
            b.putInt(sizes.size());
            for (int i = 0; i < sizes.size(); i++) {
                b.putLong(sizes.get(i)).putInt(contents.get(i) == null ? 0 : 1);
                if (contents.get(i) != null) b.put(contents.get(i));
            }
            b.putInt(count).put(launches.array(), 0, launches.position());
            b.putInt(outs.size());
            for (int o : outs) b.putInt(o);
            return java.util.Arrays.copyOf(b.array(), b.position());
        }

        private static void string(ByteBuffer b, String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            b.putInt(u.length).put(u);
        }
    }

    private static String resource(String name) {
        try (InputStream in = Emulator.class.getResourceAsStream("/qflash/emu/" + name)) {
            if (in == null) throw new IllegalStateException("/qflash/emu/" + name + " is not on the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How a child process ended: its exit code, whether it was killed at the time limit, what it printed. */
    private record Exit(int code, boolean timedOut, String log) {}

    /**
     * Runs a command in {@code dir} with its output going to a file there, so that a child that hangs is killed at the
     * time limit (reading its pipe would wait for it forever).
     */
    private static Exit exec(List<String> cmd, Path dir, long seconds) throws IOException, InterruptedException {
        Path log = Files.createTempFile(dir, "log", ".txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
            p.waitFor();
        }
        return new Exit(done ? p.exitValue() : -1, !done, new String(Files.readAllBytes(log), StandardCharsets.UTF_8));
    }

    /** The first line a command prints, if it runs and exits 0 within the time. */
    private static java.util.Optional<String> firstLine(List<String> cmd, int seconds) {
        try {
            return inTempDir("qflash-emu", "while running " + cmd.get(0), dir -> {
                Exit x = exec(cmd, dir, seconds);
                return x.code() == 0 ? x.log().lines().findFirst() : java.util.Optional.<String>empty();
            });
        } catch (UncheckedIOException e) {
            return java.util.Optional.empty();   // a command that cannot start
        }
    }

    /** Work in a temporary directory, deleted afterwards. */
    private interface InDir<T> {
        T run(Path dir) throws IOException, InterruptedException;
    }

    /** Runs {@code body} in a fresh temporary directory and deletes it; an interruption is a {@link Failure} saying {@code what}. */
    private static <T> T inTempDir(String prefix, String what, InDir<T> body) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            try {
                return body.run(dir);
            } finally {
                deleteTree(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted " + what);
        }
    }

    private static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }
}
