package qflash.ir;

/** The verifier's verdict on malformed IR: which op, what rule. */
public final class IrInvalid extends RuntimeException {
    public IrInvalid(String message) {
        super(message, null, false, false);
    }
}
