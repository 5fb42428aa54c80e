package sitelink.ike;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sitelink.esp.EspCipher;
import sitelink.esp.EspSa;

/** Rekeys started by our own timers (RFC 7296 sections 1.3.3 and 2.18), both IKE roles, with a fake clock. */
class IkeRekeyTest {
    private static final Duration SHORT = Duration.ofMinutes(10), LONG = Duration.ofHours(1);

    private static IkeConfig config(boolean a, String esp, Duration childLifetime) throws Exception {
        return config(a, esp, Duration.ofHours(4), childLifetime);
    }

    private static IkeConfig config(boolean a, String esp, Duration ikeLifetime, Duration childLifetime) throws Exception {
        return IkePair.config(a ? IkePair.A : IkePair.B, a ? IkePair.B : IkePair.A).psk(IkePair.PSK).esp(esp.split(","))
                .dpd(Duration.ZERO).lifetimes(ikeLifetime, childLifetime).build();
    }

    private static List<ChildSa> installed(IkePair pair, List<IkeAction> actions) {
        return pair.of(actions, IkeAction.ChildSaInstalled.class).stream().map(IkeAction.ChildSaInstalled::child).toList();
    }

    private static List<Integer> deleted(IkePair pair, List<IkeAction> actions) {
        return pair.of(actions, IkeAction.ChildSaDeleted.class).stream().map(IkeAction.ChildSaDeleted::inboundSpi).toList();
    }

    /** The two ends of one CHILD SA agree on SPIs and keys, and an ESP packet goes each way. */
    static void assertCarries(ChildSa x, ChildSa y) {
        assertEquals(x.inboundSpi(), y.outboundSpi());
        assertEquals(x.outboundSpi(), y.inboundSpi());
        assertArrayEquals(x.outboundKeymat(), y.inboundKeymat());
        assertArrayEquals(x.inboundKeymat(), y.outboundKeymat());
        EspCipher cipher = EspCipher.of(x.encr().id(), x.integ());
        EspSa espX = new EspSa(cipher, x.inboundSpi(), x.outboundSpi(), x.inboundKeymat(), x.outboundKeymat(), new SecureRandom());
        EspSa espY = new EspSa(cipher, y.inboundSpi(), y.outboundSpi(), y.inboundKeymat(), y.outboundKeymat(), new SecureRandom());
        byte[] inner = new byte[60], wire = new byte[200], back = new byte[200];
        inner[0] = 0x45;
        int n = espX.seal(inner, 0, inner.length, EspSa.NEXT_HEADER_IPV4, wire, 0);
        assertEquals(inner.length, espY.open(wire, 0, n, back, 0));
        n = espY.seal(inner, 0, inner.length, EspSa.NEXT_HEADER_IPV4, wire, 0);
        assertEquals(inner.length, espX.open(wire, 0, n, back, 0));
    }

