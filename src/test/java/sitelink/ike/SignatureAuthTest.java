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
        assertMethod14(type.generate(RANDOM), ALL, false, algorithmIdentifier);
    }

    /**
     * Signed for a peer accepting {@code peerHashes}: method 14 with {@code algorithmIdentifier} (hex) byte for byte,
     * verified by our own verifier, and refused once the signed octets change.
     */
    private static void assertMethod14(KeyPair kp, List<Integer> peerHashes, boolean rsaPss, String algorithmIdentifier) {
        Payload.Authentication auth = signed(SignatureAuth.sign(kp.getPrivate(), OCTETS, peerHashes, rsaPss));
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
        Payload.Authentication auth = signed(SignatureAuth.sign(kp.getPrivate(), OCTETS, List.of(), false));
        assertEquals(method, auth.method());
        assertEquals(Optional.empty(), SignatureAuth.verify(kp.getPublic(), auth, OCTETS, false));
        if (type == KeyType.ECDSA_P256) {
            assertEquals(64, auth.data().length, "RFC 4754: r | s, 32 bytes each");
        }
    }

    @Test
    void rsaWithSha1IsRefusedFromAPeerThatAnnouncedRfc7427() {
        KeyPair kp = KeyType.RSA_2048.generate(RANDOM);
        Payload.Authentication auth = signed(SignatureAuth.sign(kp.getPrivate(), OCTETS, List.of(), false));
        assertTrue(SignatureAuth.verify(kp.getPublic(), auth, OCTETS, true).orElseThrow().contains("method 1"));
    }

    @Test
    void ed25519NeedsRfc7427AndTheIdentityHash() {
        KeyPair kp = KeyType.ED25519.generate(RANDOM);
        assertTrue(SignatureAuth.sign(kp.getPrivate(), OCTETS, List.of(), false) instanceof SignatureAuth.Result.Refused);
        assertTrue(SignatureAuth.sign(kp.getPrivate(), OCTETS, List.of(Ike.HASH_SHA2_256), false) instanceof SignatureAuth.Result.Refused);
    }

    @Test
    void aSignatureOfTheWrongKeyTypeIsNamed() {
        KeyPair rsa = KeyType.RSA_2048.generate(RANDOM), ec = KeyType.ECDSA_P256.generate(RANDOM);
        Payload.Authentication auth = signed(SignatureAuth.sign(ec.getPrivate(), OCTETS, ALL, false));
        assertEquals(Optional.of("the peer signs with SHA256withECDSA, but its certificate's key is RSA"),
                SignatureAuth.verify(rsa.getPublic(), auth, OCTETS, true));
    }

    /**
     * rsa_pss: yes. RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt, the AlgorithmIdentifier of RFC 7427
     * Appendix A.4.3 byte for byte (hash and MGF1 parameters NULL, the salt given, the trailer field left at its
     * default); the strongest hash the peer accepts when it takes no SHA-256; and our own verifier accepts it.
     */
    @ParameterizedTest
    @CsvSource({"2, 30410609" + "2a864886f70d01010a" + "3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d0609"
            + "6086480165030402010500a203020120",
            "3, 30410609" + "2a864886f70d01010a" + "3034a00f300d06096086480165030402020500a11c301a06092a864886f70d010108300d0609"
            + "6086480165030402020500a203020130"})
    void rsaPssCarriesTheRfcAlgorithmIdentifierAndVerifies(int hash, String algorithmIdentifier) {
        List<Integer> peer = hash == Ike.HASH_SHA2_256 ? ALL : List.of(Ike.HASH_SHA2_384, Ike.HASH_IDENTITY);
        assertMethod14(KeyType.RSA_2048.generate(RANDOM), peer, true, algorithmIdentifier);
    }

    @Test
    void rsaPssNeedsRfc7427AndLeavesOtherKeysAlone() {
        KeyPair rsa = KeyType.RSA_2048.generate(RANDOM), ec = KeyType.ECDSA_P256.generate(RANDOM);
        SignatureAuth.Result r = SignatureAuth.sign(rsa.getPrivate(), OCTETS, List.of(), true);
        assertTrue(r instanceof SignatureAuth.Result.Refused refused && refused.why().contains("set rsa_pss: no"), r.toString());
        assertTrue(SignatureAuth.sign(rsa.getPrivate(), OCTETS, List.of(Ike.HASH_IDENTITY), true) instanceof SignatureAuth.Result.Refused);
        Payload.Authentication auth = signed(SignatureAuth.sign(ec.getPrivate(), OCTETS, ALL, true));
        assertArrayEquals(HexFormat.of().parseHex("300a06082a8648ce3d040302"), Arrays.copyOfRange(auth.data(), 1, 13));
    }

    private static Payload.Authentication signed(SignatureAuth.Result r) {
        return ((SignatureAuth.Result.Signed) r).auth();
    }
}
