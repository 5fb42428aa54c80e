package sitelink.policy;

import java.util.List;
import java.util.function.Consumer;
import sitelink.packet.PacketView;
import sitelink.packet.TokenBucket;
import sitelink.route.Prefix;

/**
 * Least-privilege filtering of one remote site's tunnel traffic: a site with rules passes only what a rule allows
 * (default deny) plus the replies of flows a rule allowed (connection tracking) and the ICMP errors about them (so that
 * PMTUD and "unreachable" keep working). A site without rules is left to its traffic selectors.
 *
 * <p>{@link #check} allocates nothing once the table is sized; rules are compiled to primitive fields and matched in
 * order. It is synchronized: the TUN reader (to the site) and the UDP reader (from it) share the connection table.
 */
public final class Policy {
    /**
     * Bounds and timing: {@code maxConnections} tracked flows (about 180 bytes each, allocated up front), at most
     * {@code maxConnectionsPerSource} of them opened by one inner source address, conntrack timeouts, and how many
     * drop log lines per second (after a burst).
     */
    public record Limits(int maxConnections, int maxConnectionsPerSource, Timeouts timeouts, double logLinesPerSecond,
            int logBurst) {
        /** 32768 flows, a quarter of them for any one host: 5.5 MiB per remote site with rules. */
        public static final Limits DEFAULT = new Limits(32768, 8192, Timeouts.DEFAULT, 1, 10);

        public Limits withMaxConnections(int n) {
            return new Limits(n, maxConnectionsPerSource, timeouts, logLinesPerSecond, logBurst);
        }

        public Limits withMaxConnectionsPerSource(int n) {
            return new Limits(maxConnections, n, timeouts, logLinesPerSecond, logBurst);
        }
    }

    private final List<Rule> rules;
    private final Compiled[] compiled;
    private final ConnTrack track;
    private final Fragments fragments;
    private final DropLog log;
    private final PacketView quoted = new PacketView();
    private final long[] hits;
    private final long[] counts = new long[Verdict.values().length];
    private long addrHi;
    private long addrLo;

    public Policy(String site, List<Rule> rules, Limits limits, Consumer<String> logSink) {
        this(site, rules, limits, logSink, FlowHash.random());
    }

    /** With the tables' hash given (tests); the public constructor draws a random key for each policy. */
    Policy(String site, List<Rule> rules, Limits limits, Consumer<String> logSink, FlowHash hash) {
        this.rules = List.copyOf(rules);
        this.compiled = this.rules.stream().map(Compiled::new).toArray(Compiled[]::new);
        this.hits = new long[compiled.length];
        this.track = new ConnTrack(limits.maxConnections(), limits.maxConnectionsPerSource(), limits.timeouts(), hash);
        this.fragments = new Fragments(hash);
        this.log = new DropLog(site, new TokenBucket(limits.logLinesPerSecond(), limits.logBurst()), logSink);
    }

    public List<Rule> rules() {
        return rules;
    }

    /** Decides the fate of the packet in {@code v} (already parsed) travelling {@code d} at {@code nowNanos}. */
    public synchronized Verdict check(Direction d, PacketView v, long nowNanos) {
        Verdict verdict = decide(d, v, nowNanos);
        counts[verdict.ordinal()]++;
        if (!verdict.allowed()) {
            log.dropped(verdict, d, v, nowNanos);
        } else if (v.isFragment() && v.isFirstFragment() && compiled.length > 0) {
            fragments.remember(v, d, nowNanos); // its later fragments carry no ports: they follow this verdict
        }
        return verdict;
    }

    private Verdict decide(Direction d, PacketView v, long now) {
        if (!v.valid()) {
            return Verdict.DROP_MALFORMED;
        }
        if (compiled.length == 0) {
            return Verdict.ALLOW_UNRESTRICTED;
        }
        if (v.isIcmpError() && related(d, v, now)) {
            return Verdict.ALLOW_RELATED;
        }
        boolean tracked = track.key(v, d);
        if (tracked) {
            int slot = track.find(now);
            if (slot >= 0) {
                track.seen(slot, v, now);
                return Verdict.ALLOW_TRACKED;
            }
        }
        if (!v.isFirstFragment() && fragments.follows(v, d, now)) {
            return Verdict.ALLOW_FRAGMENT;
        }
        int r = match(d, v);
        if (r < 0) {
            return v.isFirstFragment() ? Verdict.DROP_NO_RULE : Verdict.DROP_FRAGMENT;
        }
        hits[r]++;
        // a flow with this 5-tuple going the other way already exists: allow by rule, but do not let it take the slot
        if (tracked && !track.exists()) {
            int slot = track.insert(v, now);
            if (slot < 0) {
                hits[r]--;
                return slot == ConnTrack.SOURCE_FULL ? Verdict.DROP_SOURCE_LIMIT : Verdict.DROP_TABLE_FULL;
            }
        }
        return Verdict.ALLOW_RULE;
    }

