package sitelink.policy;

import sitelink.packet.PacketView;

/**
 * The table of flows a rule allowed, so that their replies pass: an open-addressing hash table in one array of longs
 * (no allocation per packet; a slot's eight words lie together, so a lookup touches one or two cache lines), keyed by
 * the flow's 5-tuple in a canonical order so that both directions of a flow find the same slot with one probe
 * sequence, under a keyed hash ({@link FlowHash}) so that senders cannot aim collisions. ICMP echo flows use the echo
 * id as both "ports".
 *
 * <p>Each slot also remembers which way its flow crosses the tunnel: a packet with the right 5-tuple but travelling
 * the other way (a remote host forging a local one's address) does not belong to it.
 *
 * <p>A flow is <em>assured</em>, as Linux conntrack says, once both sides have spoken: for TCP the opener must send
 * again after the reply (the handshake's last ACK), so an open whose SYN-ACK is never acknowledged stays unassured; for
 * UDP and ICMP echo the reply is enough. Unassured flows (and reset ones) live briefly and are <em>evictable</em>: they
 * sit in a list from least to most recently seen, and a new flow that finds the table full evicts the head of that
 * list (Linux's early drop) instead of being refused. Only a table full of assured flows refuses new ones. Each inner
 * source address may hold at most {@code perSource} flows ({@link SourceCounts}), so a single host, flooding SYNs or
 * not, cannot crowd out the others. Bounded: {@code maxEntries} flows. Not thread-safe: {@link Policy} serialises
 * access.
 */
final class ConnTrack {
    /** {@link #insert} could not make room: the table is full of assured, live flows. */
    static final int FULL = -1;
    /** {@link #insert} refused: the flow's source already holds {@code perSource} flows. */
    static final int SOURCE_FULL = -2;
    /**
     * A sweep of the whole table runs at most this often (1 s): a table full of assured flows, or a source at its
     * cap, must not make every new flow pay for a scan of the table.
     */
    static final long SWEEP_INTERVAL = 1_000_000_000L;

    // a slot's words: the key (meta word first, as lookups compare it first), expiry, flags, list links
    private static final int META = 0;
    private static final int LO_LO = 1;
    private static final int HI_LO = 2;
    private static final int LO_HI = 3;
    private static final int HI_HI = 4;
    private static final int EXPIRES = 5;
    private static final int FLAGS = 6;
    /** The slots of the next older and next newer flow in the evictable list (-1: none), high and low 32 bits. */
    private static final int LINKS = 7;
    private static final int WORDS = 8;

    private static final long USED = 1L << 62;
    private static final int LO_GOES_TO_REMOTE = 1;
    private static final int INITIATOR_IS_LO = 2;
    private static final int REPLIED = 4;
    private static final int CLOSING = 8;
    private static final int RESET = 16;
    private static final int ASSURED = 32;
    /** In the list of evictable flows. */
    private static final int LISTED = 64;

    private final int maxEntries;
    private final int perSource;
    private final int mask;
    private final FlowHash hash;
    private final SourceCounts sources;
    /** {@link #WORDS} longs per slot; a slot is free when its meta word is 0. */
    private final long[] t;
    /** The evictable flows, least recently seen first, as a doubly linked list through {@link #LINKS}; -1: empty. */
    private int oldest = -1;
    private int newest = -1;
    private final long tcpOpening;
    private final long tcpEstablished;
    private final long tcpClosing;
    private final long tcpReset;
    private final long udpUnreplied;
    private final long udpReplied;
    private final long icmp;
    private int size;
    private long evictions;
    private boolean swept;
    private long lastSweep;

    // the key of the packet being looked at (one packet at a time)
    private long kLoHi;
    private long kLoLo;
    private long kHiHi;
    private long kHiLo;
    private long kMeta;
    private int kHome;
    private boolean kSrcIsLo;
    private boolean kLoGoesToRemote;
    private boolean kEchoReply;

