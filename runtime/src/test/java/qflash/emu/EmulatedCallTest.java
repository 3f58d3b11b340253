package qflash.emu;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import qflash.Compiler;
import qflash.diag.Source;
import qflash.gpu.CudaBackend;
import qflash.host.CpuBackend;
import qflash.host.Inputs;
import qflash.host.Shape;
import qflash.interp.Arith;
import qflash.interp.Arr;
import qflash.interp.Interpreter;
import qflash.ir.Elem;
import qflash.ir.Kernel;
import qflash.pass.Pipeline;

class EmulatedCallTest {
    static Emulator emu;

    @BeforeAll
    static void open() {
        try {
            emu = Emulator.open();
        } catch (Emulator.Unavailable e) {
            assumeTrue(false, "no CUDA emulator here: " + e.getMessage());
        }
    }

    static Source sample(String name) throws Exception {
        return new Source(name, Files.readString(Path.of(System.getProperty("qflash.samples", "../samples"), name)));
    }

    @Test
    void one() throws Exception {
        String s = "flash_attention.tile";
        Kernel k = Compiler.compile(sample(s), Pipeline.named("int8", Map.of()), Map.of());
        Shape sh = new Shape(1, 2, 197, 64);
        Inputs in = Inputs.generate(Inputs.Model.GAUSS_OUTLIER, sh, 5, false);
        CpuBackend.Bound cpu = CpuBackend.bind(k, in, null);
        Interpreter.run(k, cpu.tensors(), cpu.scalars());
        CudaBackend.Emitted e = CudaBackend.emit(k, sh.d(), s, Set.of("Q", "K", "V"), Set.of());
        Map<String, Arr> t = new LinkedHashMap<>();
        t.put("Q", Arr.floats(Elem.F16, in.q(), sh.dims()));
        t.put("K", Arr.floats(Elem.F16, in.k(), sh.dims()));
        t.put("V", Arr.floats(Elem.F16, in.v(), sh.dims()));
        t.put("O", new Arr(Elem.F32, sh.dims()));
        long t0 = System.nanoTime();
        Arr got = emu.call(e, s, t, Map.of()).get("O");
        System.out.printf("emulated in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        Arr want = cpu.out();
        int bad = 0;
        for (int i = 0; i < want.size(); i++) if (Double.doubleToLongBits(got.get(i)) != Double.doubleToLongBits(want.get(i))) { if (bad++ < 5) System.out.println(i + ": " + got.get(i) + " vs " + want.get(i)); }
        System.out.println("got " + got.get(0) + " " + got.get(1000) + " want " + want.get(0) + " " + want.get(1000) + " n=" + want.size());
        assertEquals(0, bad);
    }
}
