package sitelink.wireguard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Blake2s;
import sitelink.crypto.Key;

class LocalIdentityTest {
    private final LocalIdentity alice = new LocalIdentity(Key.fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));

    @Test
    void derivesThePublicKeyFromThePrivateKey() {
        assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", alice.publicKey().toHex());
    }

    @Test
    void precomputesMac1AndCookieKeysFromThePublicKey() {
        byte[] pub = alice.publicKey().bytes();
        assertArrayEquals(Blake2s.hash("mac1----".getBytes(StandardCharsets.US_ASCII), pub), alice.mac1Key());
        assertArrayEquals(Blake2s.hash("cookie--".getBytes(StandardCharsets.US_ASCII), pub), alice.cookieKey());
    }

    @Test
    void toStringShowsOnlyThePublicKey() {
        assertFalse(alice.toString().contains(alice.privateKey().toBase64()));
    }
}
