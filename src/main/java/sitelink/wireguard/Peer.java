package sitelink.wireguard;

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
public final class Peer {
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

    private volatile InetSocketAddress endpoint;
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

    public Optional<InetSocketAddress> endpoint() {
        return Optional.ofNullable(endpoint);
    }

    InetSocketAddress endpointOrNull() {
        return endpoint;
    }

    /** Roaming: the endpoint follows the source of the latest authenticated packet. */
    void updateEndpoint(InetSocketAddress source) {
        if (!source.equals(endpoint)) {
            if (endpoint != null) {
                stats.roamed();
            }
            endpoint = source;
        }
    }

    void setEndpoint(InetSocketAddress e) {
        endpoint = e;
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
