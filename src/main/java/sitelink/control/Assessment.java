package sitelink.control;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import sitelink.crypto.Key;
import sitelink.device.PeerStatus;
import sitelink.tunnel.Drop;
import sitelink.wireguard.Constants;

/**
 * A peer's {@link TunnelState} and, unless it is ESTABLISHED, the reason in plain words, derived from the raw
 * {@link PeerStatus} facts at one instant. Pure: the same facts and time give the same answer, so every rule is a
 * unit test.
 */
public record Assessment(TunnelState state, String reason) {
    /**
     * Handshake attempts unanswered this long mean the peer is gone: three REKEY_TIMEOUT retries, long after any
     * answer on a working path (a rekey on a live tunnel is answered within a round trip).
     */
    public static final Duration STALL = Constants.REKEY_TIMEOUT.multipliedBy(3);
    /** Failures that say the handshake itself is refused (a key or configuration mismatch), not a lost packet. */
    static final Set<Drop> HANDSHAKE_FAILURES = EnumSet.of(Drop.MAC1_INVALID, Drop.UNKNOWN_PEER,
            Drop.HANDSHAKE_DECRYPT_FAILED, Drop.HANDSHAKE_RESPONSE_INVALID, Drop.HANDSHAKE_REPLAY);
    /**
     * The peer keeps initiating and has used none of this many of our answers over REKEY_TIMEOUT or more: it could
     * not authenticate them, or they do not reach it. One unused answer is a lost datagram; three, with the peer
     * retrying each time, are not.
     */
    static final int UNUSED_RESPONSES = 3;

    public static Assessment of(PeerStatus p, Instant now, Optional<Key> ourPublicKey) {
        boolean fresh = p.hasSession() && p.lastHandshake()
                .map(t -> Duration.between(t, now).compareTo(Constants.REJECT_AFTER_TIME) < 0).orElse(false);
        Optional<Instant> unanswered = p.firstUnansweredAttempt();
        boolean stalled = unanswered.map(t -> Duration.between(t, now).compareTo(STALL) >= 0).orElse(false);
        if (fresh && !stalled && p.postQuantumHold().isPresent()) {
            return new Assessment(TunnelState.DOWN, "post-quantum: " + p.postQuantumHold().get());
        }
        if (fresh && !stalled) {
            return new Assessment(TunnelState.ESTABLISHED, "");
        }
        Optional<Drop> failure = p.lastFailure().flatMap(Drop::named).filter(HANDSHAKE_FAILURES::contains);
        if (failure.isPresent()) {
            return new Assessment(TunnelState.DOWN, Explain.handshakeFailure(failure.get(),
                    p.lastFailureFrom().map(Explain::endpoint).orElse("the peer"), p.name(), ourPublicKey));
        }
        if (p.unconfirmedResponses() >= UNUSED_RESPONSES && p.firstUnconfirmedResponse()
                .map(t -> Duration.between(t, now).compareTo(Constants.REKEY_TIMEOUT) >= 0).orElse(false)) {
            return new Assessment(TunnelState.DOWN, Explain.responsesUnused(p));
        }
        if (stalled) {
            return new Assessment(TunnelState.DOWN, "handshake attempts unanswered since " + time(unanswered.get())
                    + " (" + p.handshakeAttempts() + " sent in all)" + Explain.unansweredRemedy(p));
        }
        if (p.endpoint().isEmpty()) {
            return new Assessment(TunnelState.DOWN, p.lastHandshake().isEmpty()
                    ? "no endpoint and the peer never connected; give it an endpoint, or start the other side so it connects here"
                    : "no endpoint; waiting for the peer to connect again");
        }
        if (unanswered.isPresent()) {
            return new Assessment(TunnelState.CONNECTING, "handshake sent at " + time(p.lastAttempt().orElse(unanswered.get()))
                    + ", waiting for the answer");
        }
        return new Assessment(TunnelState.IDLE, p.lastHandshake().isPresent()
                ? "no traffic since the session expired; the next packet connects (persistent_keepalive keeps it up)"
                : "no handshake yet: nothing was sent to the peer; the first packet connects (or set persistent_keepalive)");
    }

    static String time(Instant t) {
        return LocalClock.format(t);
    }
}
