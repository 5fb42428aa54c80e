package sitelink.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class Tai64nTest {
    @Test
    void encodesTai64LabelAndWhitenedNanosBigEndian() {
        // 2^62 + 10 + 1e9 seconds; 0x12345678 ns rounded down to a multiple of 2^24.
        byte[] t = Tai64n.of(Instant.ofEpochSecond(1_000_000_000L, 0x12345678));
        assertEquals("400000003b9aca0a" + "12000000", HexFormat.of().formatHex(t));
    }

    @Test
    void laterInstantsCompareGreater() {
        Instant t0 = Instant.parse("2025-01-01T00:00:00Z");
        assertTrue(Tai64n.isAfter(Tai64n.of(t0.plusSeconds(1)), Tai64n.of(t0)));
        assertTrue(Tai64n.isAfter(Tai64n.of(t0.plusMillis(20)), Tai64n.of(t0)));
        assertFalse(Tai64n.isAfter(Tai64n.of(t0), Tai64n.of(t0)));
        assertEquals(0, Tai64n.compare(Tai64n.of(t0), Tai64n.of(t0.plusNanos(1000))), "within one whitening step");
    }

    @Test
    void comparesUnsignedBytes() {
        byte[] small = new byte[12];
        byte[] big = new byte[12];
        big[11] = (byte) 0x80;
        assertTrue(Tai64n.isAfter(big, small));
    }
}
