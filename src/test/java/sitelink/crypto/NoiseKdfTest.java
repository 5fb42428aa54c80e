package sitelink.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class NoiseKdfTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] KEY = HEX.parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final byte[] INPUT = "input".getBytes(StandardCharsets.US_ASCII);
    // Computed independently with CPython's hmac + hashlib.blake2s following the whitepaper's definition.
    private static final String T1 = "87b7f70b24183c6db5dc4f6d9f4c47cdb203321aa2a0bef714896adb3107a040";
    private static final String T2 = "538a02e1eb2e31b7e4d4b82476d1fe2acf50085d3fb584537279195f5d1f5824";
    private static final String T3 = "9ad858025593be88de0f9442a589cfe84a88dc19e4753d93684d1c5efc4837f9";

    @Test
    void kdf3ChainsHmacAsTheWhitepaperDefines() {
        byte[][] t = NoiseKdf.kdf3(KEY, INPUT);
        assertEquals(T1, HEX.formatHex(t[0]));
        assertEquals(T2, HEX.formatHex(t[1]));
        assertEquals(T3, HEX.formatHex(t[2]));
    }

    @Test
    void shorterKdfsArePrefixesOfLongerOnes() {
        assertEquals(T1, HEX.formatHex(NoiseKdf.kdf1(KEY, INPUT)));
        byte[][] t = NoiseKdf.kdf2(KEY, INPUT);
        assertEquals(2, t.length);
        assertArrayEquals(HEX.parseHex(T2), t[1]);
    }

    @Test
    void initialChainingKeyAndHashMatchOtherImplementations() {
        // ck0 = HASH(CONSTRUCTION) and h0 = HASH(ck0 || IDENTIFIER): the constants boringtun hard-codes
        // (INITIAL_CHAIN_KEY / INITIAL_CHAIN_HASH) and other implementations test for.
        byte[] ck0 = Blake2s.hash("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".getBytes(StandardCharsets.US_ASCII));
        assertEquals("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36", HEX.formatHex(ck0));
        byte[] h0 = Blake2s.hash(ck0, "WireGuard v1 zx2c4 Jason@zx2c4.com".getBytes(StandardCharsets.US_ASCII));
        assertEquals("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3", HEX.formatHex(h0));
    }
}
