package sitelink.pki;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The key types a gateway or CA certificate may have: what IKEv2 peers commonly accept (strongSwan, IOS XE, PAN-OS
 * and the cloud gateways take ECDSA and RSA; Ed25519 per RFC 8420), nothing weaker than RSA 2048. Keys come from the
 * JDK's generators.
 */
public enum KeyType {
    ECDSA_P256("ecdsa-p256", "SHA256withECDSA"),
    ECDSA_P384("ecdsa-p384", "SHA384withECDSA"),
    RSA_2048("rsa2048", "SHA256withRSA"),
    RSA_3072("rsa3072", "SHA256withRSA"),
    RSA_4096("rsa4096", "SHA384withRSA"),
    ED25519("ed25519", "Ed25519");

    /** The default for new keys: small, fast, and accepted by every peer of the kind sitelink links to. */
    public static final KeyType DEFAULT = ECDSA_P256;

    private final String option;
    private final String signatureAlgorithm;

    KeyType(String option, String signatureAlgorithm) {
        this.option = option;
        this.signatureAlgorithm = signatureAlgorithm;
    }

    /** The name on the command line, e.g. {@code ecdsa-p256}. */
    public String option() {
        return option;
    }

    /** The JCA signature algorithm a key of this type signs certificates and CRLs with. */
    public String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    public static Optional<KeyType> fromOption(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(k -> k.option.equals(t)).findFirst();
    }

    /** The accepted names, for error messages and help. */
    public static String options() {
        return Arrays.stream(values()).map(KeyType::option).collect(Collectors.joining(", "));
    }

    public KeyPair generate(SecureRandom random) {
        try {
            KeyPairGenerator g = switch (this) {
                case ECDSA_P256, ECDSA_P384 -> {
                    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
                    ec.initialize(new ECGenParameterSpec(this == ECDSA_P256 ? "secp256r1" : "secp384r1"), random);
                    yield ec;
                }
                case RSA_2048, RSA_3072, RSA_4096 -> {
                    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
                    rsa.initialize(this == RSA_2048 ? 2048 : this == RSA_3072 ? 3072 : 4096, random);
                    yield rsa;
                }
                case ED25519 -> KeyPairGenerator.getInstance("Ed25519");
            };
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot make a " + option + " key", e);
        }
    }

    /** The type of an existing key (a CA's, read from its file), if it is one sitelink signs with. */
    public static Optional<KeyType> of(Key key) {
        if (key instanceof ECKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            return bits == 256 ? Optional.of(ECDSA_P256) : bits == 384 ? Optional.of(ECDSA_P384) : Optional.empty();
        }
        if (key instanceof RSAKey rsa) {
            int bits = rsa.getModulus().bitLength();
            return bits < 2048 ? Optional.empty() : bits < 3072 ? Optional.of(RSA_2048)
                    : bits < 4096 ? Optional.of(RSA_3072) : Optional.of(RSA_4096);
        }
        return key instanceof EdECKey ed && ed.getParams().getName().equals("Ed25519") ? Optional.of(ED25519)
                : Optional.empty();
    }

    /** The key in words: "ECDSA P-256", "RSA 3072", "Ed25519", or the algorithm and size of another. */
    public static String describe(Key key) {
        if (key instanceof ECKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            return "ECDSA P-" + bits;
        }
        if (key instanceof RSAKey rsa) {
            return "RSA " + rsa.getModulus().bitLength();
        }
        return key instanceof EdECKey ed ? ed.getParams().getName() : key.getAlgorithm();
    }
}
