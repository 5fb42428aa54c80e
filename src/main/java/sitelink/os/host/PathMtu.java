package sitelink.os.host;

import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;
import sitelink.os.socket.UdpSocket;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Measures the path MTU toward an address the way tracepath does: a UDP socket with DF (IP_PMTUDISC_DO) and
 * IP_RECVERR, connected to the discard port (9), sends one datagram of the size to test; a router on the way that
 * cannot forward it answers ICMP "fragmentation needed" / "packet too big", which wakes poll(2) with POLLERR, the
 * kernel lowers its path MTU for that address, and getsockopt(IP_MTU) reads it. A path that drops such datagrams
 * silently (filtered ICMP) cannot be measured here: the answer then stays at least the size sent.
 *
 * <p>The probe touches nothing but the kernel's path-MTU cache for that one address, which the gateway's own socket
 * does not use for IPv4 (it sends without DF).
 */
public final class PathMtu {
    /** linux/in.h and linux/in6.h; a dual-stack socket takes the IPv4 ones for an IPv4-mapped peer. */
    private static final int IPPROTO_IP = 0, IP_MTU_DISCOVER = 10, IP_PMTUDISC_DO = 2, IP_MTU = 14, IP_RECVERR = 11;
    private static final int IPPROTO_IPV6 = 41, IPV6_MTU_DISCOVER = 23, IPV6_PMTUDISC_DO = 2, IPV6_MTU = 24,
            IPV6_RECVERR = 25;
    private static final int DISCARD_PORT = 9, SOCKADDR_IN6 = 28;
    private static final MethodHandle CONNECT = Libc.function("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SEND = Libc.function("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = Libc.function("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

    private PathMtu() {
    }

    /**
     * Sends one DF datagram making an IP packet of {@code packetSize} bytes toward {@code to}, waits up to {@code wait}
     * for a router's answer, and returns the path MTU the kernel then knows (below {@code packetSize} when a router
     * said the packet was too big, or the kernel knew it already). An IOException when no socket can be opened or the
     * address is unreachable.
     */
    public static int probe(InetAddress to, int packetSize, Duration wait) throws IOException {
        boolean v4 = to instanceof Inet4Address;
        int fd = Libc.socket(Libc.AF_INET6, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new ErrnoException("cannot open a UDP socket", -fd);
        }
        int level = v4 ? IPPROTO_IP : IPPROTO_IPV6;
        try (Arena arena = Arena.ofConfined()) {
            Libc.setsockopt(fd, level, v4 ? IP_MTU_DISCOVER : IPV6_MTU_DISCOVER, v4 ? IP_PMTUDISC_DO : IPV6_PMTUDISC_DO);
            Libc.setsockopt(fd, level, v4 ? IP_RECVERR : IPV6_RECVERR, 1);
            byte[] sa = new byte[SOCKADDR_IN6];
            UdpSocket.encode(new InetSocketAddress(to, DISCARD_PORT), sa);
            MemorySegment state = Libc.errnoState();
            int r = (int) CONNECT.invokeExact(state, fd, arena.allocateFrom(JAVA_BYTE, sa), SOCKADDR_IN6);
            if (r < 0) {
                throw new ErrnoException("cannot reach " + to.getHostAddress(), Libc.errno(state));
            }
            int payload = Math.max(0, packetSize - (v4 ? 28 : 48));
            long sent = (long) SEND.invokeExact(state, fd, arena.allocate(Math.max(1, payload)), (long) payload, 0);
            if (sent < 0 && Libc.errno(state) != Libc.EMSGSIZE) {
                throw new ErrnoException("cannot send a probe to " + to.getHostAddress(), Libc.errno(state));
            }
            // EMSGSIZE right away: the kernel already knows a smaller path MTU (or the link is narrower). Otherwise
            // wait for an ICMP error (POLLERR: the error queue, IP_RECVERR) or the deadline, whichever comes first.
            if (sent >= 0) {
                MemorySegment fds = arena.allocate(Libc.POLLFD_SIZE);
                Libc.setPollFd(fds, 0, fd, (short) 0);
                Libc.poll(fds, 1, (int) Math.max(1, wait.toMillis()));
            }
            MemorySegment value = arena.allocate(JAVA_INT);
            r = (int) GETSOCKOPT.invokeExact(state, fd, level, v4 ? IP_MTU : IPV6_MTU, value,
                    arena.allocateFrom(JAVA_INT, 4));
            if (r < 0) {
                throw new ErrnoException("cannot read the path MTU toward " + to.getHostAddress(), Libc.errno(state));
            }
            return value.get(JAVA_INT, 0);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed", t);
        } finally {
            Libc.close(fd);
        }
    }
}
