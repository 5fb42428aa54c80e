package sitelink.device;

import java.net.InetSocketAddress;
import java.time.Instant;
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
 * @param lastFailure            the latest refused datagram charged to this peer since its latest handshake
 *                               (reason as in {@code drops}), with when and from where
 * @param drops                  refused datagrams/packets charged to this peer by reason (zeros left out)
 */
public record PeerStatus(Key publicKey, String name, Optional<InetSocketAddress> endpoint,
                         Optional<Instant> lastHandshake, boolean hasSession, boolean sessionInitiator,
                         long handshakeAttempts, Optional<Instant> lastAttempt, Optional<Instant> firstUnansweredAttempt,
                         Optional<Instant> lastGaveUp, Optional<String> lastFailure, Optional<Instant> lastFailureAt,
                         Optional<InetSocketAddress> lastFailureFrom, long rxBytes, long txBytes, long rxPackets,
                         long txPackets, int persistentKeepalive, long roamingEvents, SortedMap<String, Long> drops,
                         List<Prefix> allowedIps) {
    public PeerStatus {
        drops = new TreeMap<>(drops);
        allowedIps = List.copyOf(allowedIps);
    }
}
