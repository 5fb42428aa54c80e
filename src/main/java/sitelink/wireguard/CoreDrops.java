package sitelink.wireguard;

import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import sitelink.crypto.Key;
import sitelink.tunnel.Clock;
import sitelink.tunnel.Drop;
import sitelink.tunnel.Results;

/**
 * The core's drops: counted by reason, said in the caller's results, charged to the peer they belong to (known from
 * the session, or the one whose endpoint address the datagram came from) and told to the drop listener. Every method
 * but {@link #count(Drop)} and {@link #count(Drop, Results)} runs on failure paths only.
 */
final class CoreDrops {
    private final LongAdder[] counts = new LongAdder[Drop.values().length];
    private final Clock clock;
    /** The core's peers, a live view: for attributing a datagram by its source address. */
    private final Collection<Peer> peers;
    private volatile DropEvent.Listener listener = DropEvent.Listener.NONE;

    CoreDrops(Clock clock, Collection<Peer> peers) {
        this.clock = clock;
        this.peers = peers;
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    void setListener(DropEvent.Listener l) {
        listener = l;
    }

    void count(Drop reason, long n) {
        counts[reason.ordinal()].add(n);
    }

    void count(Drop reason) {
        counts[reason.ordinal()].increment();
    }

    /** Counts the caller's input as dropped and says why in its results. */
    void count(Drop reason, Results out) {
        count(reason);
        out.drop(reason);
    }

    long sum(Drop reason) {
        return counts[reason.ordinal()].sum();
    }

    /** A refused datagram: counted, said, charged to its peer ({@code known}, or attributed), told to the listener. */
    void fail(Drop reason, InetSocketAddress source, Peer known, Results out) {
        count(reason, out);
        Peer p = known != null ? known : attribute(source);
        if (p != null) {
            p.stats.failed(reason, clock.now(), source);
        }
        listener.dropped(new DropEvent(reason, source, Optional.ofNullable(p), Optional.empty()));
    }

    /** An initiation from a public key that is no peer of ours: the listener learns which key the other side uses. */
    void unknownPeer(InetSocketAddress source, Key claimed, Results out) {
        count(Drop.UNKNOWN_PEER, out);
        Peer at = attribute(source);
        if (at != null) {
            at.stats.failed(Drop.UNKNOWN_PEER, clock.now(), source);
        }
        listener.dropped(new DropEvent(Drop.UNKNOWN_PEER, source, Optional.ofNullable(at), Optional.of(claimed)));
    }

    /** The handshake of {@code p} gave up: the {@code staged} packets that waited for it are dropped. */
    void handshakeTimedOut(Peer p, int staged) {
        count(Drop.HANDSHAKE_TIMEOUT, staged);
        Peer.Endpoint ep = p.endpointOrNull();
        if (ep != null) {
            listener.dropped(new DropEvent(Drop.HANDSHAKE_TIMEOUT, ep.remote(), Optional.of(p), Optional.empty()));
        }
    }

    /** The peer whose endpoint has this source's IP address, if exactly one does (a site-to-site device has few). */
    private Peer attribute(InetSocketAddress source) {
        Peer found = null;
        for (Peer p : peers) {
            Peer.Endpoint ep = p.endpointOrNull();
            if (ep != null && ep.remote().getAddress() != null && ep.remote().getAddress().equals(source.getAddress())) {
                if (found != null) {
                    return null;
                }
                found = p;
            }
        }
        return found;
    }
}
