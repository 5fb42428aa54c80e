package sitelink.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The data path's ChaCha20-Poly1305 from the JDK's ChaCha20 and Poly1305 gives the JDK AEAD's bytes, opens what that
 * sealed, and decrypts nothing that does not authenticate. The test JVM gets the launchers' --add-opens (pom.xml).
 */
class ComposedChaChaPolyTest {
    private final SecureRandom random = new SecureRandom();

    private SessionKey key(byte[] bytes) {
        return new SessionKey(bytes.clone());
    }

    @Test
    void isUsedWhereTheLaunchersOptionsAreGiven() {
        assertNull(ComposedChaChaPoly.UNAVAILABLE, "the composition is off: " + ComposedChaChaPoly.UNAVAILABLE);
        assertTrue(ComposedChaChaPoly.AVAILABLE);
    }

    @Test
    void sealsAsTheJdksAeadAndOpensWhatItSealedAtEverySize() {
        byte[] k = new byte[32];
        random.nextBytes(k);
        SessionKey key = key(k);
        long counter = 0;
        for (int size = 0; size <= 2100; size += size < 130 ? 1 : 97) {
            byte[] plain = new byte[size];
            random.nextBytes(plain);
            counter++;
            byte[] ours = new byte[size + 16];
            assertEquals(size + 16, ChaChaPoly.sealTransport(key, counter, plain, 0, size, ours, 0));
            byte[] jdk = ChaChaPoly.seal(k, counter, plain, null); // the JDK's AEAD (the handshake's path)
            assertArrayEquals(jdk, ours, size + " bytes");
            byte[] back = new byte[size];
            assertEquals(size, ChaChaPoly.openTransport(key, counter, jdk, 0, jdk.length, back, 0));
            assertArrayEquals(plain, back, size + " bytes opened");
            assertEquals(Optional.of(plain).map(Arrays::toString), ChaChaPoly.open(k, counter, ours, null).map(Arrays::toString));
        }
    }

    @Test
    void sealsAndOpensInPlace() {
        byte[] k = new byte[32];
        random.nextBytes(k);
        SessionKey key = key(k);
        byte[] buf = new byte[16 + 1420 + 16];
        random.nextBytes(buf);
        byte[] plain = Arrays.copyOfRange(buf, 16, 16 + 1420);
        ChaChaPoly.sealTransport(key, 7, buf, 16, 1420, buf, 16);
        assertArrayEquals(ChaChaPoly.seal(k, 7, plain, null), Arrays.copyOfRange(buf, 16, buf.length));
        // opened to 16 bytes earlier, as a receiver that drops the header does
        assertEquals(1420, ChaChaPoly.openTransport(key, 7, buf, 16, 1436, buf, 0));
        assertArrayEquals(plain, Arrays.copyOfRange(buf, 0, 1420));
    }

    @Test
    void aForgedTagOrCiphertextOpensNothing() {
        byte[] k = new byte[32];
        random.nextBytes(k);
        SessionKey key = key(k);
        byte[] plain = new byte[1420];
        random.nextBytes(plain);
        byte[] sealed = ChaChaPoly.seal(k, 9, plain, null);
        for (int at : new int[] {0, 700, 1419, 1420, 1435}) {
            byte[] forged = sealed.clone();
            forged[at] ^= 0x20;
            byte[] out = new byte[1420];
            assertEquals(-1, ChaChaPoly.openTransport(key, 9, forged, 0, forged.length, out, 0), "byte " + at);
            assertArrayEquals(new byte[1420], out, "nothing decrypted before the tag was checked");
        }
        assertEquals(-1, ChaChaPoly.openTransport(key, 10, sealed, 0, sealed.length, new byte[1420], 0), "other nonce");
    }

    @Test
    void refusesToSealTwiceUnderOneKeyAndNonce() {
        byte[] k = new byte[32];
        random.nextBytes(k);
        SessionKey key = key(k);
        byte[] out = new byte[40];
        ChaChaPoly.sealTransport(key, 5, new byte[24], 0, 24, out, 0);
        assertThrows(ChaChaPoly.NonceReuseException.class, () -> ChaChaPoly.sealTransport(key, 5, new byte[24], 0, 24, out, 0));
    }
}
