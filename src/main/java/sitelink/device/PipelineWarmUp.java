package sitelink.device;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;
import sitelink.os.socket.UdpIo;
import sitelink.os.socket.UdpSocket;
import sitelink.os.tun.Tun;
import sitelink.os.tun.VirtioNet;
import sitelink.packet.Checksum;
import sitelink.route.Prefix;
import sitelink.tunnel.Clock;
import sitelink.tunnel.Drop;
import sitelink.tunnel.Environment;

/**
 * The warm-up of the whole data path, run at start before the gateway's interface exists (issue 15): two real
 * {@link Device}s, each on a {@link Tun} over one end of a socket pair (the same reads and writes, with the virtio
 * header and TCP segmentation offload, as on /dev/net/tun) and a UDP socket on 127.0.0.1 (the same sendmmsg and
 * recmmsg, with UDP GSO/GRO, as on the WAN). It plays the LAN hosts on the pairs' other ends: pings both ways (IPv4
 * and IPv6, and packets for nowhere that the devices drop, as the kernel's own on a new interface), handshakes (the
 * peers removed and added again between rounds, as {@code wg set} does), and a TCP stream of super-segments with
 * ACKs back, so that what the first real ping, the first handshake and the first seconds of a transfer run (TUN
 * reader, UDP reader, handshake thread, the FFM calls, segmentation and coalescing, the ciphers) has been compiled by
 * the JIT when they come.
 *
 * <p>It touches no interface, no route and no address: the sockets are bound to 127.0.0.1 only, on free ports, and the
 * packets inside the tunnel (198.18.0.1 and 198.18.0.2, RFC 2544's benchmarking range; 2001:2::1 and 2001:2::2,
 * RFC 5180's) never reach the kernel's IP stack. Keys are fresh and zeroed with the devices. Bounded in time (checked
 * between steps); a step that gets no answer within {@link #WAIT_NANOS} (loopback filtered by a firewall, say) ends
 * it early, and the report says so.
 */
public final class PipelineWarmUp {
    /** A packet that does not arrive within this ends the warm-up (the first one waits for a cold handshake). */
    static final long WAIT_NANOS = 2_000_000_000L;
    private static final byte[] HOST_A = {(byte) 198, 18, 0, 1};
    private static final byte[] HOST_B = {(byte) 198, 18, 0, 2};
    /** The hosts' IPv6 addresses, in RFC 5180's benchmarking range 2001:2::/48. */
    private static final byte[] HOST_A6 = InetAddress.ofLiteral("2001:2::1").getAddress();
    private static final byte[] HOST_B6 = InetAddress.ofLiteral("2001:2::2").getAddress();
    /** Nowhere in the tunnel: what the kernel sends on an interface that comes up (an MLD report, from link-local). */
    private static final byte[] LINK_LOCAL = InetAddress.ofLiteral("fe80::1").getAddress();
    private static final byte[] MLD_ROUTERS = InetAddress.ofLiteral("ff02::16").getAddress();
    private static final byte[] NOT_ROUTED = {(byte) 198, 18, 0, 99};
    private static final int VNET = 10;
    /** TCP payload per segment over a 1420-byte tunnel MTU (IPv4: 20 + 20 bytes of headers). */
    private static final int MSS = 1380;
    /** Segments per super-segment: what a TUN with TSO hands over for a busy stream (about 64 KiB). */
    private static final int SEGMENTS = 47;
    private static final int PINGS_PER_ROUND = 10;
    /**
     * The devices' batches: the same code as a gateway's 64, on an eighth of the memory (each batch slot holds up to
     * 64 KiB off the heap: 64 would add about 25 MiB to the gateway's peak RSS for the warm-up's second).
     */
    private static final int BATCH = 8;
    private static final int SUPER_SEGMENTS_PER_ROUND = 24;
    /** Super-segments in flight (about 256 KiB, what fits the socket pairs' buffers). */
    private static final int WINDOW = 4;

    /**
     * A round in which the JIT's compiler threads ran less than this is quiet: what the warm-up gave them to compile
     * is done (a round takes 30-80 ms at start, so under about 5 % of it).
     */
    static final long QUIET_ROUND_NANOS = 2_000_000L;

