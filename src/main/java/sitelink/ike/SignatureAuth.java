package sitelink.ike;

import java.io.IOException;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.security.spec.MGF1ParameterSpec;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSASSAPSSparams;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;

/**
 * AUTH payloads signed with our private key and checked with the peer's certificate. When the peer announced
 * SIGNATURE_HASH_ALGORITHMS (RFC 7427 section 4): method 14, Digital Signature, whose data is a one-byte length, the
 * signature's ASN.1 AlgorithmIdentifier and the signature (RSA PKCS#1 v1.5 or RSASSA-PSS with SHA-2, ECDSA as DER
 * Ecdsa-Sig-Value, Ed25519 per RFC 8420). Otherwise the classic methods: 1, RSA PKCS#1 v1.5 with SHA-1 (RFC 7296
 * section 3.8), and 9/10/11, ECDSA with SHA-256/384/512 on P-256/384/521 as r | s (RFC 4754). The signed octets are
 * the same as for a PSK (section 2.15). Every primitive is the JDK's {@link Signature}.
 */
final class SignatureAuth {
    private SignatureAuth() {
    }

    /** The hashes we announce and accept in method 14 (SHA-1 is not among them). */
    static final List<Integer> OUR_HASHES = List.of(Ike.HASH_SHA2_256, Ike.HASH_SHA2_384, Ike.HASH_SHA2_512, Ike.HASH_IDENTITY);

    private static final String RSA_PSS = "1.2.840.113549.1.1.10";

    /** A signature scheme of method 14: its AlgorithmIdentifier OID, whether RSA's NULL parameters follow, the JDK name. */
    private enum Scheme {
        RSA_SHA256("1.2.840.113549.1.1.11", true, "SHA256withRSA", Ike.HASH_SHA2_256),
        RSA_SHA384("1.2.840.113549.1.1.12", true, "SHA384withRSA", Ike.HASH_SHA2_384),
        RSA_SHA512("1.2.840.113549.1.1.13", true, "SHA512withRSA", Ike.HASH_SHA2_512),
        ECDSA_SHA256("1.2.840.10045.4.3.2", false, "SHA256withECDSA", Ike.HASH_SHA2_256),
        ECDSA_SHA384("1.2.840.10045.4.3.3", false, "SHA384withECDSA", Ike.HASH_SHA2_384),
        ECDSA_SHA512("1.2.840.10045.4.3.4", false, "SHA512withECDSA", Ike.HASH_SHA2_512),
        ED25519("1.3.101.112", false, "Ed25519", Ike.HASH_IDENTITY);

        final String oid, jdk;
        final boolean nullParameters;
        final int hash;

        Scheme(String oid, boolean nullParameters, String jdk, int hash) {
            this.oid = oid;
            this.nullParameters = nullParameters;
            this.jdk = jdk;
            this.hash = hash;
        }

