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
            case "half-operands" -> new HalfOperands();
            case "fold-broadcasts" -> new FoldBroadcasts();
            case "cse" -> new Cse();
            case "licm" -> new Licm();
            case "dce" -> new Dce();
            case "quantize-inputs" -> option == null ? null : new QuantizeInputs(option.contains("q=token"), option.contains("k=block"),
                    option.contains("v=channel"), option.contains("smooth"));
            case "integer-dot" -> new IntegerDot();
            case "align-block-scales" -> new AlignBlockScales();
            case "fold-scales" -> new FoldScales();
            case "mask-and-bias" -> new MaskAndBias();
            case "integer-scores" -> new IntegerScores();
            case "shift-exp" -> option == null ? null
                    : new ShiftExp(option.startsWith("poly2") ? ShiftExp.Variant.POLY2 : ShiftExp.Variant.SHIFT, option.endsWith(",clamp"));
            case "requantize-p" -> option == null ? null
                    : new RequantizeP(option.startsWith("u8"), option.contains(",wrap"), option.endsWith(",sm"));
            case "scale-realign" -> new ScaleRealign(option == null ? 0 : Integer.parseInt(option.replace("sum-init=", "")));
            case "integer-epilogue" -> option == null ? null : new IntegerEpilogue(option.equals("int8"));
            case "lift-constants" -> new LiftConstants();
            case "range-check" -> new RangeCheck();
            default -> null;
        };
        if (p == null || (option != null && !p.name().equals(spec))) throw new IllegalArgumentException("unknown pass '" + spec + "'");
        return p;
    }
}
