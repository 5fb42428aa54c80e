package sitelink.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ChaChaPolyTest {
    private static final HexFormat HEX = HexFormat.of();
    static final byte[] KEY = HEX.parseHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    static final byte[] AAD = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
    static final byte[] SUNSCREEN = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
            + "the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
    private static final String RFC8439_CIPHERTEXT = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
            + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58"
            + "fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691";

    @Test
    void matchesRfc8439Section282AeadVector() {
        // The RFC's nonce is 07000000 || 4041424344454647, not WireGuard's 4 zero bytes || counter,
        // so this goes through the raw-nonce entry point.
        byte[] nonce = HEX.parseHex("070000004041424344454647");
        byte[] out = new byte[SUNSCREEN.length + 16];
        assertEquals(out.length, ChaChaPoly.sealWithNonce(KEY, nonce, SUNSCREEN, 0, SUNSCREEN.length, AAD, out, 0));
        assertEquals(RFC8439_CIPHERTEXT, HEX.formatHex(out));
        byte[] back = new byte[SUNSCREEN.length];
        assertEquals(SUNSCREEN.length, ChaChaPoly.openWithNonce(KEY, nonce, out, 0, out.length, AAD, back, 0));
        assertArrayEquals(SUNSCREEN, back);
    }

    @Test
    void wireGuardNonceIsFourZeroBytesThenLittleEndianCounter() {
        assertEquals("000000000807060504030201", HEX.formatHex(ChaChaPoly.nonce(0x0102030405060708L)));
    }

    @Test
    void rejectsTamperedCiphertextAadOrCounter() {
        byte[] sealed = ChaChaPoly.seal(KEY, 7, SUNSCREEN, AAD);
        assertTrue(ChaChaPoly.open(KEY, 7, sealed, AAD).isPresent());
        byte[] bad = sealed.clone();
        bad[3] ^= 1;
        assertTrue(ChaChaPoly.open(KEY, 7, bad, AAD).isEmpty());
        assertTrue(ChaChaPoly.open(KEY, 8, sealed, AAD).isEmpty());
        assertTrue(ChaChaPoly.open(KEY, 7, sealed, null).isEmpty());
        assertTrue(ChaChaPoly.open(KEY, 7, new byte[15], AAD).isEmpty());
    }

    @Test
    void sealsAndOpensInPlace() {
        byte[] buf = new byte[16 + SUNSCREEN.length + 16];
        System.arraycopy(SUNSCREEN, 0, buf, 16, SUNSCREEN.length);
        int n = ChaChaPoly.seal(KEY, 1, buf, 16, SUNSCREEN.length, null, buf, 16);
        assertArrayEquals(SUNSCREEN, ChaChaPoly.open(KEY, 1, Arrays.copyOfRange(buf, 16, 16 + n), null).orElseThrow());
        int m = ChaChaPoly.open(KEY, 1, buf, 16, n, null, buf, 16);
        assertArrayEquals(SUNSCREEN, Arrays.copyOfRange(buf, 16, 16 + m));
    }

    @Test
    void theTransportPathSealsAsTheAeadWithNoAssociatedDataAndRefusesWhatDoesNotAuthenticate() {
        SessionKey key = new SessionKey(KEY.clone());
        byte[] reference = ChaChaPoly.seal(KEY, 9, SUNSCREEN, null);
        ChaChaPoly.prepareThread(); // another key in between: the JDK refuses the same key and nonce twice in a row
        byte[] viaTransport = new byte[SUNSCREEN.length + 16];
        assertEquals(viaTransport.length, ChaChaPoly.sealTransport(key, 9, SUNSCREEN, 0, SUNSCREEN.length, viaTransport, 0));
        assertArrayEquals(reference, viaTransport, "the same bytes as seal() without AAD");
        byte[] back = new byte[SUNSCREEN.length];
        assertEquals(SUNSCREEN.length, ChaChaPoly.openTransport(key, 9, viaTransport, 0, viaTransport.length, back, 0));
        assertArrayEquals(SUNSCREEN, back);
        assertEquals(-1, ChaChaPoly.openTransport(key, 10, viaTransport, 0, viaTransport.length, back, 0), "wrong counter");
        viaTransport[3] ^= 1;
        assertEquals(-1, ChaChaPoly.openTransport(key, 9, viaTransport, 0, viaTransport.length, back, 0), "a flipped bit");
        assertEquals(-1, ChaChaPoly.openTransport(key, 9, viaTransport, 0, 15, back, 0), "shorter than a tag");
        assertThrows(ChaChaPoly.NonceReuseException.class,
                () -> ChaChaPoly.sealTransport(key, 9, SUNSCREEN, 0, SUNSCREEN.length, new byte[SUNSCREEN.length + 16], 0),
                "the JDK's guard on the transport cipher too");
        key.destroy();
    }

    @Test
    void sealingTwiceUnderOneKeyAndNonceFailsLoudly() {
        // WireGuard never does this with a live key (counters only grow); if a bug ever does, the JDK's guard must
        // stop the second seal instead of sending a message that reveals the XOR of two plaintexts.
        ChaChaPoly.seal(KEY, 42, SUNSCREEN, AAD);
        ChaChaPoly.NonceReuseException e = assertThrows(ChaChaPoly.NonceReuseException.class,
                () -> ChaChaPoly.seal(KEY, 42, SUNSCREEN, AAD));
        assertTrue(e.getMessage().contains("same ChaCha20-Poly1305 key and nonce"));
    }

    @Test
    void aSessionKeyIsZeroedOnlyWhenItsLastUseEnds() {
        SessionKey key = new SessionKey(KEY.clone());
        assertTrue(key.acquire());
        key.destroy();
        assertTrue(key.isDestroyed());
        assertTrue(!key.acquire(), "no new use starts after destroy");
        byte[] out = new byte[SUNSCREEN.length + 16];
        ChaChaPoly.sealTransport(key, 43, SUNSCREEN, 0, SUNSCREEN.length, out, 0); // the use begun before destroy ends
        assertArrayEquals(SUNSCREEN, ChaChaPoly.open(KEY, 43, out, null).orElseThrow(), "sealed under the real key");
        assertTrue(!key.isZeroed());
        key.release();
        assertTrue(key.isZeroed());
        assertArrayEquals(new byte[32], key.getEncoded());
    }
}
