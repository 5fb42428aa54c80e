package sitelink.ike;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sitelink.esp.EspCipher;
import sitelink.esp.EspSa;

class IkeSessionTest {
    static ChildSa child(IkePair pair, List<IkeAction> actions) {
        List<IkeAction.ChildSaInstalled> installed = pair.of(actions, IkeAction.ChildSaInstalled.class);
        assertEquals(1, installed.size(), "CHILD SAs installed: " + actions);
        return installed.get(0).child();
    }

    static void assertEstablished(IkePair pair) {
        assertEquals(IkeSession.State.ESTABLISHED, pair.a.state(), "A: " + pair.actionsA);
        assertEquals(IkeSession.State.ESTABLISHED, pair.b.state(), "B: " + pair.actionsB);
        ChildSa a = child(pair, pair.actionsA), b = child(pair, pair.actionsB);
        assertEquals(a.inboundSpi(), b.outboundSpi());
        assertEquals(a.outboundSpi(), b.inboundSpi());
        assertArrayEquals(a.outboundKeymat(), b.inboundKeymat());
        assertArrayEquals(a.inboundKeymat(), b.outboundKeymat());
        // and the keys carry a packet each way
        EspCipher aead = EspCipher.of(a.encr().id(), a.integ());
        EspSa espA = new EspSa(aead, a.inboundSpi(), a.outboundSpi(), a.inboundKeymat(), a.outboundKeymat(),
                new java.security.SecureRandom());
        EspSa espB = new EspSa(aead, b.inboundSpi(), b.outboundSpi(), b.inboundKeymat(), b.outboundKeymat(),
                new java.security.SecureRandom());
        byte[] inner = new byte[60], wire = new byte[200], back = new byte[200];
        inner[0] = 0x45;
        int n = espA.seal(inner, 0, inner.length, 4, wire, 0);
        assertEquals(inner.length, espB.open(wire, 0, n, back, 0));
        n = espB.seal(inner, 0, inner.length, 4, wire, 0);
        assertEquals(inner.length, espA.open(wire, 0, n, back, 0));
    }

    @Test
    void twoSessionsEstablishAnIkeSaAndAChildSaWithTheDefaults() {
        IkePair pair = new IkePair(IkePair.configA(), IkePair.configB()).run();
        assertEstablished(pair);
        IkeAction.Established e = pair.of(pair.actionsA, IkeAction.Established.class).get(0);
        assertEquals("IKE:aes256gcm16-prfsha256-curve25519", e.proposal().toString());
        assertTrue(e.natTraversal(), "forced encapsulation moves IKE to 4500");
    }

    @ParameterizedTest
    @ValueSource(strings = {"aes256gcm16-prfsha256-modp2048", "aes128gcm16-prfsha384-ecp256", "aes256gcm16-prfsha512-ecp384",
            "chacha20poly1305-prfsha256-x25519", "aes256-sha256-curve25519", "aes128-sha384-modp2048", "aes256-sha512-prfsha256-ecp256"})
    void establishesWithEachSupportedSuite(String ike) throws Exception {
        IkePair pair = new IkePair(IkePair.config(IkePair.A, IkePair.B).psk(IkePair.PSK).ike(ike).esp("chacha20poly1305", "aes256gcm16").build(),
                IkePair.config(IkePair.B, IkePair.A).psk(IkePair.PSK).ike(ike).esp("aes256gcm16", "chacha20poly1305").build()).run();
        assertEstablished(pair);
        assertEquals(Ike.ENCR_CHACHA20_POLY1305, child(pair, pair.actionsB).encr().id(), "the initiator's first ESP proposal wins");
    }

    @ParameterizedTest
    @ValueSource(strings = {"aes256-sha256", "aes128-sha384", "aes256-sha512"})
    void establishesAnAesCbcChildSa(String esp) throws Exception {
        IkePair pair = new IkePair(IkePair.config(IkePair.A, IkePair.B).psk(IkePair.PSK).esp(esp).build(),
                IkePair.config(IkePair.B, IkePair.A).psk(IkePair.PSK).esp(esp).build()).run();
        assertEstablished(pair);
        assertEquals(Ike.ENCR_AES_CBC, child(pair, pair.actionsA).encr().id());
    }