    /**
     * What a warm-up did; {@code stopped} is empty when it ran to its end, else why it ended early; {@code quiet}
     * whether the compilers were quiet in its last round (or their time could not be read).
     */
    public record Report(int rounds, int handshakes, int pings, long tcpBytes, long nanos, String stopped,
                         boolean quiet) {
        public double millis() {
            return nanos / 1e6;
        }
    }

    private PipelineWarmUp() {
    }

    /**
     * Runs rounds of handshake, pings and a TCP burst until {@code budgetNanos} has passed, and then on while the JIT's
     * compiler threads are busy (the compilations the rounds asked for), up to {@code quietCapNanos} more: so that
     * the first real packets meet the compiled data path and not a compiler still replacing it (checked between
     * rounds; {@code minRounds} at least). Never throws: what stopped it early is in the report.
     */
    public static Report run(int minRounds, long budgetNanos, long quietCapNanos, SecureRandom random) {
        return run(minRounds, budgetNanos, quietCapNanos, new CompilerPriority.SchedStats(), random);
    }

    /** As above, with the compiler threads' times from {@code compilers} (tests). */
    static Report run(int minRounds, long budgetNanos, long quietCapNanos, CompilerPriority.ThreadTimes compilers,
                      SecureRandom random) {
        long start = System.nanoTime();
        int rounds = 0, handshakes = 0, pings = 0;
        long bytes = 0;
        String stopped = "";
        boolean quiet = false;
        Pair pair = null;
        try {
            pair = new Pair(random);
            long[] times = {0, 0};
            compilers.read(times);
            long compiled = times[0];
            // at least minRounds, however long the devices took to make (a cold JVM), else the budget; then, while
            // the compilers are still at the work the rounds gave them, more rounds, up to quietCapNanos more
            while (rounds < minRounds || System.nanoTime() - start < budgetNanos
                    || (!quiet && System.nanoTime() - start < budgetNanos + quietCapNanos)) {
                if (rounds > 0) {
                    pair.rejoin(rounds % 2 == 0);
                }
                Device.startAndEndThread();
                pair.unrouted(rounds);
                for (int i = 0; i < PINGS_PER_ROUND; i++) {
                    pair.ping(rounds * PINGS_PER_ROUND + i);
                    pings++;
                }
                if (rounds % 2 == 0) {
                    pair.ping6(rounds);
                    pings++;
                }
                handshakes++;
                bytes += pair.stream(SUPER_SEGMENTS_PER_ROUND);
                rounds++;
                compilers.read(times);
                quiet = compiled < 0 || times[0] < 0 || times[0] - compiled < QUIET_ROUND_NANOS; // unknown: quiet
                compiled = times[0];
            }
        } catch (IOException | RuntimeException e) {
            stopped = e.getMessage() == null ? e.toString() : e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = "interrupted";
        } finally {
            if (pair != null) {
                pair.close();
            }
        }
        return new Report(rounds, handshakes, pings, bytes, System.nanoTime() - start, stopped, quiet);
    }

    /** Two devices joined over loopback, and the LAN end of each one's TUN. */
    private static final class Pair implements AutoCloseable {
        private final SecureRandom random;
        private final Lan lanA;
        private final Lan lanB;
        private final Device a;
        private final Device b;
        private final Key privateA;
        private final Key privateB;
        private final byte[] packet = new byte[VNET + 65535];
        private int seq;

