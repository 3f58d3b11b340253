package qflash.gpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import qflash.ast.Ast;
import qflash.cuda.CudaEmitter;
import qflash.ir.Kernel;
import qflash.pass.RangeCheck;

/**
 * Block sizes chosen by measurement. A kernel's {@code tunable}s span a space of schedules; for one shape
 * the tuner lowers the kernel under each (those the caller pins stay fixed), skips the ones the CUDA
 * emitter cannot lay out (it says why), compiles the rest and times the body on the caller's device
 * tensors, and keeps the fastest (a schedule whose first few launches are clearly slower than the fastest's is not timed
 * further: see {@link #SCREEN}). A space that varies {@code min_blocks} (the registers budgeted) tries its other
 * values on the fastest body only, by body time. A space that varies {@link #PROLOGUE} (the prologue's form) or {@link #DEPENDENT}
 * (how the body is launched after it) is searched in two rounds: the body's schedules at the first form and
 * launch by body time, then each form and launch of the fastest by whole-call time (they change the prologue
 * and the gap between the kernels, not the body). The best schedule per kernel, shape, device and compiler is remembered
 * in a small file cache beside the cubins ({@code tune/} under the cubin cache's directory), so a second
 * run of the same shape costs no measurements; like the cubin cache, an unreadable entry only costs a retune.
 */
public final class Autotuner {
    /**
     * One schedule tried: its tunables and its median body time in ms (and, for the prologue forms, of a whole
     * call; else NaN), or (times NaN) why it was not timed.
     */
    public record Trial(Map<String, Long> config, double kernelMs, double callMs, String skipped) {}

    /** The fastest schedule and its time; {@code trials} in search order (empty when {@code cached}). */
    public record Result(Map<String, Long> best, double bestMs, List<Trial> trials, boolean cached) {}

    private final CudaBackend gpu;
    private final String sourceFile;
    private final Set<String> halfInputs, halfOutputs;
    private final Function<Map<String, Long>, Kernel> lower;
    private final Map<String, CudaBackend.Compiled> compiled = new HashMap<>();
    /** Emitted by a tuning round for its precompile and not loaded yet: each schedule is emitted once. */
    private final Map<String, CudaBackend.Emitted> emitted = new HashMap<>();
    private final Map<Map<String, Long>, Kernel> lowered = new HashMap<>();

    /**
     * @param lower the kernel lowered under a full assignment of its tunables (the caller's pipeline and options)
     */
    public Autotuner(CudaBackend gpu, String sourceFile, Set<String> halfInputs, Set<String> halfOutputs, Function<Map<String, Long>, Kernel> lower) {
        this.gpu = gpu;
        this.sourceFile = sourceFile;
        this.halfInputs = halfInputs;
        this.halfOutputs = halfOutputs;
        this.lower = lower;
    }