    @Test
    void afterIkeSaInitEverythingTravelsOnPort4500WithTheNonEspMarker() {
        IkePair pair = new IkePair(IkePair.configA(), IkePair.configB()).run();
        List<IkeAction.Send> sent = pair.sentByA;
        assertEquals(Ike.IKE_PORT, sent.get(0).localPort());
        IkeAction.Send auth = sent.get(1);
        assertEquals(Ike.NAT_T_PORT, auth.localPort());
        assertEquals(Ike.NAT_T_PORT, auth.to().getPort());
        assertArrayEquals(new byte[4], java.util.Arrays.copyOf(auth.datagram(), 4));
        assertEquals(Ike.NAT_T_PORT, child(pair, pair.actionsA).remote().getPort());
    }

    @Test
    void withoutNatOrForcedEncapsulationIkeStaysOnPort500() {
        IkePair pair = new IkePair(IkePair.config(IkePair.A, IkePair.B).psk(IkePair.PSK).forceEncap(false).build(),
                IkePair.config(IkePair.B, IkePair.A).psk(IkePair.PSK).forceEncap(false).build()).run();
        assertEstablished(pair);
        assertTrue(pair.sentByA.stream().allMatch(s -> s.localPort() == Ike.IKE_PORT));
    }

    @Test
    void differentPresharedKeysFailAuthenticationOnBothSides() {
        IkePair pair = new IkePair(IkePair.configA(),
                IkePair.config(IkePair.B, IkePair.A).psk("another pre-shared key of 32+ characters".getBytes()).build()).run();
        assertEquals(IkeFailure.AUTHENTICATION_FAILED, pair.of(pair.actionsB, IkeAction.Failed.class).get(0).reason());
        IkeAction.Failed a = pair.of(pair.actionsA, IkeAction.Failed.class).get(0);
        assertEquals(IkeFailure.AUTHENTICATION_FAILED, a.reason());
        assertTrue(a.detail().contains("pre-shared keys differ"), a.detail());
        assertEquals(IkeSession.State.FAILED, pair.a.state());
        assertTrue(pair.of(pair.actionsA, IkeAction.ChildSaInstalled.class).isEmpty());
    }

    @Test
    void anUnexpectedPeerIdIsNamed() {
        IkePair pair = new IkePair(IkePair.config(IkePair.A, IkePair.B).psk(IkePair.PSK).ids("branch.example.org", "198.51.100.2").build(),
                IkePair.configB()).run();
        IkeAction.Failed b = pair.of(pair.actionsB, IkeAction.Failed.class).get(0);
        assertEquals(IkeFailure.ID_MISMATCH, b.reason());
        assertEquals("the peer identifies as branch.example.org, this site expects 198.51.100.1", b.detail());
    }

    @Test
    void disjointIkeProposalsFailWithNoProposalChosenNamingBoth() throws Exception {
        IkePair pair = new IkePair(IkePair.config(IkePair.A, IkePair.B).psk(IkePair.PSK).ike("aes256gcm16-prfsha256-ecp384").build(),
                IkePair.config(IkePair.B, IkePair.A).psk(IkePair.PSK).ike("aes256gcm16-prfsha256-modp2048").build()).run();
        IkeAction.Failed b = pair.of(pair.actionsB, IkeAction.Failed.class).get(0);
        assertEquals(IkeFailure.NO_PROPOSAL_CHOSEN, b.reason());
        assertEquals("the peer offers [IKE:aes256gcm16-prfsha256-ecp384], this site allows [IKE:aes256gcm16-prfsha256-modp2048]", b.detail());
        assertEquals(IkeFailure.NO_PROPOSAL_CHOSEN, pair.of(pair.actionsA, IkeAction.Failed.class).get(0).reason());
    }

