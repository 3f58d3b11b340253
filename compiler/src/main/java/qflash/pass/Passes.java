package qflash.pass;

import qflash.ir.Elem;

/** Builds a pass from its printed name ({@code cse}, {@code set-precision{f32}}), for golden tests and tools. */
public final class Passes {
    private Passes() {}

    public static Pass parse(String spec) {
        String name = spec, option = null;
        int brace = spec.indexOf('{');
        if (brace >= 0 && spec.endsWith("}")) {
            name = spec.substring(0, brace);
            option = spec.substring(brace + 1, spec.length() - 1);
        }
        Pass p = switch (name) {
            case "set-precision" -> option == null ? null : new SetPrecision(Elem.parse(option));
            case "fold-constants" -> new FoldConstants();
            case "fold-broadcasts" -> new FoldBroadcasts();
            case "cse" -> new Cse();
            case "licm" -> new Licm();
            case "dce" -> new Dce();
            default -> null;
        };
        if (p == null || (option != null && !p.name().equals(spec))) throw new IllegalArgumentException("unknown pass '" + spec + "'");
        return p;
    }
}
