package qflash;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import qflash.diag.Source;

/** Test resources: the must-fail programs, the golden files and the samples (copied in by Maven). */
public final class TestFiles {
    private TestFiles() {}

    public static Path dir(String name) {
        try {
            return Path.of(TestFiles.class.getResource("/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource folder " + name + " is missing", e);
        }
    }

    public static List<Path> list(String dir, String suffix) {
        try (Stream<Path> s = Files.list(dir(dir))) {
            return s.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Source source(Path p) {
        try {
            return new Source(p.getFileName().toString(), Files.readString(p, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Source sample(String name) {
        return source(dir("samples").resolve(name));
    }

    /** The 1-based line of sample {@code name} that contains {@code text}: tests that point at a DSL line find it, so a sample may grow. */
    public static int lineOf(String name, String text) {
        List<String> lines = sample(name).text().lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) return i + 1;
        }
        throw new IllegalStateException(name + " has no line containing " + text);
    }

    public static final List<String> SAMPLES = List.of("flash_attention.tile", "flash_attention_bias.tile", "flash_attention_causal.tile");
}
