package sitelink.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sitelink.packet.Packets.addr;
import static sitelink.packet.Packets.concat;
import static sitelink.packet.Packets.fragmentHeader;
import static sitelink.packet.Packets.icmp;
import static sitelink.packet.Packets.ipv4;
import static sitelink.packet.Packets.ipv6;
import static sitelink.packet.Packets.tcp;
import static sitelink.packet.Packets.udp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import sitelink.packet.PacketView;
import sitelink.route.Prefix;

/**
 * Fuzzes {@link Policy#check} with a fuzzer-chosen rule set (up to three rules over a few addresses, ports and ICMP
 * types) and a sequence of packets between those addresses (TCP, UDP, ICMP echoes and errors quoting earlier packets,
 * fragments, other protocols, bytes flipped), with time moving on between packets and a connection table of 4.
 * It is compared with a naive model that knows only the rules and which flows a rule opened, so it holds whatever
 * the connection table looks like inside: never an exception; a malformed packet is DROP_MALFORMED; ALLOW_RULE only
 * when the naive matcher finds a rule; ALLOW_TRACKED only for a flow (same protocol, addresses and ports or echo id,
 * either way round) a rule opened earlier; ALLOW_RELATED only for an ICMP error quoting such a flow; ALLOW_FRAGMENT
 * only after an allowed first fragment of the same datagram; and a packet a rule matches is never refused for want of
 * a rule (only DROP_TABLE_FULL).
 * Seed corpus: src/test/resources/sitelink/policy/PolicyFuzzTestInputs/check/.
 */
class PolicyFuzzTest {
    private static final byte[][] V4 = {addr("198.18.1.5"), addr("198.18.1.6"), addr("198.18.2.10"), addr("198.18.2.11")};
    private static final byte[][] V6 = {addr("2001:db8:1::5"), addr("2001:db8:1::6"), addr("2001:db8:2::10"), addr("2001:db8:2::11")};
    private static final int[] PORTS = {22, 53, 443, 40000, 40001};
    private static final int[] LENGTHS4 = {0, 8, 24, 31, 32};
    private static final int[] LENGTHS6 = {0, 64, 120, 127, 128};
    private static final Timeouts SHORT = new Timeouts(Duration.ofSeconds(20), Duration.ofSeconds(60),
            Duration.ofSeconds(20), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
            Duration.ofSeconds(10));

    /** A flow a rule opened, as the model sees it: protocol and its two ends (address, port or echo id) in either order. */
    private record Flow(int protocol, String ends) {
        static Flow of(PacketView v) {
            int proto = v.protocol();
            boolean ports = v.hasTransport() && (proto == 6 || proto == 17);
            int sp = v.isIcmpEcho() ? v.icmpId() : ports ? v.sourcePort() : -1;
            int dp = v.isIcmpEcho() ? v.icmpId() : ports ? v.destinationPort() : -1;
            String s = end(v, v.sourceOffset(), sp);
            String d = end(v, v.destinationOffset(), dp);
            return new Flow(proto, s.compareTo(d) <= 0 ? s + "|" + d : d + "|" + s);
        }

        private static String end(PacketView v, int off, int port) {
            return v.addressHigh(off) + ":" + v.addressLow(off) + ":" + port;
        }
    }

    /** A datagram's later fragments follow it: addresses, id, protocol and direction. */
    private record Datagram(long srcHi, long srcLo, long dstHi, long dstLo, long id, int protocol, Direction d) {
        static Datagram of(PacketView v, Direction d) {
            return new Datagram(v.addressHigh(v.sourceOffset()), v.addressLow(v.sourceOffset()),
                    v.addressHigh(v.destinationOffset()), v.addressLow(v.destinationOffset()), v.fragmentId(),
                    v.protocol(), d);
        }
    }

