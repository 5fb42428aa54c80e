package sitelink.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class XChaChaPolyTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] NONCE = HEX.parseHex("404142434445464748494a4b4c4d4e4f5051525354555657");

    @Test
    void hChaCha20MatchesDraftSection221() {
        byte[] key = HEX.parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        byte[] nonce = HEX.parseHex("000000090000004a0000000031415927");
        assertEquals("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc",
                HEX.formatHex(XChaChaPoly.hChaCha20(key, nonce, 0)));
    }

    @Test
    void aeadMatchesDraftAppendixA31() {
        byte[] sealed = XChaChaPoly.seal(ChaChaPolyTest.KEY, NONCE, ChaChaPolyTest.SUNSCREEN, ChaChaPolyTest.AAD);
        assertEquals("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
                + "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
                + "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
                + "21f9664c97637da9768812f615c68b13b52e" + "c0875924c1c7987947deafd8780acf49", HEX.formatHex(sealed));
        assertArrayEquals(ChaChaPolyTest.SUNSCREEN,
                XChaChaPoly.open(ChaChaPolyTest.KEY, NONCE, sealed, ChaChaPolyTest.AAD).orElseThrow());
    }

    @Test
    void rejectsWrongAadOrNonce() {
        byte[] nonce = NONCE.clone();
        nonce[23] ^= 1; // not the nonce another test sealed under (the JDK refuses to seal twice under one in a row)
        byte[] sealed = XChaChaPoly.seal(ChaChaPolyTest.KEY, nonce, new byte[16], ChaChaPolyTest.AAD);
        assertTrue(XChaChaPoly.open(ChaChaPolyTest.KEY, nonce, sealed, new byte[16]).isEmpty());
        byte[] other = nonce.clone();
        other[0] ^= 1; // a byte of the HChaCha20 half
        assertTrue(XChaChaPoly.open(ChaChaPolyTest.KEY, other, sealed, ChaChaPolyTest.AAD).isEmpty());
    }
}
