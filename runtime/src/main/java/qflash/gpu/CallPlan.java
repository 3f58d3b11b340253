package qflash.gpu;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import qflash.cuda.CudaEmitter;
import qflash.cuda.CudaEmitter.Arg;
import qflash.cuda.PrologueEmitter;
import qflash.interp.Interpreter;
import qflash.ir.Dim;
import qflash.ir.Elem;
import qflash.ir.Kernel;

/**
 * What one whole call launches, decided in Java alone: the buffers the prologue writes, each kernel argument
 * (a caller's tensor, a buffer, a value), the prologue's launch shape and the body's grid. A {@link CudaBackend.Call}
 * turns it into driver-API launches; the CPU emulator ({@code qflash.emu.Emulator}) runs the very same plan.
 *
 * @param blocks the prologue's blocks: in the grid-wide form one per SM (every block resident: its phases wait for
 *               each other at grid barriers), in the per-head form its blocks per head; 0 without a prologue
 */
public record CallPlan(Map<String, Integer> symbols, List<Alloc> buffers, List<Binding> prologueArgs, List<Binding> bodyArgs,
                       int blocks, int threads, int smem, boolean gridWide, int[] grid) {

    /** A zero-filled buffer the prologue writes (a key-major buffer's padding keys are never written and must read as 0). */
    public record Alloc(String name, Elem elem, int[] shape) {}

    /** A kernel argument. */
    public sealed interface Binding {
        /** A tensor: a prologue buffer ({@code buffer}) or the caller's, by name. */
        record Tensor(String name, boolean buffer) implements Binding {}

        /** An optional tensor the caller left out: a null pointer, read as zeros. */
        record Absent() implements Binding {}

        /** A scalar by value, of the argument's type. */
        record Value(Elem elem, double value) implements Binding {}

        /** A shape symbol's extent. */
        record Symbol(int value) implements Binding {}
    }

    /** What the device offers a call: its SM count (the grid-wide prologue's blocks) and shared memory per block. */
    public record Device(int multiprocessors, long sharedPerBlock) {}

    /** The plan of {@code code}'s call (and {@code pro}'s, null without a prologue) on tensors of these shapes. */
    public static CallPlan of(Kernel kernel, CudaEmitter.CudaKernel code, PrologueEmitter.Program pro, Map<String, int[]> shapes,
                              Map<String, Double> scalars, Device device) {
        Map<String, Integer> symbols = Interpreter.bindShapesOf(kernel, shapes);
        Map<String, Double> values = Interpreter.scalarArguments(kernel, symbols, scalars);
        List<Alloc> buffers = new ArrayList<>();
        Map<String, Boolean> isBuffer = new HashMap<>();
        List<Binding> proArgs = new ArrayList<>();
        int blocks = 0, threads = 0, smem = 0;
        boolean gridWide = false;
        if (pro != null) {
            for (Arg a : pro.args()) {
                Kernel.Param p = kernel.param(a.name());
                if (p != null && p.isTensor() && !p.out() && !shapes.containsKey(a.name())) {
                    throw new qflash.host.UserError("the GPU prologue reads tensor " + a.name() + ": pass it (zeros for an absent optional one)");
                }
            }
            shapes.forEach(CallPlan::checkPrologueSize);
            for (PrologueEmitter.Buffer b : pro.buffers()) {
                int[] shape = b.allocated(dim -> size(dim, symbols));
                checkPrologueSize(b.name(), shape);
                buffers.add(new Alloc(b.name(), b.elem(), shape));
                isBuffer.put(b.name(), true);
            }
            for (Arg a : pro.args()) proArgs.add(binding(a, shapes, isBuffer, values, symbols, null));
            PrologueEmitter.Launch launch = pro.launch();
            if (launch == null || !launch.perHead()) {
                blocks = device.multiprocessors();
                threads = PrologueEmitter.THREADS;
                gridWide = true;
            } else {
                // The per-head form: blocks per head, each staging one head of a tensor in shared memory.
                long n = launch.blocks(dim -> size(dim, symbols)), bytes = launch.smemBytes(dim -> size(dim, symbols));
                if (bytes > device.sharedPerBlock()) {
                    throw new qflash.host.UserError("pro_blocks > 0 stages one head (" + String.join(" x ", launch.slab().stream().map(dim -> Integer.toString(size(dim, symbols))).toList())
                            + " floats) in shared memory: " + bytes + " bytes, more than the " + device.sharedPerBlock() + " a block of this GPU may have; use pro_blocks = 0");
                }
                if (n > Integer.MAX_VALUE) throw new qflash.host.UserError("pro_blocks > 0: " + n + " prologue blocks are too many for one launch; use pro_blocks = 0");
                blocks = (int) n;
                threads = launch.threads();
                smem = (int) bytes;
            }
        }
        List<Binding> bodyArgs = new ArrayList<>();
        for (Arg a : code.args()) bodyArgs.add(binding(a, shapes, isBuffer, values, symbols, pro == null ? Map.of() : pro.derived()));
        return new CallPlan(symbols, buffers, proArgs, bodyArgs, blocks, threads, smem, gridWide, grid(kernel, symbols));
    }

    /** The argument {@code a} names: a prologue buffer (directly or as what a derived parameter is), else the caller's tensor; absent if neither. */
    private static Binding binding(Arg a, Map<String, int[]> shapes, Map<String, Boolean> isBuffer, Map<String, Double> values,
                                   Map<String, Integer> symbols, Map<String, String> derived) {
        return switch (a.kind()) {
            case TENSOR, SCALAR_REF -> {
                if (isBuffer.containsKey(a.name())) yield new Binding.Tensor(a.name(), true);
                if (derived != null && derived.containsKey(a.name()) && isBuffer.containsKey(derived.get(a.name()))) yield new Binding.Tensor(derived.get(a.name()), true);
                yield shapes.containsKey(a.name()) ? new Binding.Tensor(a.name(), false) : new Binding.Absent();
            }
            case SCALAR -> new Binding.Value(a.elem(), values.get(a.name()));
            case SYMBOL -> new Binding.Symbol(symbols.get(a.name()));
        };
    }

    /** The GPU prologue indexes with 32-bit ints: a larger tensor is a user error, said before any launch. */
    static void checkPrologueSize(String name, int[] shape) {
        long n = 1;
        for (int s : shape) n *= s;
        if (n > PrologueEmitter.MAX_ELEMENTS) {
            throw new qflash.host.UserError("the GPU prologue indexes tensors with 32-bit integers: " + name + " has " + n
                    + " elements (at most " + PrologueEmitter.MAX_ELEMENTS + ")");
        }
    }

    private static int size(Dim d, Map<String, Integer> symbols) {
        return d.isConst() ? d.size() : symbols.get(d.symbol());
    }

    /** The IR grid's extents as a CUDA grid: the last grid axis is blockIdx.x (as the emitter maps them). */
    static int[] grid(Kernel k, Map<String, Integer> symbols) {
        int[] ext = Interpreter.gridExtents(k, symbols);
        int[] grid = {1, 1, 1};
        for (int a = 0; a < ext.length; a++) grid[ext.length - 1 - a] = ext[a];
        return grid;
    }

    /** Whether the body has blocks to run (an empty grid launches nothing). */
    public boolean bodyRuns() {
        return grid[0] > 0 && grid[1] > 0 && grid[2] > 0;
    }

    /** A scalar argument's bits in its C type, little-endian: only given or defaulted scalars travel by value, and they start as doubles, so nothing is lost. */
    public static byte[] valueBytes(Elem e, double v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        switch (e) {
            case I32 -> b.putInt((int) v);
            case I64 -> b.putLong((long) v);
            case F32 -> b.putFloat((float) v);
            case F64 -> b.putDouble(v);
            default -> throw new CudaEmitter.Unsupported("a scalar argument of type " + e.text);
        }
        return java.util.Arrays.copyOf(b.array(), qflash.interp.Arr.bytes(e));
    }
}
