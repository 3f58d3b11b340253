package qflash.cli;

/** A GPU, driver or NVRTC that was asked for is not there: one line, exit 3. */
public final class NoDeviceError extends RuntimeException {
    public NoDeviceError(String message) {
        super(message, null, false, false);
    }
}
