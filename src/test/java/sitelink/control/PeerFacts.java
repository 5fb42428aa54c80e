package sitelink.control;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import sitelink.crypto.Key;
import sitelink.device.DeviceStatus;
import sitelink.device.PeerStatus;
import sitelink.route.Prefix;

/** Builds the raw {@link PeerStatus} facts for unit tests: a peer that never connected, then change what matters. */
final class PeerFacts {
    static final Key OURS = key(1);
    static final Key THEIRS = key(2);
    static final InetSocketAddress ENDPOINT = new InetSocketAddress("198.18.0.2", 51820);

    Key publicKey = THEIRS;
    String name = "office-b";
    Optional<InetSocketAddress> endpoint = Optional.of(ENDPOINT);
    Optional<Instant> lastHandshake = Optional.empty();
    boolean hasSession;
    boolean initiator;
    long attempts;
    Optional<Instant> lastAttempt = Optional.empty();
    Optional<Instant> firstUnanswered = Optional.empty();
    Optional<Instant> gaveUp = Optional.empty();
    Optional<String> failure = Optional.empty();
    Optional<Instant> failureAt = Optional.empty();
    Optional<InetSocketAddress> failureFrom = Optional.empty();
    long rxBytes;
    long txBytes;
    long rxPackets;
    long txPackets;
    int keepalive;
    long roaming;
    SortedMap<String, Long> drops = new TreeMap<>();
    List<Prefix> allowed = new ArrayList<>(List.of(Prefix.parse("198.19.2.0/24")));

    static Key key(int b) {
        byte[] k = new byte[32];
        k[0] = (byte) b;
        k[31] = (byte) (b * 7);
        return Key.of(k);
    }

    /** A session from a handshake at {@code t}. */
    PeerFacts session(Instant t, boolean weInitiated) {
        lastHandshake = Optional.of(t);
        hasSession = true;
        initiator = weInitiated;
        return this;
    }

    /** Initiations from {@code first} to {@code last}, none answered. */
    PeerFacts unanswered(Instant first, Instant last, long sent) {
        firstUnanswered = Optional.of(first);
        lastAttempt = Optional.of(last);
        attempts = sent;
        return this;
    }

    PeerFacts failure(String reason, Instant at) {
        failure = Optional.of(reason);
        failureAt = Optional.of(at);
        failureFrom = Optional.of(ENDPOINT);
        return this;
    }

    PeerStatus build() {
        return new PeerStatus(publicKey, name, endpoint, lastHandshake, hasSession, initiator, attempts, lastAttempt,
                firstUnanswered, gaveUp, failure, failureAt, failureFrom, rxBytes, txBytes, rxPackets, txPackets,
                keepalive, roaming, drops, allowed);
    }

    static DeviceStatus device(Instant at, PeerStatus... peers) {
        return new DeviceStatus("sl-a", "office-a", Optional.of(OURS), 51820, at, new TreeMap<>(), List.of(peers));
    }
}