        Pair(SecureRandom random) throws IOException {
            this.random = random;
            int[] pa = socketPair();
            lanA = new Lan(pa[1]);
            int[] pb;
            try {
                pb = socketPair();
            } catch (IOException e) {
                Libc.close(pa[0]);
                lanA.close();
                throw e;
            }
            lanB = new Lan(pb[1]);
            UdpIo.Opener loopback = (port, mark) -> {
                try {
                    return UdpSocket.openLoopback();
                } catch (IOException e) {
                    throw new IOException("cannot bind 127.0.0.1 (is the loopback interface lo up?): " + e.getMessage(), e);
                }
            };
            Environment env = Environment.of(Clock.SYSTEM, random);
            Tun ta = null, tb = null;
            Device da = null, db = null;
            try {
                ta = Tun.overSocket(pa[0], "warm-a", true); // closes the fd itself when it fails
                pa[0] = -1;
                tb = Tun.overSocket(pb[0], "warm-b", true);
                pb[0] = -1;
                da = new Device("warm-a", ta, loopback, env, BATCH);
                db = new Device("warm-b", tb, loopback, env, BATCH);
            } catch (IOException | RuntimeException e) {
                for (int fd : new int[] {pa[0], pb[0]}) {
                    if (fd >= 0) {
                        Libc.close(fd);
                    }
                }
                if (da != null) {
                    da.close(); // closes its TUN
                } else if (ta != null) {
                    ta.close();
                }
                if (tb != null) {
                    tb.close();
                }
                lanA.close();
                lanB.close();
                throw e;
            }
            a = da;
            b = db;
            a.quiet();
            b.quiet();
            // 127.0.0.1 unreachable (a namespace whose lo is down): the devices' sends fail at once; say so then
            java.util.function.Supplier<String> unsent = () -> sendFailures(a) + sendFailures(b) > 0
                    ? "the devices could not send to 127.0.0.1 (is the loopback interface lo up?)" : null;
            lanA.failure = unsent;
            lanB.failure = unsent;
            privateA = X25519.generatePrivate(random);
            privateB = X25519.generatePrivate(random);
            try {
                configure(true);
                a.start();
                b.start();
            } catch (DeviceException | RuntimeException e) {
                close();
                throw new IOException("warm-up devices: " + e.getMessage(), e);
            }
        }

        private static long sendFailures(Device d) {
            return d.drops(Drop.SEND_FAILED); // often (every wait of the warm-up's LAN ends): not the map of every counter
        }

        private static int[] socketPair() throws IOException {
            int[] fds = new int[2];
            int r = Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0, fds);
            if (r < 0) {
                throw new ErrnoException("cannot make a socket pair", -r);
            }
            return fds;
        }

        /**
         * Each device with its key and the other as its one peer (a fresh preshared key, the other host's IPv4 address
         * and, with {@code ipv6}, its IPv6 address as allowed IPs), as `wg set` would.
         */
        private void configure(boolean ipv6) throws DeviceException {
            Key psk = X25519.generatePrivate(random);
            a.apply(new DeviceUpdate(Optional.of(Key.of(privateA.bytes())), OptionalInt.empty(), OptionalInt.empty(), true,
                    List.of(peer(privateB, Key.of(psk.bytes()), b, HOST_B, ipv6))));
            b.apply(new DeviceUpdate(Optional.of(Key.of(privateB.bytes())), OptionalInt.empty(), OptionalInt.empty(), true,
                    List.of(peer(privateA, psk, a, HOST_A, ipv6))));
        }

