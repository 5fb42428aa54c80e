package sitelink.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 9370 hybrid key exchange (a classical group, then ML-KEM in IKE_INTERMEDIATE), both roles in memory. */
class IkePostQuantumTest {
    static final String HYBRID = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";

    static IkeConfig.Builder a() {
        return IkePair.config(IkePair.A, IkePair.B).psk(IkePair.PSK);
    }

    static IkeConfig.Builder b() {
        return IkePair.config(IkePair.B, IkePair.A).psk(IkePair.PSK);
    }

    static int exchange(IkeAction.Send s) {
        int off = s.localPort() == Ike.NAT_T_PORT ? 4 : 0;
        return s.datagram()[off + 18] & 0xff;
    }

    static IkeAction.Established established(IkePair pair, List<IkeAction> actions) {
        List<IkeAction.Established> e = pair.of(actions, IkeAction.Established.class);
        assertEquals(1, e.size(), "Established: " + actions);
        return e.get(0);
    }

    @Test
    void proposalsInStrongSwansSyntaxNameTheAdditionalKeyExchange() throws Exception {
        Proposal p = Proposals.parse(Ike.PROTO_IKE, 1, HYBRID);
        assertEquals("IKE:aes256gcm16-prfsha384-curve25519-ke1_mlkem768", p.toString());
        assertTrue(p.transforms().contains(Transform.of(6, 36)), "transform type ADDKE1 = 6, ML-KEM-768 = 36: " + p.transforms());
        assertTrue(Proposals.hybrid(p));
        assertEquals(Transform.of(7, 35), Proposals.parse(Ike.PROTO_IKE, 1, "aes256gcm16-prfsha256-ecp256-ke2_mlkem512").first(7).orElseThrow());
        var alone = assertThrows(Proposals.ProposalException.class, () -> Proposals.parse(Ike.PROTO_IKE, 1, "aes256gcm16-prfsha256-mlkem768"));
        assertTrue(alone.getMessage().contains("only as an additional key exchange"), alone.getMessage());
        var espNoGroup = assertThrows(Proposals.ProposalException.class, () -> Proposals.parse(Ike.PROTO_ESP, 1, "aes256gcm16-ke1_mlkem768"));
        assertTrue(espNoGroup.getMessage().contains("needs a classical group first"), espNoGroup.getMessage());
        var weak = assertThrows(Proposals.ProposalException.class, () -> Proposals.parse(Ike.PROTO_IKE, 1, "aes256gcm16-prfsha256-x25519-ke1_modp1024"));
        assertTrue(weak.getMessage().contains("too weak"), weak.getMessage());
    }

    @Test
    void thePostQuantumSettingShapesTheProposals() throws Exception {
        List<Proposal> classical = Proposals.parseAll(Ike.PROTO_IKE, Proposals.DEFAULT_IKE);
        List<Proposal> preferred = Proposals.postQuantum(PostQuantum.PREFERRED, classical);
        assertEquals(2, preferred.size());
        assertTrue(Proposals.hybrid(preferred.get(0)), "the hybrid proposal leads: " + preferred);
        assertFalse(Proposals.hybrid(preferred.get(1)), "the classical one follows for a peer without ML-KEM: " + preferred);
        assertEquals(List.of(1, 2), preferred.stream().map(Proposal::number).toList());
        List<Proposal> required = Proposals.postQuantum(PostQuantum.REQUIRED, classical);
        assertEquals(1, required.size());
        assertTrue(Proposals.hybrid(required.get(0)));
        assertEquals(classical, Proposals.postQuantum(PostQuantum.OFF, classical));
        assertTrue(Proposals.postQuantumConflict(PostQuantum.OFF, required).isPresent());
        // ESP without a group (no PFS) has nothing to add a key exchange to
        List<Proposal> esp = Proposals.parseAll(Ike.PROTO_ESP, Proposals.DEFAULT_ESP);
        assertEquals(esp, Proposals.postQuantum(PostQuantum.REQUIRED, esp));
    }

    @Test
    void bothHybridEstablishWithMlKemInIkeIntermediateEitherRole() throws Exception {
        for (boolean swap : new boolean[] {false, true}) {
            IkeConfig x = a().ike(HYBRID).build(), y = b().postQuantum(PostQuantum.PREFERRED).build();
            IkePair pair = (swap ? new IkePair(b().ike(HYBRID).build(), a().postQuantum(PostQuantum.PREFERRED).build())
                    : new IkePair(x, y)).run();
            IkeSessionTest.assertEstablished(pair);
            for (List<IkeAction> actions : List.of(pair.actionsA, pair.actionsB)) {
                IkeAction.Established e = established(pair, actions);
                assertTrue(e.hybrid(), e.toString());
                assertEquals("hybrid (curve25519 + mlkem768)", e.keyExchange());
            }
            assertTrue(pair.sentByA.stream().anyMatch(s -> exchange(s) == Ike.IKE_INTERMEDIATE), "IKE_INTERMEDIATE request");
            assertTrue(pair.sentByB.stream().anyMatch(s -> exchange(s) == Ike.IKE_INTERMEDIATE), "IKE_INTERMEDIATE response");
        }
    }

