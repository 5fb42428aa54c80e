package sitelink.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class X25519Test {
    private static final HexFormat HEX = HexFormat.of();

    private static Key key(String hex) {
        return Key.fromHex(hex);
    }

    private static String shared(String priv, String pub) {
        return X25519.sharedSecret(key(priv), key(pub)).orElseThrow().toHex();
    }

    @Test
    void matchesRfc7748Section52Vectors() {
        assertEquals("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
                shared("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                        "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"));
        // This u-coordinate has its top bit set: RFC 7748 requires masking it.
        assertEquals("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
                shared("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                        "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"));
    }

    @Test
    void matchesRfc7748Section61DiffieHellman() {
        String alicePriv = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
        String bobPriv = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
        String alicePub = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
        String bobPub = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
        assertEquals(alicePub, X25519.publicKey(key(alicePriv)).toHex());
        assertEquals(bobPub, X25519.publicKey(key(bobPriv)).toHex());
        String k = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assertEquals(k, shared(alicePriv, bobPub));
        assertEquals(k, shared(bobPriv, alicePub));
        X25519.PreparedKey alice = X25519.prepare(key(alicePriv));
        assertEquals(k, X25519.sharedSecret(alice, key(bobPub)).orElseThrow().toHex(), "a prepared key, used twice");
        assertEquals(k, X25519.sharedSecret(alice, key(bobPub)).orElseThrow().toHex());
        assertTrue(X25519.sharedSecret(alice, key("0100000000000000000000000000000000000000000000000000000000000000"))
                .isEmpty(), "small order");
    }

    @Test
    void reportsLowOrderPointsAsEmptyNotException() {
        Key priv = key("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        // Points of small order on Curve25519 (and the twist): 0, 1, and an order-8 point.
        for (String p : new String[] {
                "0000000000000000000000000000000000000000000000000000000000000000",
                "0100000000000000000000000000000000000000000000000000000000000000",
                "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
                "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"}) {
            assertTrue(X25519.sharedSecret(priv, key(p)).isEmpty(), p);
        }
    }

    @Test
    void generatedPrivateKeysAreClampedLikeWgGenkey() {
        SecureRandom r = new SecureRandom();
        for (int i = 0; i < 20; i++) {
            byte[] k = X25519.generatePrivate(r).bytes();
            assertEquals(0, k[0] & 7);
            assertEquals(0x40, k[31] & 0xc0);
        }
    }

    @Test
    void clampSetsAndClearsTheRfcBits() {
        byte[] k = new byte[32];
        java.util.Arrays.fill(k, (byte) 0xff);
        X25519.clamp(k);
        assertEquals("f8ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", HEX.formatHex(k));
    }
}
