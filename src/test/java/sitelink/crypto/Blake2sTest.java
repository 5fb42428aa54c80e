package sitelink.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class Blake2sTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] KEY_00_1F = HEX.parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    @Test
    void hashesAbcAsRfc7693AppendixB() {
        assertEquals("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982",
                HEX.formatHex(Blake2s.hash("abc".getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void hashOfPartsIsHashOfConcatenation() {
        assertEquals(HEX.formatHex(Blake2s.hash("abc".getBytes(StandardCharsets.US_ASCII))),
                HEX.formatHex(Blake2s.hash(new byte[] {'a'}, new byte[0], new byte[] {'b', 'c'})));
    }

    @Test
    void keyedHashMatchesBlake2sKatFirstEntries() {
        // blake2s-kat.txt, key 00..1f: in = "" and in = 00 (32-byte output through the same keyed digest).
        org.bouncycastle.crypto.digests.Blake2sDigest d = new org.bouncycastle.crypto.digests.Blake2sDigest(KEY_00_1F);
        byte[] out = new byte[32];
        d.doFinal(out, 0);
        assertEquals("48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49", HEX.formatHex(out));
        d = new org.bouncycastle.crypto.digests.Blake2sDigest(KEY_00_1F);
        d.update((byte) 0);
        d.doFinal(out, 0);
        assertEquals("40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1", HEX.formatHex(out));
    }

    @Test
    void macIsKeyedBlake2sWith16ByteOutput() {
        // Cross-checked with CPython: hashlib.blake2s(b'abc', key=bytes(range(32)), digest_size=16).
        // The digest length is a BLAKE2 parameter, so this is not a truncation of the 32-byte output.
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        assertEquals("61ba5f165c194692e09d12520cc4c74a", HEX.formatHex(Blake2s.mac(KEY_00_1F, abc, 0, abc.length)));
    }

    @Test
    void macReadsOnlyTheGivenRange() {
        byte[] framed = "xxabcyy".getBytes(StandardCharsets.US_ASCII);
        assertEquals("61ba5f165c194692e09d12520cc4c74a", HEX.formatHex(Blake2s.mac(KEY_00_1F, framed, 2, 3)));
    }

    @Test
    void hmacIsRfc2104OverBlake2s() {
        // Cross-checked with CPython: hmac.new(bytes(range(32)), b'abc', hashlib.blake2s).
        assertEquals("82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f",
                HEX.formatHex(Blake2s.hmac(KEY_00_1F, "abc".getBytes(StandardCharsets.US_ASCII))));
    }
}
