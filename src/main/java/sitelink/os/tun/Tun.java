package sitelink.os.tun;

import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Linux TUN interface (layer 3, no packet-information header): every {@link #read} returns one IP packet the
 * kernel routed into the interface, every {@link #write} injects one IP packet as if it arrived on it.
 *
 * <p>The fd is non-blocking; a reader that finds nothing to read waits in poll(2) on the fd <em>and</em> an eventfd,
 * so {@link #close()} wakes it at once. Reads are meant for one thread at a time (the device's TUN reader); writes
 * may come from any thread. Both run on platform threads: a blocked poll pins a virtual thread's carrier.
 */
public final class Tun implements TunIo {
    /** linux/if_tun.h: _IOW('T', 202, int). */
    private static final long TUNSETIFF = 0x400454caL;
    private static final long SIOCGIFMTU = 0x8921L, SIOCSIFMTU = 0x8922L;
    private static final short IFF_TUN = 0x0001, IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000;
    /** linux/if_tun.h: _IOW('T', 208, unsigned int), and the offloads we take: checksum, TSO for IPv4 and IPv6. */
    private static final long TUNSETOFFLOAD = 0x400454d0L;
    private static final int TUN_F_CSUM = 0x01, TUN_F_TSO4 = 0x02, TUN_F_TSO6 = 0x04;
    /** The system property that turns TUN offloads on (experimental): {@code -Dsitelink.tun.offload=true}. */
    public static final String OFFLOAD_PROPERTY = "sitelink.tun.offload";
    /** sizeof(struct ifreq) on 64-bit Linux: a 16-byte name and a 24-byte union. */
    private static final long IFREQ_SIZE = 40, IFNAMSIZ = 16, IFR_UNION = 16;
    /** Enough for the largest IP packet a TUN can hand us. */
    private static final int MAX_PACKET = 65535;
    private static final ThreadLocal<MemorySegment> BOUNCE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(MAX_PACKET + VirtioNet.HEADER_LENGTH));

    private final int fd;
    private final int wakeFd;
    /** {@link VirtioNet#HEADER_LENGTH} when opened with offloads (every read and write carries the header), else 0. */
    private final int vnetHeader;
    private final String name;
    private final MemorySegment readPoll;
    private final MemorySegment one;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger active = new AtomicInteger();

    private Tun(int fd, int wakeFd, String name, int vnetHeader) {
        this.fd = fd;
        this.vnetHeader = vnetHeader;
        this.wakeFd = wakeFd;
        this.name = name;
        Arena arena = Arena.ofAuto();
        this.readPoll = arena.allocate(2 * Libc.POLLFD_SIZE);
        Libc.setPollFd(readPoll, 0, fd, Libc.POLLIN);
        Libc.setPollFd(readPoll, 1, wakeFd, Libc.POLLIN);
        this.one = arena.allocate(ValueLayout.JAVA_LONG);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
    }

    /**
     * Creates (or attaches to a persistent) TUN interface in the calling thread's network namespace.
     *
     * @param requestedName the interface name (at most 15 bytes, may contain one {@code %d}); empty lets the
     *                      kernel choose ({@code tunN}). {@link #name()} reports the name the kernel used.
     */
    public static Tun open(String requestedName) throws IOException {
        return open(requestedName, Boolean.parseBoolean(System.getProperty(OFFLOAD_PROPERTY, "true")));
    }

    /**
     * As {@link #open(String)}; with {@code offload}, the TUN also takes IFF_VNET_HDR and TSO/checksum offload:
     * reads then return a {@link VirtioNet} header and possibly a TCP super-segment (see {@link VirtioNet#segment}),
     * and writes add a header saying "no offload" themselves.
     */
    public static Tun open(String requestedName, boolean offload) throws IOException {
        byte[] nameBytes = requestedName.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length >= IFNAMSIZ) {
            throw new IOException("interface name '" + requestedName + "' is longer than 15 bytes");
        }
        int fd = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0) {
            throw new ErrnoException(switch (-fd) {
                case Libc.ENOENT, Libc.ENODEV -> "no /dev/net/tun: load the tun module (modprobe tun)";
                case Libc.EPERM, Libc.EACCES -> "cannot open /dev/net/tun: need root / CAP_NET_ADMIN";
                default -> "cannot open /dev/net/tun";
            }, -fd);
        }
        String name;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = arena.allocate(IFREQ_SIZE);
            MemorySegment.copy(nameBytes, 0, ifr, ValueLayout.JAVA_BYTE, 0, nameBytes.length);
            ifr.set(ValueLayout.JAVA_SHORT, IFR_UNION, (short) (IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0)));
            int r = Libc.ioctl(fd, TUNSETIFF, ifr);
            if (r < 0) {
                Libc.close(fd);
                throw new ErrnoException(switch (-r) {
                    case Libc.EPERM, Libc.EACCES -> "cannot create interface " + requestedName + ": need root / CAP_NET_ADMIN";
                    case Libc.EBUSY -> "cannot create interface " + requestedName + ": interface exists and is in use";
                    case Libc.EINVAL -> "cannot create interface " + requestedName
                            + ": invalid name, or an interface of another type has that name";
                    default -> "cannot create interface " + requestedName;
                }, -r);
            }
            name = ifr.getString(0, StandardCharsets.UTF_8);
            if (offload) {
                // The argument is the flag word itself, passed where the pointer would go.
                r = Libc.ioctl(fd, TUNSETOFFLOAD, MemorySegment.ofAddress(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6));
                if (r < 0) {
                    Libc.close(fd);
                    throw new ErrnoException("cannot enable offloads on " + name, -r);
                }
            }
        }
        int wake = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (wake < 0) {
            Libc.close(fd);
            throw new ErrnoException("cannot create eventfd for " + name, -wake);
        }
        return new Tun(fd, wake, name, offload ? VirtioNet.HEADER_LENGTH : 0);
    }

    /**
     * A TUN over a socket of a connected {@link Libc#SOCK_SEQPACKET} pair instead of /dev/net/tun: the same reads and
     * writes, one packet each, with or without the virtio_net_hdr, and no interface anywhere. The start-up warm-up
     * ({@code sitelink.device.PipelineWarmUp}) runs the real data path over two of these. {@code fd} must be
     * non-blocking; the Tun closes it.
     */
    public static Tun overSocket(int fd, String name, boolean vnetHeader) throws IOException {
        int wake = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (wake < 0) {
            Libc.close(fd);
            throw new ErrnoException("cannot create eventfd for " + name, -wake);
        }
        return new Tun(fd, wake, name, vnetHeader ? VirtioNet.HEADER_LENGTH : 0);
    }

    /** The interface name the kernel assigned. */
    public String name() {
        return name;
    }

    /** Where the poll set a reader with nothing to read waits on lies: poll's first argument, for tests. */
    long readPollAddress() {
        return readPoll.address();
    }

    /** True when reads start with a {@link VirtioNet} header (opened with offloads). */
    public boolean hasVnetHeader() {
        return vnetHeader != 0;
    }

    /** The raw fd, for the os package's later offload and batching calls. */
    int fd() {
        return fd;
    }

    /**
     * Reads one packet into {@code buf} (a native segment), blocking until one arrives.
     *
     * @return the packet length
     * @throws TunClosedException when {@link #close()} was called or the interface was deleted
     */
    public int read(MemorySegment buf) throws IOException {
        if (!buf.isNative()) {
            throw new IllegalArgumentException("read needs a native segment; use read(byte[], int, int)");
        }
        enter();
        try {
            boolean pollError = false;
            while (true) {
                long n = Libc.read(fd, buf, buf.byteSize());
                if (n >= 0) {
                    return (int) n;
                }
                int e = (int) -n;
                if (e == Libc.EINTR) {
                    continue;
                }
                if (e != Libc.EAGAIN) {
                    throw failure("read from", e);
                }
                if (pollError) {
                    // poll reported an error but read has nothing to say: the device is unusable.
                    throw interfaceGone();
                }
                pollError = await(readPoll);
            }
        } finally {
            exit();
        }
    }

    /**
     * Reads a batch: blocks for the first packet, then takes whatever else the kernel has queued (up to {@code max}),
     * so a busy tunnel costs one wakeup per batch rather than one per packet. Packet {@code i} lands at
     * {@code buf[i * stride...]}, its length in {@code lens[i]}. Returns the count (at least 1).
     *
     * @throws TunClosedException when {@link #close()} was called or the interface was deleted
     */
    public int read(MemorySegment buf, int stride, int[] lens, int max) throws IOException {
        if (max < 1 || (long) max * stride > buf.byteSize() || lens.length < max) {
            throw new IllegalArgumentException("batch of " + max + " does not fit");
        }
        lens[0] = read(buf.asSlice(0, stride));
        int count = 1;
        enter();
        try {
            while (count < max) {
                long n = Libc.read(fd, buf.asSlice((long) count * stride, stride), stride);
                if (n >= 0) {
                    lens[count++] = (int) n;
                } else if (-n != Libc.EINTR) {
                    break; // EAGAIN: queue drained; an error shows again on the next blocking read
                }
            }
        } finally {
            exit();
        }
        return count;
    }

    /** Reads one packet into {@code buf[off..off+len)}; see {@link #read(MemorySegment)}. */
    public int read(byte[] buf, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, buf.length);
        MemorySegment bounce = BOUNCE.get();
        int n = read(bounce.asSlice(0, Math.min(len, MAX_PACKET)));
        MemorySegment.copy(bounce, ValueLayout.JAVA_BYTE, 0, buf, off, n);
        return n;
    }

    private void writeRaw(MemorySegment packet) throws IOException {
        enter();
        try {
            while (true) {
                long n = Libc.write(fd, packet, packet.byteSize());
                if (n >= 0) {
                    return;
                }
                int e = (int) -n;
                if (e == Libc.EINTR) {
                    continue;
                }
                if (e != Libc.EAGAIN) {
                    throw failure("write to", e);
                }
                try (Arena arena = Arena.ofConfined()) { // rare: only when the TUN queue is full
                    MemorySegment fds = arena.allocate(2 * Libc.POLLFD_SIZE);
                    Libc.setPollFd(fds, 0, fd, Libc.POLLOUT);
                    Libc.setPollFd(fds, 1, wakeFd, Libc.POLLIN);
                    if (await(fds)) {
                        throw interfaceGone();
                    }
                }
            }
        } finally {
            exit();
        }
    }

    public void write(byte[] buf, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, buf.length);
        if (len > MAX_PACKET) {
            throw new IOException("packet of " + len + " bytes is larger than any IP packet");
        }
        MemorySegment bounce = BOUNCE.get();
        // With offloads, an all-zero virtio_net_hdr: a plain packet whose checksums the kernel checks as usual.
        bounce.asSlice(0, vnetHeader).fill((byte) 0);
        MemorySegment.copy(buf, off, bounce, ValueLayout.JAVA_BYTE, vnetHeader, len);
        writeRaw(bounce.asSlice(0, vnetHeader + len));
    }

    /**
     * Writes {@code buf[off, off+len)}, which already starts with a {@link VirtioNet} header (a TUN opened with
     * offloads only): how {@link TcpCoalescer} hands the kernel a GSO super-segment.
     */
    public void writeWithHeader(byte[] buf, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, buf.length);
        if (vnetHeader == 0 || len < vnetHeader || len > MAX_PACKET + vnetHeader) {
            throw new IllegalArgumentException("not a virtio_net_hdr-prefixed packet for this TUN");
        }
        MemorySegment bounce = BOUNCE.get();
        MemorySegment.copy(buf, off, bounce, ValueLayout.JAVA_BYTE, 0, len);
        writeRaw(bounce.asSlice(0, len));
    }

    /**
     * Sets the interface MTU (SIOCSIFMTU on an AF_INET datagram socket). Like every by-name interface call this
     * acts in the calling thread's network namespace.
     */
    public void setMtu(int mtu) throws IOException {
        ifreqIntCall(SIOCSIFMTU, mtu, "set MTU " + mtu + " on");
    }

    /** The interface MTU as the kernel reports it. */
    public int mtu() throws IOException {
        return ifreqIntCall(SIOCGIFMTU, 0, "read MTU of");
    }

    private int ifreqIntCall(long request, int value, String what) throws IOException {
        int sock = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (sock < 0) {
            throw new ErrnoException("cannot open a socket to " + what + " " + name, -sock);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = arena.allocate(IFREQ_SIZE);
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            MemorySegment.copy(n, 0, ifr, ValueLayout.JAVA_BYTE, 0, n.length);
            ifr.set(ValueLayout.JAVA_INT, IFR_UNION, value);
            int r = Libc.ioctl(sock, request, ifr);
            if (r < 0) {
                throw new ErrnoException("cannot " + what + " " + name
                        + (-r == Libc.EPERM ? ": need root / CAP_NET_ADMIN" : ""), -r);
            }
            return ifr.get(ValueLayout.JAVA_INT, IFR_UNION);
        } finally {
            Libc.close(sock);
        }
    }

    /**
     * Closes the device. A reader blocked in {@link #read} wakes and gets {@link TunClosedException}; the fds are
     * released once no call is using them, so a racing reader can never touch a reused fd number.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Libc.write(wakeFd, one, 8);
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (active.get() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            Thread.yield();
        }
        Libc.close(fd);
        Libc.close(wakeFd);
    }

    /** Waits in poll(2); returns true when the TUN fd reported an error or hang-up. */
    private boolean await(MemorySegment fds) throws IOException {
        while (true) {
            int r = Libc.poll(fds, 2, -1);
            if (r < 0) {
                if (-r == Libc.EINTR) {
                    continue;
                }
                throw new ErrnoException("poll on " + name + " failed", -r);
            }
            if (Libc.revents(fds, 1) != 0 || closed.get()) {
                throw new TunClosedException(name, false);
            }
            return (Libc.revents(fds, 0) & (Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL)) != 0;
        }
    }

    private IOException failure(String what, int errno) {
        // The kernel answers EBADFD once the interface behind the fd is unregistered (tun_get() finds no device).
        if (errno == Libc.EBADFD || errno == Libc.ENODEV) {
            return interfaceGone();
        }
        return new ErrnoException("cannot " + what + " " + name, errno);
    }

    private TunClosedException interfaceGone() {
        return new TunClosedException(name, true);
    }

    private void enter() throws TunClosedException {
        active.incrementAndGet();
        if (closed.get()) {
            active.decrementAndGet();
            throw new TunClosedException(name, false);
        }
    }

    private void exit() {
        active.decrementAndGet();
    }
}
