package sitelink.tunnel;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A tunnel protocol as the device drives it, whatever the protocol: the device reads packets and datagrams, routes
 * a packet to a {@link Remote}, and hands each to its tunnel, which answers into the caller's {@link Results}. The
 * device then sends the datagrams, checks each delivered packet's source against the sending site's subnets, filters
 * and writes it. WireGuard ({@code wireguard.WireGuardTunnel}) is the first; ESP-in-UDP under IKEv2 the second.
 *
 * <p>Threads: {@link #seal} runs on the TUN reader, {@link #open} on the UDP reader, {@link #handshake} on the
 * handshake thread and {@link #tick} on the timer thread, all at once; each with its own results.
 *
 * <p>Sockets: a tunnel reads the datagrams of the sockets its protocol is designed for, and classifies them per
 * socket: each call names the socket by its index in the tunnel's list ({@code socket}), and a datagram to send
 * names the socket it leaves from ({@link Results#send(int, InetSocketAddress, InetAddress, byte[], int, int)}).
 * WireGuard has its one listen port (socket 0). IKE has 500 and 4500, and ESP-in-UDP shares 4500 with IKE (RFC 3948:
 * IKE's datagrams there begin with the four zero bytes of the non-ESP marker, ESP's with a nonzero SPI), so on 4500
 * {@link #isHandshake} is that marker check and on 500 it is always true.
 */
public interface Tunnel {
    /**
     * True for a datagram of the handshake class: one that may cost public-key work (WireGuard: initiation, response,
     * cookie reply; IKE: every IKE message). A device opens the rest at once on its UDP reader and queues these
     * for a thread of their own, so that a flood of them never delays data.
     */
    boolean isHandshake(int socket, byte[] datagram, int len);

    /** True if {@code address} is where a configured remote site's datagrams come from: its handshakes go first. */
    boolean isRemoteEndpoint(InetAddress address);

    /**
     * Seals {@code packet[off, off+len)} for {@code to} (routing chose it) into datagrams in {@code out}: usually one
     * in {@code out.buffer()}; none while the packet waits for a session, which the tunnel then starts (its
     * messages in {@code out}). The buffer holds {@code len +} {@link #overhead()} bytes at least.
     */
    void seal(Remote to, byte[] packet, int off, int len, Results out);

    /**
     * Opens a data datagram (not {@link #isHandshake}) from {@code source} that reached the local address {@code local}
     * (null if unknown; replies then leave from it): the packet, with the remote site it came from, in {@code out}, or
     * a drop; datagrams too (a confirmed session sends what waited for it). The buffer holds {@code len} bytes at least.
     */
    void open(int socket, InetSocketAddress source, InetAddress local, byte[] datagram, int len, Results out);

    /** Handles a handshake-class datagram ({@link #isHandshake}): the answers to send in {@code out}, or a drop. */
    void handshake(int socket, InetSocketAddress source, InetAddress local, byte[] datagram, int len, Results out);

    /**
     * Runs the timers that are due on the tunnel's clock (retries, keepalives, rekeys, expiry): what they send in
     * {@code out}. Returns the clock's nanoTime of the next deadline ({@code Long.MAX_VALUE}: none).
     */
    long tick(Results out);

    /** The device's handshake queue is backed up: count as under load (cookies, rate limits) for a while. */
    void handshakeBacklog();

    /** The kernel refused {@code gone} as a source address: stop sending from it. */
    void forgetLocalSource(InetAddress gone);

    /** Bytes sealing adds to a packet at most. */
    int overhead();

    /** Datagrams and packets this tunnel dropped for {@code reason}. */
    long drops(Drop reason);

    /**
     * The device is closing: the farewells to send in {@code out} (IKE: a Delete per IKE SA), then every key is
     * forgotten. WireGuard has no farewell; the device zeroes its core's keys itself.
     */
    default void shutdown(Results out) {
    }
}
