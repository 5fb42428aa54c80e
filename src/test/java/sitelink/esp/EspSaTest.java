package sitelink.esp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EspSaTest {
    private static final int SPI_A = 0xc0000001, SPI_B = 0xc0000002;

    static EspSa[] pair(EspCipher aead) {
        int keymat = aead.isAead() ? 36 : 32 + aead.integKeyLength;
        byte[] ab = new byte[keymat], ba = new byte[keymat];
        new SplittableRandom(1).nextBytes(ab);
        new SplittableRandom(2).nextBytes(ba);
        java.security.SecureRandom random = new java.security.SecureRandom();
        return new EspSa[] {new EspSa(aead, SPI_A, SPI_B, ba, ab, random), new EspSa(aead, SPI_B, SPI_A, ab, ba, random)};
    }

    private static byte[] inner(int len) {
        byte[] p = new byte[len];
        new SplittableRandom(len).nextBytes(p);
        p[0] = 0x45;
        return p;
    }

    @ParameterizedTest
    @EnumSource(EspCipher.class)
    void aPacketOfAnyLengthRoundTripsWithAlignedCiphertext(EspCipher aead) {
        EspSa[] sa = pair(aead);
        for (int len = 20; len < 100; len++) {
            byte[] p = inner(len), wire = new byte[len + EspSa.OVERHEAD], out = new byte[wire.length];
            int n = sa[0].seal(p, 0, len, EspSa.NEXT_HEADER_IPV4, wire, 0);
            int ciphertext = n - EspSa.HEADER_LENGTH - (aead.isAead() ? 8 + 16 : 16 + aead.integKeyLength / 2);
            assertEquals(0, ciphertext % (aead.isAead() ? 4 : 16), "ciphertext " + ciphertext);
            assertEquals(SPI_B, EspSa.spiOf(wire, 0));
            assertEquals(len, sa[1].open(wire, 0, n, out, 0));
            assertArrayEquals(p, Arrays.copyOf(out, len));
        }
    }

    @ParameterizedTest
    @EnumSource(EspCipher.class)
    void aReplayedPacketIsDropped(EspCipher aead) {
        EspSa[] sa = pair(aead);
        byte[] p = inner(60), wire = new byte[200], out = new byte[200];
        int n = sa[0].seal(p, 0, p.length, 4, wire, 0);
        assertEquals(60, sa[1].open(wire, 0, n, out, 0));
        assertEquals(EspDrop.REPLAYED.code(), sa[1].open(wire, 0, n, out, 0));
    }

    @ParameterizedTest
    @EnumSource(EspCipher.class)
    void aTamperedPacketIsDroppedAndDoesNotMoveTheReplayWindow(EspCipher aead) {
        EspSa[] sa = pair(aead);
        byte[] p = inner(60), first = new byte[200], out = new byte[200];
        int n1 = sa[0].seal(p, 0, p.length, 4, first, 0);
        byte[] later = new byte[200];
        for (int i = 0; i < 5000; i++) {
            sa[0].seal(p, 0, p.length, 4, later, 0);
        }
        int n = sa[0].seal(p, 0, p.length, 4, later, 0);
        for (int pos : new int[] {5, 20, n - 1}) { // sequence number (AAD), ciphertext, ICV
            byte[] forged = later.clone();
            forged[pos] ^= 1;
            int r = sa[1].open(forged, 0, n, out, 0);
            assertTrue(r == EspDrop.AUTH_FAILED.code(), "byte " + pos + ": " + r);
        }
        assertEquals(60, sa[1].open(first, 0, n1, out, 0), "sequence 1 is still inside the window: no forgery moved it");
        assertEquals(60, sa[1].open(later, 0, n, out, 0));
    }

    @ParameterizedTest
    @EnumSource(EspCipher.class)
    void outOfOrderPacketsWithinTheWindowAreAcceptedOnceAndOlderOnesDropped(EspCipher aead) {
        EspSa[] sa = pair(aead);
        byte[] p = inner(40), out = new byte[200];
        byte[][] wires = new byte[2100][];
        int[] lengths = new int[wires.length];
        for (int i = 0; i < wires.length; i++) {
            wires[i] = new byte[200];
            lengths[i] = sa[0].seal(p, 0, p.length, 4, wires[i], 0);
        }
        assertEquals(40, sa[1].open(wires[2099], 0, lengths[2099], out, 0));
        assertEquals(40, sa[1].open(wires[1100], 0, lengths[1100], out, 0), "1000 behind: inside a window of at least 1024");
        assertEquals(EspDrop.REPLAYED.code(), sa[1].open(wires[1100], 0, lengths[1100], out, 0));
    }

    @ParameterizedTest
    @EnumSource(EspCipher.class)
    void garbageIsDroppedWithAReasonNeverAnException(EspCipher aead) {
        EspSa[] sa = pair(aead);
        SplittableRandom random = new SplittableRandom(3);
        byte[] out = new byte[300];
        for (int i = 0; i < 5000; i++) {
            byte[] g = new byte[random.nextInt(0, 200)];
            random.nextBytes(g);
            if (g.length >= 4 && random.nextBoolean()) {
                g[0] = (byte) (SPI_A >>> 24); g[1] = 0; g[2] = 0; g[3] = 1;
            }
            assertTrue(sa[1].open(g, 0, g.length, out, 0) < 0);
        }
    }

    @ParameterizedTest
    @EnumSource(EspCipher.class)
    void sequenceNumbersNeverWrapSealRefusesAfterTheLastOne(EspCipher aead) {
        EspSa[] sa = pair(aead);
        byte[] p = inner(40), wire = new byte[200], out = new byte[200];
        sa[0].continueSequenceAt(0xFFFF_FFFFL);
        assertTrue(sa[0].needsRekey());
        int n = sa[0].seal(p, 0, p.length, 4, wire, 0);
        assertEquals(40, sa[1].open(wire, 0, n, out, 0), "the last sequence number, 2^32 - 1, is used");
        assertEquals(EspSa.SEQUENCE_EXHAUSTED, sa[0].seal(p, 0, p.length, 4, wire, 0));
        assertEquals(EspSa.SEQUENCE_EXHAUSTED, sa[0].seal(p, 0, p.length, 4, wire, 0), "and stays refused");
    }
}
