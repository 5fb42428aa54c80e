package sitelink.os.socket;

import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;

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
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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
 *
 * <p>Sticky source addresses, as the kernel's WireGuard and wireguard-go's Linux bind keep them: every received
 * datagram says which local address it reached ({@link Batch#local}, from an IPV6_PKTINFO control message, which the
 * dual-stack socket's IPV6_RECVPKTINFO yields for IPv4 datagrams too, as an IPv4-mapped address), and a datagram
 * added with a local address leaves from it (an IPV6_PKTINFO control message of its own, beside UDP_SEGMENT). A
 * gateway with several addresses so answers from the one its peer reached, which NAT and firewall state expect. A
 * source address that no longer exists makes the kernel refuse the send (EINVAL; for IPv4 ENETUNREACH); the
 * datagram then leaves without one, and {@link Batch#vanishedSources} names the address so that the caller forgets
 * it (see {@link #sourceRefused}). Only a link-local source names its interface (the scope of the address); any
 * other leaves by whatever interface the routes choose.
 */
public final class UdpSocket implements UdpIo {
    /** Largest UDP payload, and so the size of every batch slot. */
    public static final int MAX_DATAGRAM = 65535;
    private static final int SOL_SOCKET = 1, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33,
            SO_MARK = 36;
    private static final int IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
    /** linux/in6.h: ask for the local address of received datagrams; the control message that carries it. */
    private static final int IPV6_RECVPKTINFO = 49, IPV6_PKTINFO = 50;
    /** struct in6_pktinfo: the address (16 bytes) and the interface index (int). */
    private static final int IN6_PKTINFO = 20;
    private static final int MSG_DONTWAIT = 0x40, MSG_WAITFORONE = 0x10000;
    private static final int SHUT_RDWR = 2;
    /** linux/in.h: IP_MTU_DISCOVER at level IPPROTO_IP, which an AF_INET6 UDP socket applies to its IPv4 traffic. */
    private static final int IPPROTO_IP = 0, IP_MTU_DISCOVER = 10, IP_PMTUDISC_DONT = 0;
    /** sizeof(struct sockaddr_in6), and the stride we keep them at. */
    private static final int SOCKADDR_IN6 = 28, NAME_STRIDE = 32;
    /** struct mmsghdr on 64-bit Linux: msghdr (56 bytes) then unsigned msg_len, padded to 64. */
    private static final int MMSGHDR = 64, MSG_NAME = 0, MSG_NAMELEN = 8, MSG_IOV = 16, MSG_IOVLEN = 24, MSG_LEN = 56;
    private static final int IOVEC = 16;
    private static final int MSG_CONTROL = 32, MSG_CONTROLLEN = 40;
    /** UDP segmentation offload (linux/udp.h): SOL_UDP level, UDP_SEGMENT cmsg (u16) on send, UDP_GRO (int) on receive. */
    private static final int SOL_UDP = 17, UDP_SEGMENT = 103, UDP_GRO = 104;
    /** CMSG_SPACE(sizeof(int)): a cmsghdr (16 bytes) and its data padded to 8. */
    private static final int CMSG_SPACE = 24, CMSG_DATA = 16;
    /**
     * CMSG_SPACE(sizeof(struct in6_pktinfo)), and each datagram's control area: a PKTINFO, the outer TOS (IP_TOS or
     * IPV6_TCLASS) and a UDP_GRO/UDP_SEGMENT.
     */
    private static final int PKTINFO_SPACE = 40, CONTROL_STRIDE = PKTINFO_SPACE + 2 * CMSG_SPACE;
    /**
     * The outer header's TOS / traffic class byte of one datagram (linux/in.h, linux/in6.h): IP_TOS at IPPROTO_IP for
     * IPv4 (an AF_INET6 socket's IPv4 traffic takes the IPv4 control messages), IPV6_TCLASS at IPPROTO_IPV6.
     */
    private static final int IP_TOS = 1, IPV6_TCLASS = 67;
    /** Ask for received datagrams' TOS / traffic class (the outer ECN, for RFC 6040 decapsulation). */
    private static final int IP_RECVTOS = 13, IPV6_RECVTCLASS = 66;
    /** What one GSO send may carry: the kernel's UDP_MAX_SEGMENTS (64 before 6.x) and an IPv4 datagram's limit. */
    private static final int GSO_MAX_SEGMENTS = 64, GSO_MAX_BYTES = 65000;
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
    /** Send runs of equal-sized datagrams to one address as one UDP_SEGMENT message (see {@link #enableOffloads}). */
    private volatile boolean gso;
    /**
     * A path whose MTU is below our datagrams (a router answered "fragmentation needed") makes the kernel refuse GSO
     * sends (EMSGSIZE since Linux 6.x, EINVAL before) while it still fragments single datagrams; GSO then pauses for
     * this long and the datagrams leave one by one. Path MTUs are learnt and forgotten, so it is retried after.
     */
    static final long GSO_PATH_RETRY_NANOS = 30_000_000_000L;
    private volatile boolean gsoPaused;
    private volatile long gsoPausedAt;

    private UdpSocket(int fd, int port) {
        this.fd = fd;
        this.port = port;
    }

    /** Binds {@code port} (0 = any free port) on all IPv4 and IPv6 addresses; {@code fwmark} 0 = none. */
    public static UdpSocket open(int port, int fwmark) throws IOException {
        return open(port, fwmark, false);
    }

    /**
     * A socket on a free port of 127.0.0.1 only (IPv4-mapped on the dual-stack socket), which nothing outside this
     * host's loopback can reach: the start-up warm-up's ({@code sitelink.device.PipelineWarmUp}).
     */
    public static UdpSocket openLoopback() throws IOException {
        return open(0, 0, true);
    }

    private static UdpSocket open(int port, int fwmark, boolean loopback) throws IOException {
        int fd = Libc.socket(Libc.AF_INET6, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new ErrnoException("cannot open a UDP socket", -fd);
        }
        try (Arena arena = Arena.ofConfined()) {
            Libc.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
            // The local address of each received datagram, for sticky source addresses; without it (never seen on
            // Linux) replies leave from the address the kernel picks, as they did before.
            Libc.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
            // The outer TOS / traffic class of each received datagram (Batch#receivedTos), for the ECN rules of
            // decapsulation; best effort as PKTINFO: without it a datagram reads as TOS 0.
            Libc.setsockopt(fd, IPPROTO_IP, IP_RECVTOS, 1);
            Libc.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
            // IPv4 datagrams leave without DF, as the Linux kernel's WireGuard sends them: a WAN hop with a smaller
            // MTU fragments them instead of needing ICMP "fragmentation needed" to reach us (often filtered: a
            // black hole), and GSO keeps working because the kernel checks runs against the device's MTU only.
            Libc.setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT);
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
            if (loopback) { // ::ffff:127.0.0.1 at sin6_addr (offset 8)
                MemorySegment.copy(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 127, 0, 0, 1}, 0, sa,
                        JAVA_BYTE, 8, 16);
            }
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

    /** The socket's fd, for tests that check a receiver is blocked on it. */
    int fd() {
        return fd;
    }

    /** Sets SO_MARK (routing mark for policy routing; needs CAP_NET_ADMIN). */
    public void setMark(int mark) throws IOException {
        int r = Libc.setsockopt(fd, SOL_SOCKET, SO_MARK, mark);
        if (r < 0) {
            throw new ErrnoException("cannot set fwmark " + mark, -r);
        }
    }

    /**
     * Turns on UDP GSO for sends (runs of equal-sized datagrams to one address leave as one message the kernel
     * segments late) and UDP_GRO for receives (the kernel may hand us several datagrams of one flow as one buffer;
     * {@link Batch#segmentSize} says how to cut it). Returns false if the kernel refused GRO; GSO then stays off too.
     */
    public boolean enableOffloads() {
        if (Libc.setsockopt(fd, SOL_UDP, UDP_GRO, 1) < 0) {
            return false;
        }
        gso = true;
        return true;
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

    /** GSO is on and not paused; a pause that has run its time ends here, so a steady state reads no clock. */
    private boolean gsoUsable() {
        if (!gso) {
            return false;
        }
        if (gsoPaused) {
            if (System.nanoTime() - gsoPausedAt < GSO_PATH_RETRY_NANOS) {
                return false;
            }
            gsoPaused = false;
        }
        return true;
    }

    /**
     * Sends the batch's datagrams (one sendmmsg for all, retried past a datagram the kernel refuses), then empties it.
     * Returns how many the kernel took. With GSO on, each run of equal-sized datagrams to one address from one source
     * (the last may be shorter) is one message with a UDP_SEGMENT cmsg; a device that cannot segment turns GSO off for
     * good, a path MTU below the datagrams pauses it (see {@link #GSO_PATH_RETRY_NANOS}); either way the run is sent
     * singly. A source address the kernel refuses (it is gone) is dropped from every datagram of the batch and the
     * send retried; {@link Batch#vanishedSources} then names it.
     */
    public int send(Batch batch) {
        batch.vanished.clear();
        int total = batch.count;
        if (total == 0 || !enter()) {
            batch.count = 0;
            return 0;
        }
        try {
            int from = 0;
            int sent = 0;
            if (total > 1 && gsoUsable()) {
                int groups = batch.group();
                int g = 0;
                while (g < groups) {
                    MemorySegment state = Libc.errnoState();
                    int n = (int) SENDMMSG.invokeExact(state, fd, batch.gsoHeaders.asSlice((long) g * MMSGHDR), groups - g, 0);
                    if (n > 0) {
                        for (int k = g; k < g + n; k++) {
                            sent += batch.groupCount[k];
                        }
                        g += n;
                        continue;
                    }
                    int e = n < 0 ? Libc.errno(state) : 0;
                    if (e == Libc.EINTR) {
                        continue;
                    }
                    if (sourceRefused(e) && batch.sources[batch.groupStart[g]] != null) {
                        batch.forgetSource(batch.groupStart[g], groups);
                        continue;
                    }
                    if (batch.groupCount[g] > 1 && (e == Libc.EIO || e == Libc.EOPNOTSUPP)) {
                        gso = false; // the device cannot segment (no checksum offload): off for good
                        break;
                    }
                    if (batch.groupCount[g] > 1 && (e == Libc.EMSGSIZE || e == Libc.EINVAL)) {
                        gsoPausedAt = System.nanoTime(); // the path MTU is below our datagrams: send them singly
                        gsoPaused = true;
                        break;
                    }
                    g++; // this datagram failed (no route, ENOBUFS...): count it lost, send the rest
                }
                if (g == groups) {
                    return sent;
                }
                from = batch.groupStart[g];
            }
            while (from < total) {
                MemorySegment state = Libc.errnoState();
                int n = (int) SENDMMSG.invokeExact(state, fd, batch.headers.asSlice((long) from * MMSGHDR), total - from, 0);
                int e = n < 0 ? Libc.errno(state) : 0;
                if (n > 0) {
                    sent += n;
                    from += n;
                } else if (e == Libc.EINTR) {
                    continue;
                } else if (sourceRefused(e) && batch.sources[from] != null) {
                    batch.forgetSource(from, 0);
                } else {
                    from++;
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

    /**
     * The kernel's answers to a source address it cannot send from: EINVAL when an IPv6 address is no longer ours
     * (and for IPv4 on older kernels), ENETUNREACH for IPv4 on Linux 6.x (the route lookup refuses a source that is not
     * local), ENODEV when a link-local source's interface is gone. ENETUNREACH may also mean no route at all: the
     * source is then dropped for nothing, and the peer's next datagram brings it back.
     */
    private static boolean sourceRefused(int errno) {
        return errno == Libc.EINVAL || errno == Libc.ENETUNREACH || errno == Libc.ENODEV;
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
        /** One CONTROL_STRIDE per slot: PKTINFO and UDP_GRO on receive, the source's PKTINFO on send. */
        private final MemorySegment control;
        /** The send batch regrouped for GSO: one mmsghdr per run, pointing at the run's iovecs. */
        private final MemorySegment gsoHeaders;
        /** One CONTROL_STRIDE per run: the run's source PKTINFO and its UDP_SEGMENT. */
        private final MemorySegment gsoControl;
        private final int[] lengths;
        /** Per queued datagram, the local address it leaves from (null: the kernel picks). */
        private final InetAddress[] sources;
        /** Per queued datagram, its outer TOS / traffic class byte (0: the socket's, no control message). */
        private final int[] tos;
        /** Per queued datagram, whether it goes to an IPv4 address (which TOS control message it takes). */
        private final boolean[] toIpv4;
        private final List<InetAddress> vanished = new ArrayList<>();
        private final List<InetAddress> vanishedView = Collections.unmodifiableList(vanished);
        private final int[] destinations;
        private final int[] groupStart;
        private final int[] groupCount;
        private int destination;
        private int count;
        // The last address seen or sent, so a steady flow costs no InetSocketAddress and no encoding per datagram.
        private long cachedHi;
        private long cachedLo;
        private int cachedPort = -1;
        private int cachedScope;
        private InetSocketAddress cachedAddress;
        private InetSocketAddress encodedFor;
        private final byte[] encoded = new byte[SOCKADDR_IN6];
        private InetAddress encodedSourceFor;
        private int encodedTos;
        private final byte[] encodedSource = new byte[IN6_PKTINFO];
        // The last local address received, for the same reason.
        private long cachedLocalHi;
        private long cachedLocalLo;
        private int cachedLocalIndex;
        private InetAddress cachedLocal;

        /** A batch whose native memory the garbage collector frees once the batch is unreachable. */
        public Batch(int capacity) {
            this(capacity, Arena.ofAuto());
        }

        /**
         * A batch in ARENA's memory, freed when the caller closes it: for a loop that ends while its objects may
         * already sit in the old generation, where a gateway's collector rarely looks (a confined arena also
         * confines the batch to the loop's thread).
         */
        public Batch(int capacity, Arena arena) {
            this.capacity = capacity;
            // Only the pages a datagram touches become resident: 1420-byte packets use the first page of each slot.
            this.slots = arena.allocate((long) capacity * MAX_DATAGRAM, 64);
            this.names = arena.allocate((long) capacity * NAME_STRIDE, 8);
            this.headers = arena.allocate((long) capacity * MMSGHDR, 8);
            this.iovecs = arena.allocate((long) capacity * IOVEC, 8);
            this.control = arena.allocate((long) capacity * CONTROL_STRIDE, 8);
            this.gsoHeaders = arena.allocate((long) capacity * MMSGHDR, 8);
            this.gsoControl = arena.allocate((long) capacity * CONTROL_STRIDE, 8);
            this.lengths = new int[capacity];
            this.sources = new InetAddress[capacity];
            this.tos = new int[capacity];
            this.toIpv4 = new boolean[capacity];
            this.destinations = new int[capacity];
            this.groupStart = new int[capacity];
            this.groupCount = new int[capacity];
            for (int i = 0; i < capacity; i++) {
                MemorySegment iov = iovecs.asSlice((long) i * IOVEC, IOVEC);
                iov.set(ADDRESS, 0, slots.asSlice((long) i * MAX_DATAGRAM, MAX_DATAGRAM));
                iov.set(JAVA_LONG, 8, MAX_DATAGRAM);
                MemorySegment h = headers.asSlice((long) i * MMSGHDR, MMSGHDR);
                h.set(ADDRESS, MSG_NAME, names.asSlice((long) i * NAME_STRIDE, NAME_STRIDE));
                h.set(JAVA_INT, MSG_NAMELEN, SOCKADDR_IN6);
                h.set(ADDRESS, MSG_IOV, iov);
                h.set(JAVA_LONG, MSG_IOVLEN, 1);
                h.set(ADDRESS, MSG_CONTROL, control.asSlice((long) i * CONTROL_STRIDE, CONTROL_STRIDE));
                h.set(JAVA_LONG, MSG_CONTROLLEN, 0);
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

        /** Queues one datagram to {@code to} (copied from {@code buf}) from the address the kernel picks. */
        public Batch add(InetSocketAddress to, byte[] buf, int off, int len) {
            return add(to, null, buf, off, len);
        }

        /**
         * Queues one datagram to {@code to} from the local address {@code from} (null, or an address of the other
         * family than {@code to}: the kernel picks); the caller sends when full or done.
         */
        public Batch add(InetSocketAddress to, InetAddress from, byte[] buf, int off, int len) {
            return add(to, from, 0, buf, off, len);
        }

        /**
         * {@link #add(InetSocketAddress, InetAddress, byte[], int, int)} with the outer header's TOS (IPv4) or traffic
         * class (IPv6) byte, DSCP and ECN: {@code tos} 0..255, 0 for the socket's default. GSO joins only datagrams of
         * the same value.
         */
        public Batch add(InetSocketAddress to, InetAddress from, int tos, byte[] buf, int off, int len) {
            if (tos < 0 || tos > 255) {
                throw new IllegalArgumentException("TOS " + tos);
            }
            if (count == capacity) {
                throw new IllegalStateException("batch is full");
            }
            if (len > MAX_DATAGRAM) {
                throw new IllegalArgumentException("datagram of " + len + " bytes");
            }
            int i = count++;
            MemorySegment.copy(buf, off, slots, JAVA_BYTE, (long) i * MAX_DATAGRAM, len);
            iovecs.set(JAVA_LONG, (long) i * IOVEC + 8, len);
            lengths[i] = len;
            if (from != null && (from instanceof Inet4Address) != (to.getAddress() instanceof Inet4Address)) {
                from = null; // a source of the other family cannot carry this datagram
            }
            if (to != encodedFor || from != encodedSourceFor || tos != encodedTos) {
                encodedTos = tos;
                if (to != encodedFor) {
                    encode(to, encoded);
                    encodedFor = to;
                }
                if (from != encodedSourceFor && from != null) {
                    encodePktinfo(from, encodedSource);
                }
                encodedSourceFor = from;
                destination++;
            }
            destinations[i] = destination;
            MemorySegment.copy(encoded, 0, names, JAVA_BYTE, (long) i * NAME_STRIDE, SOCKADDR_IN6);
            long h = (long) i * MMSGHDR;
            headers.set(JAVA_INT, h + MSG_NAMELEN, SOCKADDR_IN6);
            sources[i] = from;
            this.tos[i] = tos;
            toIpv4[i] = to.getAddress() instanceof Inet4Address;
            int len0 = 0;
            if (from != null) {
                writePktinfo(control, (long) i * CONTROL_STRIDE, encodedSource);
                len0 = PKTINFO_SPACE;
            }
            headers.set(JAVA_LONG, h + MSG_CONTROLLEN, len0 + writeTos(control, (long) i * CONTROL_STRIDE + len0, i));
            return this;
        }

        /** Datagram {@code i}'s TOS control message at {@code at}, if it has a TOS; returns the bytes written. */
        private int writeTos(MemorySegment to, long at, int i) {
            if (tos[i] == 0) {
                return 0;
            }
            to.set(JAVA_LONG, at, CMSG_DATA + 4); // cmsg_len = CMSG_LEN(sizeof(int))
            to.set(JAVA_INT, at + 8, toIpv4[i] ? IPPROTO_IP : IPPROTO_IPV6);
            to.set(JAVA_INT, at + 12, toIpv4[i] ? IP_TOS : IPV6_TCLASS);
            to.set(JAVA_INT, at + CMSG_DATA, tos[i]);
            to.set(JAVA_INT, at + CMSG_DATA + 4, 0); // padding to CMSG_SPACE
            return CMSG_SPACE;
        }

        /** The queued datagram {@code i}'s TOS / traffic class byte (for an in-memory {@link UdpIo} and tests). */
        public int tos(int i) {
            return tos[Objects.checkIndex(i, count)];
        }

        /**
         * The local addresses the last {@link UdpSocket#send} found gone (the kernel refused them as sources; those
         * datagrams left without one). Empty in steady state; valid until the next send.
         */
        public List<InetAddress> vanishedSources() {
            return vanishedView;
        }

        /** Sends datagram {@code i}'s source no more: it and every queued datagram from it leave without one. */
        private void forgetSource(int i, int groupCount) {
            InetAddress gone = sources[i];
            vanished.add(gone);
            for (int k = i; k < count; k++) {
                if (gone.equals(sources[k])) {
                    sources[k] = null;
                    headers.set(JAVA_LONG, (long) k * MMSGHDR + MSG_CONTROLLEN, writeTos(control, (long) k * CONTROL_STRIDE, k));
                }
            }
            for (int g = 0; g < groupCount; g++) {
                if (groupStart[g] >= i) {
                    groupControl(g);
                }
            }
        }

        /**
         * The local address received datagram {@code i} reached (IPv4 as a plain IPv4 address; a link-local IPv6
         * address with its interface as scope), or null if the kernel did not say. The same object as last time
         * while it does not change.
         */
        public InetAddress local(int i) {
            long d = cmsgData(Objects.checkIndex(i, count), IPPROTO_IPV6, IPV6_PKTINFO, IN6_PKTINFO);
            if (d < 0) {
                return null;
            }
            long hi = control.get(JAVA_LONG_UNALIGNED, d);
            long lo = control.get(JAVA_LONG_UNALIGNED, d + 8);
            int index = control.get(JAVA_INT, d + 16);
            if (cachedLocal != null && hi == cachedLocalHi && lo == cachedLocalLo && index == cachedLocalIndex) {
                return cachedLocal;
            }
            byte[] a = new byte[16];
            MemorySegment.copy(control, JAVA_BYTE, d, a, 0, 16);
            boolean linkLocal = (a[0] & 0xff) == 0xfe && (a[1] & 0xc0) == 0x80;
            try {
                cachedLocal = linkLocal ? Inet6Address.getByAddress(null, a, index) : InetAddress.getByAddress(a);
            } catch (UnknownHostException e) {
                throw new IllegalStateException("16 bytes are always an address", e);
            }
            cachedLocalHi = hi;
            cachedLocalLo = lo;
            cachedLocalIndex = index;
            return cachedLocal;
        }

        /**
         * Where the data of received datagram {@code i}'s control message {@code level}/{@code type} starts in
         * {@link #control} (at least {@code minData} bytes of it), or -1 if the kernel sent none.
         */
        private long cmsgData(int i, int level, int type, int minData) {
            long length = headers.get(JAVA_LONG, (long) i * MMSGHDR + MSG_CONTROLLEN);
            long base = (long) i * CONTROL_STRIDE;
            long off = 0;
            while (off + CMSG_DATA <= length) {
                long len = control.get(JAVA_LONG, base + off);
                if (len < CMSG_DATA || off + len > length) {
                    return -1;
                }
                if (control.get(JAVA_INT, base + off + 8) == level && control.get(JAVA_INT, base + off + 12) == type) {
                    return len >= CMSG_DATA + minData ? base + off + CMSG_DATA : -1;
                }
                off += (len + 7) & ~7L;
            }
            return -1;
        }

        /**
         * The TOS (IPv4) or traffic class (IPv6) byte of received datagram {@code i}'s outer header, DSCP and ECN;
         * 0 when the kernel did not say. UDP GRO joins only datagrams with the same value.
         */
        public int receivedTos(int i) {
            Objects.checkIndex(i, count);
            long d = cmsgData(i, IPPROTO_IP, IP_TOS, 1); // IPv4: one byte
            if (d >= 0) {
                return control.get(JAVA_BYTE, d) & 0xff;
            }
            d = cmsgData(i, IPPROTO_IPV6, IPV6_TCLASS, 4); // IPv6: an int
            return d < 0 ? 0 : control.get(JAVA_INT, d) & 0xff;
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
            int port = Short.toUnsignedInt(names.get(BE_SHORT, base + 2));
            int scope = names.get(JAVA_INT, base + 24);
            if (cachedAddress != null && hi == cachedHi && lo == cachedLo && port == cachedPort && scope == cachedScope) {
                return cachedAddress;
            }
            cachedAddress = decode(names.asSlice(base, SOCKADDR_IN6));
            cachedHi = hi;
            cachedLo = lo;
            cachedPort = port;
            cachedScope = scope;
            return cachedAddress;
        }

        /**
         * With UDP_GRO: the size of the datagrams the kernel joined into received buffer {@code i} (each but the last
         * exactly this long), or 0 when the buffer is one datagram.
         */
        public int segmentSize(int i) {
            long d = cmsgData(Objects.checkIndex(i, count), SOL_UDP, UDP_GRO, 4);
            return d < 0 ? 0 : control.get(JAVA_INT, d);
        }

        /** Copies {@code len} bytes of received buffer {@code i} from {@code from} into {@code dst[0..len)}. */
        public void copyOut(int i, int from, int len, byte[] dst) {
            Objects.checkFromIndexSize(from, len, length(i));
            MemorySegment.copy(slots, JAVA_BYTE, (long) i * MAX_DATAGRAM + from, dst, 0, len);
        }

        /** Empties the batch (an in-memory {@link UdpIo} uses it; a socket does this itself). */
        public void clear() {
            count = 0;
        }

        /** The destination of queued datagram {@code i} (for an in-memory {@link UdpIo}). */
        public InetSocketAddress destination(int i) {
            return decode(names.asSlice((long) Objects.checkIndex(i, count) * NAME_STRIDE, SOCKADDR_IN6));
        }

        /** Copies queued datagram {@code i} into {@code dst}; returns its length (for an in-memory {@link UdpIo}). */
        public int copyQueued(int i, byte[] dst) {
            int len = lengths[Objects.checkIndex(i, count)];
            MemorySegment.copy(slots, JAVA_BYTE, (long) i * MAX_DATAGRAM, dst, 0, len);
            return len;
        }

        /** Appends a datagram as recvmmsg would have received it from {@code source} (for an in-memory {@link UdpIo}). */
        public void received(InetSocketAddress source, byte[] buf, int off, int len) {
            if (count == capacity) {
                throw new IllegalStateException("batch is full");
            }
            int i = count++;
            MemorySegment.copy(buf, off, slots, JAVA_BYTE, (long) i * MAX_DATAGRAM, len);
            encode(source, encoded);
            encodedFor = null;
            MemorySegment.copy(encoded, 0, names, JAVA_BYTE, (long) i * NAME_STRIDE, SOCKADDR_IN6);
            headers.set(JAVA_INT, (long) i * MMSGHDR + MSG_LEN, len);
            headers.set(JAVA_LONG, (long) i * MMSGHDR + MSG_CONTROLLEN, 0);
        }

        private void prepareReceive() {
            count = 0;
            for (int i = 0; i < capacity; i++) {
                long h = (long) i * MMSGHDR;
                headers.set(JAVA_INT, h + MSG_NAMELEN, SOCKADDR_IN6);
                headers.set(ADDRESS, h + MSG_IOV, iovecs.asSlice((long) i * IOVEC, IOVEC));
                headers.set(JAVA_LONG, h + MSG_IOVLEN, 1);
                headers.set(JAVA_LONG, h + MSG_CONTROLLEN, CONTROL_STRIDE);
                iovecs.set(JAVA_LONG, (long) i * IOVEC + 8, MAX_DATAGRAM);
            }
        }

        /**
         * Regroups the queued datagrams into runs for GSO: same destination, source and TOS, all of the first one's length
         * but the last, within the kernel's segment and size limits. Fills gsoHeaders; returns the number of runs.
         */
        private int group() {
            int groups = 0;
            int i = 0;
            while (i < count) {
                int size = lengths[i];
                int bytes = size;
                int j = i + 1;
                while (j < count && j - i < GSO_MAX_SEGMENTS && destinations[j] == destinations[i]
                        && lengths[j - 1] == size && lengths[j] <= size && bytes + lengths[j] <= GSO_MAX_BYTES) {
                    bytes += lengths[j];
                    j++;
                }
                int n = j - i;
                long h = (long) groups * MMSGHDR;
                gsoHeaders.set(ADDRESS, h + MSG_NAME, names.asSlice((long) i * NAME_STRIDE, NAME_STRIDE));
                gsoHeaders.set(JAVA_INT, h + MSG_NAMELEN, SOCKADDR_IN6);
                gsoHeaders.set(ADDRESS, h + MSG_IOV, iovecs.asSlice((long) i * IOVEC, (long) n * IOVEC));
                gsoHeaders.set(JAVA_LONG, h + MSG_IOVLEN, n);
                groupStart[groups] = i;
                groupCount[groups] = n;
                groupControl(groups);
                groups++;
                i = j;
            }
            return groups;
        }

        /**
         * Fills run {@code g}'s control messages: its source's PKTINFO, its TOS, and UDP_SEGMENT when it has several
         * datagrams.
         */
        private void groupControl(int g) {
            int i = groupStart[g];
            long c = (long) g * CONTROL_STRIDE;
            int len = 0;
            if (sources[i] != null) {
                MemorySegment.copy(control, (long) i * CONTROL_STRIDE, gsoControl, c, PKTINFO_SPACE);
                len = PKTINFO_SPACE;
            }
            len += writeTos(gsoControl, c + len, i);
            if (groupCount[g] > 1) {
                gsoControl.set(JAVA_LONG, c + len, CMSG_DATA + 2); // cmsg_len = CMSG_LEN(sizeof(u16))
                gsoControl.set(JAVA_INT, c + len + 8, SOL_UDP);
                gsoControl.set(JAVA_INT, c + len + 12, UDP_SEGMENT);
                gsoControl.set(JAVA_SHORT, c + len + CMSG_DATA, (short) lengths[i]);
                len += CMSG_SPACE;
            }
            long h = (long) g * MMSGHDR;
            gsoHeaders.set(ADDRESS, h + MSG_CONTROL, len == 0 ? MemorySegment.NULL : gsoControl.asSlice(c, len));
            gsoHeaders.set(JAVA_LONG, h + MSG_CONTROLLEN, len);
        }
    }

    private static final ValueLayout.OfLong JAVA_LONG_UNALIGNED = JAVA_LONG.withByteAlignment(1);

    /** sockaddr_in6 for an address; an IPv4 address becomes IPv4-mapped (::ffff:a.b.c.d) for the dual-stack socket. */
    public static void encode(InetSocketAddress to, byte[] sa) {
        java.util.Arrays.fill(sa, (byte) 0);
        sa[0] = (byte) Libc.AF_INET6; // sa_family, little-endian u16
        sa[2] = (byte) (to.getPort() >>> 8);
        sa[3] = (byte) to.getPort();
        putAddressAndScope(to.getAddress(), sa, 8); // sin6_addr, sin6_scope_id
    }

    /** struct in6_pktinfo for a source address: IPv4 as IPv4-mapped; a scoped IPv6 address names its interface. */
    static void encodePktinfo(InetAddress from, byte[] info) {
        java.util.Arrays.fill(info, (byte) 0);
        putAddressAndScope(from, info, 0); // ipi6_addr, ipi6_ifindex
    }

    /**
     * The 16-byte form of {@code address} at {@code at} (IPv4 as ::ffff:a.b.c.d) and, right after it, an IPv6
     * address's scope (the interface index) as a host-order (little-endian) int; {@code dst} is zeroed there before.
     */
    private static void putAddressAndScope(InetAddress address, byte[] dst, int at) {
        byte[] a = address.getAddress();
        if (a.length == 4) {
            dst[at + 10] = (byte) 0xff;
            dst[at + 11] = (byte) 0xff;
            System.arraycopy(a, 0, dst, at + 12, 4);
            return;
        }
        System.arraycopy(a, 0, dst, at, 16);
        int scope = ((Inet6Address) address).getScopeId();
        dst[at + 16] = (byte) scope;
        dst[at + 17] = (byte) (scope >>> 8);
        dst[at + 18] = (byte) (scope >>> 16);
        dst[at + 19] = (byte) (scope >>> 24);
    }

    /** One IPV6_PKTINFO control message with {@code info} at {@code at}. */
    private static void writePktinfo(MemorySegment control, long at, byte[] info) {
        control.set(JAVA_LONG, at, CMSG_DATA + IN6_PKTINFO); // cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo))
        control.set(JAVA_INT, at + 8, IPPROTO_IPV6);
        control.set(JAVA_INT, at + 12, IPV6_PKTINFO);
        MemorySegment.copy(info, 0, control, JAVA_BYTE, at + CMSG_DATA, IN6_PKTINFO);
        control.set(JAVA_INT, at + CMSG_DATA + IN6_PKTINFO, 0); // padding to CMSG_SPACE
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