    @ParameterizedTest(name = "rekeyed by {0}''s timer, ESP {1}")
    @CsvSource({"initiator, aes256gcm16-modp2048", "responder, aes256gcm16-modp2048", "initiator, aes256gcm16",
            "responder, chacha20poly1305-x25519", "initiator, aes256-sha256-ecp384"})
    void ourTimerRekeysTheChildSaAndDeletesTheOldOneOnBothSides(String who, String esp) throws Exception {
        boolean byA = who.equals("initiator");
        IkePair pair = new IkePair(config(true, esp, byA ? SHORT : LONG), config(false, esp, byA ? LONG : SHORT)).run();
        IkeSession rekeyer = byA ? pair.a : pair.b;
        long established = pair.clock.nanoTime();
        ChildSa firstA = installed(pair, pair.actionsA).get(0), firstB = installed(pair, pair.actionsB).get(0);
        for (int round = 1; round <= 2; round++) {
            long due = rekeyer.nextWake().orElseThrow();
            long since = pair.clock.nanoTime();
            assertTrue(due - since <= SHORT.toNanos() && due - since >= SHORT.toNanos() * 9 / 10,
                    "rekey in the last tenth of the lifetime: " + Duration.ofNanos(due - since));
            assertTrue((byA ? pair.b : pair.a).nextWake().orElseThrow() - due > 0, "the other side's timer is later");
            pair.clock.setNanos(due - 1);
            assertTrue(rekeyer.tick().isEmpty(), "nothing before its time");
            pair.clock.setNanos(due);
            int sizeA = pair.actionsA.size(), sizeB = pair.actionsB.size();
            pair.deliver(rekeyer.tick(), byA);
            List<IkeAction> newA = pair.actionsA.subList(sizeA, pair.actionsA.size());
            List<IkeAction> newB = pair.actionsB.subList(sizeB, pair.actionsB.size());
            ChildSa a = installed(pair, newA).get(0), b = installed(pair, newB).get(0);
            assertEquals(1, installed(pair, newA).size(), newA.toString());
            assertEquals(1, installed(pair, newB).size(), newB.toString());
            assertCarries(a, b);
            assertNotEquals(firstA.inboundSpi(), a.inboundSpi());
            assertNotEquals(firstB.inboundSpi(), b.inboundSpi());
            assertEquals(List.of(firstA.inboundSpi()), deleted(pair, newA), "A deleted the old CHILD SA: " + newA);
            assertEquals(List.of(firstB.inboundSpi()), deleted(pair, newB), "B deleted the old CHILD SA: " + newB);
            assertTrue(newA.indexOf(pair.of(newA, IkeAction.ChildSaInstalled.class).get(0))
                    < newA.indexOf(pair.of(newA, IkeAction.ChildSaDeleted.class).get(0)), "the new one first: " + newA);
            assertTrue(pair.of(pair.actionsA, IkeAction.Failed.class).isEmpty() && pair.of(pair.actionsB, IkeAction.Failed.class).isEmpty());
            assertEquals(IkeSession.State.ESTABLISHED, pair.a.state());
            assertEquals(IkeSession.State.ESTABLISHED, pair.b.state());
            assertEquals(a.encr(), firstA.encr());
            firstA = a;
            firstB = b;
        }
        assertTrue(pair.clock.nanoTime() - established > SHORT.toNanos() * 18 / 10, "two rekeys, a lifetime apart");
    }

    /** Ticks both sides every {@code step} until {@code until} (clock nanoTime), carrying what they send. */
    private static void runUntil(IkePair pair, long until, Duration step) {
        while (pair.clock.nanoTime() - until < 0) {
            pair.clock.setNanos(Math.min(until, pair.clock.nanoTime() + step.toNanos()));
            pair.deliver(pair.a.tick(), true);
            pair.deliver(pair.b.tick(), false);
        }
    }

    @Test
    void aChildSaWhoseRekeysAllFailCarriesNothingPastItsHardLifetimeTheIkeSaIsDeleted() throws Exception {
        // A rekeys with PFS over MODP 2048; B allows ECP 256 only: each of A's rekeys is refused, the old CHILD SA stays
        Duration life = Duration.ofMinutes(10);
        IkePair pair = new IkePair(config(true, "aes256gcm16-modp2048", life), config(false, "aes256gcm16-ecp256", LONG)).run();
        long installedAt = pair.clock.nanoTime();
        ChildSa first = installed(pair, pair.actionsA).get(0);
        long hardEnd = installedAt + life.toNanos() / 10 * 11;
        runUntil(pair, hardEnd - 1, Duration.ofSeconds(5));
        List<IkeAction.Failed> refused = pair.of(pair.actionsA, IkeAction.Failed.class);
        assertTrue(refused.size() >= 2 && refused.stream().allMatch(f -> f.reason() == IkeFailure.NO_PROPOSAL_CHOSEN),
                "rekeys refused and retried: " + refused);
        assertEquals(IkeSession.State.ESTABLISHED, pair.a.state());
        assertEquals(List.of(), deleted(pair, pair.actionsA), "up to its hard lifetime the old CHILD SA stays");
        assertTrue(pair.a.nextWake().orElseThrow() - hardEnd <= 0, "A's timer wakes at the hard lifetime at the latest");

        pair.clock.setNanos(hardEnd);
        int sizeA = pair.actionsA.size(), sizeB = pair.actionsB.size();
        pair.deliver(pair.a.tick(), true);
        List<IkeAction> newA = pair.actionsA.subList(sizeA, pair.actionsA.size());
        List<IkeAction.Failed> expired = pair.of(newA, IkeAction.Failed.class);
        assertEquals(1, expired.size(), newA.toString());
        assertEquals(IkeFailure.LIFETIME_EXPIRED, expired.get(0).reason());
        assertEquals(String.format("CHILD SA %08x_i reached its hard lifetime (11m: child_lifetime 10m + 10 %%) without a "
                + "successful rekey; the IKE SA is deleted and set up anew", first.inboundSpi()), expired.get(0).detail());
        assertEquals(List.of(first.inboundSpi()), deleted(pair, newA), "its keys carry nothing more");
        assertEquals(List.of(installed(pair, pair.actionsB).get(0).inboundSpi()),
                deleted(pair, pair.actionsB.subList(sizeB, pair.actionsB.size())), "B was told (the IKE SA's Delete)");
        assertEquals(IkeSession.State.CLOSED, pair.b.state());
        assertTrue(pair.of(newA, IkeAction.Closed.class).size() == 1 && pair.a.nextWake().isEmpty(),
                "A's IKE SA ends once B confirmed: " + newA);
    }

