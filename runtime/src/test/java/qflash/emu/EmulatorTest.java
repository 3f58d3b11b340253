package qflash.emu;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import qflash.cuda.ModelWalker;

/**
 * The emulator's own mechanics, on hand-written kernels: the warp-wide operations as the PTX ISA defines them
 * (mma.sync fragments, ldmatrix, shuffles), cp.async landing at its wait, and the failures it reports instead
 * of hanging or corrupting: a deadlock, a write past a buffer, a bad pointer.
 */
class EmulatorTest {
    static Emulator emu;

    @BeforeAll
    static void open() {
        emu = Emulators.orSkip();
    }

    static String kernel(String body) {
        return ModelWalker.prelude() + body;
    }

    static byte[] ints(int[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) b.putInt(x);
        return b.array();
    }

    static int[] ints(byte[] v) {
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        int[] r = new int[v.length / 4];
        for (int i = 0; i < r.length; i++) r[i] = b.getInt();
        return r;
    }

    /**
     * m16n8k32: each lane loads its fragments as the PTX ISA lays them out (A: a_i in row g + 8 [i % 8 >= 4], column
     * 4 t + i % 4 + 16 [i >= 8]; B: b_i in row 4 t + i % 4 + 16 [i >= 4], column g; D: d_i at row g + 8 [i >= 2],
     * column 2 t + i % 2), and D must be A B + C for 8-bit A signed or unsigned.
     */
    @Test
    void mmaOfEightBitFragmentsIsTheMatrixProduct() {
        String src = kernel("""
                extern "C" __global__ void k_mma(const signed char* A, const signed char* B, int* D, int unsignedA) {
                  const int lane = threadIdx.x, g = lane / 4, t = lane % 4;
                  u32 a[4];
                  for (int r = 0; r < 4; r++) {
                    u32 w = 0;
                    for (int j = 0; j < 4; j++) {
                      const int i = 4 * r + j, row = g + ((i % 8) >= 4 ? 8 : 0), col = 4 * t + i % 4 + (i >= 8 ? 16 : 0);
                      w |= (u32)(unsigned char)A[row * 32 + col] << (8 * j);
                    }
                    a[r] = w;
                  }
                  u32 b[2] = {0, 0};
                  for (int i = 0; i < 8; i++) b[i / 4] |= (u32)(unsigned char)B[(4 * t + i % 4 + (i >= 4 ? 16 : 0)) * 8 + g] << (8 * (i % 4));
                  int c[4];
                  for (int i = 0; i < 4; i++) c[i] = (g + (i >= 2 ? 8 : 0)) * 100 + 2 * t + i % 2;
                  if (unsignedA) qf_mma_u8s8(c, a, b[0], b[1]); else qf_mma_s8s8(c, a, b[0], b[1]);
                  for (int i = 0; i < 4; i++) D[(g + (i >= 2 ? 8 : 0)) * 8 + 2 * t + i % 2] = c[i];
                }
                """);
        Random rnd = new Random(3);
        byte[] a = new byte[16 * 32], b = new byte[32 * 8];
        rnd.nextBytes(a);
        rnd.nextBytes(b);
        for (int unsignedA = 0; unsignedA < 2; unsignedA++) {
            List<byte[]> out = emu.launch(src, "k_mma", new int[] {1, 1, 1}, 32, 0, List.of(a, b, new byte[16 * 8 * 4], unsignedA), false);
            int[] d = ints(out.get(2));
            for (int r = 0; r < 16; r++) {
                for (int n = 0; n < 8; n++) {
                    int want = r * 100 + n;
                    for (int k = 0; k < 32; k++) want += (unsignedA == 1 ? a[r * 32 + k] & 0xff : a[r * 32 + k]) * b[k * 8 + n];
                    assertEquals(want, d[r * 8 + n], "D[" + r + "][" + n + "], A " + (unsignedA == 1 ? "u8" : "s8"));
                }
            }
        }
    }

