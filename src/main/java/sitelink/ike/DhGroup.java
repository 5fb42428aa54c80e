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
import javax.crypto.KeyAgreement;
import javax.crypto.interfaces.DHPublicKey;
import javax.crypto.spec.DHParameterSpec;
import javax.crypto.spec.DHPublicKeySpec;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;

/**
 * The Diffie-Hellman groups we accept, through the JDK: 14 (2048-bit MODP, RFC 3526), 19 and 20 (NIST P-256/P-384,
 * public value x || y and shared secret x per RFC 5903), 31 (Curve25519, RFC 8031).
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
        return group == Ike.MODP_2048 || group == Ike.ECP_256 || group == Ike.ECP_384 || group == Ike.CURVE25519;
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
}
