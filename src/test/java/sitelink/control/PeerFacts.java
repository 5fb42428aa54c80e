package sitelink.control;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import sitelink.crypto.Key;
import sitelink.device.DeviceStatus;
import sitelink.device.PeerStatus;
import sitelink.route.Prefix;

/** Builds the raw {@link PeerStatus} facts for unit tests: a peer that never connected, then change what matters. */
final class PeerFacts extends PeerStatus.Builder {
    static final Key OURS = key(1);
    static final Key THEIRS = key(2);
    static final InetSocketAddress ENDPOINT = new InetSocketAddress("198.18.0.2", 51820);

    PeerFacts() {
        super(THEIRS);
        name = "office-b";
        endpoint = Optional.of(ENDPOINT);
        allowedIps.add(Prefix.parse("198.19.2.0/24"));
    }

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
        sessionInitiator = weInitiated;
        return this;
    }

    /** Initiations from {@code first} to {@code last}, none answered. */
    PeerFacts unanswered(Instant first, Instant last, long sent) {
        firstUnansweredAttempt = Optional.of(first);
        lastAttempt = Optional.of(last);
        handshakeAttempts = sent;
        return this;
    }

    PeerFacts failure(String reason, Instant at) {
        lastFailure = Optional.of(reason);
        lastFailureAt = Optional.of(at);
        lastFailureFrom = Optional.of(ENDPOINT);
        return this;
    }

    static DeviceStatus device(Instant at, PeerStatus... peers) {
        return new DeviceStatus("sl-a", "office-a", Optional.of(OURS), 51820, at, new TreeMap<>(), List.of(peers));
    }
}