    /**
     * Every assignment of the tunables' candidates, the pinned ones held at their values: the first
     * tunable varies slowest, each in its declared candidate order (so the declared defaults come first
     * when they are the first candidates).
     */
    public static List<Map<String, Long>> space(List<Ast.Tunable> tunables, Map<String, Long> pinned) {
        List<Map<String, Long>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>());
        for (Ast.Tunable t : tunables) {
            String name = t.name().name();
            List<Long> values = pinned.containsKey(name) ? List.of(pinned.get(name)) : t.candidates();
            List<Map<String, Long>> next = new ArrayList<>();
            for (Map<String, Long> partial : out) {
                for (long v : values) {
                    Map<String, Long> m = new LinkedHashMap<>(partial);
                    m.put(name, v);
                    next.add(m);
                }
            }
            out = next;
        }
        return out;
    }

    /** The kernel compiled (once per schedule and head dimension) for {@code config}. */
    public CudaBackend.Compiled compile(Map<String, Long> config, int d) {
        String key = config + "|" + d;
        CudaBackend.Compiled c = compiled.get(key);
        if (c != null) return c;
        CudaBackend.Emitted e = emitted.remove(key);   // emitted for a tuning round's precompile, or now
        c = gpu.load(e != null ? e : emitted(config, d), sourceFile);
        compiled.put(key, c);
        return c;
    }

    /** The kernel under {@code config} emitted for head dimension {@code d}. */
    private CudaBackend.Emitted emitted(Map<String, Long> config, int d) {
        return CudaBackend.emit(lowered(config), d, sourceFile, halfInputs, halfOutputs);
    }

    /** The kernel under {@code config}, lowered once per schedule (a schedule the range proof rejects throws each time it is asked for). */
    public Kernel lowered(Map<String, Long> config) {
        return lowered.computeIfAbsent(config, lower);
    }

    /**
     * The fastest schedule of {@code space} on these device tensors (one call's inputs and outputs, by
     * parameter name), each timed as the median of {@code reps} graph-timed body launches after {@code warmup};
     * from the cache when {@code identity} (what the kernel is: source, pipeline, options) was tuned on
     * this shape, device and compiler before, unless {@code retune}.
     */
    public Result tune(List<Map<String, Long>> space, String identity, int[] shape, Map<String, DeviceTensor> tensors, Map<String, Double> scalars,
                       int warmup, int reps, boolean retune) {
        int d = shape[shape.length - 1];
        Path entry = gpu.cache().dir().resolve("tune").resolve(key(identity, space, shape) + ".txt");
        if (!retune) {
            Result hit = read(entry, space);
            if (hit != null) return hit;
        }
        // The body's schedule by body time, at the space's first prologue form, launch and register budget; then the
        // other budgets (min_blocks) of that schedule by body time; then its prologue forms (pro_blocks: grid-wide or
        // per head) and launches (pdl) by the time of a whole call, which is what they change.
        Map<String, Long> first = new HashMap<>();
        for (String key : STAGED) {
            space.stream().map(c -> c.get(key)).filter(java.util.Objects::nonNull).min(Long::compare).ifPresent(v -> first.put(key, v));
        }
        List<Map<String, Long>> bodySpace = space.stream().filter(c -> first.entrySet().stream().allMatch(e -> e.getValue().equals(c.get(e.getKey())))).toList();
        boolean calls = space.stream().anyMatch(c -> CALL_TUNED.stream().anyMatch(k -> first.containsKey(k) && !first.get(k).equals(c.get(k))));
        List<Trial> trials = new ArrayList<>();
        Trial best = null;
        for (Trial t : round(bodySpace, d, tensors, scalars, warmup, reps, false)) {
            trials.add(t);
            if (t.skipped() == null && (best == null || t.kernelMs() < best.kernelMs())) best = t;
        }
        if (best == null) {
            throw new CudaEmitter.Unsupported("no schedule of the space can be emitted: " + trials.get(0).skipped());
        }
        Map<String, Long> chosen = best.config();
        List<Map<String, Long>> refined = space.stream().filter(c -> sameBut(c, chosen, REFINED) && !c.equals(chosen)).toList();
        for (Trial t : round(refined, d, tensors, scalars, warmup, reps, false)) {
            trials.add(t);
            if (t.skipped() == null && t.kernelMs() < best.kernelMs()) best = t;
        }
        if (calls) {
            Map<String, Long> body = best.config();
            List<Map<String, Long>> forms = space.stream().filter(c -> sameBut(c, body, CALL_TUNED)).toList();
            trials.remove(best);   // timed again below, as a whole call
            best = null;
            for (Trial t : round(forms, d, tensors, scalars, warmup, reps, true)) {
                trials.add(t);
                if (t.skipped() == null && (best == null || t.callMs() < best.callMs())) best = t;
            }
            if (best == null) throw new CudaEmitter.Unsupported("no prologue form of " + describe(body) + " runs: " + trials.getLast().skipped());
        }
        write(entry, best);
        return new Result(best.config(), best.kernelMs(), trials, false);
    }

    /** The schedule tunable that picks the prologue's form (see {@code HeadPrologue}): tuned on whole calls. */
    public static final String PROLOGUE = qflash.cuda.PrologueEmitter.TUNABLE;
    /** The schedule tunable that makes the body a programmatic dependent launch: tuned on whole calls too. */
    public static final String DEPENDENT = qflash.cuda.PrologueEmitter.DEPENDENT;
    /**
     * At least this many untimed and timed calls per candidate of a call round: the first calls of a process are
     * 1.6-3.6 µs slower at b = 1 than its steady state (H100, session 24), more than the differences the round ranks.
     */
    static final int CALL_WARMUP = 200, CALL_REPS = 200;

    /**
     * A body round first looks at each schedule with a few single launches ({@link CudaBackend.Call#screenKernelMillis})
     * and times it fully only when that look is within this factor of the fastest look so far. A full timing costs
     * 13 graphs of 20 launches: on L3 (2 ms a launch at the best schedules, 5-10x that at BLOCK_M = 16) the slow
     * schedules took most of the tuning time, and one row's round did not fit a 200 s run. A single launch measures the
     * host's launch overhead with the kernel, which only brings short kernels' looks closer together: a schedule is
     * screened out only when it is clearly slower.
     */
    static final double SCREEN = 1.5;
    /** Why a screened-out trial was not timed (one text, so the tune command counts them on one line). */
    static final String SCREENED = "screened out: a first look took over " + SCREEN + "x the fastest's";

    /** The tunables that change a call but not the body's own time. */
    private static final List<String> CALL_TUNED = List.of(PROLOGUE, DEPENDENT);
    /**
     * The tunables that change how the body's code is compiled, not its tiles (the registers budgeted per thread):
     * tried, by body time, on the fastest schedule of the first round only (a first round per value would multiply
     * the tuning time by their count).
     */
    private static final List<String> REFINED = List.of(qflash.cuda.CudaEmitter.MIN_BLOCKS);
    /** The tunables held at their first value in the first round. */
    private static final List<String> STAGED = java.util.stream.Stream.concat(CALL_TUNED.stream(), REFINED.stream()).toList();

    private static boolean sameBut(Map<String, Long> a, Map<String, Long> b, List<String> keys) {
        Map<String, Long> x = new HashMap<>(a), y = new HashMap<>(b);
        keys.forEach(x::remove);
        keys.forEach(y::remove);
        return x.equals(y);
    }

    /**
     * Each schedule of {@code configs} compiled (side by side first, then loaded from the cache) and timed:
     * the body alone, and with {@code calls} also whole calls (prologue and body from the host).
     */
    private List<Trial> round(List<Map<String, Long>> configs, int d, Map<String, DeviceTensor> tensors, Map<String, Double> scalars, int warmup, int reps, boolean calls) {
        List<CudaBackend.Emitted> candidates = new ArrayList<>();
        for (Map<String, Long> config : configs) {
            String key = config + "|" + d;
            if (compiled.containsKey(key)) continue;
            try {
                CudaBackend.Emitted e = emitted.computeIfAbsent(key, x -> emitted(config, d));
                candidates.add(e);
            } catch (RangeCheck.Overflow | CudaEmitter.Unsupported e) {
                // reported by the loop below
            }
        }
        gpu.precompile(candidates, sourceFile, Runtime.getRuntime().availableProcessors());
        List<Trial> trials = new ArrayList<>();
        double fastestScreen = Double.POSITIVE_INFINITY;
        for (Map<String, Long> config : configs) {
            CudaBackend.Compiled c;
            try {
                c = compile(config, d);
            } catch (CudaEmitter.Unsupported | RangeCheck.Overflow e) {   // a schedule the backend or the range proof rejects
                trials.add(new Trial(config, Double.NaN, Double.NaN, e.getMessage()));
                continue;
            }
            try (CudaBackend.Call call = gpu.new Call(c, tensors, scalars)) {
                int launches = CudaBackend.GRAPH_LAUNCHES;
                if (!calls) {
                    double screen = call.screenKernelMillis();
                    if (screen > SCREEN * fastestScreen) {
                        trials.add(new Trial(config, Double.NaN, Double.NaN, SCREENED));
                        continue;
                    }
                    fastestScreen = Math.min(fastestScreen, screen);
                    launches = CudaBackend.launchesFor(screen);
                }
                double body = call.medianKernelMillis(warmup, reps, launches);
                trials.add(new Trial(config, body, calls ? call.medianCallMillis(Math.max(warmup, CALL_WARMUP), Math.max(reps, CALL_REPS)) : Double.NaN, null));
            } catch (qflash.host.UserError e) {   // a form this shape cannot take (a head too large for shared memory)
                trials.add(new Trial(config, Double.NaN, Double.NaN, e.getMessage()));
            }
        }
        return trials;
    }

    /** Space, kernel, shape, device and NVRTC: what a remembered choice is valid for. */
    private String key(String identity, List<Map<String, Long>> space, int[] shape) {
        return CubinCache.digest(List.of(identity, space.toString(), Arrays.toString(shape), gpu.device().toString(), gpu.nvrtc().describe(),
                String.join(",", halfInputs.stream().sorted().toList()), String.join(",", halfOutputs.stream().sorted().toList())));
    }

    /** An entry is one line: {@code NAME=VALUE ... ms}; anything else, or a schedule outside the space, is a miss. */
    private static Result read(Path entry, List<Map<String, Long>> space) {
        try {
            String[] f = Files.readString(entry).strip().split(" ");
            Map<String, Long> config = new LinkedHashMap<>();
            for (int i = 0; i < f.length - 1; i++) {
                String[] kv = f[i].split("=", 2);
                config.put(kv[0], Long.parseLong(kv[1]));
            }
            double ms = Double.parseDouble(f[f.length - 1]);
            return space.contains(config) ? new Result(config, ms, List.of(), true) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void write(Path entry, Trial best) {
        CubinCache.writeAtomically(entry, (describe(best.config()) + String.format(Locale.ROOT, " %.6f%n", best.kernelMs())).getBytes(StandardCharsets.UTF_8));
    }

    /** {@code BLOCK_M=64 BLOCK_N=64 ...}: a schedule as the CLI prints it. */
    public static String describe(Map<String, Long> config) {
        StringBuilder sb = new StringBuilder();
        config.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : " ").append(k).append('=').append(v));
        return sb.toString();
    }
}
