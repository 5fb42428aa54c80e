package sitelink.os.ffm;

import java.io.IOException;

/** A failed system call: {@link #errno()} is the positive errno, the message says what was tried and why it failed. */
public class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public ErrnoException(String message, int errno) {
        super(message + " (" + Libc.errnoName(errno) + ")");
        this.errno = Math.abs(errno);
    }

    public int errno() {
        return errno;
    }
}
