package sitelink.esp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;

/**
 * Fuzzes ESP receive ({@link EspSa#open}) under each cipher, two ways. Raw: arbitrary bytes (with our SPI and a
 * non-zero sequence number, so they reach the ICV check) are never accepted and never throw. Tampered: a packet our
 * peer sealed, with fuzzer-chosen bytes changed, is accepted exactly when no byte changed, and then yields the inner
 * packet as sealed; a replay of it is refused. Regression mode replays
 * src/test/resources/sitelink/esp/EspFuzzTestInputs/open/; {@code JAZZER_FUZZ=1} fuzzes (scripts/fuzz).
 */
class EspFuzzTest {
    private static final EspCipher[] CIPHERS = EspCipher.values();

    @FuzzTest
    void open(FuzzedDataProvider data) {
        EspCipher cipher = CIPHERS[data.consumeInt(0, CIPHERS.length - 1)];
        EspSa[] sa = EspSaTest.pair(cipher); // sa[0] seals for sa[1]
        try {
            check(cipher, sa, data);
        } finally {
            // New SAs every execution (a kept sender would reseal sequence number 1 under the same key, which the
            // JDK's AES-GCM refuses): without this their ThreadLocal entries pile up until a collection, and the
            // lookups through them were two thirds of the target's time.
            sa[0].releaseThreadState();
            sa[1].releaseThreadState();
        }
    }

    private static void check(EspCipher cipher, EspSa[] sa, FuzzedDataProvider data) {
        if (data.consumeBoolean()) {
            byte[] raw = data.consumeRemainingAsBytes();
            byte[] datagram = Arrays.copyOf(raw, Math.max(raw.length, 8));
            int spi = sa[1].inboundSpi();
            datagram[0] = (byte) (spi >>> 24);
            datagram[1] = (byte) (spi >>> 16);
            datagram[2] = (byte) (spi >>> 8);
            datagram[3] = (byte) spi;
            datagram[7] |= 1; // a non-zero sequence number
            int n = sa[1].open(datagram, 0, datagram.length, new byte[datagram.length], 0);
            assertTrue(n < 0, "forged bytes accepted under " + cipher + ": " + n);
            return;
        }
        byte[] inner = data.consumeBytes(1500);
        byte[] wire = new byte[inner.length + EspSa.OVERHEAD];
        int len = sa[0].seal(inner, 0, inner.length, EspSa.NEXT_HEADER_IPV4, wire, 0);
        byte[] sealed = Arrays.copyOf(wire, len);
        int changes = data.consumeInt(0, 8);
        for (int i = 0; i < changes && len > 0; i++) {
            wire[data.consumeInt(0, len - 1)] ^= data.consumeByte();
        }
        byte[] out = new byte[len];
        int n = sa[1].open(wire, 0, len, out, 0);
        if (Arrays.equals(sealed, Arrays.copyOf(wire, len))) {
            assertEquals(inner.length, n, "an untouched packet opens under " + cipher);
            assertArrayEquals(inner, Arrays.copyOf(out, n));
            assertEquals(EspDrop.REPLAYED.code(), sa[1].open(sealed, 0, len, new byte[len], 0), "its replay is refused");
        } else {
            assertTrue(n < 0, "a changed packet was accepted under " + cipher + ": " + n);
        }
    }
}
