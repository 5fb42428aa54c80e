package sitelink.policy;

import sitelink.packet.PacketView;

/**
 * The table of flows a rule allowed, so that their replies pass: an open-addressing hash table on primitive arrays
 * (no allocation per packet), keyed by the flow's 5-tuple in a canonical order so that both directions of a flow find
 * the same slot with one probe sequence. ICMP echo flows use the echo id as both "ports".
 *
 * <p>Each slot also remembers which way its flow crosses the tunnel: a packet with the right 5-tuple but travelling
 * the other way (a remote host forging a local one's address) does not belong to it.
 *
 * <p>Bounded: at most {@code maxEntries} flows. When full, expired flows are swept out first; if none is, the new flow
 * is refused. Not thread-safe: {@link Policy} serialises access.
 */
final class ConnTrack {
    private static final long USED = 1L << 62;
    private static final byte LO_GOES_TO_REMOTE = 1;
    private static final byte INITIATOR_IS_LO = 2;
    private static final byte REPLIED = 4;
    private static final byte CLOSING = 8;
    private static final byte RESET = 16;

    private final int maxEntries;
    private final int mask;
    private final long[] loHi;
    private final long[] loLo;
    private final long[] hiHi;
    private final long[] hiLo;
    private final long[] meta;
    private final long[] expires;
    private final byte[] flags;
    private final long tcpOpening;
    private final long tcpEstablished;
    private final long tcpClosing;
    private final long tcpReset;
    private final long udpUnreplied;
    private final long udpReplied;
    private final long icmp;
    private int size;
    private long earliestExpiry = Long.MAX_VALUE;

    // the key of the packet being looked at (one packet at a time)
    private long kLoHi;
    private long kLoLo;
    private long kHiHi;
    private long kHiLo;
    private long kMeta;
    private boolean kSrcIsLo;
    private boolean kLoGoesToRemote;
    private boolean kEchoReply;

    ConnTrack(int maxEntries, Timeouts t) {
        if (maxEntries < 1 || maxEntries > 1 << 24) {
            throw new IllegalArgumentException("max connections " + maxEntries + " is outside 1..16777216");
        }
        this.maxEntries = maxEntries;
        int capacity = Integer.highestOneBit(maxEntries * 2 - 1) << 1; // load factor at most 1/2
        mask = capacity - 1;
        loHi = new long[capacity];
        loLo = new long[capacity];
        hiHi = new long[capacity];
        hiLo = new long[capacity];
        meta = new long[capacity];
        expires = new long[capacity];
        flags = new byte[capacity];
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
        return true;
    }

    /**
     * The slot of the loaded key's flow when it is live and crosses the tunnel the same way, else -1. An expired flow
     * found on the way is removed.
     */
    int find(long now) {
        int i = slot(hash(kLoHi, kLoLo, kHiHi, kHiLo, kMeta));
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
        int i = slot(hash(kLoHi, kLoLo, kHiHi, kHiLo, kMeta));
        while (meta[i] != 0) {
            if (meta[i] == kMeta && loLo[i] == kLoLo && hiLo[i] == kHiLo && loHi[i] == kLoHi && hiHi[i] == kHiHi) {
                return true;
            }
            i = (i + 1) & mask;
        }
        return false;
    }

    /** Records the packet {@code v} (whose key is loaded) on flow {@code i}: state and new expiry. */
    void seen(int i, PacketView v, long now) {
        byte f = flags[i];
        boolean fromInitiator = ((f & INITIATOR_IS_LO) != 0) == kSrcIsLo;
        if (!fromInitiator) {
            f |= REPLIED;
        }
        f = tcpFlags(f, v);
        flags[i] = f;
        expires[i] = now + timeout(f, (int) (kMeta >>> 32) & 0xff);
    }

    /** Inserts the loaded key as a new flow opened by {@code v}; returns its slot or -1 when the table is full. */
    int insert(PacketView v, long now) {
        if (size == maxEntries && !sweep(now)) {
            return -1;
        }
        int i = slot(hash(kLoHi, kLoLo, kHiHi, kHiLo, kMeta));
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
        expires[i] = now + timeout(f, (int) (kMeta >>> 32) & 0xff);
        earliestExpiry = Math.min(earliestExpiry, expires[i]);
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
        boolean replied = (f & REPLIED) != 0;
        return switch (protocol) {
            case PacketView.TCP -> (f & RESET) != 0 ? tcpReset
                    : (f & CLOSING) != 0 ? tcpClosing
                    : replied ? tcpEstablished : tcpOpening;
            case PacketView.UDP -> replied ? udpReplied : udpUnreplied;
            default -> icmp;
        };
    }

    /** Removes every expired flow; true when that made room. Skipped while nothing can have expired yet. */
    private boolean sweep(long now) {
        if (now - earliestExpiry < 0) {
            return false;
        }
        long earliest = Long.MAX_VALUE;
        for (int i = 0; i <= mask; i++) {
            while (meta[i] != 0 && now - expires[i] >= 0) {
                remove(i); // may shift a later flow into slot i: look at it again
            }
            if (meta[i] != 0) {
                earliest = Math.min(earliest, expires[i]);
            }
        }
        earliestExpiry = earliest;
        return size < maxEntries;
    }

    /** Linear-probing deletion by backward shift (Knuth 6.4 algorithm R): no tombstones to clog the table. */
    private void remove(int hole) {
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            if (meta[j] == 0) {
                break;
            }
            int home = slot(hash(loHi[j], loLo[j], hiHi[j], hiLo[j], meta[j]));
            // the flow at j may move into the hole unless its home lies cyclically in (hole, j]
            boolean stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (!stays) {
                loHi[hole] = loHi[j];
                loLo[hole] = loLo[j];
                hiHi[hole] = hiHi[j];
                hiLo[hole] = hiLo[j];
                meta[hole] = meta[j];
                expires[hole] = expires[j];
                flags[hole] = flags[j];
                hole = j;
            }
        }
        meta[hole] = 0;
        size--;
    }

    private int slot(long h) {
        return (int) h & mask;
    }

    /** A 64-bit mix of a key of five longs (two addresses and a meta word), for the policy's tables. */
    static long hash(long a, long b, long c, long d, long m) {
        long h = a * 0x9E3779B97F4A7C15L;
        h = (h ^ b) * 0xC2B2AE3D27D4EB4FL;
        h = (h ^ c) * 0x9E3779B97F4A7C15L;
        h = (h ^ d) * 0xC2B2AE3D27D4EB4FL;
        h = (h ^ m) * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 29) ^ (h >>> 47);
    }

}
