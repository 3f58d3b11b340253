package qflash.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import qflash.diag.CompileError;
import qflash.host.UserError;
import qflash.pass.PassManager;

/**
 * {@code qflash}: compile tile programs, run them, print every stage. Exit codes: 0 success,
 * 1 internal error (a bug: please report), 2 user error (bad DSL, options, files, shapes),
 * 3 no GPU or no NVRTC where one was asked for.
 */
@Command(name = "qflash", mixinStandardHelpOptions = true, version = "qflash 0.1.0",
        description = "A compiler and runtime for integer-only FlashAttention kernels.",
        subcommands = {CompileCommand.class, RunCommand.class, BenchCommand.class, TuneCommand.class, DemoCommand.class, AccuracyCommand.class, DoctorCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int OK = 0, INTERNAL = 1, USER = 2, NO_DEVICE = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (compile, run or demo; see qflash --help)");
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            String cmd = ex.getCommandLine().getCommandName();
            err.println("qflash: error: " + ex.getMessage() + " (see " + (cmd.equals("qflash") ? "" : "qflash ") + cmd + " --help)");
            return USER;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> report(ex, err));
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The one place errors turn into messages and exit codes. */
    static int report(Throwable ex, PrintWriter err) {
        switch (ex) {
            case CompileError ce -> {
                err.print(ce.render());
                return USER;
            }
            case UserError ue -> {
                err.println("qflash: error: " + ue.getMessage());
                return USER;
            }
            case NoDeviceError nd -> {
                err.println("qflash: " + nd.getMessage());
                return NO_DEVICE;
            }
            case qflash.pass.RangeCheck.Overflow ov -> {
                err.println("qflash: error: range analysis: " + ov.getMessage());
                return USER;
            }
            case qflash.cuda.CudaEmitter.Unsupported un -> {
                err.println("qflash: error: CUDA backend: " + un.getMessage());
                return USER;
            }
            case qflash.Compiler.NotInteger ni -> {
                err.println("qflash: error: " + ni.getMessage());
                return USER;
            }
            case PassManager.PassBroke pb -> {
                err.println("qflash: internal error: " + pb.getMessage());
                err.println("This is a bug in qflash; please report it with the command line and input.");
                return INTERNAL;
            }
            default -> {
                err.println("qflash: internal error: " + ex);
                if (System.getenv("QFLASH_DEBUG") != null) ex.printStackTrace(err);
                else err.println("This is a bug in qflash; please report it (QFLASH_DEBUG=1 shows the stack trace).");
                return INTERNAL;
            }
        }
    }
}
