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
        check(p, TO_REMOTE, tcp4(HOST, SERVER, 40000, 443, 0x10)); // the handshake's last ACK: established
        clock.advance(Duration.ofSeconds(7439));
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 443, 40000, 0x11))); // FIN
        clock.advance(Duration.ofSeconds(120)); // closing
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, tcp4(SERVER, HOST, 443, 40000, 0x10)));
    }

    @Test
    void aFullTableEvictsTheOldestUnansweredFlowAndRefusesOnlyWhenAllAreAnswered() {
        Policy p = policy("allow to udp port 53", Policy.Limits.DEFAULT.withMaxConnections(4));
        for (int i = 0; i < 4; i++) {
            assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, udp4(HOST, SERVER, 30000 + i, 53)));
        }
        check(p, FROM_REMOTE, udp4(SERVER, HOST, 53, 30000));
        check(p, FROM_REMOTE, udp4(SERVER, HOST, 53, 30001));
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, udp4(HOST, SERVER, 30004, 53)), "room made");
        assertEquals(1, p.evictions());
        assertEquals(Verdict.DROP_NO_RULE, check(p, FROM_REMOTE, udp4(SERVER, HOST, 53, 30002)),
                "the oldest unanswered flow went");
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, udp4(SERVER, HOST, 53, 30003)), "the next stayed");
        assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, udp4(SERVER, HOST, 53, 30004)));
        // all four answered now: a new flow is refused and the answered ones are untouched
        assertEquals(Verdict.DROP_TABLE_FULL, check(p, TO_REMOTE, udp4(HOST, SERVER, 30005, 53)));
        assertEquals(1, p.count(Verdict.DROP_TABLE_FULL));
        assertEquals(5, p.hits(0), "refused flows are not hits");
        for (int port : new int[] {30000, 30001, 30003, 30004}) {
            assertEquals(Verdict.ALLOW_TRACKED, check(p, FROM_REMOTE, udp4(SERVER, HOST, 53, port)), "port " + port);
        }
        clock.advance(Duration.ofSeconds(181)); // all expire: swept out
        assertEquals(Verdict.ALLOW_RULE, check(p, TO_REMOTE, udp4(HOST, SERVER, 30006, 53)));
        assertEquals(1, p.connections());
        assertEquals(1, p.evictions(), "expired flows are swept, not evicted");
    }

    /**
     * A naive model of the connection table: flows by host and port with their expiry (expired ones too, until a
     * lookup or a sweep removes them), and those never answered from the least recently seen.
     */
    static final class TableModel {
        final int max;
        final int perSource;
        final java.util.Map<Integer, Long> expiry = new java.util.HashMap<>(); // host * 100000 + port -> expiry
        final java.util.Set<Integer> answered = new java.util.HashSet<>();
        final java.util.LinkedHashSet<Integer> unanswered = new java.util.LinkedHashSet<>();
        long lastSweep = Long.MIN_VALUE;

        TableModel(int max, int perSource) {
            this.max = max;
            this.perSource = perSource;
        }

        /** Whether the flow is live; a lookup removes it when it has expired. */
        boolean lookup(int flow, long now) {
            Long e = expiry.get(flow);
            if (e != null && now - e >= 0) {
                forget(flow);
                return false;
            }
            return e != null;
        }

        void forget(int flow) {
            expiry.remove(flow);
            answered.remove(flow);
            unanswered.remove(flow);
        }

        /** A packet of a live flow: the host's (an unanswered flow becomes the most recent) or a reply. */
        void seen(int flow, boolean reply, long now) {
            if (reply) {
                answered.add(flow);
                unanswered.remove(flow);
            } else if (!answered.contains(flow)) {
                unanswered.remove(flow);
                unanswered.add(flow);
            }
            expiry.put(flow, now + Duration.ofSeconds(answered.contains(flow) ? 180 : 30).toNanos());
        }

        /** What opening a new flow gets: a source over its limit, then a full table, may sweep (once a second). */
        Verdict open(int flow, long now) {
            int host = flow / 100_000;
            java.util.function.LongSupplier held = () -> expiry.keySet().stream().filter(f -> f / 100_000 == host)
                    .count();
            if (held.getAsLong() >= perSource && (!sweep(now) || held.getAsLong() >= perSource)) {
                return Verdict.DROP_SOURCE_LIMIT;
            }
            if (expiry.size() == max) {
                if (!unanswered.isEmpty()) {
                    forget(unanswered.getFirst());
                } else if (!sweep(now) || expiry.size() == max) {
                    return Verdict.DROP_TABLE_FULL;
                }
            }
            expiry.put(flow, now + Duration.ofSeconds(30).toNanos());
            unanswered.add(flow);
            return Verdict.ALLOW_RULE;
        }

        private boolean sweep(long now) {
            if (lastSweep != Long.MIN_VALUE && now - lastSweep < 1_000_000_000L) {
                return false;
            }
            lastSweep = now;
            new ArrayList<>(expiry.keySet()).stream().filter(f -> now - expiry.get(f) >= 0).forEach(this::forget);
            return true;
        }
    }

    /**
     * Five hosts (one busier than the rest) open UDP flows, send more on them and get replies, against
     * {@link TableModel}: a new flow from a host that holds its limit is refused unless a sweep frees the host; a full
     * table evicts the least recently seen unanswered flow or, when every flow was answered, sweeps and refuses if
     * that made no room.
     */
    @Test
    void tableSurvivesChurnAgainstANaiveModel() {
        Policy p = policy("allow to udp", Policy.Limits.DEFAULT.withMaxConnections(64).withMaxConnectionsPerSource(16));
        TableModel model = new TableModel(64, 16);
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        for (int n = 0; n < 30_000; n++) {
            int host = r.nextBoolean() ? 0 : r.nextInt(5);
            int port = 1000 + r.nextInt(20);
            int flow = host * 100_000 + port;
            byte[] hostAddress = addr("198.18.1." + (5 + host));
            long now = clock.nanoTime();
            boolean live = model.lookup(flow, now);
            if (r.nextBoolean()) { // the server answers, or its datagram is dropped if there is no flow
                Verdict reply = check(p, FROM_REMOTE, udp4(SERVER, hostAddress, 53, port));
                assertEquals(live ? Verdict.ALLOW_TRACKED : Verdict.DROP_NO_RULE, reply, "reply to " + flow);
                if (live) {
                    model.seen(flow, true, now);
                }
            } else { // the host sends: on its flow, or opening one
                Verdict expected = live ? Verdict.ALLOW_TRACKED : model.open(flow, now);
                assertEquals(expected, check(p, TO_REMOTE, udp4(hostAddress, SERVER, port, 53)), "from " + flow);
                if (live) {
                    model.seen(flow, false, now);
                }
            }
            assertEquals(model.expiry.size(), p.connections(), "flows after step " + n);
            // now and then long enough for every flow to expire
            clock.advance(Duration.ofMillis(r.nextInt(1000) == 0 ? 200_000 : r.nextInt(100)));
        }
        assertTrue(p.count(Verdict.DROP_SOURCE_LIMIT) > 0 && p.count(Verdict.DROP_TABLE_FULL) > 0
                && p.evictions() > 0, "every path was taken: " + p.count(Verdict.DROP_SOURCE_LIMIT) + " "
                + p.count(Verdict.DROP_TABLE_FULL) + " " + p.evictions());
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