    /** ldmatrix.x4: lane l receives, of matrix j, the 4 bytes at 4 (l % 4) of row l / 4 (.trans: halves (2 (l % 4), l / 4) and (2 (l % 4) + 1, l / 4)). */
    @Test
    void ldmatrixGivesEachLaneItsRowsOrColumns() {
        String src = kernel("""
                extern "C" __global__ void k_ld(const unsigned short* M, u32* R, int trans) {
                  extern __shared__ __align__(16) unsigned char qf_smem[];
                  unsigned short* s = reinterpret_cast<unsigned short*>(qf_smem);
                  for (int i = threadIdx.x; i < 4 * 64; i += 32) s[i] = M[i];
                  __syncthreads();
                  const int l = threadIdx.x;
                  u32 r[4];
                  const void* row = s + (l / 8) * 64 + (l % 8) * 8;   // matrix l / 8, row l % 8: 8 halves a row
                  if (trans) qf_ldmatrix_x4_trans(r, row); else qf_ldmatrix_x4(r, row);
                  for (int j = 0; j < 4; j++) R[l * 4 + j] = r[j];
                }
                """);
        int[] m = new int[4 * 64];
        byte[] mb = new byte[m.length * 2];
        for (int i = 0; i < m.length; i++) {
            m[i] = (i * 37 + 11) & 0xffff;
            mb[2 * i] = (byte) m[i];
            mb[2 * i + 1] = (byte) (m[i] >> 8);
        }
        for (int trans = 0; trans < 2; trans++) {
            int[] r = ints(emu.launch(src, "k_ld", new int[] {1, 1, 1}, 32, 4 * 64 * 2, List.of(mb, new byte[32 * 4 * 4], trans), false).get(1));
            for (int l = 0; l < 32; l++) {
                for (int j = 0; j < 4; j++) {
                    int lo, hi;
                    if (trans == 0) {
                        lo = m[j * 64 + (l / 4) * 8 + 2 * (l % 4)];
                        hi = m[j * 64 + (l / 4) * 8 + 2 * (l % 4) + 1];
                    } else {
                        lo = m[j * 64 + 2 * (l % 4) * 8 + l / 4];
                        hi = m[j * 64 + (2 * (l % 4) + 1) * 8 + l / 4];
                    }
                    assertEquals(lo | hi << 16, r[l * 4 + j], "lane " + l + " matrix " + j + (trans == 1 ? " transposed" : ""));
                }
            }
        }
    }

    @Test
    void shufflesReadTheLaneTheyName() {
        String src = kernel("""
                extern "C" __global__ void k_sh(int* R) {
                  const int l = threadIdx.x & 31, v = 1000 * (threadIdx.x / 32) + l;
                  R[threadIdx.x * 3 + 0] = __shfl_xor_sync(0xffffffffu, v, 5);
                  R[threadIdx.x * 3 + 1] = __shfl_down_sync(0xffffffffu, v, 3);
                  R[threadIdx.x * 3 + 2] = __shfl_up_sync(0xffffffffu, v, 2);
                }
                """);
        int[] r = ints(emu.launch(src, "k_sh", new int[] {1, 1, 1}, 64, 0, List.of(new byte[64 * 3 * 4]), false).get(0));
        for (int t = 0; t < 64; t++) {
            int w = 1000 * (t / 32), l = t % 32;
            assertEquals(w + (l ^ 5), r[t * 3], "xor, thread " + t);
            assertEquals(w + (l + 3 < 32 ? l + 3 : l), r[t * 3 + 1], "down, thread " + t);
            assertEquals(w + (l >= 2 ? l - 2 : l), r[t * 3 + 2], "up, thread " + t);
        }
    }

