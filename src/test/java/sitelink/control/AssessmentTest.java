package sitelink.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import sitelink.device.PeerStatus;

/** Every rule of docs/status.md's state table, at its boundaries. */
class AssessmentTest {
    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");
    private static final String REMEDY = "; check that office-b is running and that UDP to 198.18.0.2:51820 is not blocked";

    private static Assessment assess(PeerFacts f) {
        return Assessment.of(f.build(), NOW, Optional.of(PeerFacts.OURS));
    }

    private static Instant ago(long seconds) {
        return NOW.minusSeconds(seconds);
    }

    @Test
    void aPeerNothingWasSentToIsIdle() {
        Assessment a = assess(new PeerFacts());
        assertEquals(TunnelState.IDLE, a.state());
        assertEquals("no handshake yet: nothing was sent to the peer; the first packet connects (or set persistent_keepalive)",
                a.reason());
    }

    @Test
    void aSessionOlderThanRejectAfterTimeIsIdleNotEstablished() {
        PeerFacts f = new PeerFacts().session(ago(179), true);
        assertEquals(new Assessment(TunnelState.ESTABLISHED, ""), assess(f));
        f.session(ago(180), true);
        Assessment a = assess(f);
        assertEquals(TunnelState.IDLE, a.state());
        assertEquals("no traffic since the session expired; the next packet connects (persistent_keepalive keeps it up)",
                a.reason());
        f.hasSession = false; // the device zeroed the expired keys
        f.lastHandshake = Optional.of(ago(10));
        assertEquals(TunnelState.IDLE, assess(f).state(), "a handshake time without keys to send on is no tunnel");
    }

    @Test
    void unansweredInitiationsAreConnectingUntilFifteenSecondsThenDown() {
        assertEquals(Duration.ofSeconds(15), Assessment.STALL);
        PeerFacts f = new PeerFacts().unanswered(ago(14), ago(4), 3);
        f.firstUnansweredAttempt = Optional.of(NOW.minus(Assessment.STALL).plusMillis(1));
        Assessment connecting = assess(f);
        assertEquals(TunnelState.CONNECTING, connecting.state());
        assertEquals("handshake sent at " + Assessment.time(ago(4)) + ", waiting for the answer", connecting.reason());

        f.firstUnansweredAttempt = Optional.of(NOW.minus(Assessment.STALL));
        Assessment down = assess(f);
        assertEquals(TunnelState.DOWN, down.state());
        assertEquals("handshake attempts unanswered since " + Assessment.time(ago(15)) + " (3 sent in all)" + REMEDY,
                down.reason());
    }

    @Test
    void anUnansweredRekeyOnALiveSessionStaysEstablishedForFifteenSeconds() {
        PeerFacts f = new PeerFacts().session(ago(130), true).unanswered(ago(14), ago(4), 9);
        assertEquals(new Assessment(TunnelState.ESTABLISHED, ""), assess(f), "a rekey is normally answered in a round trip");
        f.unanswered(ago(15), ago(0), 10);
        Assessment a = assess(f);
        assertEquals(TunnelState.DOWN, a.state(), "the peer stopped although the keys are young");
        assertEquals("handshake attempts unanswered since " + Assessment.time(ago(15)) + " (10 sent in all)" + REMEDY,
                a.reason());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "mac1_invalid|handshake from 198.18.0.2:51820 rejected: it is addressed to a different public key (MAC1 mismatch); check that office-b lists this site's public key (OURS)",
            "unknown_peer|handshake from 198.18.0.2:51820 rejected: it comes from a public key this site does not list; check the public_key this site has for office-b",
            "handshake_decrypt_failed|handshake from 198.18.0.2:51820 did not decrypt with this site's private key; check that office-b has this site's current public key (OURS)",
            "handshake_response_invalid|handshake response from 198.18.0.2:51820 did not authenticate: the preshared keys differ (or office-b's key pair changed); give both sites the same preshared_key",
            "handshake_replay|handshake from 198.18.0.2:51820 refused as a replay: its timestamp is not newer than the last one; check office-b's clock (it must not go back)"})
    void aRefusedHandshakeIsDownWithItsCauseAndRemedy(String reason, String sentence) {
        PeerFacts f = new PeerFacts().unanswered(ago(3), ago(3), 1).failure(reason, ago(2));
        Assessment a = assess(f);
        assertEquals(TunnelState.DOWN, a.state(), "refused, not merely waiting: " + a);
        assertEquals(sentence.replace("OURS", PeerFacts.OURS.toBase64()), a.reason());
    }

    @Test
    void aRefusedHandshakeOutranksTheStallReason() {
        PeerFacts f = new PeerFacts().unanswered(ago(60), ago(1), 12).failure("handshake_response_invalid", ago(1));
        assertTrue(assess(f).reason().contains("the preshared keys differ"), assess(f).reason());
    }

    /**
     * Both sides start at once with different preshared keys; one side's initiations always arrive first, so the other
     * only answers and sees no failure of its own, nor any unanswered initiation of its own to report.
     */
    @Test
    void answersThePeerKeepsIgnoringAreDownWithThePresharedKeyNamed() {
        PeerFacts f = new PeerFacts().unanswered(ago(30), ago(29), 2);
        f.unconfirmedResponses = 3;
        f.firstUnconfirmedResponse = Optional.of(ago(4));
        assertTrue(assess(f).reason().startsWith("handshake attempts unanswered"), "under REKEY_TIMEOUT: " + assess(f));
        f.firstUnconfirmedResponse = Optional.of(ago(5));
        assertEquals(new Assessment(TunnelState.DOWN, "office-b started 3 handshakes since " + Assessment.time(ago(5))
                + " and used none of this site's answers: the preshared keys differ (give both sites the same "
                + "preshared_key), or the answers do not reach 198.18.0.2:51820 (check that UDP from this site to "
                + "office-b is not blocked)"), assess(f));
        f.unconfirmedResponses = 2;
        assertTrue(assess(f).reason().startsWith("handshake attempts unanswered"), "two may be lost: " + assess(f));
        f.unconfirmedResponses = 5;
        f.failure("handshake_response_invalid", ago(1));
        assertTrue(assess(f).reason().startsWith("handshake response from"), "a failure of our own is named first");
    }

    @Test
    void aLiveSessionIsEstablishedDespiteALaterStrayFailure() {
        PeerFacts f = new PeerFacts().session(ago(5), false).failure("mac1_invalid", ago(1));
        assertEquals(new Assessment(TunnelState.ESTABLISHED, ""), assess(f));
    }

    @Test
    void dataPathDropsDoNotMakeATunnelDown() {
        PeerFacts f = new PeerFacts().failure("source_not_allowed", ago(1));
        assertEquals(TunnelState.IDLE, assess(f).state());
        f.unanswered(ago(2), ago(2), 1);
        assertEquals(TunnelState.CONNECTING, assess(f).state());
    }

    @Test
    void noEndpointIsDownWithWhatToDo() {
        PeerFacts f = new PeerFacts();
        f.endpoint = Optional.empty();
        assertEquals(new Assessment(TunnelState.DOWN, "no endpoint and the peer never connected; give it an endpoint, "
                + "or start the other side so it connects here"), assess(f));
        f.lastHandshake = Optional.of(ago(400));
        assertEquals(new Assessment(TunnelState.DOWN, "no endpoint; waiting for the peer to connect again"), assess(f));
        f.unanswered(ago(20), ago(1), 4);
        PeerStatus p = f.build();
        assertTrue(Assessment.of(p, NOW, Optional.empty()).reason().contains("UDP to its endpoint is not blocked"),
                "a stall without an endpoint names none");
    }
}