        /** The DER AlgorithmIdentifier, as RFC 7427 Appendix A lists them. */
        byte[] algorithmIdentifier() {
            AlgorithmIdentifier id = nullParameters ? new AlgorithmIdentifier(new ASN1ObjectIdentifier(oid), DERNull.INSTANCE)
                    : new AlgorithmIdentifier(new ASN1ObjectIdentifier(oid));
            try {
                return id.getEncoded(ASN1Encoding.DER);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The key types we sign with and accept from peers: RSA of at least 2048 bits, ECDSA P-256/384/521, Ed25519. */
    static Optional<String> unsupportedKey(java.security.Key key) {
        return switch (key) {
            case RSAKey rsa when rsa.getModulus().bitLength() < 2048 ->
                    Optional.of("an RSA key of " + rsa.getModulus().bitLength() + " bits (at least 2048 are required)");
            case RSAKey rsa -> Optional.empty();
            case ECKey ec when Set.of(256, 384, 521).contains(ec.getParams().getCurve().getField().getFieldSize()) -> Optional.empty();
            case ECKey ec -> Optional.of("an ECDSA key on a " + ec.getParams().getCurve().getField().getFieldSize()
                    + "-bit curve (P-256, P-384 or P-521 are supported)");
            case EdECKey ed when ed.getParams().getName().equals("Ed25519") -> Optional.empty();
            default -> Optional.of("a " + key.getAlgorithm() + " key (RSA, ECDSA or Ed25519 are supported)");
        };
    }

    private static int curveBits(ECKey key) {
        return key.getParams().getCurve().getField().getFieldSize();
    }

    /**
     * Signs {@code octets}: method 14 when the peer announced hashes ({@code peerHashes} non-empty), else the classic
     * method for the key. Empty (with why) when no method fits, e.g. Ed25519 to a peer without RFC 7427.
     * {@code rsaPss}: an RSA key signs with RSASSA-PSS ({@link #signPss}) instead of PKCS#1 v1.5.
     */
    static Result sign(PrivateKey key, byte[] octets, List<Integer> peerHashes, boolean rsaPss) {
        try {
            if (rsaPss && key instanceof RSAKey) {
                return signPss(key, octets, peerHashes);
            }
            if (!peerHashes.isEmpty()) {
                Optional<Scheme> scheme = schemeFor(key, peerHashes);
                if (scheme.isEmpty()) {
                    return new Result.Refused("the peer accepts the signature hashes " + peerHashes
                            + ", none of which this site's " + key.getAlgorithm() + " key can sign with");
                }
                return digitalSignature(scheme.get().algorithmIdentifier(), signWith(scheme.get().jdk, key, octets));
            }
            return switch (key) {
                case RSAKey rsa -> new Result.Signed(new Payload.Authentication(Ike.AUTH_RSA_DIGITAL_SIGNATURE,
                        signWith("SHA1withRSA", key, octets))); // RFC 7296: the only RSA method a peer without RFC 7427 knows
                case ECKey ec -> {
                    int method = classicEcdsa(curveBits(ec));
                    yield new Result.Signed(new Payload.Authentication(method, signWith(classicEcdsaAlgorithm(method), key, octets)));
                }
                default -> new Result.Refused("the peer does not support RFC 7427 signatures (no SIGNATURE_HASH_ALGORITHMS), "
                        + "the only way to authenticate with an " + key.getAlgorithm() + " key");
            };
        } catch (GeneralSecurityException e) {
            return new Result.Refused("cannot sign with this site's private key: " + e.getMessage());
        }
    }

    /**
     * RSASSA-PSS (RFC 8017) in method 14, as RFC 7427 Appendix A.4 encodes it: the strongest of SHA-256/384/512 that
     * the peer accepts, MGF1 with the same hash, a salt as long as the hash, trailer field 1. Only through RFC 7427: a
     * peer without it knows no PSS.
     */
    private static Result signPss(PrivateKey key, byte[] octets, List<Integer> peerHashes) throws GeneralSecurityException {
        if (peerHashes.isEmpty()) {
            return new Result.Refused("this site signs with RSASSA-PSS (rsa_pss: yes), which needs RFC 7427 signatures, and "
                    + "the peer did not announce them (no SIGNATURE_HASH_ALGORITHMS): set rsa_pss: no for it");
        }
        int hash = peerHashes.contains(Ike.HASH_SHA2_256) ? Ike.HASH_SHA2_256
                : peerHashes.contains(Ike.HASH_SHA2_384) ? Ike.HASH_SHA2_384
                : peerHashes.contains(Ike.HASH_SHA2_512) ? Ike.HASH_SHA2_512 : 0;
        if (hash == 0) {
            return new Result.Refused("the peer accepts the signature hashes " + peerHashes + ", none of which RSASSA-PSS "
                    + "(rsa_pss: yes) can sign with");
        }
        Signature s = Signature.getInstance("RSASSA-PSS");
        s.initSign(key);
        s.setParameter(pssSpec(hash));
        s.update(octets);
        return digitalSignature(pssAlgorithmIdentifier(hash), s.sign());
    }

    /** Method 14's AUTH data (RFC 7427 section 3): the AlgorithmIdentifier's length, the AlgorithmIdentifier, the signature. */
    private static Result digitalSignature(byte[] algorithmIdentifier, byte[] signature) {
        byte[] data = new byte[1 + algorithmIdentifier.length + signature.length];
        data[0] = (byte) algorithmIdentifier.length;
        System.arraycopy(algorithmIdentifier, 0, data, 1, algorithmIdentifier.length);
        System.arraycopy(signature, 0, data, 1 + algorithmIdentifier.length, signature.length);
        return new Result.Signed(new Payload.Authentication(Ike.AUTH_DIGITAL_SIGNATURE, data));
    }

    private static PSSParameterSpec pssSpec(int hash) {
        return switch (hash) {
            case Ike.HASH_SHA2_256 -> new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);
            case Ike.HASH_SHA2_384 -> new PSSParameterSpec("SHA-384", "MGF1", MGF1ParameterSpec.SHA384, 48, 1);
            default -> new PSSParameterSpec("SHA-512", "MGF1", MGF1ParameterSpec.SHA512, 64, 1);
        };
    }

    /** The DER AlgorithmIdentifier of RSASSA-PSS with {@code hash} (hash and MGF1 parameters NULL, as in RFC 7427). */
    static byte[] pssAlgorithmIdentifier(int hash) {
        ASN1ObjectIdentifier h = switch (hash) {
            case Ike.HASH_SHA2_256 -> NISTObjectIdentifiers.id_sha256;
            case Ike.HASH_SHA2_384 -> NISTObjectIdentifiers.id_sha384;
            default -> NISTObjectIdentifiers.id_sha512;
        };
        AlgorithmIdentifier digest = new AlgorithmIdentifier(h, DERNull.INSTANCE);
        RSASSAPSSparams params = new RSASSAPSSparams(digest, new AlgorithmIdentifier(PKCSObjectIdentifiers.id_mgf1, digest),
                new ASN1Integer(pssSpec(hash).getSaltLength()), new ASN1Integer(1));
        try {
            return new AlgorithmIdentifier(PKCSObjectIdentifiers.id_RSASSA_PSS, params).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What signing gave: the AUTH payload, or why there is none. */
    sealed interface Result {
        record Signed(Payload.Authentication auth) implements Result {
        }

        record Refused(String why) implements Result {
        }
    }

    private static Optional<Scheme> schemeFor(PrivateKey key, List<Integer> peerHashes) {
        List<Scheme> candidates = switch (key) {
            case RSAKey rsa -> List.of(Scheme.RSA_SHA256, Scheme.RSA_SHA384, Scheme.RSA_SHA512);
            case ECKey ec -> switch (curveBits(ec)) { // the hash that matches the curve's strength, as RFC 5656 pairs them
                case 256 -> List.of(Scheme.ECDSA_SHA256);
                case 384 -> List.of(Scheme.ECDSA_SHA384);
                default -> List.of(Scheme.ECDSA_SHA512);
            };
            default -> List.of(Scheme.ED25519);
        };
        return candidates.stream().filter(s -> peerHashes.contains(s.hash)).findFirst();
    }

    private static byte[] signWith(String algorithm, PrivateKey key, byte[] octets) throws GeneralSecurityException {
        Signature s = Signature.getInstance(algorithm);
        s.initSign(key);
        s.update(octets);
        return s.sign();
    }

    private static int classicEcdsa(int bits) {
        return bits == 256 ? Ike.AUTH_ECDSA_SHA256_P256 : bits == 384 ? Ike.AUTH_ECDSA_SHA384_P384 : Ike.AUTH_ECDSA_SHA512_P521;
    }

    private static String classicEcdsaAlgorithm(int method) {
        return switch (method) {
            case Ike.AUTH_ECDSA_SHA256_P256 -> "SHA256withECDSAinP1363Format";
            case Ike.AUTH_ECDSA_SHA384_P384 -> "SHA384withECDSAinP1363Format";
            default -> "SHA512withECDSAinP1363Format";
        };
    }

    /**
     * Whether {@code auth} is a good signature of {@code octets} by {@code key}: empty when it is, else why not.
     * {@code peerAnnounced7427}: the peer sent SIGNATURE_HASH_ALGORITHMS, so RSA with SHA-1 (method 1) is not accepted
     * from it (RFC 7427 section 1: a peer that can do better must).
     */
    static Optional<String> verify(PublicKey key, Payload.Authentication auth, byte[] octets, boolean peerAnnounced7427) {
        try {
            byte[] data = auth.data();
            switch (auth.method()) {
                case Ike.AUTH_DIGITAL_SIGNATURE -> {
                    if (data.length < 1 || data.length < 1 + (data[0] & 0xff)) {
                        return Optional.of("the peer's AUTH (digital signature) is truncated");
                    }
                    int n = data[0] & 0xff;
                    AlgorithmIdentifier id;
                    try {
                        id = AlgorithmIdentifier.getInstance(Arrays.copyOfRange(data, 1, 1 + n));
                    } catch (IllegalArgumentException | IllegalStateException e) {
                        return Optional.of("the peer's AUTH names no readable signature algorithm");
                    }
                    byte[] sig = Arrays.copyOfRange(data, 1 + n, data.length);
                    String oid = id.getAlgorithm().getId();
                    Signature s;
                    if (oid.equals(RSA_PSS)) {
                        if (!(key instanceof RSAKey) || id.getParameters() == null) {
                            return Optional.of("the peer signs with RSASSA-PSS, but its certificate's key is " + key.getAlgorithm());
                        }
                        AlgorithmParameters p = AlgorithmParameters.getInstance("RSASSA-PSS");
                        p.init(id.getParameters().toASN1Primitive().getEncoded(ASN1Encoding.DER));
                        PSSParameterSpec spec = p.getParameterSpec(PSSParameterSpec.class);
                        if (spec.getDigestAlgorithm().replace("-", "").equalsIgnoreCase("SHA1")) {
                            return Optional.of("the peer signs with RSASSA-PSS and SHA-1, which this site refuses");
                        }
                        s = Signature.getInstance("RSASSA-PSS");
                        s.initVerify(key);
                        s.setParameter(spec);
                    } else {
                        Optional<Scheme> scheme = Arrays.stream(Scheme.values()).filter(x -> x.oid.equals(oid)).findFirst();
                        if (scheme.isEmpty()) {
                            return Optional.of("the peer signs with algorithm " + oid + ", which this site does not accept"
                                    + (oid.equals("1.2.840.113549.1.1.5") || oid.equals("1.2.840.10045.4.1") ? " (SHA-1)" : ""));
                        }
                        if (!keyFits(scheme.get(), key)) {
                            return Optional.of("the peer signs with " + scheme.get().jdk + ", but its certificate's key is "
                                    + key.getAlgorithm());
                        }
                        s = Signature.getInstance(scheme.get().jdk);
                        s.initVerify(key);
                    }
                    s.update(octets);
                    return s.verify(sig) ? Optional.empty() : Optional.of("the peer's signature does not verify with its certificate's key");
                }
                case Ike.AUTH_RSA_DIGITAL_SIGNATURE -> {
                    if (peerAnnounced7427) {
                        return Optional.of("the peer signs with RSA and SHA-1 (method 1) though it announced RFC 7427 signatures");
                    }
                    if (!(key instanceof RSAKey)) {
                        return Optional.of("the peer uses RSA signatures, but its certificate's key is " + key.getAlgorithm());
                    }
                    return plain("SHA1withRSA", key, octets, data);
                }
                case Ike.AUTH_ECDSA_SHA256_P256, Ike.AUTH_ECDSA_SHA384_P384, Ike.AUTH_ECDSA_SHA512_P521 -> {
                    if (!(key instanceof ECKey ec) || classicEcdsa(curveBits(ec)) != auth.method()) {
                        return Optional.of("the peer uses AUTH method " + auth.method() + ", which does not fit its certificate's "
                                + key.getAlgorithm() + " key");
                    }
                    return plain(classicEcdsaAlgorithm(auth.method()), key, octets, data);
                }
                default -> {
                    return Optional.of("the peer uses AUTH method " + auth.method() + ", not a signature this site accepts"
                            + (auth.method() == Ike.AUTH_SHARED_KEY_MIC ? " (a pre-shared key, where this site expects a certificate)" : ""));
                }
            }
        } catch (GeneralSecurityException | IOException e) {
            return Optional.of("the peer's signature cannot be checked: " + e.getMessage());
        }
    }

    private static Optional<String> plain(String algorithm, PublicKey key, byte[] octets, byte[] sig) throws GeneralSecurityException {
        Signature s = Signature.getInstance(algorithm);
        s.initVerify(key);
        s.update(octets);
        try {
            return s.verify(sig) ? Optional.empty() : Optional.of("the peer's signature does not verify with its certificate's key");
        } catch (java.security.SignatureException e) {
            return Optional.of("the peer's signature is malformed (" + e.getMessage() + ")");
        }
    }

    private static boolean keyFits(Scheme scheme, PublicKey key) {
        return switch (scheme) {
            case RSA_SHA256, RSA_SHA384, RSA_SHA512 -> key instanceof RSAKey;
            case ECDSA_SHA256, ECDSA_SHA384, ECDSA_SHA512 -> key instanceof ECKey;
            case ED25519 -> key instanceof EdECKey ed && ed.getParams().getName().equals("Ed25519");
        };
    }

    /** The hash algorithm numbers of a SIGNATURE_HASH_ALGORITHMS notify (two bytes each). */
    static List<Integer> hashes(byte[] notifyData) {
        List<Integer> out = new java.util.ArrayList<>();
        for (int i = 0; i + 1 < notifyData.length; i += 2) {
            out.add(((notifyData[i] & 0xff) << 8) | (notifyData[i + 1] & 0xff));
        }
        return out;
    }

    static byte[] hashesNotifyData() {
        byte[] b = new byte[2 * OUR_HASHES.size()];
        for (int i = 0; i < OUR_HASHES.size(); i++) {
            b[2 * i + 1] = (byte) (int) OUR_HASHES.get(i);
        }
        return b;
    }
}
