package qflash.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files (format versions 1–3), little-endian float16/float32/float64, C order:
 * how users bring their own activations. Anything else is a {@link UserError} naming the file.
 */
public final class Npy {
    /** A read array: its shape and its values widened to double. */
    public record Array(int[] shape, double[] data) {}

    private Npy() {}

    public static Array read(Path path) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new UserError(path + ": no such file");
        } catch (IOException e) {
            throw new UserError(path + ": cannot read (" + e.getMessage() + ")");
        }
        return parse(path.toString(), bytes);
    }

    public static Array parse(String name, byte[] bytes) {
        if (bytes.length < 10 || (bytes[0] & 0xff) != 0x93 || !new String(bytes, 1, 5, StandardCharsets.ISO_8859_1).equals("NUMPY")) {
            throw new UserError(name + ": not a .npy file (bad magic)");
        }
        int major = bytes[6];
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen, start;
        if (major == 1) {
            headerLen = bb.getShort(8) & 0xffff;
            start = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) throw new UserError(name + ": truncated .npy header");
            headerLen = bb.getInt(8);
            start = 12;
        } else {
            throw new UserError(name + ": unsupported .npy version " + major);
        }
        if (headerLen < 0 || start + headerLen > bytes.length) throw new UserError(name + ": truncated .npy header");
        String header = new String(bytes, start, headerLen, StandardCharsets.ISO_8859_1);
        String descr = field(name, header, "descr", "'([^']*)'");
        String fortran = field(name, header, "fortran_order", "(True|False)");
        String shapeText = field(name, header, "shape", "\\(([^)]*)\\)");
        if (fortran.equals("True")) throw new UserError(name + ": Fortran-order arrays are not supported (save with np.ascontiguousarray)");
        int width = switch (descr) {
            case "<f2" -> 2;
            case "<f4" -> 4;
            case "<f8" -> 8;
            default -> throw new UserError(name + ": element type '" + descr + "' is not supported (float16, float32 or float64, little-endian)");
        };
        List<Integer> dims = new ArrayList<>();
        for (String d : shapeText.split(",")) {
            if (d.isBlank()) continue;
            try {
                dims.add(Integer.parseInt(d.trim()));
            } catch (NumberFormatException e) {
                throw new UserError(name + ": bad shape (" + shapeText + ")");
            }
        }
        int[] shape = dims.stream().mapToInt(Integer::intValue).toArray();
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new UserError(name + ": bad shape (" + shapeText + ")");
            n *= d;
        }
        int dataStart = start + headerLen;
        if ((long) bytes.length - dataStart != n * width) {
            throw new UserError(name + ": shape (" + shapeText.trim() + ") needs " + n * width + " bytes of data, the file has " + (bytes.length - dataStart));
        }
        double[] data = new double[(int) n];
        for (int k = 0; k < n; k++) {
            int off = dataStart + k * width;
            data[k] = switch (width) {
                case 2 -> Float.float16ToFloat(bb.getShort(off));
                case 4 -> bb.getFloat(off);
                default -> bb.getDouble(off);
            };
        }
        return new Array(shape, data);
    }

    private static String field(String name, String header, String key, String valuePattern) {
        Matcher m = Pattern.compile("'" + key + "'\\s*:\\s*" + valuePattern).matcher(header);
        if (!m.find()) throw new UserError(name + ": .npy header has no '" + key + "'");
        return m.group(1);
    }

    /** Writes a float32 array (for tests and for users who want to feed files back). */
    public static byte[] float32(int[] shape, double[] data) {
        StringBuilder sh = new StringBuilder();
        for (int d : shape) sh.append(d).append(", ");
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + (shape.length == 1 ? shape[0] + "," : sh.toString().replaceAll(", $", "")) + "), }";
        int pad = 64 - (10 + dict.length() + 1) % 64;
        String header = dict + " ".repeat(pad % 64) + "\n";
        ByteBuffer bb = ByteBuffer.allocate(10 + header.length() + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.ISO_8859_1)).put((byte) 1).put((byte) 0);
        bb.putShort((short) header.length()).put(header.getBytes(StandardCharsets.ISO_8859_1));
        for (double v : data) bb.putFloat((float) v);
        return bb.array();
    }
}
