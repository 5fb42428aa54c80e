package sitelink.device;

/** A refused device change; {@link #errno()} is the negative errno that UAPI answers with. */
public final class DeviceException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public DeviceException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
