package sitelink.wireguard;

import sitelink.tunnel.Environment;
import sitelink.tunnel.Remote;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import sitelink.crypto.Key;

/**
 * One remote WireGuard peer: its handshake, its sessions (previous, current, next, as in the whitepaper section
 * 5.4 and wireguard-go's keypair.go), its timers, endpoint and counters.
 *
 * <p>State changes happen under the peer's monitor; the send path reads {@link #current} without locking.
 * Only {@link WireGuardCore} changes a peer; everyone else reads.
 */
public final class Peer implements Remote {
    /** wireguard-go's MaxStagedPackets: packets kept while a handshake is in flight. */
    static final int MAX_STAGED_PACKETS = 128;

    private final Key publicKey;
    final CookieGenerator cookies;
    final PeerTimers timers;
    Handshake handshake;
    Key presharedKey = Key.zero();

    volatile Keypair current;
    volatile Keypair next;
    Keypair previous;

    /**
     * Where the peer's datagrams go, and the local address they leave from: the one the peer's latest authenticated
     * datagram reached (a "sticky" source, as the kernel's WireGuard keeps it), or null where the kernel picks.
     */
    record Endpoint(InetSocketAddress remote, InetAddress local) {
    }

    private volatile Endpoint endpoint;
    private volatile int persistentKeepalive;
    private volatile Instant lastHandshake;
    final AtomicLong rxBytes = new AtomicLong();
    final AtomicLong txBytes = new AtomicLong();
    final ArrayDeque<byte[]> staged = new ArrayDeque<>();
    final PeerStats stats = new PeerStats();
    /** Set when the last-minute handshake (REJECT_AFTER_TIME - KEEPALIVE - REKEY_TIMEOUT) was sent for the current session. */
    volatile boolean sentLastMinuteHandshake;

    Peer(Key publicKey, Handshake handshake, CookieGenerator cookies, PeerTimers.Actions actions,
         Environment env) {
        this.publicKey = publicKey;
        this.handshake = handshake;
        this.cookies = cookies;
        this.timers = new PeerTimers(env.clock(), env.jitter(), actions);
    }

    public Key publicKey() {
        return publicKey;
    }

    /** A peer is the remote site: its identity is its public key. */
    @Override
    public Key id() {
        return publicKey;
    }

    @Override
    public Optional<InetSocketAddress> endpoint() {
        Endpoint e = endpoint;
        return e == null ? Optional.empty() : Optional.of(e.remote());
    }

    /** The local address datagrams to the peer leave from, if one is stuck to it (else the kernel picks). */
    public Optional<InetAddress> localSource() {
        Endpoint e = endpoint;
        return e == null ? Optional.empty() : Optional.ofNullable(e.local());
    }

    Endpoint endpointOrNull() {
        return endpoint;
    }

    /**
     * Roaming: the endpoint follows the source of the latest authenticated packet, and the local source follows the
     * address that packet reached ({@code local}: null if unknown).
     */
    void updateEndpoint(InetSocketAddress source, InetAddress local) {
        Endpoint e = endpoint;
        if (e != null && source.equals(e.remote()) && (local == e.local() || java.util.Objects.equals(local, e.local()))) {
            return;
        }
        if (e != null && !source.equals(e.remote())) {
            stats.roamed();
        }
        endpoint = new Endpoint(source, local);
    }

    /** A configured endpoint (UAPI {@code endpoint=}): the kernel picks the source until the peer answers. */
    void setEndpoint(InetSocketAddress e) {
        endpoint = e == null ? null : new Endpoint(e, null);
    }

    /** The local address {@code gone} is no longer ours: datagrams that left from it leave from the kernel's pick. */
    void forgetLocalSource(InetAddress gone) {
        Endpoint e = endpoint;
        if (e != null && gone.equals(e.local())) {
            endpoint = new Endpoint(e.remote(), null);
        }
    }

    public Optional<Key> presharedKey() {
        return presharedKey.isZero() ? Optional.empty() : Optional.of(presharedKey);
    }

    public int persistentKeepalive() {
        return persistentKeepalive;
    }

    void setPersistentKeepaliveValue(int seconds) {
        persistentKeepalive = seconds;
    }

    public Optional<Instant> lastHandshake() {
        return Optional.ofNullable(lastHandshake);
    }

    void setLastHandshake(Instant t) {
        lastHandshake = t;
    }

    public long rxBytes() {
        return rxBytes.get();
    }

    public long txBytes() {
        return txBytes.get();
    }

    /** Counters and handshake history for status and diagnose. */
    public PeerStats stats() {
        return stats;
    }

    /** True while the peer holds a session that can still send. */
    public boolean hasSession() {
        return current != null;
    }

    /** Short form used in log lines, as wireguard-go writes it: {@code peer(AbCd…wXyZ)}. */
    @Override
    public String toString() {
        String b = publicKey.toBase64();
        return "peer(" + b.substring(0, 4) + "…" + b.substring(39, 43) + ")";
    }
}
