package qflash.ir;

/**
 * An SSA value. Identity, not name, makes two values the same: passes compare with {@code ==}.
 * Names are unique within a kernel (the {@link Namer} sees to it) so printed IR parses back.
 */
public final class Value {
    private final String name;
    private final Type type;

    public Value(String name, Type type) {
        this.name = name;
        this.type = type;
    }

    public String name() { return name; }
    public Type type() { return type; }

    public Type.Tile tile() {
        return (Type.Tile) type;
    }

    @Override
    public String toString() {
        return "%" + name;
    }
}