    @Test
    void rekeysThatSucceedKeepTheSasPastEveryHardLifetime() throws Exception {
        Duration ike = Duration.ofMinutes(10), child = Duration.ofMinutes(4);
        IkePair pair = new IkePair(config(true, "aes256gcm16-modp2048", ike, child),
                config(false, "aes256gcm16-modp2048", ike, child)).run();
        runUntil(pair, pair.clock.nanoTime() + Duration.ofMinutes(35).toNanos(), Duration.ofSeconds(5));
        assertEquals(List.of(), pair.of(pair.actionsA, IkeAction.Failed.class));
        assertEquals(List.of(), pair.of(pair.actionsB, IkeAction.Failed.class));
        assertTrue(pair.of(pair.actionsA, IkeAction.IkeSaRekeyed.class).size() >= 3, "the IKE SA was rekeyed");
        assertTrue(installed(pair, pair.actionsA).size() >= 8, "the CHILD SA was rekeyed");
        assertEquals(IkeSession.State.ESTABLISHED, pair.a.state());
        assertEquals(IkeSession.State.ESTABLISHED, pair.b.state());
        List<ChildSa> a = installed(pair, pair.actionsA), b = installed(pair, pair.actionsB);
        assertEquals(a.size() - 1, deleted(pair, pair.actionsA).size(), "one CHILD SA left");
        ChildSa lastA = a.get(a.size() - 1);
        assertCarries(lastA, b.stream().filter(x -> x.inboundSpi() == lastA.outboundSpi()).findFirst().orElseThrow());
    }

    @Test
    void aCallerWhoseEspSaRunsOutOfSequenceNumbersRekeysAtOnce() throws Exception {
        IkePair pair = new IkePair(config(true, "aes256gcm16-modp2048", LONG), config(false, "aes256gcm16-modp2048", LONG)).run();
        ChildSa first = installed(pair, pair.actionsA).get(0);
        pair.deliver(pair.a.rekeyChildSa(first.inboundSpi()), true);
        assertEquals(2, installed(pair, pair.actionsA).size());
        assertEquals(2, installed(pair, pair.actionsB).size());
        assertCarries(installed(pair, pair.actionsA).get(1), installed(pair, pair.actionsB).get(1));
        assertEquals(List.of(first.inboundSpi()), deleted(pair, pair.actionsA));
        assertTrue(pair.a.rekeyChildSa(first.inboundSpi()).isEmpty(), "a deleted CHILD SA is not rekeyed again");
    }

    @Test
    void theRekeyRetriesWithTheGroupThePeerWants() throws Exception {
        IkePair pair = new IkePair(config(true, "aes256gcm16-ecp256,aes256gcm16-modp2048", SHORT), config(false, "aes256gcm16-modp2048", LONG)).run();
        pair.clock.setNanos(pair.a.nextWake().orElseThrow());
        int sent = pair.sentByA.size();
        pair.deliver(pair.a.tick(), true);
        assertEquals(sent + 3, pair.sentByA.size(), "KE of group 19, KE of group 14, the delete");
        assertEquals(2, installed(pair, pair.actionsA).size());
        assertCarries(installed(pair, pair.actionsA).get(1), installed(pair, pair.actionsB).get(1));
    }

