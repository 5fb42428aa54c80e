package sitelink.ike;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Optional;
import java.security.PublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import javax.crypto.KEM;
import javax.crypto.KeyAgreement;
import javax.crypto.interfaces.DHPublicKey;
import javax.crypto.spec.DHParameterSpec;
import javax.crypto.spec.DHPublicKeySpec;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;

/**
 * The key exchange methods we accept, through the JDK: Diffie-Hellman groups 14 (2048-bit MODP, RFC 3526), 19 and 20
 * (NIST P-256/P-384, public value x || y and shared secret x per RFC 5903), 31 (Curve25519, RFC 8031); and, as
 * additional key exchanges only (RFC 9370), ML-KEM-512/768/1024 (35/36/37, FIPS 203 through {@code javax.crypto.KEM},
 * draft-ietf-ipsecme-ikev2-mlkem: the initiator sends its encapsulation key, the responder the ciphertext, and the
 * 32-byte shared secret is the exchange's secret).
 */
public final class DhGroup {
    private DhGroup() {
    }

    /** RFC 3526 section 3: the 2048-bit MODP prime, generator 2. */
    static final BigInteger MODP_2048_P = new BigInteger(
            "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
            + "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
            + "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
            + "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
            + "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
            + "15728E5A8AACAA68FFFFFFFFFFFFFFFF", 16);

    public static boolean supported(int group) {
        return group == Ike.MODP_2048 || group == Ike.ECP_256 || group == Ike.ECP_384 || group == Ike.CURVE25519 || isKem(group);
    }

    /** Whether the method is a KEM (ML-KEM): the responder's value depends on the initiator's. */
    public static boolean isKem(int method) {
        return method == Ike.ML_KEM_512 || method == Ike.ML_KEM_768 || method == Ike.ML_KEM_1024;
    }

    /** The responder's half: the value to send back and the shared secret, empty when the peer's value is invalid. */
    public record Response(byte[] publicValue, byte[] secret) {
    }

    /**
     * Answers the initiator's public value {@code peerPublic} of {@code method}: for a DH group our own public value
     * and g^ir, for ML-KEM the ciphertext encapsulated to the peer's key and the shared secret.
     */
    public static Optional<Response> respond(int method, byte[] peerPublic, SecureRandom random) {
        if (isKem(method)) {
            return MlKem.encapsulate(method, peerPublic, random);
        }
        Exchange ours = generate(method, random);
        return ours.agree(peerPublic).map(secret -> new Response(ours.publicValue(), secret));
    }

    /** Our half of one exchange: the public value to send, and the agreement with the peer's. */
    public interface Exchange {
        int group();

        byte[] publicValue();

        /** g^ir in the group's encoding, empty when the peer's value is invalid (wrong length, not on the curve). */
        Optional<byte[]> agree(byte[] peerPublic);
    }

    public static Exchange generate(int group, SecureRandom random) {
        return switch (group) {
            case Ike.MODP_2048 -> new Modp(random);
            case Ike.ECP_256 -> new Ecp(group, "secp256r1", 32, random);
            case Ike.ECP_384 -> new Ecp(group, "secp384r1", 48, random);
            case Ike.CURVE25519 -> new Curve25519(random);
            case Ike.ML_KEM_512, Ike.ML_KEM_768, Ike.ML_KEM_1024 -> new MlKem(group, random);
            default -> throw new IllegalArgumentException("unsupported DH group " + group);
        };
    }

    private static byte[] fixed(BigInteger v, int len) {
        byte[] raw = v.toByteArray(), out = new byte[len];
        int n = Math.min(raw.length, len);
        System.arraycopy(raw, raw.length - n, out, len - n, n);
        return out;
    }

    private static final class Modp implements Exchange {
        private final KeyPair pair;

        Modp(SecureRandom random) {
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance("DH");
                g.initialize(new DHParameterSpec(MODP_2048_P, BigInteger.TWO), random);
                pair = g.generateKeyPair();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK refused MODP group 14", e);
            }
        }

        public int group() {
            return Ike.MODP_2048;
        }

        public byte[] publicValue() {
            return fixed(((DHPublicKey) pair.getPublic()).getY(), 256);
        }

