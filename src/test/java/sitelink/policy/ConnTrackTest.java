package sitelink.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sitelink.packet.Packets.addr;
import static sitelink.policy.Direction.FROM_REMOTE;
import static sitelink.policy.Direction.TO_REMOTE;
import static sitelink.policy.PolicyTest.tcp4;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sitelink.packet.PacketView;
import sitelink.wireguard.FakeClock;

/**
 * The connection table under SYN floods: an allowed host that sends SYNs nobody answers must not stop other hosts
 * from opening flows, nor stall flows already established. Through {@link Policy}, whose verdicts are what a user
 * sees, with the table's default size and timeouts.
 */
class ConnTrackTest {
    static final byte[] HOST = addr("198.18.1.5");
    static final byte[] HOST2 = addr("198.18.1.6");
    static final byte[] SERVER = addr("198.18.2.10");
    static final int SYN = 0x02;
    static final int SYN_ACK = 0x12;
    static final int ACK = 0x10;
    final FakeClock clock = new FakeClock();
    final PacketView v = new PacketView();

    Policy policy(Policy.Limits limits) {
        return new Policy("office-b", Rules.parseAll("allow to tcp 198.18.2.0/24 port 443\nallow from tcp port 22"),
                limits, line -> { });
    }

    Verdict check(Policy p, Direction d, byte[] packet) {
        v.parse(packet, 0, packet.length);
        return p.check(d, v, clock.nanoTime());
    }

