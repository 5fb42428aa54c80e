package sitelink.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;
import sitelink.device.Diagnostic;
import sitelink.tunnel.Drop;
import sitelink.wireguard.FakeClock;

/** The rate limit of docs/status.md: each reason at most once per interval per peer (or source), with the count left out. */
class DiagnosticLogTest {
    private static final Duration INTERVAL = Duration.ofSeconds(60);
    private static final Key PEER_B = PeerFacts.key(2);
    private static final Key PEER_C = PeerFacts.key(3);
    private static final InetSocketAddress FROM_B = new InetSocketAddress("198.18.0.2", 51820);

    private final FakeClock clock = new FakeClock();
    private final List<String> lines = new ArrayList<>();
    private final List<Level> levels = new ArrayList<>();
    private final DiagnosticLog log = new DiagnosticLog(clock, INTERVAL,
            k -> Map.of(PEER_B, "office-b", PEER_C, "office-c").getOrDefault(k, ""),
            () -> Optional.of(PeerFacts.OURS), (level, line) -> {
                levels.add(level);
                lines.add(line);
            });

    private static Diagnostic fromPeer(Drop reason, Key peer) {
        return new Diagnostic(reason, Optional.of(peer), Optional.of(FROM_B), Optional.empty(), Optional.empty());
    }

    private static Diagnostic fromSource(Drop reason, String address) {
        return new Diagnostic(reason, Optional.empty(), Optional.of(new InetSocketAddress(address, 51820)),
                Optional.empty(), Optional.empty());
    }

    @Test
    void oneLinePerReasonPerPeerPerIntervalThenTheCountLeftOut() {
        for (int i = 0; i < 1000; i++) {
            log.diagnose(fromPeer(Drop.HANDSHAKE_RESPONSE_INVALID, PEER_B));
            clock.advance(Duration.ofMillis(50)); // 1000 in 50 s: all inside one interval
        }
        assertEquals(List.of("handshake response from 198.18.0.2:51820 did not authenticate: the preshared keys differ "
                + "(or office-b's key pair changed); give both sites the same preshared_key"), lines);
        assertEquals(List.of(Level.WARNING), levels);

        clock.advance(Duration.ofMillis(9950)); // 59.95 s after the first line: still inside
        log.diagnose(fromPeer(Drop.HANDSHAKE_RESPONSE_INVALID, PEER_B));
        assertEquals(1, lines.size());
        clock.advance(Duration.ofMillis(50)); // exactly one interval after the first line
        log.diagnose(fromPeer(Drop.HANDSHAKE_RESPONSE_INVALID, PEER_B));
        assertEquals(2, lines.size());
        assertTrue(lines.get(1).endsWith("; give both sites the same preshared_key (1000 more like it since the last report)"),
                lines.get(1));

        clock.advance(INTERVAL);
        log.diagnose(fromPeer(Drop.HANDSHAKE_RESPONSE_INVALID, PEER_B));
        assertEquals(3, lines.size());
        assertTrue(lines.get(2).endsWith("the same preshared_key"), "the count starts again: " + lines.get(2));
    }

    @Test
    void anotherPeerOrAnotherReasonHasItsOwnLimit() {
        log.diagnose(fromPeer(Drop.HANDSHAKE_RESPONSE_INVALID, PEER_B));
        log.diagnose(fromPeer(Drop.HANDSHAKE_RESPONSE_INVALID, PEER_C));
        log.diagnose(fromPeer(Drop.HANDSHAKE_REPLAY, PEER_B));
        log.diagnose(fromPeer(Drop.HANDSHAKE_REPLAY, PEER_B));
        assertEquals(3, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(1).contains("office-c's key pair"), lines.get(1));
        assertTrue(lines.get(2).contains("refused as a replay") && lines.get(2).contains("office-b's clock"), lines.get(2));
    }

    @Test
    void withoutAPeerTheLimitIsPerSourceAddress() {
        log.diagnose(fromSource(Drop.MAC1_INVALID, "198.18.0.7"));
        log.diagnose(fromSource(Drop.MAC1_INVALID, "198.18.0.7"));
        log.diagnose(fromSource(Drop.MAC1_INVALID, "198.18.0.8"));
        assertEquals(List.of(
                "handshake from 198.18.0.7:51820 rejected: it is addressed to a different public key (MAC1 mismatch); "
                        + "check that the peer lists this site's public key (" + PeerFacts.OURS.toBase64() + ")",
                "handshake from 198.18.0.8:51820 rejected: it is addressed to a different public key (MAC1 mismatch); "
                        + "check that the peer lists this site's public key (" + PeerFacts.OURS.toBase64() + ")"), lines);
    }

    @Test
    void aSpoofedSourceFloodIsBoundedToOneLinePerReasonOnceTheTableIsFull() throws Exception {
        byte[] a = InetAddress.getByName("198.18.0.0").getAddress();
        for (int i = 0; i < 10_000; i++) {
            a[2] = (byte) (i >> 8);
            a[3] = (byte) i;
            log.diagnose(fromSource(Drop.MAC1_INVALID, InetAddress.getByAddress(a).getHostAddress()));
        }
        // 4096 sources get a slot each; the rest share the reason's slot: one more line, not 5904.
        assertEquals(4097, lines.size());
    }

    @Test
    void informationalReasonsAreInfoAndNeverCarryPayloadOrSecrets() throws Exception {
        log.diagnose(fromPeer(Drop.REPLAY, PEER_B));
        log.diagnose(new Diagnostic(Drop.SOURCE_NOT_ALLOWED, Optional.of(PEER_B), Optional.of(FROM_B),
                Optional.of(InetAddress.getByName("198.19.9.9")), Optional.empty()));
        assertEquals(List.of(Level.INFO, Level.WARNING), levels);
        assertEquals("packet from office-b dropped: its source 198.19.9.9 is outside office-b's remote_subnets; add the "
                + "subnet to remote_subnets, or check office-b's local_subnets", lines.get(1));
    }

    /** After this gateway restarted, the peer's data on its old session is not blamed on the peer restarting. */
    @Test
    void dataOnALostSessionDoesNotBlameThePeer() {
        log.diagnose(fromSource(Drop.UNKNOWN_INDEX, "198.18.0.2"));
        assertEquals(1, lines.size());
        assertTrue(lines.get(0).startsWith("data from 198.18.0.2:51820 names a session this site no longer has (this "
                + "gateway restarted, or ended that session)") && !lines.get(0).contains("probably restarted"), lines.get(0));
    }
}
