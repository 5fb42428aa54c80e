package sitelink.wireguard;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import sitelink.tunnel.Drop;
import sitelink.tunnel.Remote;
import sitelink.tunnel.Results;
import sitelink.tunnel.Tunnel;

/**
 * WireGuard as the device drives every tunnel protocol: the data path of a {@link WireGuardCore}. Its remotes are the
 * core's {@link Peer}s; the core's configuration (keys, peers, endpoints) stays on the core, which {@link #core()}
 * gives to whoever configures it.
 */
public final class WireGuardTunnel implements Tunnel {
    /** Padding to a multiple of 16, then the transport header and the Poly1305 tag. */
    private static final int OVERHEAD = 15 + Keypair.OVERHEAD;

    private final WireGuardCore core;

    public WireGuardTunnel(WireGuardCore core) {
        this.core = core;
    }

    public WireGuardCore core() {
        return core;
    }

    /** Initiations, responses and cookie replies: the messages that cost MACs or Diffie-Hellman. */
    @Override
    public boolean isHandshake(int socket, byte[] datagram, int len) {
        return WireGuardCore.isHandshakeMessage(datagram, len);
    }

    @Override
    public boolean isRemoteEndpoint(InetAddress address) {
        return core.isPeerEndpointAddress(address);
    }

    /** {@code to} is one of this core's peers: routing maps prefixes to the peers the core made. */
    @Override
    public void seal(Remote to, byte[] packet, int off, int len, Results out) {
        core.send((Peer) to, packet, off, len, out);
    }

    /** A transport message; anything else that is not a handshake message is counted invalid. */
    @Override
    public void open(int socket, InetSocketAddress source, InetAddress local, byte[] datagram, int len, Results out) {
        core.receive(source, local, datagram, len, out);
    }

    @Override
    public void handshake(int socket, InetSocketAddress source, InetAddress local, byte[] datagram, int len, Results out) {
        core.receive(source, local, datagram, len, out);
    }

    @Override
    public long tick(Results out) {
        return core.tick(out);
    }

    @Override
    public void handshakeBacklog() {
        core.handshakeBacklog();
    }

    @Override
    public void forgetLocalSource(InetAddress gone) {
        core.forgetLocalSource(gone);
    }

    @Override
    public int overhead() {
        return OVERHEAD;
    }

    @Override
    public long drops(Drop reason) {
        return core.drops(reason);
    }
}