    @Test
    void theIntermediateMessageWithTheMlKemKeyIsFragmentedToFit1280Bytes() throws Exception {
        IkePair pair = new IkePair(a().ike(HYBRID).build(), b().ike(HYBRID).build()).run();
        IkeSessionTest.assertEstablished(pair);
        List<IkeAction.Send> intermediate = pair.sentByA.stream().filter(s -> exchange(s) == Ike.IKE_INTERMEDIATE).toList();
        assertTrue(intermediate.size() >= 2, "the 1184-byte key does not fit one 1280-byte packet: " + intermediate.size() + " datagram(s)");
        for (IkeAction.Send s : pair.sentByA) {
            assertTrue(s.datagram().length + 20 + 8 <= 1280, "an IP packet of " + (s.datagram().length + 28) + " bytes");
        }
        assertTrue(pair.sentByB.stream().filter(s -> exchange(s) == Ike.IKE_INTERMEDIATE).count() >= 1);
    }

    @Test
    void withoutFragmentationTheIntermediateMessageGoesWhole() throws Exception {
        IkePair pair = new IkePair(a().ike(HYBRID).fragmentation(false).build(), b().ike(HYBRID).build()).run();
        IkeSessionTest.assertEstablished(pair);
        assertEquals(1, pair.sentByA.stream().filter(s -> exchange(s) == Ike.IKE_INTERMEDIATE).count());
    }

    @Test
    void preferredFallsBackToClassicalWithAPeerWithoutMlKemAndSaysSo() throws Exception {
        for (boolean weInitiate : new boolean[] {true, false}) {
            IkeConfig preferred = a().postQuantum(PostQuantum.PREFERRED).build(), classical = b().build();
            IkePair pair = weInitiate ? new IkePair(preferred, classical).run()
                    : new IkePair(IkePair.config(IkePair.B, IkePair.A).psk(IkePair.PSK).build(),
                            IkePair.config(IkePair.A, IkePair.B).psk(IkePair.PSK).postQuantum(PostQuantum.PREFERRED).build()).run();
            IkeSessionTest.assertEstablished(pair);
            IkeAction.Established e = established(pair, weInitiate ? pair.actionsA : pair.actionsB);
            assertFalse(e.hybrid());
            assertEquals("classical only (curve25519)", e.keyExchange());
            assertTrue(pair.sentByA.stream().noneMatch(s -> exchange(s) == Ike.IKE_INTERMEDIATE));
        }
    }

    @Test
    void requiredRefusesAPeerWithoutMlKemWithAPlainReasonEitherRole() throws Exception {
        // we initiate: the peer answers NO_PROPOSAL_CHOSEN
        IkePair pair = new IkePair(a().postQuantum(PostQuantum.REQUIRED).build(), b().build()).run();
        IkeAction.Failed f = pair.of(pair.actionsA, IkeAction.Failed.class).get(0);
        assertEquals(IkeFailure.NO_PROPOSAL_CHOSEN, f.reason());
        assertTrue(f.detail().contains("requires a post-quantum hybrid key exchange (post_quantum: required)")
                && f.detail().contains("does not offer ML-KEM"), f.detail());
        assertEquals(IkeSession.State.FAILED, pair.a.state());
        // the peer initiates classical only
        pair = new IkePair(b().build(), a().postQuantum(PostQuantum.REQUIRED).build()).run();
        f = pair.of(pair.actionsB, IkeAction.Failed.class).get(0);
        assertEquals(IkeFailure.NO_PROPOSAL_CHOSEN, f.reason());
        assertTrue(f.detail().contains("post_quantum: required"), f.detail());
        assertFalse(pair.actionsA.stream().anyMatch(x -> x instanceof IkeAction.Established));
    }

    @Test
    void aRetransmittedIntermediateRequestIsAnsweredAgainAndTheSaStillForms() throws Exception {
        IkePair pair = new IkePair(a().ike(HYBRID).fragmentation(false).build(), b().ike(HYBRID).build());
        boolean[] lost = {false};
        pair.lose = s -> {
            if (!lost[0] && exchange(s) == Ike.IKE_INTERMEDIATE && pair.sentByB.contains(s)) {
                lost[0] = true; // the responder's first answer is lost
                return true;
            }
            return false;
        };
        pair.run();
        assertTrue(lost[0]);
        assertEquals(IkeSession.State.INIT_ANSWERED, pair.a.state());
        pair.clock.advance(java.time.Duration.ofSeconds(1));
        pair.deliver(pair.a.tick(), true);
        IkeSessionTest.assertEstablished(pair);
    }

