package sitelink.packet;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes {@link IpHeader} on what a TUN read or a decrypted datagram hands it: arbitrary bytes at an arbitrary offset
 * in a larger buffer. Every method must be total (INVALID, never an exception) and never claim bytes outside
 * {@code [off, off+len)}: the device writes {@code totalLength} bytes to the TUN and reads addresses at the offsets.
 * Seed corpus: src/test/resources/sitelink/packet/IpHeaderFuzzTestInputs/header/.
 */
class IpHeaderFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void header(FuzzedDataProvider data) {
        int off = data.consumeInt(0, 8);
        int slack = data.consumeInt(0, 8);
        byte[] packet = data.consumeRemainingAsBytes();
        byte[] buf = new byte[off + packet.length + slack];
        System.arraycopy(packet, 0, buf, off, packet.length);
        int len = packet.length;

        int version = IpHeader.version(buf, off, len);
        assertTrue(version == 4 || version == 6 || version == IpHeader.INVALID, "version " + version);
        int total = IpHeader.totalLength(buf, off, len);
        if (version == IpHeader.INVALID) {
            assertTrue(total == IpHeader.INVALID, "a length for a packet with no valid header");
            return;
        }
        int addressEnd = IpHeader.destinationOffset(version) + IpHeader.addressLength(version);
        assertTrue(addressEnd <= len, "addresses beyond the packet: " + addressEnd + " > " + len);
        assertTrue(IpHeader.sourceOffset(version) + IpHeader.addressLength(version) <= addressEnd);
        if (total != IpHeader.INVALID) {
            assertTrue(total <= len, "totalLength " + total + " beyond the " + len + " bytes there");
            assertTrue(total >= addressEnd, "totalLength " + total + " shorter than the header");
        }
    }
}
