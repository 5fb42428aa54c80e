package sitelink.os.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few libc calls sitelink makes, through FFM. Every wrapper returns what the kernel returns: a non-negative
 * result, or {@code -errno} on failure (errno is captured right after the call, before the JVM can clobber it).
 * Callers decide what an errno means; {@link #errnoName} turns one into a word for messages.
 */
public final class Libc {
    // Linux generic errno values (identical on x86_64 and aarch64).
    public static final int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, EBADF = 9, EAGAIN = 11, ENOMEM = 12,
            EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, ENODEV = 19, EINVAL = 22, ENFILE = 23, EMFILE = 24,
            ENOSPC = 28, EPIPE = 32, ERANGE = 34, EPROTO = 71, EBADFD = 77, EMSGSIZE = 90, EOPNOTSUPP = 95,
            EAFNOSUPPORT = 97, EADDRINUSE = 98, EADDRNOTAVAIL = 99, ENETDOWN = 100, ENETUNREACH = 101, ENOBUFS = 105,
            ECONNRESET = 104, ENOTCONN = 107, ETIMEDOUT = 110, ECONNREFUSED = 111, EHOSTUNREACH = 113,
            EINPROGRESS = 115;

    public static final int O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    public static final int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16, SOCK_DGRAM = 2, SOCK_RAW = 3,
            SOCK_SEQPACKET = 5, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public static final int EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;
    public static final short POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
    /** sizeof(struct pollfd): int fd; short events; short revents. */
    public static final long POLLFD_SIZE = 8;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(PathElement.groupElement("errno"));
    /** One capture buffer per thread, so the hot path (read/write) allocates nothing per call. */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private static final MethodHandle OPEN = function("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CLOSE = function("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = function("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = function("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle IOCTL = function("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle POLL = function("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle EVENTFD = function("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKET = function("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKETPAIR = function("socketpair",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle GETTID = function("gettid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle SETPRIORITY = function("setpriority",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SCHED_SETSCHEDULER = function("sched_setscheduler",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SETSOCKOPT = function("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(EPERM, "EPERM"), Map.entry(ENOENT, "ENOENT"), Map.entry(ESRCH, "ESRCH"), Map.entry(EINTR, "EINTR"), Map.entry(EIO, "EIO"),
            Map.entry(EBADF, "EBADF"), Map.entry(EAGAIN, "EAGAIN"), Map.entry(ENOMEM, "ENOMEM"),
            Map.entry(EACCES, "EACCES"), Map.entry(EFAULT, "EFAULT"), Map.entry(EBUSY, "EBUSY"),
            Map.entry(EEXIST, "EEXIST"), Map.entry(ENODEV, "ENODEV"), Map.entry(EINVAL, "EINVAL"),
            Map.entry(ENFILE, "ENFILE"), Map.entry(EMFILE, "EMFILE"), Map.entry(ENOSPC, "ENOSPC"),
            Map.entry(EPIPE, "EPIPE"), Map.entry(EPROTO, "EPROTO"), Map.entry(EBADFD, "EBADFD"),
            Map.entry(EMSGSIZE, "EMSGSIZE"), Map.entry(EADDRINUSE, "EADDRINUSE"), Map.entry(ENETDOWN, "ENETDOWN"),
            Map.entry(ENOBUFS, "ENOBUFS"), Map.entry(ECONNRESET, "ECONNRESET"), Map.entry(ENOTCONN, "ENOTCONN"),
            Map.entry(ETIMEDOUT, "ETIMEDOUT"), Map.entry(EINPROGRESS, "EINPROGRESS"),
            Map.entry(ECONNREFUSED, "ECONNREFUSED"),
            Map.entry(ERANGE, "ERANGE"), Map.entry(EOPNOTSUPP, "EOPNOTSUPP"), Map.entry(EAFNOSUPPORT, "EAFNOSUPPORT"),
            Map.entry(EADDRNOTAVAIL, "EADDRNOTAVAIL"), Map.entry(ENETUNREACH, "ENETUNREACH"),
            Map.entry(EHOSTUNREACH, "EHOSTUNREACH"));

    private Libc() {
    }

    /**
     * A downcall handle for a libc function that also captures errno: the handle takes the capture segment
     * ({@link #errnoState()}) as its first argument, then the C arguments.
     */
    public static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        Linker.Option[] all = java.util.Arrays.copyOf(options, options.length + 1);
        all[options.length] = Linker.Option.captureCallState("errno");
        return LINKER.downcallHandle(symbol, descriptor, all);
    }

    /** This thread's errno capture segment, to pass as the first argument of a {@link #function} handle. */
    public static MemorySegment errnoState() {
        return STATE.get();
    }

    /** The errno the last call through {@code state} captured. */
    public static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** "EPERM" for 1, and so on; "errno N" for values this table does not know. Accepts negative values too. */
    public static String errnoName(int errno) {
        int e = Math.abs(errno);
        return NAMES.getOrDefault(e, "errno " + e);
    }

    /** {@code ret} if it is not negative, else {@code -errno}. */
    private static int result(int ret, MemorySegment state) {
        return ret >= 0 ? ret : -errno(state);
    }

    private static long result(long ret, MemorySegment state) {
        return ret >= 0 ? ret : -errno(state);
    }

    /** open(2) on a NUL-terminated path. */
    public static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = errnoState();
            return result((int) OPEN.invokeExact(state, arena.allocateFrom(path), flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int close(int fd) {
        try {
            MemorySegment state = errnoState();
            return result((int) CLOSE.invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** read(2) into a native segment; at most {@code buf.byteSize()} bytes. */
    public static long read(int fd, MemorySegment buf, long len) {
        try {
            MemorySegment state = errnoState();
            return result((long) READ.invokeExact(state, fd, buf, len), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long write(int fd, MemorySegment buf, long len) {
        try {
            MemorySegment state = errnoState();
            return result((long) WRITE.invokeExact(state, fd, buf, len), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl(2) with a pointer argument (the ifreq-style calls). */
    public static int ioctl(int fd, long request, MemorySegment arg) {
        try {
            MemorySegment state = errnoState();
            return result((int) IOCTL.invokeExact(state, fd, request, arg), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** poll(2) over {@code nfds} pollfd structs at {@code fds}; timeout in milliseconds, -1 for none. */
    public static int poll(MemorySegment fds, long nfds, int timeoutMillis) {
        try {
            MemorySegment state = errnoState();
            return result((int) POLL.invokeExact(state, fds, nfds, timeoutMillis), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int eventfd(int initval, int flags) {
        try {
            MemorySegment state = errnoState();
            return result((int) EVENTFD.invokeExact(state, initval, flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int socket(int domain, int type, int protocol) {
        try {
            MemorySegment state = errnoState();
            return result((int) SOCKET.invokeExact(state, domain, type, protocol), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** socketpair(2): the two connected sockets' fds in {@code fds[0]} and {@code fds[1]}; returns 0 or -errno. */
    public static int socketpair(int domain, int type, int protocol, int[] fds) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = errnoState();
            MemorySegment sv = arena.allocate(JAVA_INT, 2);
            int r = result((int) SOCKETPAIR.invokeExact(state, domain, type, protocol, sv), state);
            if (r == 0) {
                fds[0] = sv.getAtIndex(JAVA_INT, 0);
                fds[1] = sv.getAtIndex(JAVA_INT, 1);
            }
            return r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** setsockopt(2) with an int option value. */
    /** The calling thread's kernel thread ID. */
    public static int gettid() {
        try {
            return (int) GETTID.invokeExact(STATE.get());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Sets the nice value of the calling thread alone (Linux applies PRIO_PROCESS with a thread ID to that thread).
     * Raising it needs no privilege. Returns 0 or -errno.
     */
    public static int setCurrentThreadNice(int nice) {
        return setThreadNice(gettid(), nice);
    }

    /**
     * Sets the nice value of one thread of this process, by its kernel thread ID. Raising it needs no privilege,
     * lowering it needs CAP_SYS_NICE or RLIMIT_NICE. Returns 0 or -errno.
     */
    public static int setThreadNice(int tid, int nice) {
        MemorySegment state = STATE.get();
        try {
            return result((int) SETPRIORITY.invokeExact(state, 0 /* PRIO_PROCESS */, tid, nice), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The normal time-sharing policy, sched(7). */
    public static final int SCHED_OTHER = 0;
    /** For very low priority work: runs only on a core no other (non-idle) thread wants, and yields to one at once. */
    public static final int SCHED_IDLE = 5;

    /**
     * Sets the scheduling policy of one thread of this process, by its kernel thread ID, with static priority 0
     * ({@link #SCHED_OTHER} or {@link #SCHED_IDLE}; its nice value is kept). Entering SCHED_IDLE needs no privilege,
     * leaving it needs CAP_SYS_NICE or an RLIMIT_NICE that allows the thread's nice value. Returns 0 or -errno.
     */
    public static int setThreadPolicy(int tid, int policy) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = errnoState();
            MemorySegment param = arena.allocateFrom(JAVA_INT, 0); // struct sched_param { int sched_priority; }
            return result((int) SCHED_SETSCHEDULER.invokeExact(state, tid, policy, param), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int setsockopt(int fd, int level, int name, int value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = errnoState();
            MemorySegment v = arena.allocateFrom(JAVA_INT, value);
            return result((int) SETSOCKOPT.invokeExact(state, fd, level, name, v, (int) JAVA_INT.byteSize()), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Fills one struct pollfd at index {@code i}. */
    public static void setPollFd(MemorySegment fds, int i, int fd, short events) {
        fds.set(ValueLayout.JAVA_INT, i * POLLFD_SIZE, fd);
        fds.set(ValueLayout.JAVA_SHORT, i * POLLFD_SIZE + 4, events);
        fds.set(ValueLayout.JAVA_SHORT, i * POLLFD_SIZE + 6, (short) 0);
    }

    public static short revents(MemorySegment fds, int i) {
        return fds.get(ValueLayout.JAVA_SHORT, i * POLLFD_SIZE + 6);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed", t);
    }
}
