package sitelink.device;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import sitelink.crypto.Key;
import sitelink.route.Prefix;

/**
 * The raw facts about one peer that status derives its state from (no key material but the public key).
 *
 * @param name                   the remote site's name, empty for a plain device
 * @param firstUnansweredAttempt first handshake initiation since the latest completed handshake, if unanswered
 * @param unconfirmedResponses   handshake responses sent since the latest completed handshake (none used by the peer)
 * @param firstUnconfirmedResponse the first of those, if any
 * @param lastFailure            the latest refused datagram charged to this peer since its latest handshake
 *                               (reason as in {@code drops}), with when and from where
 * @param drops                  refused datagrams/packets charged to this peer by reason (zeros left out)
 * @param postQuantum            the post-quantum preshared key's state (docs/post-quantum.md), empty when off
 * @param postQuantumHold        why the site's traffic is held back (fail closed), if it is
 */
public record PeerStatus(Key publicKey, String name, Optional<InetSocketAddress> endpoint,
                         Optional<Instant> lastHandshake, boolean hasSession, boolean sessionInitiator,
                         long handshakeAttempts, Optional<Instant> lastAttempt, Optional<Instant> firstUnansweredAttempt,
                         long unconfirmedResponses, Optional<Instant> firstUnconfirmedResponse,
                         Optional<Instant> lastGaveUp, Optional<String> lastFailure, Optional<Instant> lastFailureAt,
                         Optional<InetSocketAddress> lastFailureFrom, long rxBytes, long txBytes, long rxPackets,
                         long txPackets, int persistentKeepalive, long roamingEvents, SortedMap<String, Long> drops,
                         List<Prefix> allowedIps, Optional<String> postQuantum, Optional<String> postQuantumHold) {
    public PeerStatus {
        drops = new TreeMap<>(drops);
        allowedIps = List.copyOf(allowedIps);
    }

    /**
     * The fields of a PeerStatus, filled one at a time (a parser reading key=value lines, a test changing only what
     * matters), then {@link #build() built}. Starts as a peer that never connected.
     */
    public static class Builder {
        public Key publicKey;
        public String name = "";
        public Optional<InetSocketAddress> endpoint = Optional.empty();
        public Optional<Instant> lastHandshake = Optional.empty();
        public boolean hasSession;
        public boolean sessionInitiator;
        public long handshakeAttempts;
        public Optional<Instant> lastAttempt = Optional.empty();
        public Optional<Instant> firstUnansweredAttempt = Optional.empty();
        public long unconfirmedResponses;
        public Optional<Instant> firstUnconfirmedResponse = Optional.empty();
        public Optional<Instant> lastGaveUp = Optional.empty();
        public Optional<String> lastFailure = Optional.empty();
        public Optional<Instant> lastFailureAt = Optional.empty();
        public Optional<InetSocketAddress> lastFailureFrom = Optional.empty();
        public long rxBytes;
        public long txBytes;
        public long rxPackets;
        public long txPackets;
        public int persistentKeepalive;
        public long roamingEvents;
        public SortedMap<String, Long> drops = new TreeMap<>();
        public List<Prefix> allowedIps = new ArrayList<>();
        public Optional<String> postQuantum = Optional.empty();
        public Optional<String> postQuantumHold = Optional.empty();

        public Builder(Key publicKey) {
            this.publicKey = publicKey;
        }

        public PeerStatus build() {
            return new PeerStatus(publicKey, name, endpoint, lastHandshake, hasSession, sessionInitiator, handshakeAttempts,
                    lastAttempt, firstUnansweredAttempt, unconfirmedResponses, firstUnconfirmedResponse, lastGaveUp, lastFailure, lastFailureAt, lastFailureFrom, rxBytes, txBytes, rxPackets,
                    txPackets, persistentKeepalive, roamingEvents, drops, allowedIps, postQuantum, postQuantumHold);
        }
    }
}