    @FuzzTest(maxDuration = "20s")
    void check(FuzzedDataProvider data) {
        List<Rule> rules = new ArrayList<>();
        for (int n = data.consumeInt(0, 3); rules.size() < n; ) {
            rules.add(rule(data));
        }
        Policy policy = new Policy("office-b", rules, new Policy.Limits(4, 4, SHORT, 1, 1), line -> { });
        Set<Flow> opened = new HashSet<>();
        Set<Datagram> firstFragments = new HashSet<>();
        List<byte[]> sent = new ArrayList<>();
        PacketView v = new PacketView();
        PacketView q = new PacketView();
        long now = 0;
        while (data.remainingBytes() > 0 && sent.size() < 24) {
            Direction d = data.consumeBoolean() ? Direction.TO_REMOTE : Direction.FROM_REMOTE;
            byte[] p = packet(data, sent);
            sent.add(p);
            now += data.consumeInt(0, 40) * 1_000_000_000L / 4;
            v.parse(p, 0, p.length);
            Verdict verdict = policy.check(d, v, now);
            boolean ruleMatches = v.valid() && rules.stream().anyMatch(r -> naiveMatch(r, d, v));
            Supplier<String> what = () -> verdict + " for " + d + " " + Arrays.toString(p) + " under " + rules;
            switch (verdict) {
                case DROP_MALFORMED -> assertTrue(!v.valid(), what);
                case ALLOW_UNRESTRICTED -> assertTrue(rules.isEmpty() && v.valid(), what);
                case ALLOW_RULE -> {
                    assertTrue(ruleMatches, () -> "allowed by no rule: " + what.get());
                    opened.add(Flow.of(v));
                }
                case ALLOW_TRACKED -> assertTrue(opened.contains(Flow.of(v)), () -> "tracked flow no rule opened: " + what.get());
                case ALLOW_RELATED -> {
                    assertTrue(v.isIcmpError(), what);
                    int at = v.l4Offset() + 8;
                    assertTrue(q.parseQuoted(p, at, v.l4Length() - 8) && opened.contains(Flow.of(q)),
                            () -> "an ICMP error about no opened flow: " + what.get());
                }
                case ALLOW_FRAGMENT -> assertTrue(!v.isFirstFragment() && firstFragments.contains(Datagram.of(v, d)),
                        () -> "a later fragment of no allowed first fragment: " + what.get());
                case DROP_NO_RULE, DROP_FRAGMENT -> assertTrue(!ruleMatches, () -> "refused though a rule allows it: " + what.get());
                case DROP_TABLE_FULL -> assertTrue(ruleMatches, what);
            }
            if (verdict.allowed() && v.isFragment() && v.isFirstFragment()) {
                firstFragments.add(Datagram.of(v, d));
            }
        }
        long total = 0;
        for (Verdict x : Verdict.values()) {
            total += policy.count(x);
        }
        assertEquals(sent.size(), total, "every packet counted under one verdict");
        assertTrue(policy.connections() <= 4, "connection table beyond its bound: " + policy.connections());
    }

    private static Rule rule(FuzzedDataProvider data) {
        Rule.Scope scope = data.pickValue(Rule.Scope.values());
        Rule.Protocol protocol = data.pickValue(Rule.Protocol.values());
        boolean v6 = protocol == Rule.Protocol.ICMPV6 || protocol != Rule.Protocol.ICMP && data.consumeBoolean();
        Optional<Prefix> src = data.consumeBoolean() ? Optional.of(prefix(data, v6)) : Optional.empty();
        Optional<Prefix> dst = data.consumeBoolean() ? Optional.of(prefix(data, v6)) : Optional.empty();
        List<Rule.PortRange> ports = new ArrayList<>();
        if (protocol == Rule.Protocol.TCP || protocol == Rule.Protocol.UDP) {
            for (int n = data.consumeInt(0, 2); ports.size() < n; ) {
                int a = data.pickValue(PORTS);
                int b = data.pickValue(PORTS);
                ports.add(new Rule.PortRange(Math.min(a, b), Math.max(a, b)));
            }
        }
        List<Integer> types = new ArrayList<>();
        if (protocol == Rule.Protocol.ICMP || protocol == Rule.Protocol.ICMPV6) {
            for (int n = data.consumeInt(0, 2); types.size() < n; ) {
                types.add(data.pickValue(new int[] {0, 3, 8, 11, 128, 129, 1, 2}));
            }
        }
        return new Rule(scope, protocol, src, dst, ports, types);
    }

    private static Prefix prefix(FuzzedDataProvider data, boolean v6) {
        byte[] a = data.pickValue(v6 ? V6 : V4);
        return new Prefix(inet(a), data.pickValue(v6 ? LENGTHS6 : LENGTHS4));
    }

