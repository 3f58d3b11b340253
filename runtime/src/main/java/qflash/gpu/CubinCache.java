package qflash.gpu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Cubins on disk, keyed by a SHA-256 of the CUDA source, the options, the architecture and the NVRTC
 * that compiles them, under {@code $QFLASH_CACHE} or {@code ~/.cache/qflash}. Each entry carries a digest
 * of its payload: a corrupt, truncated or unreadable entry is compiled again and rewritten, never fatal;
 * a cache directory that cannot be written only costs the compile.
 */
public final class CubinCache {
    private static final byte[] MAGIC = "QFCB1\n".getBytes(StandardCharsets.US_ASCII);

    private final Path dir;

    /** Whether the last {@link #cubin} call was served from disk (of the calling thread: compiles may run side by side). */
    private final ThreadLocal<Boolean> lastHit = ThreadLocal.withInitial(() -> false);

    public CubinCache(Path dir) {
        this.dir = dir;
    }

    public static CubinCache standard() {
        String env = System.getenv("QFLASH_CACHE");
        return new CubinCache(env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "qflash"));
    }

    public Path dir() {
        return dir;
    }

    public boolean lastHit() {
        return lastHit.get();
    }

    public byte[] cubin(Nvrtc nvrtc, String source, String name, String arch, List<String> options) {
        return entry(key(nvrtc.describe(), source, arch, options), ".cubin", () -> nvrtc.compileCubin(source, name, arch, options));
    }

    /**
     * The entry {@code key} (a {@link #digest}) with this file suffix, built and stored if it is missing or
     * unreadable: the cubin of a source, or the host library the CPU emulator compiles from it.
     */
    public byte[] entry(String key, String suffix, java.util.function.Supplier<byte[]> build) {
        Path file = dir.resolve(key + suffix);
        byte[] cached = read(file);
        if (cached != null) {
            lastHit.set(true);
            return cached;
        }
        lastHit.set(false);
        byte[] bin = build.get();
        write(file, bin);
        return bin;
    }

    static String key(String compiler, String source, String arch, List<String> options) {
        return digest(List.of(compiler, arch, String.join("\u0001", options), source));
    }

    /** A SHA-256 in hex of the parts, each terminated by a NUL (so that no two lists of parts collide). */
    public static String digest(List<String> parts) {
        MessageDigest md = sha256();
        for (String part : parts) {
            md.update(part.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The payload if the entry is whole and its digest matches; null otherwise (missing, corrupt, unreadable). */
    private static byte[] read(Path file) {
        try {
            byte[] all = Files.readAllBytes(file);
            if (all.length < MAGIC.length + 32 || !Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) return null;
            byte[] digest = Arrays.copyOfRange(all, MAGIC.length, MAGIC.length + 32);
            byte[] payload = Arrays.copyOfRange(all, MAGIC.length + 32, all.length);
            return MessageDigest.isEqual(digest, sha256().digest(payload)) ? payload : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void write(Path file, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 32 + payload.length);
        b.put(MAGIC).put(sha256().digest(payload)).put(payload);
        writeAtomically(file, b.array());
    }

    /**
     * Writes atomically (a temporary file beside it, then a rename) so a reader never sees half an entry;
     * a cache that cannot be written costs a compile (or a retune) next time, nothing more.
     */
    static void writeAtomically(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "entry", ".tmp");
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            // not fatal: see above
        }
    }
}