    @Test
    void aLostRekeyResponseIsRetransmittedWithoutASecondChildSa() throws Exception {
        IkePair pair = new IkePair(config(true, "aes256gcm16-modp2048", SHORT), config(false, "aes256gcm16-modp2048", LONG)).run();
        pair.clock.setNanos(pair.a.nextWake().orElseThrow());
        int[] lost = {0};
        pair.lose = s -> pair.sentByB.contains(s) && lost[0]++ == 0;
        pair.deliver(pair.a.tick(), true);
        assertEquals(1, installed(pair, pair.actionsA).size(), "the response was lost");
        assertEquals(2, installed(pair, pair.actionsB).size());
        pair.clock.setNanos(pair.a.nextWake().orElseThrow());
        pair.deliver(pair.a.tick(), true);
        assertEquals(2, installed(pair, pair.actionsA).size());
        assertEquals(2, installed(pair, pair.actionsB).size(), "B answered the retransmission from its last response");
        assertCarries(installed(pair, pair.actionsA).get(1), installed(pair, pair.actionsB).get(1));
        assertEquals(1, deleted(pair, pair.actionsB).size());
    }

    @ParameterizedTest(name = "IKE SA rekeyed by the {0}")
    @CsvSource({"initiator", "responder"})
    void ourTimerRekeysTheIkeSaAndTheChildSaLivesOnUnderTheNewOne(String who) throws Exception {
        boolean byA = who.equals("initiator");
        Duration ikeShort = Duration.ofMinutes(20), ikeLong = Duration.ofHours(4);
        IkePair pair = new IkePair(config(true, "aes256gcm16-modp2048", byA ? ikeShort : ikeLong, LONG),
                config(false, "aes256gcm16-modp2048", byA ? ikeLong : ikeShort, Duration.ofMinutes(30))).run();
        IkeSession rekeyer = byA ? pair.a : pair.b;
        IkeAction.Established first = pair.of(pair.actionsA, IkeAction.Established.class).get(0);
        byte[] oldAuth = pair.sentByA.get(1).datagram();
        long due = rekeyer.nextWake().orElseThrow();
        assertTrue(due - pair.clock.nanoTime() <= ikeShort.toNanos() && due - pair.clock.nanoTime() >= ikeShort.toNanos() * 9 / 10);
        pair.clock.setNanos(due);
        pair.deliver(rekeyer.tick(), byA);
        List<IkeAction.IkeSaRekeyed> a = pair.of(pair.actionsA, IkeAction.IkeSaRekeyed.class), b = pair.of(pair.actionsB, IkeAction.IkeSaRekeyed.class);
        assertEquals(1, a.size(), pair.actionsA.toString());
        assertEquals(1, b.size(), pair.actionsB.toString());
        assertEquals(a.get(0).spiI(), b.get(0).spiI());
        assertEquals(a.get(0).spiR(), b.get(0).spiR());
        assertTrue(a.get(0).spiI() != first.spiI() && a.get(0).spiR() != first.spiR(), "new SPIs");
        assertEquals("IKE:aes256gcm16-prfsha256-curve25519", a.get(0).proposal().toString());
        assertTrue(deleted(pair, pair.actionsA).isEmpty() && deleted(pair, pair.actionsB).isEmpty(), "the CHILD SA moved, not deleted");
        assertTrue(pair.of(pair.actionsA, IkeAction.Failed.class).isEmpty() && pair.of(pair.actionsB, IkeAction.Failed.class).isEmpty());
        // the old IKE SA is gone on both sides: a message of it is not taken any more
        List<IkeAction> replay = pair.b.receive(IkePair.A, Ike.NAT_T_PORT, oldAuth, 0, oldAuth.length);
        assertTrue(replay.size() == 1 && replay.get(0) instanceof IkeAction.Dropped d && d.reason().startsWith("no IKE SA"), replay.toString());
        // the new IKE SA works: B's CHILD SA timer (30 min, before the next IKE rekey) rekeys through it, with keys from the new SK_d on both sides
        pair.clock.setNanos(pair.b.nextWake().orElseThrow());
        pair.deliver(pair.b.tick(), false);
        assertEquals(2, installed(pair, pair.actionsA).size(), pair.actionsA.toString());
        assertCarries(installed(pair, pair.actionsA).get(1), installed(pair, pair.actionsB).get(1));
        assertEquals(1, deleted(pair, pair.actionsA).size());
        // and the IKE SA is rekeyed again a lifetime later
        pair.clock.setNanos(rekeyer.nextWake().orElseThrow());
        pair.deliver(rekeyer.tick(), byA);
        assertEquals(2, pair.of(pair.actionsA, IkeAction.IkeSaRekeyed.class).size());
        assertEquals(2, pair.of(pair.actionsB, IkeAction.IkeSaRekeyed.class).size());
        assertEquals(IkeSession.State.ESTABLISHED, pair.a.state());
        assertEquals(IkeSession.State.ESTABLISHED, pair.b.state());
        pair.deliver(pair.a.delete(), true);
        assertEquals(IkeSession.State.CLOSED, pair.b.state(), "a delete on the newest IKE SA closes the peer");
    }

