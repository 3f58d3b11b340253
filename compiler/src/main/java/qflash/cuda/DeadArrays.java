package qflash.cuda;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import qflash.cuda.Model.Stmt;

/**
 * Drops the register arrays of an emitted kernel that nothing reads. An 8-bit tile (P) whose mma fragments are packed
 * straight from its i32 source by {@code cvt.pack.sat} is still computed by its op's element loop, and nvcc warned
 * of each such array ("set but never used"); whether some reader is left (the row sum's element-loop fallback, a
 * last step's stand-in key) is known only once the whole body is emitted, so this runs on the finished model. An array
 * is dead when every mention of its name in the rendered source is one of its declarations or the target of one of its
 * own element assignments ({@code name[i] = ...}, counted in the model, not guessed from the text): both go, and the
 * source is looked at again until no array is dead. Removing them changes no result (nvcc removed them too) and no bit.
 */
final class DeadArrays {
    private DeadArrays() {}

    private static final Pattern IDENT = Pattern.compile("\\b[A-Za-z_]\\w*");

    /** The source of {@code src} without the dead arrays among {@code candidates} (names of element-loop arrays). */
    static String render(Model.KernelSource src, Set<String> candidates) {
        String c = ModelWalker.shared().render(src);
        while (true) {
            Map<String, Integer> mentions = new HashMap<>(), writes = new HashMap<>();
            for (Matcher m = IDENT.matcher(c); m.find(); ) if (candidates.contains(m.group())) mentions.merge(m.group(), 1, Integer::sum);
            forEachStmt(src, s -> {
                String name = written(s);
                if (name != null && candidates.contains(name)) writes.merge(name, 1, Integer::sum);
            });
            Set<String> dead = new HashSet<>();
            mentions.forEach((name, n) -> { if (n.equals(writes.get(name))) dead.add(name); });
            if (dead.isEmpty()) return c;
            Model.KernelSource pruned = (Model.KernelSource) without(src, s -> dead.contains(written(s)));
            String p = ModelWalker.shared().render(pruned);
            if (p.equals(c)) return c;   // held where this walk does not reach: leave it
            src = pruned;
            c = p;
        }
    }

    /** The array {@code s} declares or assigns element-wise ({@code name[i] = ...}), or null. */
    private static String written(Stmt s) {
        if (s instanceof Model.ArrayDecl a) return a.name();
        if (s instanceof Model.Assign e && e.target().endsWith("[i]")) return e.target().substring(0, e.target().length() - "[i]".length());
        return null;
    }

    /** Every statement of a model value (a record, a list, a leaf), outermost first. */
    private static void forEachStmt(Object o, Consumer<Stmt> f) {
        if (o instanceof List<?> list) {
            for (Object x : list) forEachStmt(x, f);
            return;
        }
        if (!(o instanceof Record r)) return;
        if (r instanceof Stmt s) f.accept(s);
        for (RecordComponent c : r.getClass().getRecordComponents()) forEachStmt(component(r, c), f);
    }

    /** A copy of a model value (a record, a list, a leaf) without the statements {@code drop} accepts. */
    private static Object without(Object o, Predicate<Stmt> drop) {
        if (o instanceof List<?> list) {
            List<Object> kept = new ArrayList<>();
            for (Object x : list) if (!(x instanceof Stmt s && drop.test(s))) kept.add(without(x, drop));
            return kept;
        }
        if (!(o instanceof Record r)) return o;
        RecordComponent[] cs = r.getClass().getRecordComponents();
        Object[] args = new Object[cs.length];
        Class<?>[] types = new Class<?>[cs.length];
        for (int i = 0; i < cs.length; i++) {
            args[i] = without(component(r, cs[i]), drop);
            types[i] = cs[i].getType();
        }
        try {
            return r.getClass().getDeclaredConstructor(types).newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot copy " + r.getClass().getSimpleName(), e);
        }
    }

    private static Object component(Record r, RecordComponent c) {
        try {
            return c.getAccessor().invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + r.getClass().getSimpleName() + "." + c.getName(), e);
        }
    }
}
