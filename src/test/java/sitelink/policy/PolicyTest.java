package sitelink.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sitelink.packet.Packets.*;
import static sitelink.policy.Direction.FROM_REMOTE;
import static sitelink.policy.Direction.TO_REMOTE;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import sitelink.packet.PacketView;
import sitelink.wireguard.FakeClock;

class PolicyTest {
    static final byte[] HOST = addr("198.18.1.5");
    static final byte[] SERVER = addr("198.18.2.10");
    static final byte[] OTHER = addr("198.18.2.11");
    static final byte[] HOST6 = addr("2001:db8:1::5");
    static final byte[] SERVER6 = addr("2001:db8:2::10");
    final FakeClock clock = new FakeClock();
    final List<String> logLines = new ArrayList<>();
    final PacketView v = new PacketView();

    Policy policy(String rules) {
        return policy(rules, Policy.Limits.DEFAULT);
    }

    Policy policy(String rules, Policy.Limits limits) {
        return new Policy("office-b", Rules.parseAll(rules), limits, logLines::add);
    }

    Verdict check(Policy p, Direction d, byte[] packet) {
        v.parse(packet, 0, packet.length);
        return p.check(d, v, clock.nanoTime());
    }

    static byte[] tcp4(byte[] s, byte[] d, int sp, int dp, int flags) {
        return ipv4(s, d, 6, 0x4000, tcp(s, d, sp, dp, flags, new byte[0], new byte[0]));
    }

    static byte[] udp4(byte[] s, byte[] d, int sp, int dp) {
        return ipv4(s, d, 17, 0, udp(s, d, sp, dp, new byte[10]));
    }

    static byte[] ping4(byte[] s, byte[] d, int type, int id) {
        return ipv4(s, d, 1, 0, icmp(s, d, type, 0, id << 16 | 1, new byte[8]));
    }

