package sitelink.ike;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The keys of an IKE SA (RFC 7296 section 2.14): SKEYSEED = prf(Ni | Nr, g^ir), then
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). With an AEAD
 * SK_ai and SK_ar are empty and SK_e is key plus salt; with AES-CBC SK_a is the HMAC key.
 */
final class IkeKeys {
    private static final byte[] KEY_PAD = "Key Pad for IKEv2".getBytes(StandardCharsets.US_ASCII);

    final Prf prf;
    final byte[] skD, skPi, skPr;
    final SkCipher initiatorCipher, responderCipher;
    /**
     * IntAuth = IntAuth_i | IntAuth_r | IKE_AUTH's message ID (RFC 9242 section 3.3.2) after IKE_INTERMEDIATE
     * exchanges, appended to what AUTH covers; empty without them.
     */
    private final byte[] intAuth;

    private IkeKeys(Prf prf, byte[] skD, SkCipher ei, SkCipher er, byte[] skPi, byte[] skPr, byte[] intAuth) {
        this.prf = prf;
        this.skD = skD;
        this.initiatorCipher = ei;
        this.responderCipher = er;
        this.skPi = skPi;
        this.skPr = skPr;
        this.intAuth = intAuth;
    }

    /** These keys with AUTH covering the IKE_INTERMEDIATE exchanges' {@code IntAuth} (RFC 9242 section 3.3.2). */
    IkeKeys coveringIntermediate(byte[] intAuthI, byte[] intAuthR, long authMessageId) {
        byte[] all = new Writer().bytes(intAuthI).bytes(intAuthR).u32(authMessageId).toByteArray();
        return new IkeKeys(prf, skD, initiatorCipher, responderCipher, skPi, skPr, all);
    }

    /**
     * IntAuth_[i|r](n) = prf(SK_p[i|r], IntAuth_[i|r](n-1) | IntAuth_[i|r](n)A | IntAuth_[i|r](n)P) (RFC 9242 section
     * 3.3.1) with the SK_p of the keys that protected the IKE_INTERMEDIATE message: {@code octets} is
     * {@link IkeMessage#intermediateOctets()}, {@code previous} empty for the first.
     */
    byte[] intAuth(boolean fromInitiator, byte[] previous, byte[] octets) {
        return prf.apply(fromInitiator ? skPi : skPr, previous, octets);
    }

    static IkeKeys derive(Proposal chosen, byte[] ni, byte[] nr, byte[] gir, long spiI, long spiR,
                          java.security.SecureRandom random) {
        Prf prf = new Prf(chosen.first(Ike.PRF).orElseThrow().id());
        return expand(prf, chosen, prf.apply(concat(ni, nr), gir), ni, nr, spiI, spiR, random);
    }

    /**
     * The keys of the IKE SA that replaces this one (section 2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
     * with the old SA's PRF, then expanded as above with the new SA's PRF, nonces and SPIs; Ni is from the side that
     * sent the CREATE_CHILD_SA request, which is the new SA's initiator.
     */
    IkeKeys rekeyed(Proposal chosen, byte[] ni, byte[] nr, byte[] gir, long spiI, long spiR, java.security.SecureRandom random) {
        return rekeyed(chosen, ni, nr, gir, new byte[0], spiI, spiR, random);
    }

    /**
     * The same with RFC 9370's additional key exchanges: SKEYSEED = prf(SK_d (old), SK(0) | Ni | Nr | SK(1) | ... |
     * SK(n)), {@code additional} the secrets after the first, concatenated (section 2.2.4). Also the key update after
     * each IKE_INTERMEDIATE exchange (section 2.2.2): prf(SK_d(n-1), SK(n) | Ni | Nr), there with the SA's own PRF.
     */
    IkeKeys rekeyed(Proposal chosen, byte[] ni, byte[] nr, byte[] gir, byte[] additional, long spiI, long spiR,
                    java.security.SecureRandom random) {
        byte[] skeyseed = prf.apply(skD, gir, ni, nr, additional);
        return expand(new Prf(chosen.first(Ike.PRF).orElseThrow().id()), chosen, skeyseed, ni, nr, spiI, spiR, random);
    }

