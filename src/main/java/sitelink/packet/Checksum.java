package sitelink.packet;

/**
 * The Internet checksum (RFC 1071): the ones'-complement of the ones'-complement sum of 16-bit words, and the
 * incremental update of RFC 1624 for rewriting one word without re-reading the packet.
 */
public final class Checksum {
    private Checksum() {
    }

    /** Adds {@code buf[off, off+len)} as big-endian 16-bit words to {@code sum} (an odd last byte is padded with 0). */
    public static long add(long sum, byte[] buf, int off, int len) {
        int end = off + (len & ~1);
        for (int i = off; i < end; i += 2) {
            sum += (buf[i] & 0xff) << 8 | (buf[i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (buf[off + len - 1] & 0xff) << 8;
        }
        return sum;
    }

    /** Folds the carries of a running sum into 16 bits. */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** The value to store in a checksum field, given the sum of everything it covers with the field set to 0. */
    public static int finish(long sum) {
        return ~fold(sum) & 0xffff;
    }

    /** The checksum of {@code buf[off, off+len)} alone (an IPv4 header, an ICMPv4 message). */
    public static int of(byte[] buf, int off, int len) {
        return finish(add(0, buf, off, len));
    }

    /**
     * The pseudo-header sum for TCP/UDP/ICMPv6 (RFC 9293 3.1, RFC 8200 8.1): source and destination addresses of
     * {@code addrLen} bytes at {@code srcOff}/{@code dstOff}, the protocol and the upper-layer length.
     */
    public static long pseudoHeader(byte[] buf, int srcOff, int dstOff, int addrLen, int protocol, int l4Length) {
        long sum = add(0, buf, srcOff, addrLen);
        sum = add(sum, buf, dstOff, addrLen);
        return sum + protocol + (l4Length & 0xffff) + (l4Length >>> 16);
    }

    /**
     * The transport checksum of the packet in {@code v} (TCP, UDP or ICMPv6), computed over the whole transport
     * segment with the checksum field counted as is: returns 0 when the stored checksum is right. IPv6 routing headers
     * change the pseudo-header's destination; this helper uses the header's destination, as the packets we build and
     * test have none.
     */
    public static int verifyTransport(PacketView v) {
        byte[] b = v.buffer();
        long sum = pseudoHeader(b, v.sourceOffset(), v.destinationOffset(), v.addressLength(), v.protocol(), v.l4Length());
        return finish(add(sum, b, v.l4Offset(), v.l4Length()));
    }

    /**
     * RFC 1624 equation 3: the new checksum after one 16-bit word covered by {@code checksum} changes from
     * {@code oldWord} to {@code newWord}: HC' = ~(~HC + ~m + m'). Unlike equation 2 it never produces -0 wrongly.
     */
    public static int update(int checksum, int oldWord, int newWord) {
        long sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
        return ~fold(sum) & 0xffff;
    }

    /** Writes a 16-bit word big-endian (network order) at {@code b[off]}. */
    public static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }
}