    @Test
    void theInitiatorRetriesWithTheGroupTheResponderAsksFor() throws Exception {
        IkePair pair = new IkePair(IkePair.config(IkePair.A, IkePair.B).psk(IkePair.PSK).ike("aes256gcm16-prfsha256-curve25519-modp2048").build(),
                IkePair.config(IkePair.B, IkePair.A).psk(IkePair.PSK).ike("aes256gcm16-prfsha256-modp2048").build()).run();
        assertEstablished(pair);
        assertEquals(Ike.MODP_2048, pair.of(pair.actionsA, IkeAction.Established.class).get(0).proposal().dhGroup());
        assertEquals(3, pair.sentByA.size(), "KE with 25519, KE with group 14, IKE_AUTH");
    }

    @Test
    void disjointSelectorsEstablishTheIkeSaButNoChildSa() {
        IkePair pair = new IkePair(
                IkePair.config(IkePair.A, IkePair.B).psk(IkePair.PSK).selectors(List.of("198.18.1.0/24"), List.of("198.18.2.0/24")).build(),
                IkePair.config(IkePair.B, IkePair.A).psk(IkePair.PSK).selectors(List.of("198.18.3.0/24"), List.of("198.18.1.0/24")).build()).run();
        assertEquals(IkeSession.State.ESTABLISHED, pair.a.state());
        IkeAction.Failed a = pair.of(pair.actionsA, IkeAction.Failed.class).get(0);
        assertEquals(IkeFailure.TS_UNACCEPTABLE, a.reason());
        assertTrue(a.detail().contains("198.18.1.0/24") && a.detail().contains("198.18.2.0/24"), a.detail());
        IkeAction.Failed b = pair.of(pair.actionsB, IkeAction.Failed.class).get(0);
        assertEquals(IkeFailure.TS_UNACCEPTABLE, b.reason());
        assertTrue(b.detail().contains("198.18.3.0/24"), b.detail());
        assertTrue(pair.of(pair.actionsA, IkeAction.ChildSaInstalled.class).isEmpty());
    }

    @Test
    void theResponderNarrowsTheSelectorsToItsOwn() {
        IkePair pair = new IkePair(
                IkePair.config(IkePair.A, IkePair.B).psk(IkePair.PSK).selectors(List.of("198.18.0.0/16"), List.of("198.19.0.0/16")).build(),
                IkePair.config(IkePair.B, IkePair.A).psk(IkePair.PSK).selectors(List.of("198.19.5.0/24"), List.of("198.18.1.0/24")).build()).run();
        ChildSa a = child(pair, pair.actionsA);
        assertEquals("[198.18.1.0/24]", a.localSelectors().toString());
        assertEquals("[198.19.5.0/24]", a.remoteSelectors().toString());
        ChildSa b = child(pair, pair.actionsB);
        assertEquals(a.localSelectors(), b.remoteSelectors());
    }

    @Test
    void anUnansweredRequestIsRetransmittedWithDoublingTimeoutsThenFails() {
        IkePair pair = new IkePair(IkePair.configA(), IkePair.configB());
        pair.lose = s -> true;
        pair.deliver(pair.a.initiate(), true);
        long start = pair.clock.nanoTime();
        List<Long> sentAt = new java.util.ArrayList<>();
        sentAt.add(0L);
        for (int i = 0; i < 10 && pair.a.state() != IkeSession.State.FAILED; i++) {
            pair.clock.setNanos(pair.a.nextWake().orElseThrow());
            List<IkeAction> out = pair.a.tick();
            if (!pair.of(out, IkeAction.Send.class).isEmpty()) {
                sentAt.add((pair.clock.nanoTime() - start) / 1_000_000_000L);
            }
            pair.actionsA.addAll(out);
        }
        assertEquals(List.of(0L, 1L, 3L, 7L, 15L, 31L), sentAt);
        assertEquals(IkeFailure.TIMEOUT, pair.of(pair.actionsA, IkeAction.Failed.class).get(0).reason());
        assertTrue(pair.a.nextWake().isEmpty());
    }

    @Test
    void aLostResponseIsAnsweredAgainFromTheResponderWithoutNewState() {
        IkePair pair = new IkePair(IkePair.configA(), IkePair.configB());
        int[] authResponses = {0};
        pair.lose = s -> s.localPort() == Ike.NAT_T_PORT && pair.b.state() == IkeSession.State.ESTABLISHED && authResponses[0]++ == 0;
        pair.run();
        assertEquals(IkeSession.State.AUTH_SENT, pair.a.state());
        pair.clock.advance(Duration.ofSeconds(1));
        pair.deliver(pair.a.tick(), true);
        assertEstablished(pair);
        assertEquals(1, pair.of(pair.actionsB, IkeAction.ChildSaInstalled.class).size(), "the responder installed once");
    }

