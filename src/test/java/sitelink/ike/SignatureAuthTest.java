package sitelink.ike;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sitelink.pki.KeyType;

/** AUTH signatures: RFC 7427's AlgorithmIdentifiers byte for byte, the classic methods for peers without it. */
class SignatureAuthTest {
    static final SecureRandom RANDOM = new SecureRandom();
    static final byte[] OCTETS = "message | nonce | prf(SK_p, ID)".getBytes();
    static final List<Integer> ALL = SignatureAuth.OUR_HASHES;

    /** RFC 7427 Appendix A (A.1.3 sha256WithRSAEncryption, A.3.1 ecdsa-with-sha256, A.3.2 ecdsa-with-sha384) and RFC 8420 (Ed25519). */
    @ParameterizedTest
    @CsvSource({"RSA_3072, 300d06092a864886f70d01010b0500", "ECDSA_P256, 300a06082a8648ce3d040302",
            "ECDSA_P384, 300a06082a8648ce3d040303", "ED25519, 300506032b6570"})
    void method14CarriesTheRfcAlgorithmIdentifierAndVerifies(KeyType type, String algorithmIdentifier) {
        KeyPair kp = type.generate(RANDOM);
        Payload.Authentication auth = signed(SignatureAuth.sign(kp.getPrivate(), OCTETS, ALL));
        assertEquals(Ike.AUTH_DIGITAL_SIGNATURE, auth.method());
        byte[] id = HexFormat.of().parseHex(algorithmIdentifier);
        assertEquals(id.length, auth.data()[0]);
        assertArrayEquals(id, Arrays.copyOfRange(auth.data(), 1, 1 + id.length));
        assertEquals(Optional.empty(), SignatureAuth.verify(kp.getPublic(), auth, OCTETS, true));
        byte[] other = OCTETS.clone();
        other[0] ^= 1;
        assertEquals(Optional.of("the peer's signature does not verify with its certificate's key"),
                SignatureAuth.verify(kp.getPublic(), auth, other, true));
    }

    @ParameterizedTest
    @CsvSource({"RSA_2048, 1", "ECDSA_P256, 9", "ECDSA_P384, 10"})
    void aPeerWithoutRfc7427GetsTheClassicMethod(KeyType type, int method) {
        KeyPair kp = type.generate(RANDOM);
        Payload.Authentication auth = signed(SignatureAuth.sign(kp.getPrivate(), OCTETS, List.of()));
        assertEquals(method, auth.method());
        assertEquals(Optional.empty(), SignatureAuth.verify(kp.getPublic(), auth, OCTETS, false));
        if (type == KeyType.ECDSA_P256) {
            assertEquals(64, auth.data().length, "RFC 4754: r | s, 32 bytes each");
        }
    }

    @Test
    void rsaWithSha1IsRefusedFromAPeerThatAnnouncedRfc7427() {
        KeyPair kp = KeyType.RSA_2048.generate(RANDOM);
        Payload.Authentication auth = signed(SignatureAuth.sign(kp.getPrivate(), OCTETS, List.of()));
        assertTrue(SignatureAuth.verify(kp.getPublic(), auth, OCTETS, true).orElseThrow().contains("method 1"));
    }

    @Test
    void ed25519NeedsRfc7427AndTheIdentityHash() {
        KeyPair kp = KeyType.ED25519.generate(RANDOM);
        assertTrue(SignatureAuth.sign(kp.getPrivate(), OCTETS, List.of()) instanceof SignatureAuth.Result.Refused);
        assertTrue(SignatureAuth.sign(kp.getPrivate(), OCTETS, List.of(Ike.HASH_SHA2_256)) instanceof SignatureAuth.Result.Refused);
    }

    @Test
    void aSignatureOfTheWrongKeyTypeIsNamed() {
        KeyPair rsa = KeyType.RSA_2048.generate(RANDOM), ec = KeyType.ECDSA_P256.generate(RANDOM);
        Payload.Authentication auth = signed(SignatureAuth.sign(ec.getPrivate(), OCTETS, ALL));
        assertEquals(Optional.of("the peer signs with SHA256withECDSA, but its certificate's key is RSA"),
                SignatureAuth.verify(rsa.getPublic(), auth, OCTETS, true));
    }

    private static Payload.Authentication signed(SignatureAuth.Result r) {
        return ((SignatureAuth.Result.Signed) r).auth();
    }
}
