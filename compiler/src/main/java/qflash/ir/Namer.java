package qflash.ir;

import java.util.HashSet;
import java.util.Set;

/** Hands out kernel-unique value names: the hint itself if free, else {@code hint.1}, {@code hint.2}, ... */
public final class Namer {
    private final Set<String> used = new HashSet<>();
    private int next;

    public Value fresh(String hint, Type type) {
        return new Value(name(hint), type);
    }

    public Value fresh(Type type) {
        while (used.contains(Integer.toString(next))) next++;
        String n = Integer.toString(next++);
        used.add(n);
        return new Value(n, type);
    }

    public String name(String hint) {
        if (hint == null) {
            while (used.contains(Integer.toString(next))) next++;
            String n = Integer.toString(next++);
            used.add(n);
            return n;
        }
        String n = hint;
        for (int i = 1; used.contains(n); i++) n = hint + "." + i;
        used.add(n);
        return n;
    }

    public void reserve(String name) {
        used.add(name);
    }

    /** A namer that knows every name already in {@code k}, for passes that add values. */
    public static Namer of(Kernel k) {
        Namer n = new Namer();
        k.forEachValue(v -> n.reserve(v.name()));
        return n;
    }
}