    @Test
    void aLivenessCheckIsAnsweredAndADeleteClosesBothSides() {
        IkePair pair = new IkePair(IkePair.configA(), IkePair.configB()).run();
        pair.deliver(pair.b.delete(), false);
        assertEquals(IkeSession.State.CLOSED, pair.a.state());
        assertEquals(1, pair.of(pair.actionsA, IkeAction.Closed.class).size());
        assertEquals(1, pair.of(pair.actionsA, IkeAction.ChildSaDeleted.class).size());
        assertEquals(1, pair.of(pair.actionsB, IkeAction.Closed.class).size(), "B saw its delete confirmed");
    }

    @Test
    void garbageAndForgedMessagesAreDroppedWithoutChangingState() {
        IkePair pair = new IkePair(IkePair.configA(), IkePair.configB()).run();
        byte[] auth = pair.sentByA.get(1).datagram().clone();
        auth[auth.length - 1] ^= 1;
        List<IkeAction> out = pair.b.receive(IkePair.A, Ike.NAT_T_PORT, auth, 0, auth.length);
        assertTrue(out.stream().allMatch(x -> x instanceof IkeAction.Dropped), out.toString());
        assertTrue(pair.b.receive(IkePair.A, Ike.NAT_T_PORT, new byte[] {(byte) 0xff}, 0, 1).isEmpty(), "a NAT keepalive");
        assertEquals(IkeSession.State.ESTABLISHED, pair.b.state());
    }

    @Test
    void aSilentPeerIsCheckedAfterTheDpdIntervalAndAnAnsweringOneStaysUp() {
        IkePair pair = new IkePair(IkePair.config(IkePair.A, IkePair.B).psk(IkePair.PSK).dpd(Duration.ofSeconds(30)).build(),
                IkePair.config(IkePair.B, IkePair.A).psk(IkePair.PSK).dpd(Duration.ZERO).build()).run();
        long established = pair.clock.nanoTime();
        assertEquals(established + Duration.ofSeconds(30).toNanos(), pair.a.nextWake().orElseThrow());
        pair.clock.advance(Duration.ofSeconds(10));
        pair.a.noteInboundTraffic(); // ESP from B: no check needed until 30 s after it
        pair.clock.advance(Duration.ofSeconds(29));
        assertTrue(pair.a.tick().isEmpty());
        pair.clock.advance(Duration.ofSeconds(1));
        int before = pair.sentByA.size();
        pair.deliver(pair.a.tick(), true);
        assertEquals(before + 1, pair.sentByA.size(), "one liveness check");
        assertEquals(IkeSession.State.ESTABLISHED, pair.a.state());
        assertTrue(pair.a.nextWake().orElseThrow() > pair.clock.nanoTime(), "answered: the next check is an interval away");
        assertTrue(pair.b.nextWake().orElseThrow() - pair.clock.nanoTime() > Duration.ofMinutes(50).toNanos(),
                "B has DPD off: its next work is the CHILD SA rekey, near the end of the 1 h lifetime");
    }

    @Test
    void aPeerThatStopsAnsweringLivenessChecksIsReportedDown() {
        IkePair pair = new IkePair(IkePair.configA(), IkePair.configB()).run();
        pair.lose = s -> true;
        for (int i = 0; i < 10 && pair.a.state() == IkeSession.State.ESTABLISHED; i++) {
            pair.clock.setNanos(pair.a.nextWake().orElseThrow());
            pair.deliver(pair.a.tick(), true);
        }
        IkeAction.Failed f = pair.of(pair.actionsA, IkeAction.Failed.class).get(0);
        assertEquals(IkeFailure.TIMEOUT, f.reason());
        assertTrue(f.detail().endsWith("of a liveness check: the peer is down"), f.detail());
    }
}