    /**
     * An ICMP error about a tracked flow: the packet it quotes went the other way, was sent by this error's
     * destination, and belongs to a live flow (RFC 5927 section 4.1 style validation: the quote must name a real flow).
     */
    private boolean related(Direction d, PacketView v, long now) {
        int q = v.l4Offset() + 8;
        if (!quoted.parseQuoted(v.buffer(), q, v.l4Length() - 8) || quoted.version() != v.version()) {
            return false;
        }
        byte[] b = v.buffer();
        int n = v.addressLength();
        if (!java.util.Arrays.equals(b, quoted.sourceOffset(), quoted.sourceOffset() + n, b, v.destinationOffset(),
                v.destinationOffset() + n)) {
            return false;
        }
        return track.key(quoted, d.opposite()) && track.find(now) >= 0;
    }

    private int match(Direction d, PacketView v) {
        for (int i = 0; i < compiled.length; i++) {
            if (compiled[i].matches(d, v, this)) {
                return i;
            }
        }
        return -1;
    }

    /** How often rule {@code i} (in {@link #rules()} order) allowed a new flow. */
    public synchronized long hits(int i) {
        return hits[i];
    }

    /** How many packets got verdict {@code v}; the DROP_* counts are the drop counters by reason. */
    public synchronized long count(Verdict v) {
        return counts[v.ordinal()];
    }

    /** Flows in the connection table (including expired ones not yet swept). */
    public synchronized int connections() {
        return track.size();
    }

    /** Unassured flows (unanswered opens) evicted to make room for new flows in a full table. */
    public synchronized long evictions() {
        return track.evictions();
    }

    /** Drops that were not logged because of the rate limit. */
    public long unloggedDrops() {
        return log.suppressed();
    }

    /** Loads the address at {@code off} into addrHi/addrLo (IPv4 in the low 32 bits). */
    private void loadAddress(PacketView v, int off) {
        addrHi = v.addressHigh(off);
        addrLo = v.addressLow(off);
    }

    /** A rule as primitive fields, so matching is a few compares. */
    private static final class Compiled {
        final Rule.Scope scope;
        final int protocol;
        final int family;
        final boolean hasSrc;
        final long srcHi;
        final long srcLo;
        final long srcMaskHi;
        final long srcMaskLo;
        final boolean hasDst;
        final long dstHi;
        final long dstLo;
        final long dstMaskHi;
        final long dstMaskLo;
        final int[] portFrom;
        final int[] portTo;
        final long[] icmpTypes;

        Compiled(Rule r) {
            scope = r.direction();
            protocol = r.protocol().number;
            family = r.family();
            hasSrc = r.source().isPresent();
            hasDst = r.destination().isPresent();
            long[] s = r.source().map(Compiled::bits).orElse(new long[4]);
            long[] t = r.destination().map(Compiled::bits).orElse(new long[4]);
            srcHi = s[0];
            srcLo = s[1];
            srcMaskHi = s[2];
            srcMaskLo = s[3];
            dstHi = t[0];
            dstLo = t[1];
            dstMaskHi = t[2];
            dstMaskLo = t[3];
            portFrom = r.ports().stream().mapToInt(Rule.PortRange::from).toArray();
            portTo = r.ports().stream().mapToInt(Rule.PortRange::to).toArray();
            if (r.icmpTypes().isEmpty()) {
                icmpTypes = null;
            } else {
                icmpTypes = new long[4];
                for (int type : r.icmpTypes()) {
                    icmpTypes[type >>> 6] |= 1L << type;
                }
            }
        }

        /** Address, then mask, as {hi, lo, maskHi, maskLo}; IPv4 lives in the low 32 bits of lo. */
        private static long[] bits(Prefix p) {
            byte[] a = p.address().getAddress();
            long hi = 0;
            long lo = 0;
            long mhi = 0;
            long mlo = 0;
            for (int i = 0; i < a.length; i++) {
                int bits = Math.max(0, Math.min(8, p.length() - 8 * i));
                long m = (0xff << (8 - bits)) & 0xff;
                if (a.length == 16 && i < 8) {
                    hi = hi << 8 | (a[i] & 0xff);
                    mhi = mhi << 8 | m;
                } else {
                    lo = lo << 8 | (a[i] & 0xff);
                    mlo = mlo << 8 | m;
                }
            }
            return new long[] {hi, lo, mhi, mlo};
        }

        boolean matches(Direction d, PacketView v, Policy p) {
            if (!scope.covers(d) || family != 0 && family != v.version()
                    || protocol >= 0 && protocol != v.protocol()) {
                return false;
            }
            if (hasSrc) {
                p.loadAddress(v, v.sourceOffset());
                if ((p.addrHi & srcMaskHi) != srcHi || (p.addrLo & srcMaskLo) != srcLo) {
                    return false;
                }
            }
            if (hasDst) {
                p.loadAddress(v, v.destinationOffset());
                if ((p.addrHi & dstMaskHi) != dstHi || (p.addrLo & dstMaskLo) != dstLo) {
                    return false;
                }
            }
            if (portFrom.length > 0) {
                if (!v.hasTransport()) {
                    return false; // a later fragment has no port to check
                }
                int port = v.destinationPort();
                boolean in = false;
                for (int i = 0; i < portFrom.length && !in; i++) {
                    in = port >= portFrom[i] && port <= portTo[i];
                }
                if (!in) {
                    return false;
                }
            }
            if (icmpTypes != null) {
                int t = v.icmpType();
                return v.hasTransport() && t >= 0 && (icmpTypes[t >>> 6] & 1L << t) != 0;
            }
            return true;
        }
    }
}
