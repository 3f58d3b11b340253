package qflash.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.stringtemplate.v4.ST;
import org.stringtemplate.v4.STGroup;
import org.stringtemplate.v4.STGroupFile;

/**
 * Renders a {@link Model} tree: each record becomes the template named after its class, each component
 * the attribute of the same name, sub-models rendered first (ANTLR's OutputModelWalker, with records in
 * place of annotated fields). Anything but a string, number, boolean, model or list of those is refused,
 * so no Java object's {@code toString} can leak into the CUDA source.
 */
public final class ModelWalker {
    static final String GROUP = "/qflash/cuda/Cuda.stg";
    static final String PRELUDE = "/qflash/cuda/prelude.cuh";
    static final String GRID_SYNC = "/qflash/cuda/grid_sync.cuh";

    private final STGroup group;

    public ModelWalker() {
        URL url = ModelWalker.class.getResource(GROUP);
        if (url == null) throw new IllegalStateException("template group " + GROUP + " is not on the class path");
        group = new STGroupFile(url, "UTF-8", '<', '>');
    }

    /** One walker per thread: a group parses its template file on first use, and the emitters render many small pieces. */
    private static final ThreadLocal<ModelWalker> SHARED = ThreadLocal.withInitial(ModelWalker::new);

    /** This thread's walker (an STGroup is not made to be shared between threads). */
    public static ModelWalker shared() {
        return SHARED.get();
    }

    /** The device prelude, included verbatim in every kernel. */
    public static String prelude() {
        return resource(PRELUDE);
    }

    /** The grid-wide barrier of {@link Model.GridKernel}s (the prologue's), after the prelude. */
    public static String gridSync() {
        return resource(GRID_SYNC);
    }

    private static String resource(String name) {
        try (InputStream in = ModelWalker.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException(name + " is not on the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String render(Model m) {
        return walk(m).render();
    }

    /** The names of the templates in the group (for the test that renders each one). */
    public List<String> templateNames() {
        group.load();
        List<String> names = new ArrayList<>();
        for (String n : group.getTemplateNames()) {
            String bare = n.startsWith("/") ? n.substring(1) : n;
            if (!bare.startsWith("_sub")) names.add(bare);   // ST's anonymous sub-templates ({d | ...})
        }
        return names;
    }

    private ST walk(Model m) {
        String name = m.getClass().getSimpleName();
        ST st = group.getInstanceOf(name);
        if (st == null) throw new IllegalStateException("no template " + name + " in " + GROUP);
        for (RecordComponent rc : m.getClass().getRecordComponents()) {
            Object v;
            try {
                v = rc.getAccessor().invoke(m);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException(e);
            }
            st.add(rc.getName(), adapt(v, name + "." + rc.getName()));
        }
        return st;
    }

    private Object adapt(Object v, String where) {
        return switch (v) {
            case null -> null;
            case String s -> s;
            case Integer i -> i;
            case Long l -> l;
            case Boolean b -> b;
            case Model m -> walk(m);
            case List<?> list -> {
                List<Object> out = new ArrayList<>();
                for (Object o : list) out.add(adapt(o, where));
                yield out;
            }
            default -> throw new IllegalArgumentException(where + ": a " + v.getClass().getName() + " would reach a template");
        };
    }
}