    /** Whether A sent this datagram as a request on the IKE SA of these SPIs, of this exchange type. */
    private static boolean requestOfA(IkePair pair, IkeAction.Send s, long spiI, long spiR, int exchange) {
        byte[] d = s.datagram();
        int at = s.localPort() == Ike.NAT_T_PORT ? 4 : 0; // the non-ESP marker
        java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(d, at, 28);
        return pair.sentByA.contains(s) && h.getLong() == spiI && h.getLong() == spiR
                && (d[at + 18] & 0xff) == exchange && (d[at + 19] & Ike.FLAG_RESPONSE) == 0;
    }

    /** A rekeys the IKE SA (20-min lifetime against B's 4 h); its Delete of the old IKE SA meets LOSE on the way. */
    private static IkePair ikeRekeyWithDeleteLost(java.util.function.IntPredicate lose, List<Integer> deletes) throws Exception {
        IkePair pair = new IkePair(config(true, "aes256gcm16-modp2048", Duration.ofMinutes(20), LONG),
                config(false, "aes256gcm16-modp2048", Duration.ofHours(4), Duration.ofMinutes(30))).run();
        IkeAction.Established first = pair.of(pair.actionsA, IkeAction.Established.class).get(0);
        pair.lose = s -> {
            if (!requestOfA(pair, s, first.spiI(), first.spiR(), Ike.INFORMATIONAL)) {
                return false;
            }
            deletes.add(deletes.size());
            return lose.test(deletes.size());
        };
        pair.clock.setNanos(pair.a.nextWake().orElseThrow());
        pair.deliver(pair.a.tick(), true);
        assertEquals(1, pair.of(pair.actionsA, IkeAction.IkeSaRekeyed.class).size());
        assertEquals(1, pair.of(pair.actionsB, IkeAction.IkeSaRekeyed.class).size());
        assertEquals(1, deletes.size(), "the Delete of the old IKE SA, sent once so far");
        return pair;
    }

    @Test
    void ourLostDeleteOfTheReplacedIkeSaIsRetransmittedUntilThePeerAnswersIt() throws Exception {
        List<Integer> deletes = new java.util.ArrayList<>();
        IkePair pair = ikeRekeyWithDeleteLost(n -> n <= 2, deletes); // the first two are lost
        byte[] oldAuth = pair.sentByA.get(1).datagram();
        List<IkeAction> stillThere = pair.b.receive(IkePair.A, Ike.NAT_T_PORT, oldAuth, 0, oldAuth.length);
        assertTrue(stillThere.stream().noneMatch(x -> x instanceof IkeAction.Dropped d && d.reason().startsWith("no IKE SA")),
                "B still holds the old IKE SA: " + stillThere);
        long t0 = pair.clock.nanoTime();
        assertEquals(t0 + Duration.ofSeconds(1).toNanos(), pair.a.nextWake().orElseThrow(), "resent after the retransmission timeout");
        pair.clock.setNanos(pair.a.nextWake().orElseThrow());
        pair.deliver(pair.a.tick(), true);
        assertEquals(2, deletes.size());
        assertEquals(t0 + Duration.ofSeconds(3).toNanos(), pair.a.nextWake().orElseThrow(), "then after twice that");
        pair.clock.setNanos(pair.a.nextWake().orElseThrow());
        pair.deliver(pair.a.tick(), true);
        assertEquals(3, deletes.size(), "the third reached B");
        List<IkeAction> gone = pair.b.receive(IkePair.A, Ike.NAT_T_PORT, oldAuth, 0, oldAuth.length);
        assertTrue(gone.size() == 1 && gone.get(0) instanceof IkeAction.Dropped d && d.reason().startsWith("no IKE SA"), gone.toString());
        // B's answer reached A: nothing more to resend; A's next work is the CHILD SA's rekey, minutes away
        assertTrue(pair.a.nextWake().orElseThrow() - pair.clock.nanoTime() > Duration.ofMinutes(1).toNanos());
        pair.clock.setNanos(pair.clock.nanoTime() + Duration.ofSeconds(40).toNanos());
        pair.deliver(pair.a.tick(), true);
        assertEquals(3, deletes.size());
        assertEquals(IkeSession.State.ESTABLISHED, pair.a.state());
        assertEquals(IkeSession.State.ESTABLISHED, pair.b.state());
    }