        private static PeerUpdate peer(Key remotePrivate, Key psk, Device remote, byte[] host, boolean ipv6) {
            InetSocketAddress endpoint = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    remote.snapshot().listenPort());
            return new PeerUpdate(X25519.publicKey(remotePrivate), false, false, Optional.of(psk), Optional.of(endpoint),
                    OptionalInt.empty(), true, ipv6
                            ? List.of(hostPrefix(host), hostPrefix(host == HOST_A ? HOST_A6 : HOST_B6))
                            : List.of(hostPrefix(host)));
        }

        private static Prefix hostPrefix(byte[] address) {
            try {
                return new Prefix(InetAddress.getByAddress(address), address.length * 8);
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException(e); // not for 4 or 16 bytes
            }
        }

        /**
         * Both peers removed and added again: their sessions end, and the next packet starts a new handshake. Every
         * other round without IPv6 prefixes, as most sites have: the kernel's IPv6 packets then meet an empty table.
         */
        void rejoin(boolean ipv6) throws IOException {
            try {
                configure(ipv6);
            } catch (DeviceException e) {
                throw new IOException("warm-up devices: " + e.getMessage(), e);
            }
        }

        /** An echo request from host A, answered by host B: through A's TUN, A, UDP, B, B's TUN and back. */
        void ping(int n) throws IOException {
            int len = echo(packet, n);
            lanA.write(packet, VNET + len);
            int got = lanB.await(packet, "ping through the warm-up tunnel");
            if (got < VNET + 28 || packet[VNET + 9] != 1 || packet[VNET + 20] != 8) {
                throw new IOException("the warm-up tunnel delivered something other than the ping");
            }
            // the reply: addresses swapped (the header checksum stays right), type 0, ICMP checksum again
            for (int i = 0; i < 4; i++) {
                byte t = packet[VNET + 12 + i];
                packet[VNET + 12 + i] = packet[VNET + 16 + i];
                packet[VNET + 16 + i] = t;
            }
            java.util.Arrays.fill(packet, 0, VNET, (byte) 0);
            packet[VNET + 20] = 0;
            Checksum.put16(packet, VNET + 22, 0);
            Checksum.put16(packet, VNET + 22, Checksum.of(packet, VNET + 20, got - VNET - 20));
            lanB.write(packet, got);
            got = lanA.await(packet, "reply to a ping through the warm-up tunnel");
            if (got < VNET + 28 || packet[VNET + 20] != 0) {
                throw new IOException("the warm-up tunnel delivered something other than the ping's reply");
            }
        }

        /**
         * Packets from host A's LAN that no peer's allowed IPs hold, both families, as the kernel sends some on every
         * interface that comes up (IPv6 multicast listener reports, router solicitations): the device drops them.
         * Without them in the warm-up's profile, the first such packet of a real gateway threw the compiled data path
         * away (an uncommon trap), and its first pings ran in the interpreter.
         */
        void unrouted(int n) throws IOException {
            java.util.Arrays.fill(packet, 0, VNET + 48, (byte) 0);
            ipv6(packet, 8, LINK_LOCAL, MLD_ROUTERS);
            packet[VNET + 40] = (byte) 143; // MLDv2 report, no records
            icmp6Checksum(packet, 8);
            lanA.write(packet, VNET + 48);
            int len = echo(packet, n);
            System.arraycopy(NOT_ROUTED, 0, packet, VNET + 16, 4);
            Checksum.put16(packet, VNET + 10, 0);
            Checksum.put16(packet, VNET + 10, Checksum.of(packet, VNET, 20));
            lanA.write(packet, VNET + len);
        }

        /** An IPv6 echo request from host A, answered by host B, through both devices as {@link #ping} goes. */
        void ping6(int n) throws IOException {
            int len = echo6(packet, n);
            lanA.write(packet, VNET + len);
            int got = lanB.await(packet, "IPv6 ping through the warm-up tunnel");
            if (got < VNET + 48 || packet[VNET + 6] != 58 || packet[VNET + 40] != (byte) 128) {
                throw new IOException("the warm-up tunnel delivered something other than the IPv6 ping");
            }
            byte[] from = java.util.Arrays.copyOfRange(packet, VNET + 8, VNET + 24);
            System.arraycopy(packet, VNET + 24, packet, VNET + 8, 16);
            System.arraycopy(from, 0, packet, VNET + 24, 16);
            java.util.Arrays.fill(packet, 0, VNET, (byte) 0);
            packet[VNET + 40] = (byte) 129;
            icmp6Checksum(packet, got - VNET - 40);
            lanB.write(packet, got);
            got = lanA.await(packet, "reply to an IPv6 ping through the warm-up tunnel");
            if (got < VNET + 48 || packet[VNET + 40] != (byte) 129) {
                throw new IOException("the warm-up tunnel delivered something other than the IPv6 ping's reply");
            }
        }

        /**
         * {@code count} TCP super-segments from host A (segmented by A, coalesced again by B), {@link #WINDOW} of them
         * in flight, each answered by an ACK from host B once its payload arrived; returns the payload bytes that
         * arrived. In flight as a real stream is, so that the data path runs at speed: one at a time, the thread
         * hand-offs of each round trip kept it near a tenth of it.
         */
        long stream(int count) throws IOException {
            int full = SEGMENTS * MSS;
            int sent = 0, delivered = 0, acked = 0, payload = 0;
            int ackSeq = seq;
            while (sent < Math.min(count, WINDOW)) {
                sendSuperSegment();
                sent++;
            }
            while (acked < count) {
                if (delivered < sent) {
                    // B's coalescer hands over what it merged, a super-segment ending with the segment that has PSH
                    int got = lanB.await(packet, "TCP segment through the warm-up tunnel");
                    if (got < VNET + 40 || packet[VNET + 9] != 6) {
                        throw new IOException("the warm-up tunnel delivered something other than the TCP stream");
                    }
                    payload += got - VNET - 40;
                    while (payload >= full) {
                        payload -= full;
                        delivered++;
                        ackSeq += full;
                        lanB.write(packet, ack(packet, ackSeq));
                        if (sent < count) {
                            sendSuperSegment();
                            sent++;
                        }
                    }
                }
                while (acked < delivered && lanA.poll(packet) >= 0) {
                    acked++;
                }
                if (delivered == count && acked < count) {
                    lanA.await(packet, "ACK through the warm-up tunnel");
                    acked++;
                }
            }
            return (long) delivered * full;
        }

        private void sendSuperSegment() throws IOException {
            int len = superSegment(packet, seq);
            seq += SEGMENTS * MSS;
            lanA.write(packet, len);
        }

        @Override
        public void close() {
            if (a != null) {
                a.close();
            }
            if (b != null) {
                b.close();
            }
            lanA.close();
            lanB.close();
            privateA.destroy();
            privateB.destroy();
        }
    }

    /** An ICMP echo request from host A to host B (84 bytes, as ping sends) after a zero virtio header; its length. */
    static int echo(byte[] p, int n) {
        int len = 84;
        java.util.Arrays.fill(p, 0, VNET + len, (byte) 0);
        ipv4(p, len, 1, 0x4000 | 0);
        int icmp = VNET + 20;
        p[icmp] = 8;
        Checksum.put16(p, icmp + 4, 0x5157);
        Checksum.put16(p, icmp + 6, n);
        for (int i = icmp + 8; i < VNET + len; i++) {
            p[i] = (byte) i;
        }
        Checksum.put16(p, icmp + 2, Checksum.of(p, icmp, len - 20));
        return len;
    }

    /** An ICMPv6 echo request from host A to host B (104 bytes, as {@code ping -6} sends) after a zero virtio header. */
    static int echo6(byte[] p, int n) {
        int len = 104;
        java.util.Arrays.fill(p, 0, VNET + len, (byte) 0);
        ipv6(p, len - 40, HOST_A6, HOST_B6);
        int icmp = VNET + 40;
        p[icmp] = (byte) 128;
        Checksum.put16(p, icmp + 4, 0x5157);
        Checksum.put16(p, icmp + 6, n);
        for (int i = icmp + 8; i < VNET + len; i++) {
            p[i] = (byte) i;
        }
        icmp6Checksum(p, len - 40);
        return len;
    }

    /** An IPv6 header (next header ICMPv6, hop limit 64) after the virtio header. */
    private static void ipv6(byte[] p, int payload, byte[] from, byte[] to) {
        int ip = VNET;
        p[ip] = 0x60;
        Checksum.put16(p, ip + 4, payload);
        p[ip + 6] = 58;
        p[ip + 7] = 64;
        System.arraycopy(from, 0, p, ip + 8, 16);
        System.arraycopy(to, 0, p, ip + 24, 16);
    }

    /** The ICMPv6 checksum (RFC 8200 8.1) of the message after a 40-byte IPv6 header. */
    private static void icmp6Checksum(byte[] p, int payload) {
        int icmp = VNET + 40;
        Checksum.put16(p, icmp + 2, 0);
        long sum = Checksum.pseudoHeader(p, VNET + 8, VNET + 24, 16, 58, payload);
        Checksum.put16(p, icmp + 2, Checksum.finish(Checksum.add(sum, p, icmp, payload)));
    }

    /**
     * A TCP super-segment from host A as a TUN with TSO hands it over: virtio header (NEEDS_CSUM, GSO_TCPV4, the MSS),
     * one IPv4 and TCP header, {@link #SEGMENTS} segments' payload, PSH set; returns the whole length.
     */
    static int superSegment(byte[] p, int seq) {
        int payload = SEGMENTS * MSS;
        int len = 40 + payload;
        java.util.Arrays.fill(p, 0, VNET + 40, (byte) 0);
        VirtioNet.putTcpGsoHeader(p, true, 40, MSS, 20);
        ipv4(p, len, 6, 0x4000);
        tcp(p, 40000, 5201, seq, 0x18);
        return VNET + len;
    }

    /** An ACK from host B for everything before {@code acked}, after a zero virtio header; its whole length. */
    static int ack(byte[] p, int acked) {
        java.util.Arrays.fill(p, 0, VNET + 40, (byte) 0);
        ipv4(p, 40, 6, 0x4000);
        for (int i = 0; i < 4; i++) { // from B to A
            p[VNET + 12 + i] = HOST_B[i];
            p[VNET + 16 + i] = HOST_A[i];
        }
        Checksum.put16(p, VNET + 10, 0);
        Checksum.put16(p, VNET + 10, Checksum.of(p, VNET, 20));
        tcp(p, 5201, 40000, 1, 0x10);
        p[VNET + 28] = (byte) (acked >>> 24);
        p[VNET + 29] = (byte) (acked >>> 16);
        p[VNET + 30] = (byte) (acked >>> 8);
        p[VNET + 31] = (byte) acked;
        long sum = Checksum.pseudoHeader(p, VNET + 12, VNET + 16, 4, 6, 20);
        Checksum.put16(p, VNET + 36, Checksum.finish(Checksum.add(sum, p, VNET + 20, 20)));
        return VNET + 40;
    }

    private static void ipv4(byte[] p, int total, int protocol, int flags) {
        int ip = VNET;
        p[ip] = 0x45;
        Checksum.put16(p, ip + 2, total);
        Checksum.put16(p, ip + 6, flags);
        p[ip + 8] = 64;
        p[ip + 9] = (byte) protocol;
        System.arraycopy(HOST_A, 0, p, ip + 12, 4);
        System.arraycopy(HOST_B, 0, p, ip + 16, 4);
        Checksum.put16(p, ip + 10, Checksum.of(p, ip, 20));
    }

    private static void tcp(byte[] p, int from, int to, int seq, int flags) {
        int t = VNET + 20;
        Checksum.put16(p, t, from);
        Checksum.put16(p, t + 2, to);
        p[t + 4] = (byte) (seq >>> 24);
        p[t + 5] = (byte) (seq >>> 16);
        p[t + 6] = (byte) (seq >>> 8);
        p[t + 7] = (byte) seq;
        p[t + 12] = 0x50;
        p[t + 13] = (byte) flags;
        Checksum.put16(p, t + 14, 0xffff);
    }

    /** The LAN side of a warm-up TUN: the other end of its socket pair (non-blocking, waited on with poll). */
    private static final class Lan implements AutoCloseable {
        /** How often a wait looks at {@link #failure} (a datagram the devices could not send ends it at once). */
        private static final int CHECK_MILLIS = 10;
        private final int fd;
        /** Why waiting is pointless, or null: set by the pair once its devices exist. */
        private java.util.function.Supplier<String> failure = () -> null;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment buf = arena.allocate(VNET + 65535 + 1);
        private final MemorySegment poll = arena.allocate(Libc.POLLFD_SIZE);

        Lan(int fd) {
            this.fd = fd;
        }

        void write(byte[] p, int len) throws IOException {
            MemorySegment.copy(p, 0, buf, ValueLayout.JAVA_BYTE, 0, len);
            long deadline = System.nanoTime() + WAIT_NANOS;
            while (true) {
                long n = Libc.write(fd, buf, len);
                if (n >= 0) {
                    return;
                }
                if (n != -Libc.EAGAIN && n != -Libc.EINTR) {
                    throw new ErrnoException("warm-up TUN write", (int) -n);
                }
                waitFor(Libc.POLLOUT, deadline, "room in the warm-up TUN");
            }
        }

        /** The next packet the device wrote, if one is there, into {@code p}; its length, or -1 when none. */
        int poll(byte[] p) throws IOException {
            long n = Libc.read(fd, buf, buf.byteSize());
            if (n >= 0) {
                MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, p, 0, (int) n);
                return (int) n;
            }
            if (n != -Libc.EAGAIN && n != -Libc.EINTR) {
                throw new ErrnoException("warm-up TUN read", (int) -n);
            }
            return -1;
        }

        /** The next packet the device wrote (virtio header first) into {@code p}; its length. */
        int await(byte[] p, String what) throws IOException {
            long deadline = System.nanoTime() + WAIT_NANOS;
            int n;
            while ((n = poll(p)) < 0) {
                waitFor(Libc.POLLIN, deadline, what);
            }
            return n;
        }

        private void waitFor(short events, long deadline, String what) throws IOException {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("no " + what + " within " + WAIT_NANOS / 1_000_000 + " ms");
            }
            String why = failure.get();
            if (why != null) {
                throw new IOException(why);
            }
            Libc.setPollFd(poll, 0, fd, events);
            Libc.poll(poll, 1, (int) Math.max(1, Math.min(CHECK_MILLIS, left / 1_000_000)));
        }

        @Override
        public void close() {
            Libc.close(fd);
            arena.close();
        }
    }
}
