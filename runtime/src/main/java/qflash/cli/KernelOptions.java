package qflash.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import qflash.Compiler;
import qflash.ast.Ast;
import qflash.diag.CompileError;
import qflash.diag.ErrorKind;
import qflash.diag.Pos;
import qflash.diag.Source;
import qflash.host.UserError;
import qflash.ir.IrInvalid;
import qflash.ir.IrParser;
import qflash.ir.Kernel;
import qflash.ir.Verifier;
import qflash.pass.Pass;
import qflash.pass.PassManager;
import qflash.pass.Pipeline;

/** What {@code compile} and {@code run} share: which program, read how, lowered by which pipeline. */
public final class KernelOptions {
    @Parameters(index = "0", paramLabel = "FILE", description = "a .tile program, or IR with --from ir; '-' reads standard input")
    String file;

    @Option(names = "--from", paramLabel = "dsl|ir", description = "what FILE holds (default: dsl)")
    String from = "dsl";

    @Option(names = "--pipeline", paramLabel = "NAME", description = "number system: f64, f32, fp16, qflash, int8 (default: f64)")
    String pipeline = "f64";

    @Option(names = "--tune", paramLabel = "NAME=VALUE", description = "set a tunable, e.g. --tune BLOCK_M=32 (repeatable)")
    Map<String, String> tune = new LinkedHashMap<>();

    Source source() {
        String text;
        String name = file.equals("-") ? "<stdin>" : file;
        try {
            byte[] bytes = file.equals("-") ? readAll(System.in) : Files.readAllBytes(Path.of(file));
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            throw new UserError(name + ": no such file");
        } catch (CharacterCodingException e) {
            throw new CompileError(ErrorKind.BINARY_INPUT, new Source(name, ""), new Pos(1, 1), 0xff, 0);
        } catch (IOException e) {
            throw new UserError(name + ": cannot read (" + e.getMessage() + ")");
        }
        return new Source(name, text);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    @Option(names = "--stop-after", paramLabel = "PASS", description = "run the pipeline only up to this pass (to look at a stage)")
    String stopAfter;

    @Option(names = "--opt", paramLabel = "KEY=VALUE", description = "override one choice of an integer pipeline: exp=shift|poly2, p=u8|s8, "
            + "p-cast=sat|wrap, quant=tensor|token|block, v-quant=tensor|channel, smooth-k=true|false, out=int8|f32, sum-init=0|1, "
            + "halvings=published|exact (repeatable)")
    Map<String, String> opts = new LinkedHashMap<>();

    Pipeline pipeline() {
        if (Pipeline.named(pipeline) == null) throw new UserError("unknown pipeline '" + pipeline + "' (known: " + String.join(", ", Pipeline.names()) + ")");
        Pipeline p;
        try {
            p = Pipeline.named(pipeline, opts);
        } catch (IllegalArgumentException e) {
            throw new UserError("--opt: " + e.getMessage());
        }
        if (stopAfter != null) {
            Pipeline cut = p.stopAfter(stopAfter);
            if (cut == null) {
                throw new UserError("--stop-after: pipeline '" + pipeline + "' has no pass '" + stopAfter + "' (it has "
                        + String.join(", ", p.passes().stream().map(Pass::name).distinct().toList()) + ")");
            }
            p = cut;
        }
        return p;
    }

    Map<String, Long> tunables() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (var e : tune.entrySet()) {
            try {
                out.put(e.getKey(), Long.parseLong(e.getValue()));
            } catch (NumberFormatException x) {
                throw new UserError("--tune " + e.getKey() + "=" + e.getValue() + ": the value must be an integer");
            }
        }
        return out;
    }

    /** The stages up to the tile IR; {@code astSink} sees the AST when the input is DSL. */
    Kernel tileIr(Source src, Consumer<Ast.Program> astSink) {
        switch (from) {
            case "dsl" -> {
                Ast.Program p = Compiler.parse(src);
                if (astSink != null) astSink.accept(p);
                return Compiler.toIr(src, p, pinned(p));
            }
            case "ir" -> {
                if (!tune.isEmpty()) throw new UserError("--tune applies to DSL input; IR has its schedule fixed");
                Kernel k = IrParser.parse(src);
                try {
                    Verifier.verify(k);
                } catch (IrInvalid e) {
                    throw new UserError(src.name() + ": invalid IR: " + e.getMessage());
                }
                return k;
            }
            default -> throw new UserError("--from must be dsl or ir, got '" + from + "'");
        }
    }

    /** The --tune values, each naming a tunable of {@code p}. */
    private Map<String, Long> pinned(Ast.Program p) {
        Map<String, Long> t = tunables();
        for (String name : t.keySet()) {
            if (p.tunables().stream().noneMatch(x -> x.name().name().equals(name))) {
                throw new UserError("--tune " + name + ": kernel '" + p.name().name() + "' has no tunable '" + name + "'");
            }
        }
        return t;
    }

    /**
     * What the autotuner searches: the program's tunables, those --tune pins, the kernel lowered by the
     * chosen pipeline under any full assignment of them, and an identity of the kernel (source, pipeline,
     * options) for the tuning cache.
     */
    record Tuning(Source source, List<Ast.Tunable> tunables, Map<String, Long> pinned, Function<Map<String, Long>, Kernel> lower, String identity) {
        /** The schedules to search: every assignment of the tunables, the pinned ones held. */
        List<Map<String, Long>> space() {
            return qflash.gpu.Autotuner.space(tunables, pinned);
        }
    }

    Tuning tuning() {
        if (!from.equals("dsl")) throw new UserError("tuning needs DSL input: IR has its schedule fixed");
        Source src = source();
        Ast.Program p = Compiler.parse(src);
        Pipeline pl = pipeline();
        return new Tuning(src, p.tunables(), pinned(p), t -> Compiler.lower(Compiler.toIr(src, p, t), pl, null),
                String.join("\u0000", src.text(), pipeline, opts.toString(), String.valueOf(stopAfter)));
    }

    /** The lowered kernel the chosen pipeline makes of FILE. */
    Kernel lowered(Consumer<PassManager.Stage> observer) {
        Source src = source();
        return Compiler.lower(tileIr(src, null), pipeline(), observer);
    }
}
