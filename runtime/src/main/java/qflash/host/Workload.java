package qflash.host;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The attention shapes of ALGORITHM.md §5: the paper's ViT/DeiT/Swin layers and three large ones.
 * Z counts windows for Swin; a batch b multiplies Z.
 */
public record Workload(String name, String model, int z, int h, int n, int d) {
    public static final Map<String, Workload> ALL = new LinkedHashMap<>();

    static {
        for (Workload w : new Workload[] {
                new Workload("A1", "ViT-T", 1, 3, 197, 64),
                new Workload("A2", "ViT-S", 1, 6, 197, 64),
                new Workload("A3", "ViT-B", 1, 12, 197, 64),
                new Workload("A4", "Swin-1", 64, 3, 49, 32),
                new Workload("A5", "Swin-2", 16, 6, 49, 32),
                new Workload("A6", "Swin-3", 4, 12, 49, 32),
                new Workload("A7", "Swin-4", 1, 24, 49, 32),
                new Workload("L1", "ViT-L@518", 8, 16, 1370, 64),
                new Workload("L2", "long", 4, 16, 4096, 64),
                new Workload("L3", "long, wide", 4, 16, 4096, 128)}) {
            ALL.put(w.name, w);
        }
    }

    public static Workload named(String name) {
        Workload w = ALL.get(name.toUpperCase());
        if (w == null) throw new UserError("unknown workload '" + name + "' (known: " + String.join(", ", ALL.keySet()) + ")");
        return w;
    }

    public Shape shape(int batch) {
        return new Shape(z * batch, h, n, d);
    }
}