    @Test
    void aDeleteThePeerNeverAnswersIsRetransmittedAsAnyRequestThenGivenUp() throws Exception {
        List<Integer> deletes = new java.util.ArrayList<>();
        IkePair pair = ikeRekeyWithDeleteLost(n -> true, deletes);
        for (int i = 0; i < 10 && pair.a.nextWake().orElseThrow() - pair.clock.nanoTime() < Duration.ofMinutes(1).toNanos(); i++) {
            pair.clock.setNanos(pair.a.nextWake().orElseThrow());
            pair.deliver(pair.a.tick(), true);
        }
        assertEquals(1 + IkeConfig.RETRANSMIT_TRIES, deletes.size(), "the first transmission and five retransmissions");
        assertTrue(pair.a.nextWake().orElseThrow() - pair.clock.nanoTime() > Duration.ofMinutes(1).toNanos(), "then nothing more");
        assertEquals(IkeSession.State.ESTABLISHED, pair.a.state(), "the new IKE SA is not affected");
        // the new IKE SA still carries a rekey
        pair.clock.setNanos(pair.b.nextWake().orElseThrow());
        pair.deliver(pair.b.tick(), false);
        assertEquals(2, installed(pair, pair.actionsA).size(), pair.actionsA.toString());
    }

    /** The CHILD SAs installed and not deleted. */
    private static List<ChildSa> live(IkePair pair, List<IkeAction> actions) {
        List<Integer> gone = deleted(pair, actions);
        return installed(pair, actions).stream().filter(c -> !gone.contains(c.inboundSpi())).toList();
    }

    @ParameterizedTest(name = "crossing CHILD SA rekey requests, round {0} (odd: A's Delete overtakes its answer)")
    @CsvSource({"1", "2", "3", "4", "5", "6", "7", "8"})
    void simultaneousRekeysOfTheSameChildSaLeaveOneNewChildSaOnBothSides(int round) throws Exception {
        IkePair pair = new IkePair(config(true, "aes256gcm16-modp2048", SHORT), config(false, "aes256gcm16-modp2048", SHORT)).run();
        ChildSa first = installed(pair, pair.actionsA).get(0);
        pair.clock.setNanos(Math.max(pair.a.nextWake().orElseThrow(), pair.b.nextWake().orElseThrow()));
        cross(pair, pair.a.tick(), pair.b.tick(), round % 2 == 0);
        assertEquals(3, installed(pair, pair.actionsA).size(), "the first and one from each exchange: " + pair.actionsA);
        assertEquals(3, installed(pair, pair.actionsB).size(), pair.actionsB.toString());
        List<ChildSa> liveA = live(pair, pair.actionsA), liveB = live(pair, pair.actionsB);
        assertEquals(1, liveA.size(), "one CHILD SA left on A: " + pair.actionsA);
        assertEquals(1, liveB.size(), "one CHILD SA left on B: " + pair.actionsB);
        assertNotEquals(first.inboundSpi(), liveA.get(0).inboundSpi());
        assertCarries(liveA.get(0), liveB.get(0));
        assertTrue(pair.of(pair.actionsA, IkeAction.Failed.class).isEmpty() && pair.of(pair.actionsB, IkeAction.Failed.class).isEmpty());
        // and the survivor is rekeyed normally later
        pair.clock.setNanos(pair.a.nextWake().orElseThrow());
        pair.deliver(pair.a.tick(), true);
        assertEquals(1, live(pair, pair.actionsA).size());
        assertCarries(live(pair, pair.actionsA).get(0), live(pair, pair.actionsB).get(0));
    }

