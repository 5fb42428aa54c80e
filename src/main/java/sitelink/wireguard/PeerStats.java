package sitelink.wireguard;

import sitelink.tunnel.Drop;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * What status and diagnose need to know about one peer beyond the protocol state: data packets, handshake attempts
 * and their outcome, roaming, and drops attributed to the peer. Written by {@link WireGuardCore} (data counters on
 * the data path; everything else on handshake and failure paths only), read by anyone.
 */
public final class PeerStats {
    /** A failure attributed to the peer: the reason, when, and the outer source address. */
    public record Failure(Drop reason, Instant at, InetSocketAddress from) {
    }

    final LongAdder rxPackets = new LongAdder();
    final LongAdder txPackets = new LongAdder();
    private final LongAdder[] drops = new LongAdder[Drop.values().length];
    private volatile long handshakeAttempts;
    private volatile long roamingEvents;
    private volatile Instant lastAttempt;
    private volatile Instant firstUnansweredAttempt;
    private long unconfirmedResponses;
    private Instant firstUnconfirmedResponse;
    private volatile Instant lastGaveUp;
    private volatile boolean sessionInitiator;
    /** The latest failure charged to the peer, and when this run of failures with nothing authenticated began. */
    private volatile Failure latestFailure;
    private Instant failingSince;
    private long failuresInRun;

    /**
     * Failures decide a peer's state only once they persist: at least this many, spread over at least
     * {@link #PERSISTENT_FAILURE_SPAN}, with nothing authenticated from the peer in between. A failure is a datagram
     * that did not authenticate, and anyone can send one from the peer's address (or with the index of its
     * session), so a single forged datagram must not turn a site DOWN with "key mismatch" or fire an event. A real
     * mismatch persists: the peer retries its handshake every REKEY_TIMEOUT.
     */
    static final int PERSISTENT_FAILURES = 3;
    static final java.time.Duration PERSISTENT_FAILURE_SPAN = Constants.REKEY_TIMEOUT;

    PeerStats() {
        for (int i = 0; i < drops.length; i++) {
            drops[i] = new LongAdder();
        }
    }

    // Writers: WireGuardCore, under the peer's monitor except the LongAdders.

    synchronized void initiationSent(Instant now) {
        handshakeAttempts++;
        lastAttempt = now;
        if (firstUnansweredAttempt == null) {
            firstUnansweredAttempt = now;
        }
    }

    /**
     * A handshake response was sent. Responses pile up unconfirmed when the peer keeps initiating and never uses the
     * session we answer with: it could not authenticate our responses (different preshared keys), or they do not
     * reach it. A side that only answers (the other one always initiates first) sees nothing else of such a failure.
     */
    synchronized void responseSent(Instant now) {
        if (unconfirmedResponses == 0) {
            firstUnconfirmedResponse = now;
        }
        unconfirmedResponses++;
    }

    synchronized void handshakeCompleted(boolean initiator) {
        sessionInitiator = initiator;
        firstUnansweredAttempt = null;
        unconfirmedResponses = 0;
        firstUnconfirmedResponse = null;
        clearFailures();
    }

    /** Something authenticated arrived from the peer (data or keepalive): a run of failures, if any, ends. */
    void authenticated() {
        if (latestFailure != null) { // a volatile read per packet; the lock only after a failure
            synchronized (this) {
                clearFailures();
            }
        }
    }

    private void clearFailures() {
        latestFailure = null;
        failingSince = null;
        failuresInRun = 0;
    }

    synchronized void roamed() {
        roamingEvents++;
    }

    synchronized void gaveUp(Instant now) {
        lastGaveUp = now;
    }

    void failed(Drop reason, Instant now, InetSocketAddress from) {
        drops[reason.ordinal()].increment();
        synchronized (this) {
            if (failingSince == null) {
                failingSince = now;
            }
            failuresInRun++;
            latestFailure = new Failure(reason, now, from);
        }
    }

    // Readers.

    public long rxPackets() {
        return rxPackets.sum();
    }

    public long txPackets() {
        return txPackets.sum();
    }

    public long drops(Drop reason) {
        return drops[reason.ordinal()].sum();
    }

    public long handshakeAttempts() {
        return handshakeAttempts;
    }

    public long roamingEvents() {
        return roamingEvents;
    }

    public Optional<Instant> lastAttempt() {
        return Optional.ofNullable(lastAttempt);
    }

    /** The first handshake initiation sent since the latest completed handshake, if it is still unanswered. */
    public Optional<Instant> firstUnansweredAttempt() {
        return Optional.ofNullable(firstUnansweredAttempt);
    }

    /** Handshake responses sent since the latest completed handshake, none of them used by the peer yet. */
    public synchronized long unconfirmedResponses() {
        return unconfirmedResponses;
    }

    /** The first of {@link #unconfirmedResponses()}, if any. */
    public synchronized Optional<Instant> firstUnconfirmedResponse() {
        return Optional.ofNullable(firstUnconfirmedResponse);
    }

    /** When the timers last gave up a handshake (REKEY_ATTEMPT_TIME without an answer). */
    public Optional<Instant> lastGaveUp() {
        return Optional.ofNullable(lastGaveUp);
    }

    /** Whether this side initiated the handshake of the current session (and so rekeys it after REKEY_AFTER_TIME). */
    public boolean sessionInitiator() {
        return sessionInitiator;
    }

    /**
     * The latest failure charged to the peer, once failures persist ({@link #PERSISTENT_FAILURES} of them over
     * {@link #PERSISTENT_FAILURE_SPAN} with nothing authenticated from the peer since the first); empty otherwise.
     */
    public synchronized Optional<Failure> lastFailure() {
        Failure f = latestFailure;
        boolean persistent = f != null && failuresInRun >= PERSISTENT_FAILURES
                && java.time.Duration.between(failingSince, f.at()).compareTo(PERSISTENT_FAILURE_SPAN) >= 0;
        return persistent ? Optional.of(f) : Optional.empty();
    }
}
