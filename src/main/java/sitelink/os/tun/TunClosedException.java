package sitelink.os.tun;

import java.io.IOException;

/**
 * The TUN device is gone: either {@link Tun#close()} was called, or the interface was deleted underneath us
 * ({@code ip link del}). The device treats both as "stop cleanly", not as an error to report.
 */
public final class TunClosedException extends IOException {
    private static final long serialVersionUID = 1L;
    private final boolean interfaceGone;

    TunClosedException(String name, boolean interfaceGone) {
        super(interfaceGone ? "interface " + name + " was deleted" : "tun " + name + " was closed");
        this.interfaceGone = interfaceGone;
    }

    /** True when the kernel removed the interface; false when this process closed it. */
    public boolean interfaceGone() {
        return interfaceGone;
    }
}