    /**
     * Both sides' first pending request crosses the other's: each gets it while its own is unanswered. {@code inOrder}:
     * the answers arrive before what either side sends once its own exchange is done; otherwise A's follow-up (such as
     * its Delete) overtakes A's answer to B.
     */
    private static void cross(IkePair pair, List<IkeAction> outA, List<IkeAction> outB, boolean inOrder) {
        pair.actionsA.addAll(outA);
        pair.actionsB.addAll(outB);
        IkeAction.Send requestA = pair.of(outA, IkeAction.Send.class).get(0), requestB = pair.of(outB, IkeAction.Send.class).get(0);
        List<IkeAction> answerB = pair.b.receive(new java.net.InetSocketAddress(IkePair.A.getAddress(), requestA.localPort()),
                requestA.to().getPort(), requestA.datagram(), 0, requestA.datagram().length);
        List<IkeAction> answerA = pair.a.receive(new java.net.InetSocketAddress(IkePair.B.getAddress(), requestB.localPort()),
                requestB.to().getPort(), requestB.datagram(), 0, requestB.datagram().length);
        if (!inOrder) {
            pair.deliver(answerB, false);
            pair.deliver(answerA, true);
            return;
        }
        List<IkeAction> doneA = receiveAll(pair, pair.a, answerB, IkePair.B), doneB = receiveAll(pair, pair.b, answerA, IkePair.A);
        pair.actionsB.addAll(answerB);
        pair.actionsA.addAll(answerA);
        pair.deliver(doneA, true);
        pair.deliver(doneB, false);
    }

    private static List<IkeAction> receiveAll(IkePair pair, IkeSession to, List<IkeAction> sent, java.net.InetSocketAddress from) {
        List<IkeAction> out = new java.util.ArrayList<>();
        for (IkeAction.Send s : pair.of(sent, IkeAction.Send.class)) {
            out.addAll(to.receive(new java.net.InetSocketAddress(from.getAddress(), s.localPort()), s.to().getPort(), s.datagram(), 0, s.datagram().length));
        }
        return out;
    }

    @ParameterizedTest(name = "crossing IKE SA rekey requests, round {0} (odd: A's Delete overtakes its answer)")
    @CsvSource({"1", "2", "3", "4", "5", "6", "7", "8"})
    void simultaneousIkeSaRekeysLeaveOneNewIkeSaOnBothSides(int round) throws Exception {
        Duration ike = Duration.ofMinutes(20);
        IkePair pair = new IkePair(config(true, "aes256gcm16-modp2048", ike, LONG), config(false, "aes256gcm16-modp2048", ike, LONG)).run();
        byte[] oldAuth = pair.sentByA.get(1).datagram();
        pair.clock.setNanos(Math.max(pair.a.nextWake().orElseThrow(), pair.b.nextWake().orElseThrow()));
        cross(pair, pair.a.tick(), pair.b.tick(), round % 2 == 0);
        List<IkeAction.IkeSaRekeyed> a = pair.of(pair.actionsA, IkeAction.IkeSaRekeyed.class), b = pair.of(pair.actionsB, IkeAction.IkeSaRekeyed.class);
        assertEquals(1, a.size(), pair.actionsA.toString());
        assertEquals(1, b.size(), pair.actionsB.toString());
        assertEquals(a.get(0).spiI(), b.get(0).spiI(), "both sides went on with the same new IKE SA");
        assertEquals(a.get(0).spiR(), b.get(0).spiR());
        assertTrue(pair.of(pair.actionsA, IkeAction.Failed.class).isEmpty() && pair.of(pair.actionsB, IkeAction.Failed.class).isEmpty());
        List<IkeAction> replay = pair.b.receive(IkePair.A, Ike.NAT_T_PORT, oldAuth, 0, oldAuth.length);
        assertTrue(replay.get(0) instanceof IkeAction.Dropped d && d.reason().startsWith("no IKE SA"), "the old IKE SA is gone: " + replay);
        // the survivor carries a CHILD SA rekey with keys from its SK_d on both sides
        ChildSa first = installed(pair, pair.actionsA).get(0);
        pair.deliver(pair.a.rekeyChildSa(first.inboundSpi()), true);
        assertEquals(2, installed(pair, pair.actionsA).size(), pair.actionsA.toString());
        assertCarries(installed(pair, pair.actionsA).get(1), installed(pair, pair.actionsB).get(1));
        assertEquals(IkeSession.State.ESTABLISHED, pair.a.state());
        assertEquals(IkeSession.State.ESTABLISHED, pair.b.state());
    }
}
