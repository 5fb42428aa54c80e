package sitelink.os.socket;

import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * An outgoing TCP connection for a sender that must know whether what it wrote arrived (the syslog sender), with the
 * two checks java.net.Socket cannot make:
 * <ul>
 *   <li>{@link #peerClosed()}: has the peer already closed (its FIN or RST is here)? A write would still succeed
 *       locally, and the peer would answer it with a reset after the data is gone.</li>
 *   <li>{@link #awaitAcknowledged}: has the peer's TCP acknowledged every byte written (SIOCOUTQ reaches 0), or did
 *       the connection fail? This catches the peer that closed while our data was on its way.</li>
 * </ul>
 * An acknowledgement means the peer's kernel holds the data, not that its program read it: TCP syslog (RFC 6587) has
 * no acknowledgement of its own. Non-blocking underneath, so every wait has a deadline. One thread at a time.
 */
public final class TcpStream implements AutoCloseable {
    private static final int SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800;
    private static final int SOL_SOCKET = 1, SO_ERROR = 4, IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
    private static final int MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
    /** linux/sockios.h: bytes written but not yet acknowledged by the peer (TIOCOUTQ). */
    private static final long SIOCOUTQ = 0x5411;
    private static final int SOCKADDR_IN6 = 28;

    private static final MethodHandle CONNECT = Libc.function("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SEND = Libc.function("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECV = Libc.function("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = Libc.function("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

    private final int fd;
    private final InetSocketAddress peer;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment pollFd = arena.allocate(Libc.POLLFD_SIZE);
    private final MemorySegment scratch = arena.allocate(4096);
    private boolean closed;

    private TcpStream(int fd, InetSocketAddress peer) {
        this.fd = fd;
        this.peer = peer;
    }

    /** Connects to {@code peer} within {@code timeout}. */
    public static TcpStream connect(InetSocketAddress peer, Duration timeout) throws IOException {
        if (peer.isUnresolved()) {
            throw new IOException("cannot resolve " + peer.getHostString());
        }
        int fd = Libc.socket(Libc.AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new ErrnoException("cannot open a TCP socket", -fd);
        }
        TcpStream s = new TcpStream(fd, peer);
        try {
            Libc.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0); // IPv4 peers as ::ffff:a.b.c.d
            byte[] sa = new byte[SOCKADDR_IN6];
            UdpSocket.encode(peer, sa);
            MemorySegment state = Libc.errnoState();
            int r = (int) CONNECT.invokeExact(state, fd, s.scratch.copyFrom(MemorySegment.ofArray(sa)), SOCKADDR_IN6);
            if (r < 0 && Libc.errno(state) != Libc.EINPROGRESS) {
                throw new ErrnoException("cannot connect to " + peer, Libc.errno(state));
            }
            if (r < 0) {
                s.await(Libc.POLLOUT, deadline(timeout), "connect to " + peer);
                int error = s.socketError();
                if (error != 0) {
                    throw new ErrnoException("cannot connect to " + peer, error);
                }
            }
            return s;
        } catch (IOException | RuntimeException | Error e) {
            s.close();
            throw e;
        } catch (Throwable t) {
            s.close();
            throw new IllegalStateException("native call failed", t);
        }
    }

    /**
     * True when the peer has closed the connection or reset it: its FIN or RST has arrived. Discards whatever the peer
     * sent before (a syslog collector sends nothing), so the end of the stream behind it is seen.
     */
    public boolean peerClosed() {
        try {
            while (true) {
                MemorySegment state = Libc.errnoState();
                long n = (long) RECV.invokeExact(state, fd, scratch, scratch.byteSize(), MSG_DONTWAIT);
                if (n == 0) {
                    return true;
                }
                if (n < 0) {
                    int e = Libc.errno(state);
                    if (e == Libc.EINTR) {
                        continue;
                    }
                    return e != Libc.EAGAIN; // nothing to read: open; anything else (ECONNRESET): closed
                }
            }
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    /** Writes all of {@code data}, waiting for room in the send buffer until {@code timeout}. */
    public void write(byte[] data, Duration timeout) throws IOException {
        long deadline = deadline(timeout);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment buf = call.allocate(data.length).copyFrom(MemorySegment.ofArray(data));
            long off = 0;
            while (off < data.length) {
                MemorySegment state = Libc.errnoState();
                long n = (long) SEND.invokeExact(state, fd, buf.asSlice(off), data.length - off, MSG_NOSIGNAL);
                if (n >= 0) {
                    off += n;
                    continue;
                }
                int e = Libc.errno(state);
                if (e == Libc.EAGAIN) {
                    await(Libc.POLLOUT, deadline, "room to write to " + peer);
                } else if (e != Libc.EINTR) {
                    throw new ErrnoException("cannot write to " + peer, e);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    /**
     * Waits until the peer has acknowledged every byte written; an IOException when the connection fails first (a
     * reset: the peer had closed, so what we wrote is lost) or {@code timeout} passes.
     */
    public void awaitAcknowledged(Duration timeout) throws IOException {
        long deadline = deadline(timeout);
        int pauseMs = 1;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment queued = call.allocate(JAVA_INT);
            while (true) {
                int error = socketError();
                if (error != 0) {
                    throw new ErrnoException("the connection to " + peer + " failed before it acknowledged", error);
                }
                int r = Libc.ioctl(fd, SIOCOUTQ, queued);
                if (r < 0) {
                    throw new ErrnoException("cannot read the send queue of the connection to " + peer, -r);
                }
                if (queued.get(JAVA_INT, 0) == 0) {
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException(peer + " did not acknowledge within " + timeout.toMillis() + " ms");
                }
                // No event announces an acknowledgement, so it is polled; a reset ends the wait at once (POLLERR and
                // POLLHUP are reported whatever the events asked for).
                Libc.setPollFd(pollFd, 0, fd, (short) 0);
                Libc.poll(pollFd, 1, (int) Math.min(pauseMs, Math.max(1, left / 1_000_000)));
                pauseMs = Math.min(pauseMs * 2, 50);
            }
        }
    }

    /** Waits in poll(2) for {@code events} on the socket (or an error, or hang-up) until {@code deadline}. */
    private void await(short events, long deadline, String what) throws IOException {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("timed out waiting for " + what);
            }
            Libc.setPollFd(pollFd, 0, fd, events);
            int r = Libc.poll(pollFd, 1, (int) Math.max(1, left / 1_000_000));
            if (r > 0) {
                return;
            }
            if (r < 0 && -r != Libc.EINTR) {
                throw new ErrnoException("poll failed waiting for " + what, -r);
            }
        }
    }

    /** SO_ERROR: the pending error of the socket (0: none), cleared by reading it. */
    private int socketError() {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment value = call.allocate(JAVA_INT);
            MemorySegment len = call.allocateFrom(JAVA_INT, 4);
            MemorySegment state = Libc.errnoState();
            int r = (int) GETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_ERROR, value, len);
            return r < 0 ? Libc.errno(state) : value.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        }
    }

    private static long deadline(Duration timeout) {
        return System.nanoTime() + timeout.toNanos();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Libc.close(fd);
            arena.close();
        }
    }
}