    /** A tile read before its cp.async wait holds what shared memory held (a GPU may not have copied it yet); after the wait, the data. */
    @Test
    void cpAsyncLandsAtItsWaitUnlessEager() {
        String src = kernel("""
                extern "C" __global__ void k_cp(const int* G, int* R) {
                  extern __shared__ __align__(16) unsigned char qf_smem[];
                  int* s = reinterpret_cast<int*>(qf_smem);
                  qf_cp_async16(s + 4 * threadIdx.x, G + 4 * threadIdx.x, 16);
                  qf_cp_async4(s + 128 + threadIdx.x, G + threadIdx.x, 0);   // src_bytes 0: zeros
                  qf_cp_async_commit();
                  R[threadIdx.x * 3 + 0] = s[4 * threadIdx.x + 1];
                  qf_cp_async_wait<0>();
                  R[threadIdx.x * 3 + 1] = s[4 * threadIdx.x + 1];
                  R[threadIdx.x * 3 + 2] = s[128 + threadIdx.x];
                }
                """);
        int[] g = new int[128];
        for (int i = 0; i < g.length; i++) g[i] = 7 * i + 1;
        for (boolean eager : new boolean[] {false, true}) {
            int[] r = ints(emu.launch(src, "k_cp", new int[] {1, 1, 1}, 32, 1024, List.of(ints(g), new byte[32 * 3 * 4]), eager).get(1));
            for (int t = 0; t < 32; t++) {
                assertEquals(eager ? g[4 * t + 1] : 0x5a5a5a5a, r[t * 3], "before the wait, thread " + t + (eager ? ", eager" : ""));
                assertEquals(g[4 * t + 1], r[t * 3 + 1], "after the wait, thread " + t);
                assertEquals(0, r[t * 3 + 2], "a zero-byte copy fills zeros, thread " + t);
            }
        }
    }

    @Test
    void threadsThatReturnedHoldNoBarrierBack() {
        String src = kernel("""
                extern "C" __global__ void k_ex(int* R) {
                  if (threadIdx.x < 40) return;
                  __syncthreads();
                  R[threadIdx.x] = __shfl_xor_sync(0xffffffffu, (int)threadIdx.x, 1);
                }
                """);
        int[] r = ints(emu.launch(src, "k_ex", new int[] {2, 1, 1}, 64, 0, List.of(new byte[64 * 4]), false).get(0));
        for (int t = 40; t < 64; t++) assertEquals(t ^ 1, r[t]);
    }

    @Test
    void aBarrierNoThreadCanPassIsReportedAsADeadlock() {
        String src = kernel("""
                extern "C" __global__ void k_dl(int* R) {
                  if ((threadIdx.x & 31) < 16) { R[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1, 1); __syncthreads(); }
                  else { __syncthreads(); R[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1, 1); }
                }
                """);
        Emulator.Failure f = assertThrows(Emulator.Failure.class, () -> emu.launch(src, "k_dl", new int[] {1, 1, 1}, 32, 0, List.of(new byte[32 * 4]), false));
        assertTrue(f.getMessage().contains("deadlock in k_dl, block (0, 0, 0)"), f.getMessage());
    }

    /** A block that waits for a write no one makes (a grid barrier missing a block, say) ends at the time limit, reported. */
    @Test
    void aCallThatNeverEndsIsKilledAtTheTimeLimit() {
        String src = kernel("""
                extern "C" __global__ void k_spin(int* R) {
                  volatile int* p = R;
                  while (p[0] == 0) {}
                }
                """);
        Emulator.Failure f = assertThrows(Emulator.Failure.class, () -> emu.withTimeout(2).launch(src, "k_spin", new int[] {1, 1, 1}, 1, 0, List.of(new byte[4]), false));
        assertTrue(f.getMessage().contains("did not finish in 2 s"), f.getMessage());
    }

    @Test
    void aWritePastABufferOrThroughABadPointerIsReported() {
        String src = kernel("""
                extern "C" __global__ void k_oob(int* R, int n, int bad) {
                  if (bad) { int* volatile p = nullptr; p[threadIdx.x] = 1; }
                  R[threadIdx.x + (threadIdx.x == 0 ? n : 0)] = 1;
                }
                """);
        Emulator.Failure past = assertThrows(Emulator.Failure.class, () -> emu.launch(src, "k_oob", new int[] {1, 1, 1}, 32, 0, List.of(new byte[32 * 4], 32, 0), false));
        assertTrue(past.getMessage().contains("out-of-bounds write beside buffer 0 (128 bytes) by k_oob"), past.getMessage());
        Emulator.Failure bad = assertThrows(Emulator.Failure.class, () -> emu.launch(src, "k_oob", new int[] {1, 1, 1}, 32, 0, List.of(new byte[32 * 4], 0, 1), false));
        assertTrue(bad.getMessage().contains("a bad memory access"), bad.getMessage());
        // and within bounds, no complaint
        assertEquals(1, ints(emu.launch(src, "k_oob", new int[] {1, 1, 1}, 32, 0, List.of(new byte[32 * 4], 0, 0), false).get(0))[31]);
    }
}
