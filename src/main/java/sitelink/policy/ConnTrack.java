package sitelink.policy;

import sitelink.packet.PacketView;

/**
 * The table of flows a rule allowed, so that their replies pass: an open-addressing hash table on primitive arrays
 * (no allocation per packet), keyed by the flow's 5-tuple in a canonical order so that both directions of a flow find
 * the same slot with one probe sequence, under a keyed hash ({@link FlowHash}) so that senders cannot aim collisions.
 * ICMP echo flows use the echo id as both "ports".
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

    private static final long USED = 1L << 62;
    private static final byte LO_GOES_TO_REMOTE = 1;
    private static final byte INITIATOR_IS_LO = 2;
    private static final byte REPLIED = 4;
    private static final byte CLOSING = 8;
    private static final byte RESET = 16;
    private static final byte ASSURED = 32;
    /** In the list of evictable flows. */
    private static final byte LISTED = 64;

    private final int maxEntries;
    private final int perSource;
    private final int mask;
    private final FlowHash hash;
    private final SourceCounts sources;
    private final long[] loHi;
    private final long[] loLo;
    private final long[] hiHi;
    private final long[] hiLo;
    private final long[] meta;
    private final long[] expires;
    private final byte[] flags;
    /** The evictable flows as a doubly linked list of slots, {@link #oldest} first; -1 ends it. */
    private final int[] older;
    private final int[] newer;
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

    ConnTrack(int maxEntries, int perSource, Timeouts t, FlowHash hash) {
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
        loHi = new long[capacity];
        loLo = new long[capacity];
        hiHi = new long[capacity];
        hiLo = new long[capacity];
        meta = new long[capacity];
        expires = new long[capacity];
        flags = new byte[capacity];
        older = new int[capacity];
        newer = new int[capacity];
        tcpOpening = t.tcpOpening().toNanos();
        tcpEstablished = t.tcpEstablished().toNanos();
        tcpClosing = t.tcpClosing().toNanos();
        tcpReset = t.tcpReset().toNanos();
        udpUnreplied = t.udpUnreplied().toNanos();
        udpReplied = t.udpReplied().toNanos();
        icmp = t.icmp().toNanos();
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

    /**
     * The slot of the loaded key's flow when it is live and crosses the tunnel the same way, else -1. An expired flow
     * found on the way is removed.
     */
    int find(long now) {
        int i = kHome;
        while (meta[i] != 0) {
            if (meta[i] == kMeta && loLo[i] == kLoLo && hiLo[i] == kHiLo && loHi[i] == kLoHi && hiHi[i] == kHiHi) {
                if (now - expires[i] >= 0) {
                    remove(i);
                    return -1;
                }
                boolean sameWay = ((flags[i] & LO_GOES_TO_REMOTE) != 0) == kLoGoesToRemote;
                // an echo flow carries requests one way and replies the other: a request from the responder's
                // side is a new ping, which a rule must allow
                boolean fromInitiator = ((flags[i] & INITIATOR_IS_LO) != 0) == kSrcIsLo;
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
        while (meta[i] != 0) {
            if (meta[i] == kMeta && loLo[i] == kLoLo && hiLo[i] == kHiLo && loHi[i] == kLoHi && hiHi[i] == kHiHi) {
                return true;
            }
            i = (i + 1) & mask;
        }
        return false;
    }

    /** Records the packet {@code v} (whose key is loaded) on flow {@code i}: state, new expiry, place in the list. */
    void seen(int i, PacketView v, long now) {
        byte f = flags[i];
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
        flags[i] = f;
        expires[i] = now + timeout(f, kProtocol());
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
        while (meta[i] != 0) {
            i = (i + 1) & mask;
        }
        loHi[i] = kLoHi;
        loLo[i] = kLoLo;
        hiHi[i] = kHiHi;
        hiLo[i] = kHiLo;
        meta[i] = kMeta;
        byte f = (byte) ((kLoGoesToRemote ? LO_GOES_TO_REMOTE : 0) | (kSrcIsLo ? INITIATOR_IS_LO : 0));
        f = tcpFlags(f, v);
        flags[i] = f;
        append(i); // nothing has answered it yet
        expires[i] = now + timeout(f, kProtocol());
        sources.increment(srcHi, srcLo, version);
        size++;
        return i;
    }

    private static byte tcpFlags(byte f, PacketView v) {
        if (v.protocol() == PacketView.TCP) {
            if ((v.tcpFlags() & PacketView.RST) != 0) {
                f |= RESET;
            } else if ((v.tcpFlags() & PacketView.FIN) != 0) {
                f |= CLOSING;
            }
        }
        return f;
    }

    private long timeout(byte f, int protocol) {
        return switch (protocol) {
            // an open nobody completed is short-lived whatever flags it carries
            case PacketView.TCP -> (f & ASSURED) == 0 ? tcpOpening
                    : (f & RESET) != 0 ? tcpReset
                    : (f & CLOSING) != 0 ? tcpClosing : tcpEstablished;
            case PacketView.UDP -> (f & REPLIED) != 0 ? udpReplied : udpUnreplied;
            default -> icmp;
        };
    }

    private static boolean evictable(byte f) {
        return (f & ASSURED) == 0 || (f & RESET) != 0;
    }

    /** Puts flow {@code i} at the newest end of the evictable list. */
    private void append(int i) {
        older[i] = newest;
        newer[i] = -1;
        if (newest >= 0) {
            newer[newest] = i;
        } else {
            oldest = i;
        }
        newest = i;
        flags[i] |= LISTED;
    }

    private void unlink(int i) {
        relink(i, -1);
        flags[i] &= ~LISTED;
    }

    /** Points the neighbours of listed flow {@code i} at {@code to} (its new slot; -1 to drop it from the list). */
    private void relink(int i, int to) {
        int o = older[i];
        int n = newer[i];
        if (to < 0) {
            if (o >= 0) {
                newer[o] = n;
            } else {
                oldest = n;
            }
            if (n >= 0) {
                older[n] = o;
            } else {
                newest = o;
            }
            return;
        }
        older[to] = o;
        newer[to] = n;
        if (o >= 0) {
            newer[o] = to;
        } else {
            oldest = to;
        }
        if (n >= 0) {
            older[n] = to;
        } else {
            newest = to;
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
            while (meta[i] != 0 && now - expires[i] >= 0) {
                remove(i); // may shift a later flow into slot i: look at it again
            }
        }
        return true;
    }

    /** Linear-probing deletion by backward shift (Knuth 6.4 algorithm R): no tombstones to clog the table. */
    private void remove(int hole) {
        if ((flags[hole] & LISTED) != 0) {
            unlink(hole);
        }
        boolean initiatorIsLo = (flags[hole] & INITIATOR_IS_LO) != 0;
        sources.decrement(initiatorIsLo ? loHi[hole] : hiHi[hole], initiatorIsLo ? loLo[hole] : hiLo[hole],
                (int) (meta[hole] >>> 48) & 0xf);
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            if (meta[j] == 0) {
                break;
            }
            if (!staysPut(hole, home(loHi[j], loLo[j], hiHi[j], hiLo[j], meta[j]), j)) {
                loHi[hole] = loHi[j];
                loLo[hole] = loLo[j];
                hiHi[hole] = hiHi[j];
                hiLo[hole] = hiLo[j];
                meta[hole] = meta[j];
                expires[hole] = expires[j];
                flags[hole] = flags[j];
                if ((flags[j] & LISTED) != 0) {
                    relink(j, hole);
                }
                hole = j;
            }
        }
        meta[hole] = 0;
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
