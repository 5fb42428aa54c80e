package sitelink.ike;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.SecureRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DhGroupTest {
    @ParameterizedTest
    @ValueSource(ints = {Ike.MODP_2048, Ike.ECP_256, Ike.ECP_384, Ike.CURVE25519})
    void bothSidesAgreeOnTheSharedSecretOfTheGroupsSize(int group) {
        DhGroup.Exchange a = DhGroup.generate(group, new SecureRandom()), b = DhGroup.generate(group, new SecureRandom());
        int publicLength = switch (group) { case Ike.MODP_2048 -> 256; case Ike.ECP_256 -> 64; case Ike.ECP_384 -> 96; default -> 32; };
        assertEquals(publicLength, a.publicValue().length);
        byte[] ab = a.agree(b.publicValue()).orElseThrow();
        assertArrayEquals(ab, b.agree(a.publicValue()).orElseThrow());
        assertEquals(group == Ike.ECP_256 || group == Ike.ECP_384 ? publicLength / 2 : publicLength, ab.length, "RFC 5903: x only");
    }

    @ParameterizedTest
    @ValueSource(ints = {Ike.MODP_2048, Ike.ECP_256, Ike.ECP_384, Ike.CURVE25519})
    void invalidPublicValuesAreRefused(int group) {
        DhGroup.Exchange a = DhGroup.generate(group, new SecureRandom());
        int n = a.publicValue().length;
        assertTrue(a.agree(new byte[n - 1]).isEmpty(), "wrong length");
        assertTrue(a.agree(new byte[n]).isEmpty(), "zero / point at the origin / small order");
        if (group == Ike.MODP_2048) {
            byte[] one = new byte[n];
            one[n - 1] = 1;
            assertTrue(a.agree(one).isEmpty(), "1");
            byte[] pMinus1 = DhGroup.MODP_2048_P.subtract(BigInteger.ONE).toByteArray();
            assertTrue(a.agree(java.util.Arrays.copyOfRange(pMinus1, pMinus1.length - n, pMinus1.length)).isEmpty(), "p - 1");
        }
        if (group == Ike.ECP_256 || group == Ike.ECP_384) {
            byte[] off = a.publicValue();
            off[n - 1] ^= 1; // y changed: not on the curve (invalid-curve attacks)
            assertTrue(a.agree(off).isEmpty(), "a point off the curve");
        }
    }
}