    private static IkeKeys expand(Prf prf, Proposal chosen, byte[] skeyseed, byte[] ni, byte[] nr, long spiI, long spiR,
                                  java.security.SecureRandom random) {
        Transform encr = chosen.first(Ike.ENCR).orElseThrow();
        int integ = chosen.first(Ike.INTEG).map(Transform::id).orElse(0);
        int e = SkCipher.keymatLength(encr), a = integ == 0 ? 0 : SkCipher.integKeyLength(integ), p = prf.length();
        byte[] seed = new Writer().bytes(ni).bytes(nr).u64(spiI).u64(spiR).toByteArray();
        byte[] km = prf.plus(skeyseed, seed, p + 2 * a + 2 * e + 2 * p);
        Arrays.fill(skeyseed, (byte) 0);
        int ei = p + 2 * a, pi = ei + 2 * e; // SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr
        SkCipher initiator = integ == 0 ? new SkCipher(encr.id(), Arrays.copyOfRange(km, ei, ei + e))
                : new SkCipher(Arrays.copyOfRange(km, ei, ei + e), integ, Arrays.copyOfRange(km, p, p + a), random);
        SkCipher responder = integ == 0 ? new SkCipher(encr.id(), Arrays.copyOfRange(km, ei + e, ei + 2 * e))
                : new SkCipher(Arrays.copyOfRange(km, ei + e, ei + 2 * e), integ, Arrays.copyOfRange(km, p + a, p + 2 * a), random);
        IkeKeys keys = new IkeKeys(prf, Arrays.copyOfRange(km, 0, p), initiator, responder,
                Arrays.copyOfRange(km, pi, pi + p), Arrays.copyOfRange(km, pi + p, pi + 2 * p), new byte[0]);
        Arrays.fill(km, (byte) 0);
        return keys;
    }

    /**
     * The PSK AUTH value (section 2.15): prf(prf(PSK, "Key Pad for IKEv2"), message | peer's nonce | prf(SK_p, ID body)),
     * where the ID body is the ID payload without its generic header.
     */
    byte[] pskAuth(byte[] psk, byte[] ownFirstMessage, byte[] peerNonce, boolean initiator, Payload.Identification id) {
        byte[] macedId = prf.apply(initiator ? skPi : skPr, id.encodeBody());
        byte[] padded = prf.apply(psk, KEY_PAD);
        byte[] auth = prf.apply(padded, ownFirstMessage, peerNonce, macedId, intAuth);
        Arrays.fill(padded, (byte) 0);
        return auth;
    }

    /** What a signature covers (section 2.15): message | peer's nonce | prf(SK_p, ID body), the PSK MAC's input. */
    byte[] signedOctets(byte[] ownFirstMessage, byte[] peerNonce, boolean initiator, Payload.Identification id) {
        byte[] macedId = prf.apply(initiator ? skPi : skPr, id.encodeBody());
        return concat(ownFirstMessage, concat(peerNonce, concat(macedId, intAuth)));
    }

    /**
     * KEYMAT = prf+(SK_d, Ni | Nr), with PFS prf+(SK_d, g^ir (new) | Ni | Nr) (section 2.17): initiator-to-responder keys first, each
     * the encryption key (with salt for an AEAD) then the integrity key, if any.
     */
    byte[][] childKeymat(Transform encr, int integ, byte[] gir, byte[] ni, byte[] nr) {
        return childKeymat(encr, integ, gir, ni, nr, new byte[0]);
    }

    /** The same with RFC 9370's additional key exchanges: prf+(SK_d, SK(0) | Ni | Nr | SK(1) | ... | SK(n)). */
    byte[][] childKeymat(Transform encr, int integ, byte[] gir, byte[] ni, byte[] nr, byte[] additional) {
        int e = SkCipher.keymatLength(encr) + (integ == 0 ? 0 : SkCipher.integKeyLength(integ));
        byte[] km = prf.plus(skD, concat(concat(gir, concat(ni, nr)), additional), 2 * e); // with PFS the new g^ir comes first
        byte[][] out = {Arrays.copyOfRange(km, 0, e), Arrays.copyOfRange(km, e, 2 * e)};
        Arrays.fill(km, (byte) 0);
        return out;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
