package sitelink.device;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * The device's UDP socket: one dual-stack (IPv6 with IPv4-mapped) socket on the listen port, like wireguard-go's
 * bind. Blocking; the receive thread is woken by {@link #close()}.
 */
final class UdpBind implements AutoCloseable {
    private static final int SOCKET_BUFFER = 4 << 20;
    private final DatagramChannel channel;
    private final int port;

    private UdpBind(DatagramChannel channel, int port) {
        this.channel = channel;
        this.port = port;
    }

    /** Binds {@code port} (0 = any free port) on all addresses, IPv4 and IPv6. */
    static UdpBind open(int port) throws IOException {
        DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET6);
        try {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            // Like the kernel's WireGuard: the outer datagrams may be fragmented on a path with a smaller MTU,
            // instead of failing with EMSGSIZE and black-holing the tunnel's large packets.
            ch.setOption(jdk.net.ExtendedSocketOptions.IP_DONTFRAGMENT, false);
            ch.bind(new InetSocketAddress(InetAddress.getByName("::"), port));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new UdpBind(ch, ((InetSocketAddress) ch.getLocalAddress()).getPort());
    }

    int port() {
        return port;
    }

    /** Receives one datagram into {@code buf} (position 0); returns its source, or null once closed. */
    InetSocketAddress receive(ByteBuffer buf) throws IOException {
        buf.clear();
        return (InetSocketAddress) channel.receive(buf);
    }

    /** Sends one datagram; false when the kernel refused it (no route, buffer full). */
    boolean send(ByteBuffer buf, InetSocketAddress to) {
        try {
            return channel.send(buf, to) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a datagram channel does not fail in a way we could act on
        }
    }
}
