package sitelink.demo;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.Inet4Address;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.function.Consumer;
import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;
import sitelink.packet.Checksum;

/**
 * ICMP echo (RFC 792) over a raw socket, because a fresh machine has no {@code ping} binary. The socket belongs to
 * the namespace of the thread that calls {@link #run} (see {@link sitelink.os.host.Netns}). It receives every ICMP message
 * of the namespace; ours are told apart by identifier and sequence number, in replies and in quoted requests of
 * errors (a router's "destination unreachable" comes from the router, not the target).
 */
public final class Ping {
    private static final int IPPROTO_ICMP = 1;
    private static final int ECHO_REPLY = 0, DEST_UNREACHABLE = 3, ECHO_REQUEST = 8, TIME_EXCEEDED = 11;
    private static final int PAYLOAD = 56; // ping's default: 64 bytes of ICMP
    private static final MethodHandle SENDTO = Libc.function("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));

    /** How a run went: requests sent, replies received, and the RTTs in milliseconds. */
    public record Summary(int transmitted, int received, double minMs, double avgMs, double maxMs) {
        public int lossPercent() {
            return transmitted == 0 ? 0 : 100 * (transmitted - received) / transmitted;
        }

        @Override
        public String toString() {
            String s = transmitted + " packets transmitted, " + received + " received, " + lossPercent() + "% packet loss";
            return received == 0 ? s : s + String.format(Locale.ROOT, ", rtt min/avg/max = %.3f/%.3f/%.3f ms", minMs, avgMs, maxMs);
        }
    }

    private Ping() {
    }

    /**
     * Sends {@code count} echo requests to {@code target}, {@code intervalMillis} apart, waiting up to a second for each
     * reply; prints a ping-like line per reply (or error) to {@code out}.
     */
    public static Summary run(Inet4Address target, int count, long intervalMillis, Consumer<String> out)
            throws ErrnoException, InterruptedException {
        int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, IPPROTO_ICMP);
        if (fd < 0) {
            throw new ErrnoException("raw ICMP socket (needs root)", -fd);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment to = sockaddr(target, arena);
            MemorySegment buf = arena.allocate(1500);
            MemorySegment pollfd = arena.allocate(Libc.POLLFD_SIZE);
            int id = (int) (ProcessHandle.current().pid() & 0xffff);
            int received = 0;
            double min = Double.MAX_VALUE, max = 0, sum = 0;
            for (int seq = 1; seq <= count; seq++) {
                long sent = System.nanoTime();
                byte[] req = echoRequest(id, seq);
                MemorySegment.copy(req, 0, buf, ValueLayout.JAVA_BYTE, 0, req.length);
                long w = sendto(fd, buf, req.length, to);
                if (w < 0) {
                    out.accept("From " + target.getHostAddress() + " icmp_seq=" + seq + ": send failed ("
                            + Libc.errnoName((int) w) + ")");
                } else {
                    OptionalReply r = awaitReply(target, fd, buf, pollfd, id, seq, sent + 1_000_000_000L);
                    if (r.line != null) {
                        out.accept(r.line);
                    }
                    if (r.rttMs >= 0) {
                        received++;
                        min = Math.min(min, r.rttMs);
                        max = Math.max(max, r.rttMs);
                        sum += r.rttMs;
                    }
                }
                long wait = intervalMillis - (System.nanoTime() - sent) / 1_000_000;
                if (seq < count && wait > 0) {
                    Thread.sleep(wait);
                }
            }
            return new Summary(count, received, received == 0 ? 0 : min, received == 0 ? 0 : sum / received, max);
        } finally {
            Libc.close(fd);
        }
    }

    private record OptionalReply(double rttMs, String line) {
    }

    private static OptionalReply awaitReply(Inet4Address target, int fd, MemorySegment buf, MemorySegment pollfd, int id, int seq,
            long deadline) {
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return new OptionalReply(-1, "Request timeout for icmp_seq=" + seq);
            }
            Libc.setPollFd(pollfd, 0, fd, Libc.POLLIN);
            int n = Libc.poll(pollfd, 1, (int) left);
            if (n <= 0) {
                continue; // timeout (checked above) or EINTR
            }
            long len = Libc.read(fd, buf, buf.byteSize());
            long now = System.nanoTime();
            if (len < 28) {
                continue;
            }
            byte[] p = buf.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE);
            int ihl = (p[0] & 0x0f) * 4;
            int ttl = p[8] & 0xff;
            String from = (p[12] & 0xff) + "." + (p[13] & 0xff) + "." + (p[14] & 0xff) + "." + (p[15] & 0xff);
            int type = p[ihl] & 0xff;
            if (type == ECHO_REPLY && from.equals(target.getHostAddress()) && u16(p, ihl + 4) == id && u16(p, ihl + 6) == seq) {
                double rtt = (now - (deadline - 1_000_000_000L)) / 1e6;
                return new OptionalReply(rtt, String.format(Locale.ROOT, "%d bytes from %s: icmp_seq=%d ttl=%d time=%.3f ms",
                        len - ihl, from, seq, ttl, rtt));
            }
            if ((type == DEST_UNREACHABLE || type == TIME_EXCEEDED) && len >= ihl + 8 + 20 + 8) {
                int inner = ihl + 8 + (p[ihl + 8] & 0x0f) * 4; // the echo request the error quotes (RFC 792)
                if (u16(p, inner + 4) == id && u16(p, inner + 6) == seq) {
                    return new OptionalReply(-1, "From " + from + " icmp_seq=" + seq + " "
                            + (type == DEST_UNREACHABLE ? "Destination Unreachable" : "Time to live exceeded"));
                }
            }
        }
    }

    private static byte[] echoRequest(int id, int seq) {
        byte[] m = new byte[8 + PAYLOAD];
        m[0] = ECHO_REQUEST;
        m[4] = (byte) (id >> 8);
        m[5] = (byte) id;
        m[6] = (byte) (seq >> 8);
        m[7] = (byte) seq;
        for (int i = 8; i < m.length; i++) {
            m[i] = (byte) i; // ping's pattern: recognisable in a capture
        }
        int c = Checksum.of(m, 0, m.length);
        m[2] = (byte) (c >> 8);
        m[3] = (byte) c;
        return m;
    }

    private static int u16(byte[] p, int off) {
        return (p[off] & 0xff) << 8 | (p[off + 1] & 0xff);
    }

    /** struct sockaddr_in: family in host order, port (0 for ICMP) and address in network order. */
    private static MemorySegment sockaddr(Inet4Address target, Arena arena) {
        MemorySegment sa = arena.allocate(16);
        sa.set(ValueLayout.JAVA_SHORT.withOrder(ByteOrder.nativeOrder()), 0, (short) Libc.AF_INET);
        MemorySegment.copy(target.getAddress(), 0, sa, ValueLayout.JAVA_BYTE, 4, 4);
        return sa;
    }

    /** sendto(2); the byte count, or -errno. */
    private static long sendto(int fd, MemorySegment buf, int len, MemorySegment to) {
        try {
            MemorySegment state = Libc.errnoState();
            long r = (long) SENDTO.invokeExact(state, fd, buf, (long) len, 0, to, (int) to.byteSize());
            return r >= 0 ? r : -Libc.errno(state);
        } catch (Throwable t) {
            throw new IllegalStateException("sendto call failed", t);
        }
    }
}