        public Optional<byte[]> agree(byte[] peer) {
            BigInteger y = new BigInteger(1, peer);
            // RFC 7296 / SP 800-56A: 1 < y < p - 1, else the shared secret is forced to a known value
            if (peer.length != 256 || y.compareTo(BigInteger.ONE) <= 0 || y.compareTo(MODP_2048_P.subtract(BigInteger.ONE)) >= 0) {
                return Optional.empty();
            }
            try {
                var pub = KeyFactory.getInstance("DH").generatePublic(new DHPublicKeySpec(y, MODP_2048_P, BigInteger.TWO));
                KeyAgreement ka = KeyAgreement.getInstance("DH");
                ka.init(pair.getPrivate());
                ka.doPhase(pub, true);
                return Optional.of(fixed(new BigInteger(1, ka.generateSecret()), 256));
            } catch (GeneralSecurityException | IllegalStateException e) {
                return Optional.empty();
            }
        }
    }

    private static final class Ecp implements Exchange {
        private final int group, size;
        private final ECParameterSpec params;
        private final KeyPair pair;

        Ecp(int group, String curve, int size, SecureRandom random) {
            this.group = group;
            this.size = size;
            try {
                AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
                ap.init(new ECGenParameterSpec(curve));
                params = ap.getParameterSpec(ECParameterSpec.class);
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(params, random);
                pair = g.generateKeyPair();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK refused " + curve, e);
            }
        }

        public int group() {
            return group;
        }

        public byte[] publicValue() {
            ECPoint w = ((ECPublicKey) pair.getPublic()).getW();
            byte[] out = new byte[2 * size];
            System.arraycopy(fixed(w.getAffineX(), size), 0, out, 0, size);
            System.arraycopy(fixed(w.getAffineY(), size), 0, out, size, size);
            return out;
        }

        public Optional<byte[]> agree(byte[] peer) {
            if (peer.length != 2 * size) {
                return Optional.empty();
            }
            try {
                BigInteger x = new BigInteger(1, java.util.Arrays.copyOfRange(peer, 0, size));
                BigInteger y = new BigInteger(1, java.util.Arrays.copyOfRange(peer, size, 2 * size));
                var pub = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), params));
                KeyAgreement ka = KeyAgreement.getInstance("ECDH");
                ka.init(pair.getPrivate());
                ka.doPhase(pub, true); // the JDK checks that the point is on the curve
                return Optional.of(fixed(new BigInteger(1, ka.generateSecret()), size));
            } catch (GeneralSecurityException | IllegalStateException | IllegalArgumentException e) {
                return Optional.empty();
            }
        }
    }

    private static final class Curve25519 implements Exchange {
        private final Key privateKey;

        Curve25519(SecureRandom random) {
            privateKey = X25519.generatePrivate(random);
        }

        public int group() {
            return Ike.CURVE25519;
        }

        public byte[] publicValue() {
            return X25519.publicKey(privateKey).bytes();
        }

        public Optional<byte[]> agree(byte[] peer) {
            if (peer.length != Key.LENGTH) {
                return Optional.empty();
            }
            return X25519.sharedSecret(privateKey, Key.of(peer)).map(Key::bytes); // empty for a small-order point (RFC 8031)
        }
    }

    /**
     * ML-KEM through the JDK ({@code javax.crypto.KEM}). The key travels raw (the 800/1184/1568-byte encapsulation key
     * of FIPS 203); the JDK's keys are X.509 SubjectPublicKeyInfo, whose DER prefix before the raw key is fixed per
     * parameter set and taken from a key of our own.
     */
    private static final class MlKem implements Exchange {
        /** The DER before the raw key in the JDK's X.509 encoding, per method (a constant of the parameter set). */
        private static final java.util.Map<Integer, byte[]> PREFIXES = new java.util.concurrent.ConcurrentHashMap<>();
        private final int method;
        private final KeyPair pair;

        MlKem(int method, SecureRandom random) {
            this.method = method;
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance("ML-KEM");
                g.initialize(new NamedParameterSpec(parameterSet(method)), random);
                pair = g.generateKeyPair();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK has no " + parameterSet(method), e);
            }
        }

        static String parameterSet(int method) {
            return switch (method) {
                case Ike.ML_KEM_512 -> "ML-KEM-512";
                case Ike.ML_KEM_768 -> "ML-KEM-768";
                default -> "ML-KEM-1024";
            };
        }

        static int keyLength(int method) {
            return switch (method) {
                case Ike.ML_KEM_512 -> 800;
                case Ike.ML_KEM_768 -> 1184;
                default -> 1568;
            };
        }

        static int ciphertextLength(int method) {
            return switch (method) {
                case Ike.ML_KEM_512 -> 768;
                case Ike.ML_KEM_768 -> 1088;
                default -> 1568;
            };
        }

        public int group() {
            return method;
        }

        public byte[] publicValue() {
            byte[] encoded = pair.getPublic().getEncoded();
            return java.util.Arrays.copyOfRange(encoded, encoded.length - keyLength(method), encoded.length);
        }

        /** Decapsulates the responder's ciphertext. */
        public Optional<byte[]> agree(byte[] ciphertext) {
            if (ciphertext.length != ciphertextLength(method)) {
                return Optional.empty();
            }
            try {
                return Optional.of(KEM.getInstance("ML-KEM").newDecapsulator(pair.getPrivate()).decapsulate(ciphertext).getEncoded());
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                return Optional.empty();
            }
        }

        static Optional<Response> encapsulate(int method, byte[] peerKey, SecureRandom random) {
            if (peerKey.length != keyLength(method)) {
                return Optional.empty();
            }
            try {
                byte[] prefix = PREFIXES.computeIfAbsent(method, m -> {
                    byte[] own = new MlKem(m, random).pair.getPublic().getEncoded();
                    return java.util.Arrays.copyOf(own, own.length - keyLength(m));
                });
                byte[] spki = IkeKeys.concat(prefix, peerKey);
                PublicKey key = KeyFactory.getInstance("ML-KEM").generatePublic(new X509EncodedKeySpec(spki));
                KEM.Encapsulated e = KEM.getInstance("ML-KEM").newEncapsulator(key, random).encapsulate();
                return Optional.of(new Response(e.encapsulation(), e.key().getEncoded()));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                return Optional.empty(); // not a valid encapsulation key (FIPS 203 section 7.2's checks)
            }
        }
    }
}
