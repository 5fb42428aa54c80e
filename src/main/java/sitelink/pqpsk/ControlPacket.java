package sitelink.pqpsk;

import java.util.Arrays;
import java.util.Optional;
import sitelink.packet.Checksum;

/**
 * How an exchange message travels: as the UDP payload of an IPv4 packet from 0.0.0.0 to 0.0.0.0, port
 * {@link #PORT} to {@link #PORT}, sealed by WireGuard like any packet for the peer. No host sends such a packet (the
 * unspecified address is no one's source or destination), so the device can take it out of the decrypted stream
 * before the source check and the site policy, and it never reaches a LAN; a LAN packet that looks like one is refused
 * on the way in, so only the gateway itself speaks on this channel. A peer that does not run the exchange (plain
 * WireGuard, or sitelink with {@code post_quantum: off}) drops it: 0.0.0.0 is in no site's subnets.
 */
public final class ControlPacket {
    public static final int PORT = 51822;
    static final int HEADERS = 20 + 8;

    private ControlPacket() {
    }

    /** The IPv4/UDP packet carrying {@code message}. */
    public static byte[] wrap(byte[] message) {
        int total = HEADERS + message.length;
        byte[] p = new byte[total];
        p[0] = 0x45;
        p[2] = (byte) (total >>> 8);
        p[3] = (byte) total;
        p[6] = 0x40; // DF: never fragmented inside the tunnel (at most 1228 bytes, below any tunnel MTU we allow)
        p[8] = 64;
        p[9] = 17;
        int sum = Checksum.of(p, 0, 20);
        p[10] = (byte) (sum >>> 8);
        p[11] = (byte) sum;
        p[20] = (byte) (PORT >>> 8);
        p[21] = (byte) PORT;
        p[22] = (byte) (PORT >>> 8);
        p[23] = (byte) PORT;
        p[24] = (byte) ((total - 20) >>> 8);
        p[25] = (byte) (total - 20);
        // UDP checksum 0 (none, RFC 768): WireGuard's AEAD already authenticates every byte
        System.arraycopy(message, 0, p, HEADERS, message.length);
        return p;
    }

    /** Whether the packet has the control channel's shape (addresses, protocol, port), whatever its payload. */
    public static boolean matches(byte[] b, int off, int len) {
        if (len < HEADERS || b[off] != 0x45 || b[off + 9] != 17) {
            return false;
        }
        for (int i = 12; i < 20; i++) {
            if (b[off + i] != 0) {
                return false;
            }
        }
        return ((b[off + 22] & 0xff) << 8 | (b[off + 23] & 0xff)) == PORT;
    }

    /** The message inside a control packet, empty when it is not one or its lengths do not add up. */
    public static Optional<byte[]> unwrap(byte[] b, int off, int len) {
        if (!matches(b, off, len)) {
            return Optional.empty();
        }
        int total = (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
        int udp = (b[off + 24] & 0xff) << 8 | (b[off + 25] & 0xff);
        if (total > len || total < HEADERS || udp != total - 20) {
            return Optional.empty();
        }
        return Optional.of(Arrays.copyOfRange(b, off + HEADERS, off + total));
    }
}