    @Test
    void matchesPortsRangesAndProtocols() {
        Policy p = policy("""
                allow to tcp 198.18.2.10/32 port 443
                allow to udp 198.18.2.0/24 port 53,5000-5010
                """);
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, tcp4(HOST, SERVER, 40000, 443, 0x02)));
        assertEquals(Verdict.DROP_NO_RULE, check(p, TO_REMOTE, tcp4(HOST, SERVER, 40000, 444, 0x02)));
        assertEquals(Verdict.DROP_NO_RULE, check(p, TO_REMOTE, tcp4(HOST, OTHER, 40000, 443, 0x02)), "host prefix");
        assertEquals(Verdict.DROP_NO_RULE, check(p, TO_REMOTE, udp4(HOST, SERVER, 40000, 443)), "protocol");
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, udp4(HOST, OTHER, 40000, 53)));
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, udp4(HOST, OTHER, 40000, 5000)));
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, udp4(HOST, OTHER, 40000, 5010)));
        assertEquals(Verdict.DROP_NO_RULE, check(p, TO_REMOTE, udp4(HOST, OTHER, 40000, 5011)));
        assertEquals(Verdict.DROP_NO_RULE, check(p, TO_REMOTE, udp4(HOST, addr("198.18.3.1"), 40000, 53)));
        assertEquals(Verdict.DROP_NO_RULE, check(p, TO_REMOTE, ping4(HOST, SERVER, 8, 1)));
        assertEquals(1, p.hits(0));
        assertEquals(3, p.hits(1));
        assertEquals(6, p.count(Verdict.DROP_NO_RULE));
    }

    @Test
    void directionMatters() {
        Policy p = policy("allow from tcp dst 198.18.1.0/24 port 22");
        assertEquals(Verdict.ALLOW_RULE, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 50000, 22, 0x02)));
        assertEquals(Verdict.DROP_NO_RULE, check(p, TO_REMOTE, tcp4(SERVER, HOST, 50001, 22, 0x02)));
        Policy both = policy("allow both icmp type 8");
        assertEquals(Verdict.ALLOW_RULE, check(both, FROM_REMOTE, ping4(SERVER, HOST, 8, 7)));
        assertEquals(Verdict.ALLOW_RULE, check(both, TO_REMOTE, ping4(HOST, SERVER, 8, 9)));
        assertEquals(Verdict.DROP_NO_RULE, check(both, TO_REMOTE, ping4(HOST, SERVER, 13, 9)), "timestamp request");
    }

    @Test
    void matchesIpv6() {
        Policy p = policy("""
                allow to tcp 2001:db8:2::/64 port 22
                allow both icmpv6 type 128
                """);
        byte[] ssh = ipv6(HOST6, SERVER6, 6, new byte[0], tcp(HOST6, SERVER6, 40000, 22, 0x02, new byte[0], new byte[0]));
        byte[] far = addr("2001:db8:3::10");
        byte[] elsewhere = ipv6(HOST6, far, 6, new byte[0], tcp(HOST6, far, 40000, 22, 0x02, new byte[0], new byte[0]));
        byte[] ping = ipv6(HOST6, SERVER6, 58, new byte[0], icmp(HOST6, SERVER6, 128, 0, 5 << 16 | 1, new byte[8]));
        byte[] v4ping = ping4(HOST, SERVER, 8, 5);
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, ssh));
        assertEquals(Verdict.DROP_NO_RULE, check(p, TO_REMOTE, elsewhere));
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, ping));
        assertEquals(Verdict.DROP_NO_RULE, check(p, TO_REMOTE, v4ping), "icmpv6 rule is not an icmp rule");
        byte[] reply = ipv6(SERVER6, HOST6, 58, new byte[0], icmp(SERVER6, HOST6, 129, 0, 5 << 16 | 1, new byte[8]));
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, reply));
    }

    @Test
    void repliesPassUnsolicitedInboundDoesNot() {
        Policy p = policy("allow to tcp 198.18.2.10 port 443\nallow to icmp type 8\nallow to udp port 53");
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, tcp4(HOST, SERVER, 40000, 443, 0x02)));
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 443, 40000, 0x12)));
        assertEquals(Verdict.ALLOW_TRACKED, check(p, TO_REMOTE, tcp4(HOST, SERVER, 40000, 443, 0x10)));
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 443, 40001, 0x12)), "other port");
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 50000, 22, 0x02)), "new inbound");
        // the remote site forging our host's side of the tracked flow does not get through
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, tcp4(HOST, SERVER, 40000, 443, 0x10)));
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, ping4(HOST, SERVER, 8, 77)));
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, ping4(SERVER, HOST, 0, 77)));
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, ping4(SERVER, HOST, 0, 78)), "other echo id");
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, ping4(SERVER, HOST, 8, 77)), "inbound ping");
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, udp4(HOST, OTHER, 33000, 53)));
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, udp4(OTHER, HOST, 53, 33000)));
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, udp4(OTHER, HOST, 53, 33001)));
        assertEquals(3, p.connections());
    }

    @Test
    void icmpErrorsAboutTrackedFlowsPassForPmtud() {
        Policy p = policy("allow to tcp 198.18.2.10 port 443");
        byte[] data = ipv4(HOST, SERVER, 6, 0x4000, tcp(HOST, SERVER, 40000, 443, 0x10, new byte[0], new byte[1380]));
        byte[] quote = java.util.Arrays.copyOf(data, 28);
        byte[] router = addr("198.18.2.1");
        byte[] fragNeeded = ipv4(router, HOST, 1, 0, icmp(router, HOST, 3, 4, 1280, quote));
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, fragNeeded), "no flow yet");
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, tcp4(HOST, SERVER, 40000, 443, 0x02)));
        assertEquals(Verdict.ALLOW_RELATED, check(p, FROM_REMOTE, fragNeeded));
        byte[] toSomeoneElse = ipv4(router, addr("198.18.1.6"), 1, 0, icmp(router, addr("198.18.1.6"), 3, 4, 1280, quote));
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, toSomeoneElse), "error not sent to the quoted sender");
    }

    @Test
    void flowsExpireOnTheClock() {
        Policy p = policy("allow to udp port 53\nallow to tcp port 443");
        check(p, TO_REMOTE, udp4(HOST, SERVER, 33000, 53));
        clock.advance(Duration.ofSeconds(29));
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, udp4(SERVER, HOST, 53, 33000)));
        clock.advance(Duration.ofSeconds(179)); // replied: 180 s from the last packet
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, udp4(SERVER, HOST, 53, 33000)));
        clock.advance(Duration.ofSeconds(180));
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, udp4(SERVER, HOST, 53, 33000)));

        check(p, TO_REMOTE, udp4(HOST, SERVER, 33001, 53));
        clock.advance(Duration.ofSeconds(30)); // never replied: 30 s
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, udp4(SERVER, HOST, 53, 33001)));

        check(p, TO_REMOTE, tcp4(HOST, SERVER, 40000, 443, 0x02));
        check(p, FROM_REMOTE, tcp4(SERVER, HOST, 443, 40000, 0x12));
        clock.advance(Duration.ofSeconds(7439)); // established
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 443, 40000, 0x11))); // FIN
        clock.advance(Duration.ofSeconds(120)); // closing
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 443, 40000, 0x10)));
    }

    @Test
    void tableIsBoundedEvictsExpiredThenRefuses() {
        Policy p = policy("allow to udp port 53", Policy.Limits.DEFAULT.withMaxConnections(4));
        for (int i = 0; i < 4; i++) {
            assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, udp4(HOST, SERVER, 30000 + i, 53)));
        }
        assertEquals(Verdict.DROP_TABLE_FULL, check(p, TO_REMOTE, udp4(HOST, SERVER, 30004, 53)));
        assertEquals(1, p.count(Verdict.DROP_TABLE_FULL));
        assertEquals(4, p.hits(0), "refused flows are not hits");
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, udp4(SERVER, HOST, 53, 30000)), "old flows intact");
        clock.advance(Duration.ofSeconds(31)); // 30001..30003 expire, 30000 (replied) lives 180 s
        for (int i = 5; i < 8; i++) {
            assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, udp4(HOST, SERVER, 30000 + i, 53)));
        }
        assertEquals(Verdict.DROP_TABLE_FULL, check(p, TO_REMOTE, udp4(HOST, SERVER, 30008, 53)));
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, udp4(SERVER, HOST, 53, 30000)));
        assertEquals(4, p.connections());
    }

    @Test
    void tableSurvivesChurnAgainstANaiveModel() {
        Policy p = policy("allow to udp", Policy.Limits.DEFAULT.withMaxConnections(64));
        java.util.Map<Integer, Long> model = new java.util.HashMap<>(); // port -> expiry
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        for (int n = 0; n < 20_000; n++) {
            int port = 1000 + r.nextInt(200);
            long now = clock.nanoTime();
            model.values().removeIf(e -> now - e >= 0);
            boolean live = model.containsKey(port);
            Verdict reply = check(p, FROM_REMOTE, udp4(SERVER, HOST, 53, port));
            assertEquals(live ? Verdict.ALLOW_TRACKED : Verdict.DROP_NO_RULE, reply, "reply to port " + port);
            if (live) {
                model.put(port, now + Duration.ofSeconds(180).toNanos());
            } else {
                Verdict open = check(p, TO_REMOTE, udp4(HOST, SERVER, port, 53));
                assertEquals(model.size() < 64 ? Verdict.ALLOW_RULE : Verdict.DROP_TABLE_FULL, open);
                if (open == Verdict.ALLOW_RULE) {
                    model.put(port, now + Duration.ofSeconds(30).toNanos());
                }
            }
            clock.advance(Duration.ofMillis(r.nextInt(400)));
        }
    }

    @Test
    void fragmentsAndMalformedPacketsAreDroppedByReason() {
        Policy p = policy("allow to udp port 53");
        byte[] later = ipv4(HOST, SERVER, 17, 100, new byte[40]);
        assertEquals(Verdict.DROP_FRAGMENT, check(p, TO_REMOTE, later));
        assertEquals(Verdict.DROP_MALFORMED, check(p, TO_REMOTE, new byte[] {0x45, 0, 0}));
        Policy addressOnly = policy("allow to udp 198.18.2.0/24");
        assertEquals(Verdict.ALLOW_RULE, check(addressOnly, TO_REMOTE, later), "no port to check in a later fragment");
        assertEquals(0, addressOnly.connections());
    }

    /** {@code p} with IPv4 identification {@code id} (and its header checksum redone). */
    static byte[] withId(byte[] p, int id) {
        byte[] q = p.clone();
        q[4] = (byte) (id >> 8);
        q[5] = (byte) id;
        q[10] = 0;
        q[11] = 0;
        int c = naiveChecksum(java.util.Arrays.copyOf(q, 20));
        q[10] = (byte) (c >> 8);
        q[11] = (byte) c;
        return q;
    }

    @Test
    void laterFragmentsFollowTheVerdictOnTheirFirstFragment() {
        Policy p = policy("allow to udp 198.18.2.10/32 port 53");
        byte[] first = ipv4(HOST, SERVER, 17, 0x2000, udp(HOST, SERVER, 40000, 53, new byte[1392]));
        byte[] later = ipv4(HOST, SERVER, 17, 175, new byte[600]); // offset 1400 bytes, the same id
        assertEquals(Verdict.DROP_FRAGMENT, check(p, TO_REMOTE, later), "overtook its first fragment: dropped");
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, first));
        assertEquals(Verdict.ALLOW_FRAGMENT, check(p, TO_REMOTE, later), "follows its allowed first fragment");
        assertEquals(Verdict.ALLOW_FRAGMENT, check(p, TO_REMOTE, later), "and so does a duplicate");
        assertEquals(Verdict.DROP_FRAGMENT, check(p, TO_REMOTE, withId(later, 0x4321)), "another datagram does not");
        assertEquals(Verdict.DROP_FRAGMENT, check(p, FROM_REMOTE, ipv4(SERVER, HOST, 17, 175, new byte[600])),
                "nor the same id coming the other way");
        assertEquals(Verdict.DROP_FRAGMENT, check(p, FROM_REMOTE, later), "nor the same fragment from the other side");

        byte[] deniedFirst = withId(ipv4(HOST, SERVER, 17, 0x2000, udp(HOST, SERVER, 40000, 54, new byte[1392])), 7);
        assertEquals(Verdict.DROP_NO_RULE, check(p, TO_REMOTE, deniedFirst));
        assertEquals(Verdict.DROP_FRAGMENT, check(p, TO_REMOTE, withId(later, 7)), "a denied datagram stays denied");

        // the reply, fragmented too: its first fragment is tracked, the rest follow it
        byte[] replyFirst = withId(ipv4(SERVER, HOST, 17, 0x2000, udp(SERVER, HOST, 53, 40000, new byte[1392])), 9);
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, replyFirst));
        assertEquals(Verdict.ALLOW_FRAGMENT, check(p, FROM_REMOTE, withId(ipv4(SERVER, HOST, 17, 175, new byte[9]), 9)));

        clock.advance(Duration.ofSeconds(31));
        assertEquals(Verdict.DROP_FRAGMENT, check(p, TO_REMOTE, later), "forgotten after IPv4's reassembly time");
        assertEquals(3, p.count(Verdict.ALLOW_FRAGMENT), "each follower counted");
    }

    @Test
    void laterIpv6FragmentsFollowTheirFirstFragment() {
        Policy p = policy("allow to udp port 53");
        byte[] first = ipv6(HOST6, SERVER6, 44, fragmentHeader(17, 0, true), udp(HOST6, SERVER6, 40000, 53, new byte[1200]));
        byte[] later = ipv6(HOST6, SERVER6, 44, fragmentHeader(17, 151, false), new byte[300]);
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, first));
        assertEquals(Verdict.ALLOW_FRAGMENT, check(p, TO_REMOTE, later));
        clock.advance(Duration.ofSeconds(59));
        assertEquals(Verdict.ALLOW_FRAGMENT, check(p, TO_REMOTE, later), "IPv6 reassembly time is 60 s");
        clock.advance(Duration.ofSeconds(2));
        assertEquals(Verdict.DROP_FRAGMENT, check(p, TO_REMOTE, later));
    }

    @Test
    void withoutRulesTheSiteIsUnrestricted() {
        Policy p = policy("");
        assertEquals(Verdict.ALLOW_UNRESTRICTED, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 1, 22, 0x02)));
        assertEquals(Verdict.DROP_MALFORMED, check(p, FROM_REMOTE, new byte[3]));
    }

    @Test
    void dropsAreLoggedRateLimitedWithTheFiveTuple() {
        Policy p = policy("allow to tcp port 443");
        for (int i = 0; i < 25; i++) {
            check(p, FROM_REMOTE, tcp4(SERVER, HOST, 50000 + i, 22, 0x02));
        }
        assertEquals(10, logLines.size(), "a burst of 10");
        assertEquals("Site office-b - dropped tcp 198.18.2.10:50000 -> 198.18.1.5:22 coming from the remote site: "
                + "no rule allows it", logLines.get(0));
        assertEquals(15, p.unloggedDrops());
        clock.advance(Duration.ofSeconds(1));
        check(p, TO_REMOTE, udp4(HOST, SERVER, 1, 2));
        assertEquals(11, logLines.size());
        assertTrue(logLines.get(10).endsWith("(15 more drops not logged)"), logLines.get(10));
        assertEquals(26, p.count(Verdict.DROP_NO_RULE));
    }

    @Test
    void steadyStateCheckDoesNotAllocate() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Policy p = policy("allow to udp 198.18.2.0/24 port 53\nallow to tcp port 443");
        byte[] out = tcp4(HOST, SERVER, 40000, 443, 0x02);
        byte[] back = tcp4(SERVER, HOST, 443, 40000, 0x10);
        PacketView a = new PacketView();
        PacketView b = new PacketView();
        long t = clock.nanoTime();
        for (int i = 0; i < 20_000; i++) { // warm up the JIT
            a.parse(out, 0, out.length);
            p.check(TO_REMOTE, a, t);
            b.parse(back, 0, back.length);
            p.check(FROM_REMOTE, b, t);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            a.parse(out, 0, out.length);
            p.check(TO_REMOTE, a, t);
            b.parse(back, 0, back.length);
            p.check(FROM_REMOTE, b, t);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 10_000, "200k checks allocated " + allocated + " bytes");
    }
}
