package qflash.diag;

/**
 * The catalogue of every user-facing error qflash reports. One place, one format: each kind has a
 * message template filled with {@link String#formatted}; {@link CompileError} positions it.
 * Adding a rejection rule means adding a kind here and a must-fail program under
 * {@code compiler/src/test/resources/errors/}.
 */
public enum ErrorKind {
    // --- input that is not a program at all
    SYNTAX("%s"),
    EMPTY_INPUT("empty input: expected a kernel"),
    BINARY_INPUT("input is not text (byte 0x%02x at offset %d)"),
    LINE_TOO_LONG("line is %d characters long; at most %d are accepted"),

    // --- names
    UNKNOWN_NAME("unknown name '%s'"),
    USED_BEFORE_DEFINED("'%s' is read before it is defined (defined at %s)"),
    DUPLICATE_NAME("'%s' is already defined at %s"),
    UNKNOWN_FUNCTION("unknown function '%s'"),
    UNKNOWN_ANNOTATION("unknown annotation '@%s' (known: %s)"),
    UNKNOWN_TENSOR("'%s' is not a tensor parameter"),
    UNKNOWN_KEYWORD("'%s' takes no argument named '%s'"),

    // --- signature and schedule
    UNSUPPORTED_ELEMENT_TYPE("unsupported element type '%s' (supported: %s)"),
    SHAPE_SYMBOL_CASE("shape symbol '%s' must be upper case (A-Z, digits, '_'), so IR types stay unambiguous"),
    TUNABLE_DEFAULT_NOT_CANDIDATE("default %d of tunable '%s' is not one of its candidates %s"),
    TUNABLE_DUPLICATE_CANDIDATE("candidate %d of tunable '%s' is listed twice"),
    TUNABLE_NOT_POSITIVE("candidates of tunable '%s' must be positive, got %d (0 only for a tunable the code does not name)"),
    GRID_ARITY("grid has %d program ids but %d extents"),
    GRID_TOO_MANY_AXES("a grid has at most 3 axes, got %d"),
    SCALAR_DEFAULT_NOT_CONSTANT("%s may only use shape symbols, tunables and constants, not '%s'"),
    OUTPUT_NEVER_STORED("output tensor '%s' is never stored"),
    OPTIONAL_OUTPUT("output tensor '%s' cannot be optional"),
    NO_OUTPUT("kernel has no output tensor (mark one 'out')"),

    // --- types and shapes
    KIND_MISMATCH("%s"),
    SHAPE_MISMATCH("%s"),
    RANK_MISMATCH("%s"),
    DOT_RANK("dot needs two rank-2 tiles, got %s and %s"),
    DOT_INNER("dot inner dimensions differ: %s has %s columns, %s has %s rows"),
    REDUCTION_AXIS("reduction over axis %d of a rank-%d value %s"),
    LOOP_CARRIED_TYPE("loop-carried '%s' changes type in the loop: %s before, %s after one iteration"),
    NOT_COMPILE_TIME("%s must be known at compile time (a literal, tunable or shape symbol), got %s"),
    ARITY("'%s' takes %s argument(s), got %d"),
    INDEX_COUNT("'%s' has rank %d but %d indices were given"),
    INDEX_KIND("index of '%s' must be an integer scalar or integer vector, got %s"),
    STORE_TO_INPUT("cannot store to '%s': it is an input (mark it 'out')"),
    LOAD_OF_SCALAR("'%s' is a scalar parameter; load reads tensors"),
    ASSIGN_TO_LET("cannot assign to '%s': it is declared with 'let' (use 'var')"),
    ASSIGN_TO_PARAM("cannot assign to '%s': it is a %s"),
    LITERAL_RANGE("integer literal %s does not fit in 32 bits"),
    IR_SYNTAX("%s"),
    BAD_NEWAXIS("'%s' has rank %d: a subscript needs one ':' per axis plus 'None' for each new axis"),
    ;

    private final String template;

    ErrorKind(String template) {
        this.template = template;
    }

    public String format(Object... args) {
        return template.formatted(args);
    }
}