    ConnTrack(int maxEntries, int perSource, Timeouts timeouts, FlowHash hash) {
        if (maxEntries < 1 || maxEntries > 1 << 24) {
            throw new IllegalArgumentException("max connections " + maxEntries + " is outside 1..16777216");
        }
        if (perSource < 1) {
            throw new IllegalArgumentException("max connections per source " + perSource + " is below 1");
        }
        this.maxEntries = maxEntries;
        this.perSource = perSource;
        this.hash = hash;
        int capacity = Integer.highestOneBit(maxEntries * 2 - 1) << 1; // load factor at most 1/2
        mask = capacity - 1;
        sources = new SourceCounts(capacity, hash);
        t = new long[WORDS * capacity];
        tcpOpening = timeouts.tcpOpening().toNanos();
        tcpEstablished = timeouts.tcpEstablished().toNanos();
        tcpClosing = timeouts.tcpClosing().toNanos();
        tcpReset = timeouts.tcpReset().toNanos();
        udpUnreplied = timeouts.udpUnreplied().toNanos();
        udpReplied = timeouts.udpReplied().toNanos();
        icmp = timeouts.icmp().toNanos();
    }

    int size() {
        return size;
    }

    /** Live flows evicted to make room for new ones. */
    long evictions() {
        return evictions;
    }

    /**
     * Loads the flow key of {@code v} travelling {@code d}; false when the packet has none (not TCP, UDP or ICMP echo,
     * or a later fragment).
     */
    boolean key(PacketView v, Direction d) {
        if (!v.hasTransport()) {
            return false;
        }
        int p = v.protocol();
        kEchoReply = false;
        int sport;
        int dport;
        if (p == PacketView.TCP || p == PacketView.UDP) {
            sport = v.sourcePort();
            dport = v.destinationPort();
        } else if (v.isIcmpEcho()) {
            sport = dport = v.icmpId();
            kEchoReply = v.icmpType() == 0 || v.icmpType() == 129;
        } else {
            return false;
        }
        long sHi = v.addressHigh(v.sourceOffset());
        long sLo = v.addressLow(v.sourceOffset());
        long tHi = v.addressHigh(v.destinationOffset());
        long tLo = v.addressLow(v.destinationOffset());
        int c = Long.compareUnsigned(sHi, tHi);
        if (c == 0) {
            c = Long.compareUnsigned(sLo, tLo);
        }
        kSrcIsLo = c < 0 || c == 0 && sport <= dport;
        kLoGoesToRemote = kSrcIsLo == (d == Direction.TO_REMOTE);
        int loPort = kSrcIsLo ? sport : dport;
        int hiPort = kSrcIsLo ? dport : sport;
        kLoHi = kSrcIsLo ? sHi : tHi;
        kLoLo = kSrcIsLo ? sLo : tLo;
        kHiHi = kSrcIsLo ? tHi : sHi;
        kHiLo = kSrcIsLo ? tLo : sLo;
        kMeta = USED | (long) v.version() << 48 | (long) p << 32 | (long) loPort << 16 | hiPort;
        kHome = home(kLoHi, kLoLo, kHiHi, kHiLo, kMeta);
        return true;
    }

    /** Whether slot {@code s} (a word index) holds the loaded key. */
    private boolean holdsKey(int s) {
        return t[s + META] == kMeta && t[s + LO_LO] == kLoLo && t[s + HI_LO] == kHiLo && t[s + LO_HI] == kLoHi
                && t[s + HI_HI] == kHiHi;
    }

