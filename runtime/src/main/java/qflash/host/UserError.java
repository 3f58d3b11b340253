package qflash.host;

/** A mistake of the caller (bad option, missing file, malformed input): one line, exit 2. */
public final class UserError extends RuntimeException {
    public UserError(String message) {
        super(message, null, false, false);
    }
}