    /** A packet between the test's addresses, or a reply to / an ICMP error about / a mangled copy of an earlier one. */
    private static byte[] packet(FuzzedDataProvider data, List<byte[]> sent) {
        int kind = data.consumeInt(0, 7);
        if (kind >= 6 && !sent.isEmpty()) {
            byte[] earlier = sent.get(data.consumeInt(0, sent.size() - 1));
            if (kind == 6) {
                return reply(earlier);
            }
            byte[] copy = earlier.clone();
            for (int n = data.consumeInt(1, 3); n > 0; n--) {
                copy[data.consumeInt(0, copy.length - 1)] ^= (byte) data.consumeInt(1, 255);
            }
            return copy;
        }
        boolean v6 = data.consumeBoolean();
        byte[][] hosts = v6 ? V6 : V4;
        byte[] s = data.pickValue(hosts);
        byte[] d = data.pickValue(hosts);
        int protocol = data.pickValue(new int[] {6, 17, v6 ? 58 : 1, 47});
        byte[] l4 = switch (protocol) {
            case 6 -> tcp(s, d, data.pickValue(PORTS), data.pickValue(PORTS),
                    data.pickValue(new int[] {0x02, 0x12, 0x10, 0x11, 0x04, 0x18}), new byte[0], new byte[data.consumeInt(0, 4)]);
            case 17 -> udp(s, d, data.pickValue(PORTS), data.pickValue(PORTS), new byte[data.consumeInt(0, 4)]);
            case 1, 58 -> {
                int type = data.pickValue(v6 ? new int[] {128, 129, 1, 2, 3} : new int[] {8, 0, 3, 11});
                boolean error = v6 ? type < 128 : type == 3 || type == 11;
                byte[] body = error && !sent.isEmpty() ? sent.get(data.consumeInt(0, sent.size() - 1)) : new byte[8];
                yield icmp(s, d, type, data.consumeInt(0, 4), data.consumeInt(0, 3) << 16 | 1, body);
            }
            default -> new byte[data.consumeInt(0, 12)];
        };
        // Fragments: none, a first fragment (more follow), a later one (offset 1..3 units of 8 bytes).
        int frag = data.consumeInt(0, 2);
        int offset = frag == 2 ? data.consumeInt(1, 3) : 0;
        int id = data.consumeInt(0, 2);
        if (!v6) {
            byte[] p = ipv4(s, d, protocol, (frag == 1 ? 0x2000 : 0) | offset, frag == 2 ? Arrays.copyOf(l4, 8) : l4);
            p[4] = 0;
            p[5] = (byte) id;
            return p;
        }
        if (frag == 0) {
            return ipv6(s, d, protocol, new byte[0], l4);
        }
        byte[] fh = fragmentHeader(protocol, offset, frag == 1);
        fh[7] = (byte) id;
        return ipv6(s, d, 44, fh, frag == 2 ? Arrays.copyOf(l4, 8) : l4);
    }

    /** The same packet going back: addresses swapped, and ports swapped when it has them (checksums are not fixed). */
    private static byte[] reply(byte[] p) {
        byte[] r = p.clone();
        PacketView v = new PacketView();
        if (!v.parse(r, 0, r.length)) {
            return r;
        }
        int n = v.addressLength();
        byte[] s = Arrays.copyOfRange(p, v.sourceOffset(), v.sourceOffset() + n);
        System.arraycopy(p, v.destinationOffset(), r, v.sourceOffset(), n);
        System.arraycopy(s, 0, r, v.destinationOffset(), n);
        if (v.hasTransport() && (v.protocol() == 6 || v.protocol() == 17)) {
            int t = v.l4Offset();
            byte[] ports = concat(Arrays.copyOfRange(p, t + 2, t + 4), Arrays.copyOfRange(p, t, t + 2));
            System.arraycopy(ports, 0, r, t, 4);
        } else if (v.isIcmpEcho()) {
            int t = v.l4Offset();
            r[t] = (byte) (v.version() == 4 ? (r[t] == 8 ? 0 : 8) : (r[t] == (byte) 128 ? 129 : 128));
        }
        return r;
    }

    /** Does {@code r} allow {@code v} going {@code d}? Written from docs/policy.md, not from Policy's compiled form. */
    private static boolean naiveMatch(Rule r, Direction d, PacketView v) {
        boolean dirOk = switch (r.direction()) {
            case BOTH -> true;
            case TO -> d == Direction.TO_REMOTE;
            case FROM -> d == Direction.FROM_REMOTE;
        };
        if (!dirOk || r.family() != 0 && r.family() != v.version()) {
            return false;
        }
        if (r.protocol() != Rule.Protocol.ANY && r.protocol().number != v.protocol()) {
            return false;
        }
        byte[] b = v.buffer();
        int n = v.addressLength();
        if (r.source().isPresent() && !inside(r.source().get(), Arrays.copyOfRange(b, v.sourceOffset(), v.sourceOffset() + n))) {
            return false;
        }
        if (r.destination().isPresent()
                && !inside(r.destination().get(), Arrays.copyOfRange(b, v.destinationOffset(), v.destinationOffset() + n))) {
            return false;
        }
        if (!r.ports().isEmpty()
                && !(v.hasTransport() && r.ports().stream().anyMatch(pr -> pr.from() <= v.destinationPort() && v.destinationPort() <= pr.to()))) {
            return false;
        }
        return r.icmpTypes().isEmpty() || v.hasTransport() && r.icmpTypes().contains(v.icmpType());
    }

    /** Bit by bit: the first {@code length} bits of the address equal the prefix's. */
    private static boolean inside(Prefix p, byte[] a) {
        byte[] net = p.address().getAddress();
        if (net.length != a.length) {
            return false;
        }
        for (int bit = 0; bit < p.length(); bit++) {
            int mask = 0x80 >>> (bit % 8);
            if ((net[bit / 8] & mask) != (a[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    private static InetAddress inet(byte[] a) {
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
