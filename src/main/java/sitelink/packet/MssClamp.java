package sitelink.packet;

/**
 * Lowers the MSS option of TCP SYN and SYN-ACK segments so that neither end sends segments that do not fit the tunnel
 * (what iptables' {@code TCPMSS --clamp-mss-to-pmtu} does): with PMTUD often broken by filtered ICMP, a too-large MSS is
 * the classic cause of tunnels that connect and then stall on the first full-size segment.
 *
 * <p>The largest MSS is the tunnel MTU minus the IP and TCP headers without options: 40 bytes for IPv4 (20 + 20), 60
 * for IPv6 (40 + 20), as RFC 9293 section 3.7.1 computes it. The checksum is updated incrementally (RFC 1624), so a
 * segment with a wrong checksum stays wrong and the receiver still drops it.
 */
public final class MssClamp {
    private static final int MSS_KIND = 2;
    private static final int MSS_LENGTH = 4;

    private final int mtu;
    private final boolean enabled;

    /** Clamping on, to the tunnel {@code mtu}. */
    public MssClamp(int mtu) {
        this(mtu, true);
    }

    public MssClamp(int mtu, boolean enabled) {
        if (mtu < 576 || mtu > 65535) {
            throw new IllegalArgumentException("MTU " + mtu + " is outside 576..65535");
        }
        this.mtu = mtu;
        this.enabled = enabled;
    }

    public int mtu() {
        return mtu;
    }

    /** The largest MSS announced through the tunnel for IP version 4 or 6. */
    public int maxMss(int version) {
        return mtu - (version == 6 ? 60 : 40);
    }

    /**
     * Rewrites the MSS option in place when {@code v} is a valid TCP SYN (with or without ACK) announcing more than
     * {@link #maxMss}; returns true when the packet changed. Options are walked with every length checked: a malformed
     * option list is left untouched.
     */
    public boolean clamp(PacketView v) {
        if (!enabled || !v.valid() || v.protocol() != PacketView.TCP || !v.hasTransport()
                || (v.tcpFlags() & (PacketView.SYN | PacketView.RST)) != PacketView.SYN) {
            return false;
        }
        byte[] b = v.buffer();
        int tcp = v.l4Offset();
        int end = tcp + v.tcpHeaderLength();
        int p = tcp + 20;
        while (p < end) {
            int kind = b[p] & 0xff;
            if (kind == 0) {
                return false; // end of option list
            }
            if (kind == 1) {
                p++; // NOP
                continue;
            }
            if (end - p < 2) {
                return false;
            }
            int len = b[p + 1] & 0xff;
            if (len < 2 || len > end - p) {
                return false;
            }
            if (kind == MSS_KIND && len == MSS_LENGTH) {
                return rewrite(b, tcp, p + 2, maxMss(v.version()));
            }
            p += len;
        }
        return false;
    }

    private static boolean rewrite(byte[] b, int tcp, int at, int max) {
        int mss = PacketView.u16(b, at);
        if (mss <= max) {
            return false;
        }
        int checksum = PacketView.u16(b, tcp + 16);
        // Options need no alignment, so the MSS value may straddle two checksum words. The ones'-complement sum is
        // byte-order independent (RFC 1071 2.B): at an odd position, update with both words byte-swapped.
        boolean odd = ((at - tcp) & 1) != 0;
        int oldWord = odd ? swap(mss) : mss;
        int newWord = odd ? swap(max) : max;
        Checksum.put16(b, at, max);
        Checksum.put16(b, tcp + 16, Checksum.update(checksum, oldWord, newWord));
        return true;
    }

    private static int swap(int w) {
        return (w & 0xff) << 8 | (w >>> 8) & 0xff;
    }
}
