package qflash.gpu;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cubin cache on any machine, with a stand-in compiler that counts its compiles. */
class CubinCacheTest {
    static final class CountingNvrtc implements Nvrtc {
        int compiles;
        String version = "fake NVRTC 1.0";

        @Override
        public String describe() {
            return version;
        }

        @Override
        public byte[] compileCubin(String source, String name, String arch, List<String> options) {
            compiles++;
            return (arch + ":" + source + ":" + options).getBytes();
        }
    }

    @TempDir
    Path dir;

    @Test
    void missThenHitAndEveryKeyPartCounts() {
        CubinCache cache = new CubinCache(dir.resolve("c"));
        CountingNvrtc nvrtc = new CountingNvrtc();
        byte[] first = cache.cubin(nvrtc, "src", "k.cu", "sm_90a", List.of("-O3"));
        assertFalse(cache.lastHit());
        assertArrayEquals(first, cache.cubin(nvrtc, "src", "k.cu", "sm_90a", List.of("-O3")));
        assertTrue(cache.lastHit());
        assertEquals(1, nvrtc.compiles);
        cache.cubin(nvrtc, "src2", "k.cu", "sm_90a", List.of("-O3"));
        cache.cubin(nvrtc, "src", "k.cu", "sm_80", List.of("-O3"));
        cache.cubin(nvrtc, "src", "k.cu", "sm_90a", List.of("-O2"));
        nvrtc.version = "fake NVRTC 2.0";
        cache.cubin(nvrtc, "src", "k.cu", "sm_90a", List.of("-O3"));
        assertEquals(5, nvrtc.compiles, "source, arch, options and compiler version are all part of the key");
    }

    @Test
    void corruptOrTruncatedEntriesAreRebuilt() throws Exception {
        CubinCache cache = new CubinCache(dir);
        CountingNvrtc nvrtc = new CountingNvrtc();
        byte[] good = cache.cubin(nvrtc, "src", "k.cu", "sm_90a", List.of());
        Path entry;
        try (var s = Files.list(dir)) {
            entry = s.filter(p -> p.toString().endsWith(".cubin")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(entry);
        bytes[bytes.length - 1] ^= 1;
        Files.write(entry, bytes);
        assertArrayEquals(good, cache.cubin(nvrtc, "src", "k.cu", "sm_90a", List.of()));
        assertFalse(cache.lastHit());
        Files.write(entry, new byte[] {1, 2, 3});
        assertArrayEquals(good, cache.cubin(nvrtc, "src", "k.cu", "sm_90a", List.of()));
        assertEquals(3, nvrtc.compiles);
        assertTrue(cache.cubin(nvrtc, "src", "k.cu", "sm_90a", List.of()) != null && cache.lastHit(), "the rewritten entry serves again");
    }

    @Test
    void anUnwritableCacheOnlyCostsACompile() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        CubinCache cache = new CubinCache(file.resolve("sub"));
        CountingNvrtc nvrtc = new CountingNvrtc();
        assertNotNull(cache.cubin(nvrtc, "src", "k.cu", "sm_90a", List.of()));
        assertNotNull(cache.cubin(nvrtc, "src", "k.cu", "sm_90a", List.of()));
        assertEquals(2, nvrtc.compiles);
    }
}
