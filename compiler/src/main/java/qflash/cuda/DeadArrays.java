package qflash.cuda;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import qflash.cuda.Model.Stmt;

/**
 * Drops the register arrays of an emitted kernel that nothing reads. An 8-bit tile (P) whose mma fragments are packed
 * straight from its i32 source by {@code cvt.pack.sat} is still computed by its op's element loop, and nvcc warned
 * of each such array ("set but never used"); whether some reader is left (the row sum's element-loop fallback, a
 * last step's stand-in key) is known only once the whole body is emitted, so this runs on the finished model. An array
 * whose name occurs in the rendered source only in its declarations and its own element assignments
 * ({@code name[i] = ...}) is dead: both go, and the source is looked at again until no array is dead. Removing
 * them changes no result (nvcc removed them too) and no bit.
 */
final class DeadArrays {
    private DeadArrays() {}

    /** {@code src} without the dead arrays among {@code candidates} (names of element-loop arrays). */
    static Model.KernelSource prune(Model.KernelSource src, Set<String> candidates) {
        while (true) {
            String c = new ModelWalker().render(src);
            List<String> dead = new ArrayList<>();
            for (String name : candidates) {
                String n = Pattern.quote(name);
                int uses = count(c, "\\b" + n + "\\b");
                if (uses > 0 && uses == count(c, "\\b" + n + "\\[\\d+\\];") + count(c, "\\b" + n + "\\[i\\] = ")) dead.add(name);
            }
            if (dead.isEmpty()) return src;
            Model.KernelSource pruned = (Model.KernelSource) without(src, s -> s instanceof Model.ArrayDecl a && dead.contains(a.name())
                    || s instanceof Model.Assign e && dead.stream().anyMatch(d -> e.target().equals(d + "[i]")));
            if (new ModelWalker().render(pruned).equals(c)) return src;   // held where this walk does not reach: leave it
            src = pruned;
        }
    }

    private static int count(String text, String regex) {
        return (int) Pattern.compile(regex).matcher(text).results().count();
    }

    /** A copy of a model value (a record, a list, a leaf) without the statements {@code drop} accepts. */
    private static Object without(Object o, Predicate<Stmt> drop) {
        if (o instanceof List<?> list) {
            List<Object> kept = new ArrayList<>();
            for (Object x : list) if (!(x instanceof Stmt s && drop.test(s))) kept.add(without(x, drop));
            return kept;
        }
        if (!(o instanceof Record r)) return o;
        try {
            RecordComponent[] cs = r.getClass().getRecordComponents();
            Object[] args = new Object[cs.length];
            Class<?>[] types = new Class<?>[cs.length];
            for (int i = 0; i < cs.length; i++) {
                args[i] = without(cs[i].getAccessor().invoke(r), drop);
                types[i] = cs[i].getType();
            }
            return r.getClass().getDeclaredConstructor(types).newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot copy " + r.getClass().getSimpleName(), e);
        }
    }
}
