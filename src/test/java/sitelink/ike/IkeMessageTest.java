package sitelink.ike;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IkeMessageTest {
    private static IkeMessage sample() throws Exception {
        return new IkeMessage(0x1122334455667788L, 0, Ike.IKE_SA_INIT, Ike.FLAG_INITIATOR, 0, List.of(
                new Payload.SecurityAssociation(Proposals.parseAll(Ike.PROTO_IKE, Proposals.DEFAULT_IKE)),
                new Payload.KeyExchange(Ike.CURVE25519, new byte[32]),
                new Payload.Nonce(new byte[32]),
                Payload.Notify.of(Ike.NAT_DETECTION_SOURCE_IP, new byte[20]),
                new Payload.Identification(true, Ike.ID_FQDN, "gw.example.org".getBytes()),
                new Payload.Authentication(Ike.AUTH_SHARED_KEY_MIC, new byte[32]),
                new Payload.TrafficSelectors(true, List.of(TrafficSelector.subnet("198.18.1.0/24"), TrafficSelector.subnet("2001:db8::/32"))),
                new Payload.Delete(Ike.PROTO_ESP, 4, List.of(new byte[] {1, 2, 3, 4})),
                new Payload.VendorId(new byte[] {9, 9})));
    }

    private static IkeMessage decodeOk(byte[] b) {
        return assertInstanceOf(IkeMessage.Decoded.Ok.class, IkeMessage.decode(b, 0, b.length)).message();
    }

    private static Malformation decodeBad(byte[] b) {
        return assertInstanceOf(IkeMessage.Decoded.Bad.class, IkeMessage.decode(b, 0, b.length)).reason();
    }

    @Test
    void everyPayloadSurvivesEncodeAndDecode() throws Exception {
        IkeMessage m = sample();
        byte[] wire = m.encode();
        IkeMessage back = decodeOk(wire);
        assertEquals(m.payloads().size(), back.payloads().size());
        assertArrayEquals(wire, back.encode());
        assertEquals(Proposals.parseAll(Ike.PROTO_IKE, Proposals.DEFAULT_IKE), back.first(Payload.SecurityAssociation.class).orElseThrow().proposals());
        assertEquals("[198.18.1.0/24, 2001:db8:0:0:0:0:0:0/32]", back.selectors(true).orElseThrow().selectors().toString());
        assertEquals("IKE_SA_INIT request 0 [ SA KE No N(16388) IDi AUTH TSi D V ]", back.describe());
    }

    @Test
    void theEncryptedPayloadOpensOnlyWithTheRightKeyAndIntactBytes() throws Exception {
        byte[] keymat = new byte[36];
        keymat[0] = 7;
        IkeMessage m = sample();
        byte[] wire = m.encodeEncrypted(new SkCipher(Ike.ENCR_AES_GCM_16, keymat));
        IkeMessage outer = decodeOk(wire);
        IkeMessage inner = assertInstanceOf(IkeMessage.Decoded.Ok.class, outer.decrypt(wire, 0, new SkCipher(Ike.ENCR_AES_GCM_16, keymat))).message();
        assertArrayEquals(m.encode(), inner.encode());
        wire[5] ^= 1; // in the header: authenticated as AAD
        assertEquals(Malformation.DECRYPT_FAILED, assertInstanceOf(IkeMessage.Decoded.Bad.class,
                decodeOk(wire).decrypt(wire, 0, new SkCipher(Ike.ENCR_AES_GCM_16, keymat))).reason());
    }

    @Test
    void fragmentsCarryTheChainInAuthenticatedPiecesAndImpossibleNumbersAreTypedErrors() throws Exception {
        byte[] keymat = new byte[36];
        IkeMessage m = sample();
        List<byte[]> pieces = m.encodeFragments(new SkCipher(Ike.ENCR_AES_GCM_16, keymat), 120);
        assertTrue(pieces.size() >= 3, "pieces: " + pieces.size());
        java.io.ByteArrayOutputStream chain = new java.io.ByteArrayOutputStream();
        int first = -1;
        for (byte[] p : pieces) {
            assertTrue(p.length <= 120, "each within the limit: " + p.length);
            IkeMessage.Fragment f = decodeOk(p).openFragment(p, 0, new SkCipher(Ike.ENCR_AES_GCM_16, keymat));
            assertEquals(pieces.size(), f.total());
            first = f.number() == 1 ? f.firstInner() : first;
            chain.write(f.chunk());
        }
        assertArrayEquals(m.encode(), decodeOk(pieces.get(0)).reassembled(chain.toByteArray(), first).encode());
        byte[] tampered = pieces.get(1).clone();
        tampered[Ike.HEADER_LENGTH + 5] ^= 1; // the fragment number, authenticated
        assertThrows(Malformation.Exception.class, () -> decodeOk(tampered).openFragment(tampered, 0, new SkCipher(Ike.ENCR_AES_GCM_16, keymat)));
        for (int[] numbers : new int[][] {{0, 3}, {4, 3}, {1, 65}}) {
            byte[] bad = pieces.get(0).clone();
            bad[Ike.HEADER_LENGTH + 4] = 0;
            bad[Ike.HEADER_LENGTH + 5] = (byte) numbers[0];
            bad[Ike.HEADER_LENGTH + 6] = 0;
            bad[Ike.HEADER_LENGTH + 7] = (byte) numbers[1];
            assertEquals(Malformation.BAD_FRAGMENT, assertInstanceOf(IkeMessage.Decoded.Bad.class,
                    IkeMessage.decode(bad, 0, bad.length)).reason());
        }
    }

    @Test
    void malformedLengthsAndChainsAreTypedErrors() throws Exception {
        byte[] wire = sample().encode();
        assertEquals(Malformation.TOO_SHORT, decodeBad(new byte[27]));
        byte[] v1 = wire.clone();
        v1[17] = 0x10;
        assertEquals(Malformation.BAD_VERSION, decodeBad(v1));
        assertEquals(Malformation.LENGTH_MISMATCH, decodeBad(java.util.Arrays.copyOf(wire, wire.length + 1)));
        byte[] longPayload = wire.clone();
        longPayload[30] = (byte) 0xff; // the SA payload's length
        assertEquals(Malformation.PAYLOAD_LENGTH, decodeBad(longPayload));
    }

    @Test
    void anUnknownCriticalPayloadRejectsTheMessageAndAnUnknownNonCriticalOneIsSkipped() {
        byte[] body = {1, 2, 3, 4};
        for (boolean critical : new boolean[] {true, false}) {
            byte[] m = new byte[Ike.HEADER_LENGTH + 4 + body.length];
            m[16] = (byte) 200; // first payload: an unassigned type
            m[17] = Ike.VERSION;
            m[18] = Ike.INFORMATIONAL;
            m[27] = (byte) m.length;
            m[29] = (byte) (critical ? 0x80 : 0);
            m[31] = (byte) (4 + body.length);
            if (critical) {
                assertEquals(Malformation.UNSUPPORTED_CRITICAL_PAYLOAD, decodeBad(m));
            } else {
                assertEquals(List.of(), decodeOk(m).payloads());
            }
        }
    }

    @Test
    void everyTruncationAndRandomCorruptionGivesAResultNotAnException() throws Exception {
        byte[] wire = sample().encode();
        for (int len = 0; len < wire.length; len++) {
            byte[] cut = java.util.Arrays.copyOf(wire, len);
            if (len >= Ike.HEADER_LENGTH) {
                Writer.putU32(cut, 24, len); // consistent header length, truncated chain
            }
            IkeMessage.decode(cut, 0, cut.length);
        }
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = wire.clone();
            for (int k = random.nextInt(1, 6); k > 0; k--) {
                b[random.nextInt(b.length)] = (byte) random.nextInt(256);
            }
            Writer.putU32(b, 24, b.length);
            IkeMessage.decode(b, 0, b.length); // a result either way; an exception fails the test
            byte[] garbage = new byte[random.nextInt(0, 200)];
            random.nextBytes(garbage);
            IkeMessage.decode(garbage, 0, garbage.length);
        }
    }
}