    private static IkeConfig rekeying(IkeConfig.Builder b, java.time.Duration ike, java.time.Duration child) throws Exception {
        return b.ike(HYBRID).esp("aes256gcm16-x25519-ke1_mlkem768").dpd(java.time.Duration.ZERO).lifetimes(ike, child).build();
    }

    private static List<ChildSa> installed(IkePair pair, List<IkeAction> actions) {
        return pair.of(actions, IkeAction.ChildSaInstalled.class).stream().map(IkeAction.ChildSaInstalled::child).toList();
    }

    private static long followUps(List<IkeAction.Send> sent) {
        return sent.stream().filter(x -> exchange(x) == Ike.IKE_FOLLOWUP_KE).count();
    }

    @Test
    void aChildSaRekeyWithPfsAddsMlKemInIkeFollowupKeEitherRole() throws Exception {
        java.time.Duration shortLife = java.time.Duration.ofMinutes(10), longLife = java.time.Duration.ofHours(1);
        for (boolean byA : new boolean[] {true, false}) {
            IkePair pair = new IkePair(rekeying(a(), java.time.Duration.ofHours(4), byA ? shortLife : longLife),
                    rekeying(b(), java.time.Duration.ofHours(4), byA ? longLife : shortLife)).run();
            IkeSessionTest.assertEstablished(pair);
            IkeSession rekeyer = byA ? pair.a : pair.b;
            for (int round = 1; round <= 2; round++) {
                pair.clock.setNanos(rekeyer.nextWake().orElseThrow());
                int sizeA = pair.actionsA.size(), sizeB = pair.actionsB.size();
                long requests = followUps(byA ? pair.sentByA : pair.sentByB), responses = followUps(byA ? pair.sentByB : pair.sentByA);
                pair.deliver(rekeyer.tick(), byA);
                List<ChildSa> newA = installed(pair, pair.actionsA.subList(sizeA, pair.actionsA.size()));
                List<ChildSa> newB = installed(pair, pair.actionsB.subList(sizeB, pair.actionsB.size()));
                assertEquals(1, newA.size(), pair.actionsA.subList(sizeA, pair.actionsA.size()).toString());
                assertEquals(1, newB.size(), pair.actionsB.subList(sizeB, pair.actionsB.size()).toString());
                IkeRekeyTest.assertCarries(newA.get(0), newB.get(0));
                assertTrue(followUps(byA ? pair.sentByA : pair.sentByB) - requests >= 1, "an IKE_FOLLOWUP_KE request (fragmented: the 1184-byte key)");
                assertEquals(1, followUps(byA ? pair.sentByB : pair.sentByA) - responses, "its response");
                assertTrue(pair.of(pair.actionsA, IkeAction.Failed.class).isEmpty() && pair.of(pair.actionsB, IkeAction.Failed.class).isEmpty());
            }
        }
    }

    @Test
    void anIkeSaRekeyAddsMlKemInIkeFollowupKeAndTheNewSaWorks() throws Exception {
        java.time.Duration child = java.time.Duration.ofHours(1);
        IkePair pair = new IkePair(rekeying(a(), java.time.Duration.ofMinutes(10), child), rekeying(b(), java.time.Duration.ofHours(4), child)).run();
        IkeSessionTest.assertEstablished(pair);
        pair.clock.setNanos(pair.a.nextWake().orElseThrow());
        pair.deliver(pair.a.tick(), true);
        List<IkeAction.IkeSaRekeyed> ra = pair.of(pair.actionsA, IkeAction.IkeSaRekeyed.class), rb = pair.of(pair.actionsB, IkeAction.IkeSaRekeyed.class);
        assertEquals(1, ra.size(), pair.actionsA.toString());
        assertEquals(1, rb.size(), pair.actionsB.toString());
        assertEquals(ra.get(0).spiI(), rb.get(0).spiI());
        assertEquals(ra.get(0).spiR(), rb.get(0).spiR());
        assertEquals("hybrid (curve25519 + mlkem768)", ra.get(0).keyExchange());
        assertTrue(pair.sentByA.stream().anyMatch(x -> exchange(x) == Ike.IKE_FOLLOWUP_KE));
        // the new IKE SA's keys agree: a CHILD SA rekey through it
        int sizeA = pair.actionsA.size(), sizeB = pair.actionsB.size();
        ChildSa first = installed(pair, pair.actionsA).get(0);
        pair.deliver(pair.a.rekeyChildSa(first.inboundSpi()), true);
        List<ChildSa> newA = installed(pair, pair.actionsA.subList(sizeA, pair.actionsA.size()));
        List<ChildSa> newB = installed(pair, pair.actionsB.subList(sizeB, pair.actionsB.size()));
        assertEquals(1, newA.size(), pair.actionsA.subList(sizeA, pair.actionsA.size()).toString());
        IkeRekeyTest.assertCarries(newA.get(0), newB.get(0));
        assertEquals(IkeSession.State.ESTABLISHED, pair.a.state());
        assertEquals(IkeSession.State.ESTABLISHED, pair.b.state());
    }
}
