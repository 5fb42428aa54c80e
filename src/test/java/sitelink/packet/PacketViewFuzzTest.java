package sitelink.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;

/**
 * Fuzzes {@link PacketView#parse} and {@link PacketView#parseQuoted} on arbitrary bytes at an offset in a larger
 * buffer. What must hold: no exception; the view never reads outside {@code [off, off+len)} (the same packet between
 * two different fillers gives the same view, getters included); a valid view's offsets lie inside the packet; and it
 * agrees with {@link IpHeader}, which the device's routing uses on the same packet.
 * Seed corpus: src/test/resources/sitelink/packet/PacketViewFuzzTestInputs/parse/.
 */
class PacketViewFuzzTest {
    private final PacketView a = new PacketView();
    private final PacketView b = new PacketView();

    @FuzzTest(maxDuration = "20s")
    void parse(FuzzedDataProvider data) {
        boolean quoted = data.consumeBoolean();
        int off = data.consumeInt(0, 8);
        int slack = data.consumeInt(0, 16);
        byte[] packet = data.consumeRemainingAsBytes();
        int len = packet.length;
        // The packet between zeros, then between 0xff bytes: any read outside it shows up as a difference.
        byte[] zeros = new byte[off + len + slack];
        byte[] ones = new byte[off + len + slack];
        Arrays.fill(ones, (byte) 0xff);
        System.arraycopy(packet, 0, zeros, off, len);
        System.arraycopy(packet, 0, ones, off, len);

        boolean valid = quoted ? a.parseQuoted(zeros, off, len) : a.parse(zeros, off, len);
        boolean validToo = quoted ? b.parseQuoted(ones, off, len) : b.parse(ones, off, len);
        assertEquals(valid, a.valid());
        assertEquals(facts(a), facts(b), "the view depends on bytes outside the packet");
        assertEquals(valid, validToo);

        int ipVersion = IpHeader.version(packet, 0, len);
        if (ipVersion == IpHeader.INVALID) {
            assertTrue(!valid, "PacketView accepts what IpHeader refuses");
            return;
        }
        if (!valid) {
            return;
        }
        int end = off + len;
        assertEquals(ipVersion, a.version(), "PacketView and IpHeader disagree on the version");
        if (!quoted) {
            assertEquals(IpHeader.totalLength(packet, 0, len), a.totalLength(), "PacketView and IpHeader disagree on the length");
        }
        assertTrue(a.totalLength() <= len, "totalLength beyond the packet");
        assertTrue(a.ipHeaderLength() >= (a.version() == 4 ? 20 : 40), "IP header shorter than the fixed header");
        assertTrue(a.l4Offset() >= off + a.ipHeaderLength() && a.l4Offset() <= end, "transport offset outside the packet");
        assertTrue(a.l4Length() >= 0 && a.l4Offset() + a.l4Length() <= off + a.totalLength(), "transport beyond the packet");
        assertTrue(a.destinationOffset() + a.addressLength() <= off + a.ipHeaderLength(), "addresses beyond the header");
        if (a.hasTransport()) {
            assertTrue(a.isFirstFragment(), "ports in a later fragment");
            assertTrue(a.l4Length() >= 8, "ports or ICMP type read from a transport header under 8 bytes");
            if (a.protocol() == PacketView.TCP && !quoted) {
                assertTrue(a.tcpHeaderLength() >= 20 && a.tcpHeaderLength() <= a.l4Length(), "TCP header beyond the packet");
            }
        }
    }

    /** Everything the view reports, getters that read the buffer included. */
    private static String facts(PacketView v) {
        if (!v.valid()) {
            return "invalid";
        }
        return String.join(",", "v" + v.version(), "total" + v.totalLength(), "ihl" + v.ipHeaderLength(),
                "p" + v.protocol(), "l4@" + v.l4Offset(), "l4len" + v.l4Length(), "frag" + v.isFragment(),
                "first" + v.isFirstFragment(), "id" + v.fragmentId(), "df" + v.dontFragment(), "t" + v.hasTransport(),
                "sp" + v.sourcePort(), "dp" + v.destinationPort(), "flags" + v.tcpFlags(), "thl" + v.tcpHeaderLength(),
                "icmp" + v.icmpType(), "echo" + v.isIcmpEcho() + "/" + v.icmpId(),
                "err" + v.isIcmpError(), "src" + v.addressHigh(v.sourceOffset()) + "/" + v.addressLow(v.sourceOffset()),
                "dst" + v.addressHigh(v.destinationOffset()) + "/" + v.addressLow(v.destinationOffset()));
    }
}
