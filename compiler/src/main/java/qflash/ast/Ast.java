package qflash.ast;

import java.util.List;
import qflash.diag.Pos;

/**
 * The tile language's abstract syntax: what the programmer wrote, with positions, and nothing more.
 * Types are the checker's business ({@code qflash.front.Checker}); the IR is built from a checked AST.
 */
public final class Ast {
    private Ast() {}

    public record Ident(String name, Pos pos) {}

    public record Program(List<Ident> annotations, Ident name, List<Param> params, List<Tunable> tunables, Grid grid) {}

    public sealed interface Param permits TensorParam, ScalarParam {
        Ident name();
    }

    /** {@code Q: float[Z, H, N, D]}; {@code out} marks outputs, {@code ?} tensors a caller may omit (read as 0). */
    public record TensorParam(Ident name, boolean out, Ident elem, List<Ident> dims, boolean optional) implements Param {}

    /** {@code scale: scalar = rsqrt(float(D))}; the default may use shape symbols and constants only. */
    public record ScalarParam(Ident name, Expr dflt) implements Param {}

    public record Tunable(Ident name, List<Long> candidates, long dflt, Pos dfltPos) {}

    public record Grid(List<Ident> ids, List<Expr> extents, Block body, Pos pos) {}

    public record Block(List<Stmt> stmts) {}

    public sealed interface Stmt permits Let, Var, Assign, For, Store {}

    public record Let(Ident name, Expr value) implements Stmt {}

    public record Var(Ident name, Expr value) implements Stmt {}

    public record Assign(Ident name, Expr value) implements Stmt {}

    public record For(Ident iv, Expr lo, Expr hi, Block body) implements Stmt {}

    public record Store(Ident target, List<Index> indices, Expr value, Pos pos) implements Stmt {}

    public sealed interface Index permits Full, NewAxis, At {
        Pos pos();
    }

    /** {@code :}, the whole axis. */
    public record Full(Pos pos) implements Index {}

    /** {@code None}, a new axis of size 1 (only in subscripts, for broadcasting). */
    public record NewAxis(Pos pos) implements Index {}

    public record At(Expr expr) implements Index {
        public Pos pos() { return expr.pos(); }
    }

    public sealed interface Expr permits IntLit, FloatLit, Inf, Name, Load, Call, ListLit, Subscript, Unary, Binary {
        Pos pos();
    }

    public record IntLit(String text, Pos pos) implements Expr {}

    public record FloatLit(double value, Pos pos) implements Expr {}

    public record Inf(Pos pos) implements Expr {}

    public record Name(String name, Pos pos) implements Expr {}

    public record Load(Ident tensor, List<Index> indices, Pos pos) implements Expr {}

    public record Call(Ident fn, List<Arg> args, Pos pos) implements Expr {}

    public record Arg(Ident key, Expr value) {}

    public record ListLit(List<Expr> items, Pos pos) implements Expr {}

    public record Subscript(Expr base, List<Index> indices, Pos pos) implements Expr {}

    public record Unary(String op, Expr operand, Pos pos) implements Expr {}

    public record Binary(String op, Expr left, Expr right, Pos pos) implements Expr {}
}