    /**
     * The slot of the loaded key's flow when it is live and crosses the tunnel the same way, else -1. An expired flow
     * found on the way is removed.
     */
    int find(long now) {
        int i = kHome;
        while (t[i * WORDS + META] != 0) {
            int s = i * WORDS;
            if (holdsKey(s)) {
                if (now - t[s + EXPIRES] >= 0) {
                    remove(i);
                    return -1;
                }
                int f = (int) t[s + FLAGS];
                boolean sameWay = ((f & LO_GOES_TO_REMOTE) != 0) == kLoGoesToRemote;
                // an echo flow carries requests one way and replies the other: a request from the responder's
                // side is a new ping, which a rule must allow
                boolean fromInitiator = ((f & INITIATOR_IS_LO) != 0) == kSrcIsLo;
                boolean echoOk = kProtocol() == PacketView.TCP || kProtocol() == PacketView.UDP
                        || fromInitiator != kEchoReply;
                return sameWay && echoOk ? i : -1;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    private int kProtocol() {
        return (int) (kMeta >>> 32) & 0xff;
    }

    /** True when a flow with the loaded key exists (live or not) whichever way it goes. */
    boolean exists() {
        int i = kHome;
        while (t[i * WORDS + META] != 0) {
            if (holdsKey(i * WORDS)) {
                return true;
            }
            i = (i + 1) & mask;
        }
        return false;
    }

    /** Records the packet {@code v} (whose key is loaded) on flow {@code i}: state, new expiry, place in the list. */
    void seen(int i, PacketView v, long now) {
        int s = i * WORDS;
        int f = (int) t[s + FLAGS];
        boolean fromInitiator = ((f & INITIATOR_IS_LO) != 0) == kSrcIsLo;
        f = tcpFlags(f, v);
        if (!fromInitiator) {
            f |= REPLIED;
        }
        // UDP and echo flows are assured by the reply; TCP when the opener speaks after it (the handshake's last ACK)
        boolean tcp = kProtocol() == PacketView.TCP;
        if ((f & REPLIED) != 0 && (!tcp || fromInitiator && (f & RESET) == 0)) {
            f |= ASSURED;
        }
        t[s + FLAGS] = f;
        t[s + EXPIRES] = now + timeout(f, kProtocol());
        if (evictable(f)) {
            if ((f & LISTED) != 0) {
                unlink(i);
            }
            append(i);
        } else if ((f & LISTED) != 0) {
            unlink(i);
        }
    }

    /**
     * Inserts the loaded key as a new flow opened by {@code v}; returns its slot, {@link #SOURCE_FULL} when its source
     * (the packet's) already holds {@code perSource} flows, or {@link #FULL} when no flow can make room for it.
     */
    int insert(PacketView v, long now) {
        long srcHi = kSrcIsLo ? kLoHi : kHiHi;
        long srcLo = kSrcIsLo ? kLoLo : kHiLo;
        int version = v.version();
        if (sources.count(srcHi, srcLo, version) >= perSource
                && (!sweep(now) || sources.count(srcHi, srcLo, version) >= perSource)) {
            return SOURCE_FULL;
        }
        if (size == maxEntries) {
            if (oldest >= 0) {
                remove(oldest); // least recently seen unassured flow (maybe expired already)
                evictions++;
            } else if (!sweep(now) || size == maxEntries) {
                return FULL;
            }
        }
        int i = kHome;
        while (t[i * WORDS + META] != 0) {
            i = (i + 1) & mask;
        }
        int s = i * WORDS;
        t[s + META] = kMeta;
        t[s + LO_LO] = kLoLo;
        t[s + HI_LO] = kHiLo;
        t[s + LO_HI] = kLoHi;
        t[s + HI_HI] = kHiHi;
        int f = tcpFlags((kLoGoesToRemote ? LO_GOES_TO_REMOTE : 0) | (kSrcIsLo ? INITIATOR_IS_LO : 0), v);
        t[s + FLAGS] = f;
        t[s + EXPIRES] = now + timeout(f, kProtocol());
        append(i); // nothing has answered it yet
        sources.increment(srcHi, srcLo, version);
        size++;
        return i;
    }

    private static int tcpFlags(int f, PacketView v) {
        if (v.protocol() == PacketView.TCP) {
            if ((v.tcpFlags() & PacketView.RST) != 0) {
                f |= RESET;
            } else if ((v.tcpFlags() & PacketView.FIN) != 0) {
                f |= CLOSING;
            }
        }
        return f;
    }

    private long timeout(int f, int protocol) {
        return switch (protocol) {
            // an open nobody completed is short-lived whatever flags it carries
            case PacketView.TCP -> (f & ASSURED) == 0 ? tcpOpening
                    : (f & RESET) != 0 ? tcpReset
                    : (f & CLOSING) != 0 ? tcpClosing : tcpEstablished;
            case PacketView.UDP -> (f & REPLIED) != 0 ? udpReplied : udpUnreplied;
            default -> icmp;
        };
    }

    private static boolean evictable(int f) {
        return (f & ASSURED) == 0 || (f & RESET) != 0;
    }

    private int older(int i) {
        return (int) (t[i * WORDS + LINKS] >> 32);
    }

    private int newer(int i) {
        return (int) t[i * WORDS + LINKS];
    }

    private void links(int i, int older, int newer) {
        t[i * WORDS + LINKS] = (long) older << 32 | newer & 0xffff_ffffL;
    }

    /** Puts flow {@code i} at the newest end of the evictable list. */
    private void append(int i) {
        join(newest, i);
        join(i, -1);
        t[i * WORDS + FLAGS] |= LISTED;
    }

    private void unlink(int i) {
        join(older(i), newer(i));
        t[i * WORDS + FLAGS] &= ~LISTED;
    }

    /** Points the neighbours of the listed flow just copied into slot {@code to} at that slot. */
    private void moved(int to) {
        join(older(to), to);
        join(to, newer(to));
    }

    /** Makes flow {@code n} follow flow {@code o} in the evictable list; -1 for either stands for the list's end. */
    private void join(int o, int n) {
        if (o >= 0) {
            links(o, older(o), n);
        } else {
            oldest = n;
        }
        if (n >= 0) {
            links(n, o, newer(n));
        } else {
            newest = o;
        }
    }

    /** Removes every expired flow; false when it did not run because it ran less than {@link #SWEEP_INTERVAL} ago. */
    private boolean sweep(long now) {
        if (swept && now - lastSweep < SWEEP_INTERVAL) {
            return false;
        }
        swept = true;
        lastSweep = now;
        for (int i = 0; i <= mask; i++) {
            while (t[i * WORDS + META] != 0 && now - t[i * WORDS + EXPIRES] >= 0) {
                remove(i); // may shift a later flow into slot i: look at it again
            }
        }
        return true;
    }

    /** Linear-probing deletion by backward shift (Knuth 6.4 algorithm R): no tombstones to clog the table. */
    private void remove(int hole) {
        int h = hole * WORDS;
        if ((t[h + FLAGS] & LISTED) != 0) {
            unlink(hole);
        }
        boolean initiatorIsLo = (t[h + FLAGS] & INITIATOR_IS_LO) != 0;
        sources.decrement(t[h + (initiatorIsLo ? LO_HI : HI_HI)], t[h + (initiatorIsLo ? LO_LO : HI_LO)],
                (int) (t[h + META] >>> 48) & 0xf);
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            int s = j * WORDS;
            if (t[s + META] == 0) {
                break;
            }
            if (!staysPut(hole, home(t[s + LO_HI], t[s + LO_LO], t[s + HI_HI], t[s + HI_LO], t[s + META]), j)) {
                System.arraycopy(t, s, t, hole * WORDS, WORDS);
                if ((t[s + FLAGS] & LISTED) != 0) {
                    moved(hole);
                }
                hole = j;
            }
        }
        t[hole * WORDS + META] = 0;
        size--;
    }

    /** Whether the entry at {@code j}, whose home slot is {@code home}, stays: its home is cyclically in (hole, j]. */
    static boolean staysPut(int hole, int home, int j) {
        return hole <= j ? hole < home && home <= j : hole < home || home <= j;
    }

    private int home(long a, long b, long c, long d, long m) {
        return hash.hash(a, b, c, d, m) & mask;
    }
}
