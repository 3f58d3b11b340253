package qflash.host;

/** An attention problem's size: Z batches (or windows), H heads, N tokens, D channels per head. */
public record Shape(int z, int h, int n, int d) {
    public Shape {
        if (z < 1 || h < 1 || n < 1 || d < 1) throw new UserError("every dimension must be at least 1, got " + this);
    }

    /** Parses {@code Z=1,H=6,N=197,D=64} (any order, all four required). */
    public static Shape parse(String text) {
        Integer z = null, h = null, n = null, d = null;
        for (String part : text.split(",")) {
            String[] kv = part.split("=", 2);
            if (kv.length != 2) throw new UserError("--shape expects Z=..,H=..,N=..,D=.., got '" + text + "'");
            int v;
            try {
                v = Integer.parseInt(kv[1].trim());
            } catch (NumberFormatException e) {
                throw new UserError("--shape: '" + kv[1].trim() + "' is not an integer");
            }
            switch (kv[0].trim().toUpperCase()) {
                case "Z" -> z = v;
                case "H" -> h = v;
                case "N" -> n = v;
                case "D" -> d = v;
                default -> throw new UserError("--shape: unknown dimension '" + kv[0].trim() + "' (use Z, H, N, D)");
            }
        }
        if (z == null || h == null || n == null || d == null) throw new UserError("--shape needs all of Z, H, N, D, got '" + text + "'");
        return new Shape(z, h, n, d);
    }

    public int elements() {
        return z * h * n * d;
    }

    public int[] dims() {
        return new int[] {z, h, n, d};
    }

    @Override
    public String toString() {
        return "Z=" + z + ",H=" + h + ",N=" + n + ",D=" + d;
    }
}