    /** Opens {@code host}'s flow from {@code port} to the server's 443 and completes the handshake. */
    void establish(Policy p, byte[] host, int port) {
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, tcp4(host, SERVER, port, 443, SYN)), "SYN from " + port);
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, tcp4(SERVER, host, 443, port, SYN_ACK)),
                "SYN-ACK to " + port);
        assertEquals(Verdict.ALLOW_TRACKED, check(p, TO_REMOTE, tcp4(host, SERVER, port, 443, ACK)), "ACK " + port);
    }

    /** The host at 198.18.1.{@code n}. */
    static byte[] host(int n) {
        return addr("198.18.1." + n);
    }

    @Test
    void oneHostsUnansweredSynsLeaveRoomForOthersAndForEstablishedFlows() {
        Policy p = policy(Policy.Limits.DEFAULT);
        establish(p, HOST, 40000);
        byte[] flooder = host(66);
        // 500 SYNs a second from one allowed host, each from a new port, none answered, for 80 s: more than the table
        // holds if each stayed as long as Linux keeps a syn_sent entry (120 s)
        for (int i = 0; i < 40_000; i++) {
            check(p, TO_REMOTE, tcp4(flooder, SERVER, 1024 + i, 443, SYN));
            clock.advance(Duration.ofMillis(2));
            if (i % 1000 == 999) {
                assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 443, 40000, ACK)),
                        "the established flow's data after " + (i + 1) + " SYNs");
            }
        }
        establish(p, HOST2, 50000);
        establish(p, HOST, 40001);
        assertEquals(0, p.count(Verdict.DROP_TABLE_FULL));
    }

    @Test
    void aFloodFromManyHostsEvictsUnansweredOpensNotEstablishedFlows() {
        Policy p = policy(Policy.Limits.DEFAULT);
        establish(p, HOST, 40000);
        // 128 hosts, none near its own limit, 100,000 SYNs a second in all: the table is full within a second
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 40_000; i++) {
                check(p, TO_REMOTE, tcp4(host(100 + (i & 127)), SERVER, 1024 + (i >>> 7) + round * 1000, 443, SYN));
                clock.advanceNanos(10_000);
            }
            assertEquals(Policy.Limits.DEFAULT.maxConnections(), p.connections(), "the table is full");
            assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 443, 40000, ACK)),
                    "the established flow stays");
            establish(p, HOST2, 50000 + round); // a new flow evicts an unanswered open, and is answered in time
        }
        assertTrue(p.evictions() > 40_000, "evictions: " + p.evictions());
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, tcp4(SERVER, HOST2, 443, 50000, ACK)),
                "the flow opened during the first round was not evicted in the second");
        assertEquals(0, p.count(Verdict.DROP_TABLE_FULL));
    }

    @Test
    void eachSourceHoldsAtMostItsShareOfTheTable() {
        Policy p = policy(Policy.Limits.DEFAULT.withMaxConnections(1000).withMaxConnectionsPerSource(100));
        for (int i = 0; i < 150; i++) {
            Verdict expected = i < 100 ? Verdict.ALLOW_RULE : Verdict.DROP_SOURCE_LIMIT;
            assertEquals(expected, check(p, TO_REMOTE, tcp4(HOST, SERVER, 1024 + i, 443, SYN)), "SYN " + i);
        }
        assertEquals(50, p.count(Verdict.DROP_SOURCE_LIMIT));
        assertEquals(100, p.hits(0), "refused flows are not hits");
        assertEquals(100, p.connections());
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 443, 1024, SYN_ACK)),
                "its flows still work");
        establish(p, HOST2, 50000);
        // counted by the inner source address whichever way the flow goes: a remote host opening inbound flows
        byte[] remote = addr("198.18.2.66");
        for (int i = 0; i < 101; i++) {
            check(p, FROM_REMOTE, tcp4(remote, HOST, 2000 + i, 22, SYN));
        }
        assertEquals(51, p.count(Verdict.DROP_SOURCE_LIMIT));
        // once its flows expire (unanswered: 5 s) the host may open new ones
        clock.advance(Duration.ofSeconds(6));
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, tcp4(HOST, SERVER, 3000, 443, SYN)));
    }

    @Test
    void unansweredOpensExpireWithinSecondsEstablishedFlowsStay() {
        Policy p = policy(Policy.Limits.DEFAULT);
        check(p, TO_REMOTE, tcp4(HOST, SERVER, 40000, 443, SYN)); // never answered
        check(p, TO_REMOTE, tcp4(HOST, SERVER, 40001, 443, SYN));
        check(p, FROM_REMOTE, tcp4(SERVER, HOST, 443, 40001, SYN_ACK)); // answered, never acknowledged
        establish(p, HOST, 40002);
        clock.advance(Duration.ofSeconds(4));
        assertEquals(Verdict.ALLOW_TRACKED, check(p, TO_REMOTE, tcp4(HOST, SERVER, 40000, 443, SYN)),
                "a retransmitted SYN within 5 s");
        clock.advance(Duration.ofSeconds(5));
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 443, 40000, SYN_ACK)),
                "5 s after its last SYN, the open is gone");
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 443, 40001, ACK)),
                "and so is the half-open one");
        assertEquals(1, p.connections());
        clock.advance(Duration.ofSeconds(7430)); // just under the established timeout since its last packet
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 443, 40002, ACK)));
    }

    /** Each table draws its own hash key: the same flows land in different slots, so no set of flows is bad for all. */
    @Test
    void eachTableHashesWithItsOwnRandomKey() {
        List<Integer> first = slots(new ConnTrack(4096, 4096, Timeouts.DEFAULT, FlowHash.random()));
        List<Integer> second = slots(new ConnTrack(4096, 4096, Timeouts.DEFAULT, FlowHash.random()));
        assertNotEquals(first, second);
        assertEquals(slots(new ConnTrack(4096, 4096, Timeouts.DEFAULT, new FlowHash(new SplittableRandom(5)))),
                slots(new ConnTrack(4096, 4096, Timeouts.DEFAULT, new FlowHash(new SplittableRandom(5)))),
                "the key alone decides");
    }

    private List<Integer> slots(ConnTrack t) {
        List<Integer> slots = new ArrayList<>();
        for (int port = 1024; port < 1040; port++) {
            byte[] syn = tcp4(HOST, SERVER, port, 443, SYN);
            v.parse(syn, 0, syn.length);
            assertTrue(t.key(v, TO_REMOTE));
            slots.add(t.insert(v, 0));
        }
        return slots;
    }
}
