package sitelink.os.process;

import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * A process held by a pidfd (pidfd_open(2), Linux 5.3, glibc 2.36): a signal sent through it reaches that process,
 * or fails with ESRCH once it has exited, but never a process that was given the same PID afterwards, as kill(2)
 * by number could.
 */
public final class Pidfd implements AutoCloseable {
    private static final MethodHandle OPEN = Libc.function("pidfd_open", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SEND = Libc.function("pidfd_send_signal",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));

    private final int fd;
    private final int pid;

    private Pidfd(int fd, int pid) {
        this.fd = fd;
        this.pid = pid;
    }

    /** Holds process {@code pid} (which must be positive); ESRCH when no such process exists. */
    public static Pidfd open(int pid) throws ErrnoException {
        if (pid <= 0) {
            throw new IllegalArgumentException("pid " + pid + " names no single process");
        }
        int fd;
        try {
            MemorySegment state = Libc.errnoState();
            fd = (int) OPEN.invokeExact(state, pid, 0);
            if (fd < 0) {
                throw new ErrnoException("pidfd_open(" + pid + ")", Libc.errno(state));
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return new Pidfd(fd, pid);
    }

    public int pid() {
        return pid;
    }

    /** Sends signal {@code sig}: 0, or -errno (-ESRCH: the process has exited). */
    public int signal(int sig) {
        try {
            MemorySegment state = Libc.errnoState();
            int rc = (int) SEND.invokeExact(state, fd, sig, MemorySegment.NULL, 0);
            return rc == 0 ? 0 : -Libc.errno(state);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
