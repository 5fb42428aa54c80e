package sitelink.os;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The device's UDP socket, opened through FFM so that the data path moves datagrams in batches with
 * recvmmsg(2)/sendmmsg(2), straight between off-heap buffers and the kernel: no DatagramChannel, no hidden copy into
 * a temporary direct buffer, no InetSocketAddress per datagram in steady state.
 *
 * <p>One dual-stack socket (AF_INET6 with IPV6_V6ONLY off; IPv4 peers appear as IPv4-mapped addresses), like
 * wireguard-go's bind. Blocking: a receiver waits in recvmmsg, and {@link #close()} wakes it with shutdown(2), which
 * Linux honours for unconnected UDP sockets too. Receive from one thread at a time; send from any thread (each
 * {@link Batch} belongs to one thread).
 */
public final class UdpSocket implements AutoCloseable {
    /** Largest UDP payload, and so the size of every batch slot. */
    public static final int MAX_DATAGRAM = 65535;
    private static final int SOL_SOCKET = 1, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33,
            SO_MARK = 36;
    private static final int IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
    private static final int MSG_DONTWAIT = 0x40, MSG_WAITFORONE = 0x10000;
    private static final int SHUT_RDWR = 2;
    /** sizeof(struct sockaddr_in6), and the stride we keep them at. */
    private static final int SOCKADDR_IN6 = 28, NAME_STRIDE = 32;
    /** struct mmsghdr on 64-bit Linux: msghdr (56 bytes) then unsigned msg_len, padded to 64. */
    private static final int MMSGHDR = 64, MSG_NAME = 0, MSG_NAMELEN = 8, MSG_IOV = 16, MSG_IOVLEN = 24, MSG_LEN = 56;
    private static final int IOVEC = 16;
    private static final int SOCKET_BUFFER = 4 << 20;
    private static final ValueLayout.OfShort BE_SHORT = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);

    private static final MethodHandle BIND = Libc.function("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = Libc.function("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle RECVMMSG = Libc.function("recvmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SENDMMSG = Libc.function("sendmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle SHUTDOWN = Libc.function("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    private final int fd;
    private final int port;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger active = new AtomicInteger();

    private UdpSocket(int fd, int port) {
        this.fd = fd;
        this.port = port;
    }

    /** Binds {@code port} (0 = any free port) on all IPv4 and IPv6 addresses; {@code fwmark} 0 = none. */
    public static UdpSocket open(int port, int fwmark) throws IOException {
        int fd = Libc.socket(Libc.AF_INET6, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new ErrnoException("cannot open a UDP socket", -fd);
        }
        try (Arena arena = Arena.ofConfined()) {
            Libc.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
            // Large buffers absorb bursts while a data-path thread is descheduled; the FORCE variants (root) pass
            // net.core.rmem_max, the plain ones are the unprivileged fallback.
            if (Libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, SOCKET_BUFFER) < 0) {
                Libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, SOCKET_BUFFER);
            }
            if (Libc.setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, SOCKET_BUFFER) < 0) {
                Libc.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, SOCKET_BUFFER);
            }
            if (fwmark != 0) {
                int r = Libc.setsockopt(fd, SOL_SOCKET, SO_MARK, fwmark);
                if (r < 0) {
                    throw new ErrnoException("cannot set fwmark " + fwmark, -r);
                }
            }
            MemorySegment sa = arena.allocate(SOCKADDR_IN6);
            sa.set(JAVA_SHORT, 0, (short) Libc.AF_INET6);
            sa.set(BE_SHORT, 2, (short) port);
            MemorySegment state = Libc.errnoState();
            int r = (int) BIND.invokeExact(state, fd, sa, SOCKADDR_IN6);
            if (r < 0) {
                throw new ErrnoException("cannot bind UDP port " + port, Libc.errno(state));
            }
            MemorySegment len = arena.allocateFrom(JAVA_INT, SOCKADDR_IN6);
            r = (int) GETSOCKNAME.invokeExact(state, fd, sa, len);
            if (r < 0) {
                throw new ErrnoException("cannot read the bound UDP port", Libc.errno(state));
            }
            return new UdpSocket(fd, Short.toUnsignedInt(sa.get(BE_SHORT, 2)));
        } catch (IOException | RuntimeException | Error e) {
            Libc.close(fd);
            throw e;
        } catch (Throwable t) {
            Libc.close(fd);
            throw new IllegalStateException("native call failed", t);
        }
    }

    public int port() {
        return port;
    }

    /** Sets SO_MARK (routing mark for policy routing; needs CAP_NET_ADMIN). */
    public void setMark(int mark) throws IOException {
        int r = Libc.setsockopt(fd, SOL_SOCKET, SO_MARK, mark);
        if (r < 0) {
            throw new ErrnoException("cannot set fwmark " + mark, -r);
        }
    }

    public boolean isOpen() {
        return !closed.get();
    }

    /**
     * Receives up to {@code batch.capacity()} datagrams: blocks for the first, takes what else is queued. Returns the
     * count (the batch then holds their lengths and sources), or -1 once {@link #close()} was called.
     */
    public int receive(Batch batch) throws IOException {
        if (!enter()) {
            return -1;
        }
        try {
            batch.prepareReceive();
            while (true) {
                MemorySegment state = Libc.errnoState();
                int n = (int) RECVMMSG.invokeExact(state, fd, batch.headers, batch.capacity, MSG_WAITFORONE, MemorySegment.NULL);
                if (closed.get()) {
                    return -1;
                }
                if (n >= 0) {
                    batch.count = n;
                    return n;
                }
                int e = Libc.errno(state);
                if (e != Libc.EINTR) {
                    throw new ErrnoException("UDP receive failed", e);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        } finally {
            exit();
        }
    }

    /**
     * Sends the batch's datagrams (one sendmmsg for all, retried past a datagram the kernel refuses), then empties it.
     * Returns how many the kernel took.
     */
    public int send(Batch batch) {
        int total = batch.count;
        int sent = 0;
        if (total == 0 || !enter()) {
            batch.count = 0;
            return 0;
        }
        try {
            int from = 0;
            while (from < total) {
                MemorySegment state = Libc.errnoState();
                int n = (int) SENDMMSG.invokeExact(state, fd, batch.headers.asSlice((long) from * MMSGHDR), total - from, 0);
                if (n > 0) {
                    sent += n;
                    from += n;
                } else if (n < 0 && Libc.errno(state) == Libc.EINTR) {
                    continue;
                } else {
                    from++; // this datagram failed (no route, ENOBUFS...): count it lost, send the rest
                }
            }
            return sent;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        } finally {
            batch.count = 0;
            exit();
        }
    }

    /** Closes the socket: a receiver blocked in {@link #receive} returns -1; the fd is released once no call uses it. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            int ignored = (int) SHUTDOWN.invokeExact(Libc.errnoState(), fd, SHUT_RDWR);
        } catch (Throwable t) {
            // shutdown of an unconnected socket reports ENOTCONN but still wakes receivers; nothing to act on
        }
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (active.get() > 0 && System.nanoTime() < deadline) {
            Thread.yield();
        }
        Libc.close(fd);
    }

    private boolean enter() {
        active.incrementAndGet();
        if (closed.get()) {
            active.decrementAndGet();
            return false;
        }
        return true;
    }

    private void exit() {
        active.decrementAndGet();
    }

    /**
     * Off-heap slots for a batch of datagrams with their addresses, and the mmsghdr/iovec arrays that point at them;
     * allocated once, reused for every call. For sending: {@link #add}; for receiving: {@link #length}, {@link #data},
     * {@link #source}. Not thread-safe: one per thread and direction.
     */
    public static final class Batch {
        private final int capacity;
        private final MemorySegment slots;
        private final MemorySegment names;
        private final MemorySegment headers;
        private final MemorySegment iovecs;
        private int count;
        // The last address seen or sent, so a steady flow costs no InetSocketAddress and no encoding per datagram.
        private long cachedHi;
        private long cachedLo;
        private int cachedPortScope = -1;
        private InetSocketAddress cachedAddress;
        private InetSocketAddress encodedFor;
        private final byte[] encoded = new byte[SOCKADDR_IN6];

        public Batch(int capacity) {
            this.capacity = capacity;
            Arena arena = Arena.ofAuto();
            // Only the pages a datagram touches become resident: 1420-byte packets use the first page of each slot.
            this.slots = arena.allocate((long) capacity * MAX_DATAGRAM, 64);
            this.names = arena.allocate((long) capacity * NAME_STRIDE, 8);
            this.headers = arena.allocate((long) capacity * MMSGHDR, 8);
            this.iovecs = arena.allocate((long) capacity * IOVEC, 8);
            for (int i = 0; i < capacity; i++) {
                MemorySegment iov = iovecs.asSlice((long) i * IOVEC, IOVEC);
                iov.set(ADDRESS, 0, slots.asSlice((long) i * MAX_DATAGRAM, MAX_DATAGRAM));
                iov.set(JAVA_LONG, 8, MAX_DATAGRAM);
                MemorySegment h = headers.asSlice((long) i * MMSGHDR, MMSGHDR);
                h.set(ADDRESS, MSG_NAME, names.asSlice((long) i * NAME_STRIDE, NAME_STRIDE));
                h.set(JAVA_INT, MSG_NAMELEN, SOCKADDR_IN6);
                h.set(ADDRESS, MSG_IOV, iov);
                h.set(JAVA_LONG, MSG_IOVLEN, 1);
            }
        }

        public int capacity() {
            return capacity;
        }

        /** Datagrams held: received by the last {@link UdpSocket#receive}, or added since the last send. */
        public int count() {
            return count;
        }

        public boolean isFull() {
            return count == capacity;
        }

        /** Queues one datagram to {@code to} (copied from {@code buf}); the caller sends when full or done. */
        public Batch add(InetSocketAddress to, byte[] buf, int off, int len) {
            if (count == capacity) {
                throw new IllegalStateException("batch is full");
            }
            if (len > MAX_DATAGRAM) {
                throw new IllegalArgumentException("datagram of " + len + " bytes");
            }
            int i = count++;
            MemorySegment.copy(buf, off, slots, JAVA_BYTE, (long) i * MAX_DATAGRAM, len);
            iovecs.set(JAVA_LONG, (long) i * IOVEC + 8, len);
            if (to != encodedFor) {
                encode(to, encoded);
                encodedFor = to;
            }
            MemorySegment.copy(encoded, 0, names, JAVA_BYTE, (long) i * NAME_STRIDE, SOCKADDR_IN6);
            headers.set(JAVA_INT, (long) i * MMSGHDR + MSG_NAMELEN, SOCKADDR_IN6);
            return this;
        }

        /** Length of received datagram {@code i}. */
        public int length(int i) {
            return headers.get(JAVA_INT, (long) Objects.checkIndex(i, count) * MMSGHDR + MSG_LEN);
        }

        /** Copies received datagram {@code i} into {@code dst[0..length)}; returns its length. */
        public int copyOut(int i, byte[] dst) {
            int len = Math.min(length(i), dst.length);
            MemorySegment.copy(slots, JAVA_BYTE, (long) i * MAX_DATAGRAM, dst, 0, len);
            return len;
        }

        /** The source of received datagram {@code i}; the same object as last time while the source does not change. */
        public InetSocketAddress source(int i) {
            long base = (long) Objects.checkIndex(i, count) * NAME_STRIDE;
            long hi = names.get(JAVA_LONG_UNALIGNED, base + 8);
            long lo = names.get(JAVA_LONG_UNALIGNED, base + 16);
            int portScope = Short.toUnsignedInt(names.get(BE_SHORT, base + 2)) ^ (names.get(JAVA_INT, base + 24) << 16);
            if (cachedAddress != null && hi == cachedHi && lo == cachedLo && portScope == cachedPortScope) {
                return cachedAddress;
            }
            cachedAddress = decode(names.asSlice(base, SOCKADDR_IN6));
            cachedHi = hi;
            cachedLo = lo;
            cachedPortScope = portScope;
            return cachedAddress;
        }

        private void prepareReceive() {
            count = 0;
            for (int i = 0; i < capacity; i++) {
                headers.set(JAVA_INT, (long) i * MMSGHDR + MSG_NAMELEN, SOCKADDR_IN6);
                iovecs.set(JAVA_LONG, (long) i * IOVEC + 8, MAX_DATAGRAM);
            }
        }
    }

    private static final ValueLayout.OfLong JAVA_LONG_UNALIGNED = JAVA_LONG.withByteAlignment(1);

    /** sockaddr_in6 for an address; an IPv4 address becomes IPv4-mapped (::ffff:a.b.c.d) for the dual-stack socket. */
    static void encode(InetSocketAddress to, byte[] sa) {
        java.util.Arrays.fill(sa, (byte) 0);
        sa[0] = (byte) Libc.AF_INET6; // sa_family, little-endian u16
        sa[2] = (byte) (to.getPort() >>> 8);
        sa[3] = (byte) to.getPort();
        byte[] a = to.getAddress().getAddress();
        if (a.length == 4) {
            sa[18] = (byte) 0xff;
            sa[19] = (byte) 0xff;
            System.arraycopy(a, 0, sa, 20, 4);
        } else {
            System.arraycopy(a, 0, sa, 8, 16);
            if (to.getAddress() instanceof Inet6Address v6) {
                int scope = v6.getScopeId();
                sa[24] = (byte) scope;
                sa[25] = (byte) (scope >>> 8);
                sa[26] = (byte) (scope >>> 16);
                sa[27] = (byte) (scope >>> 24);
            }
        }
    }

    /** The address in a sockaddr_in6; IPv4-mapped addresses come back as plain IPv4, as DatagramChannel reports them. */
    static InetSocketAddress decode(MemorySegment sa) {
        byte[] a = new byte[16];
        MemorySegment.copy(sa, JAVA_BYTE, 8, a, 0, 16);
        int port = Short.toUnsignedInt(sa.get(BE_SHORT, 2));
        int scope = sa.get(JAVA_INT, 24);
        try {
            InetAddress addr = scope != 0 ? Inet6Address.getByAddress(null, a, scope) : InetAddress.getByAddress(a);
            return new InetSocketAddress(addr, port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("16 bytes are always an address", e);
        }
    }
}
