package sitelink.wireguard;

import java.math.BigInteger;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.interfaces.XECPrivateKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.KeyAgreement;
import javax.crypto.KeyAgreementSpi;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;

/**
 * A JCA provider, first in line, whose X25519 key agreement remembers its last results: X25519 is a function of the
 * scalar and the point, so a result computed once (by the JDK's SunEC, which does every computation) can be given
 * again. For {@link CoreFuzzTest}: each fixture it builds runs the same handshake with the same keys, five X25519
 * operations that were three quarters of the target's time; the core's code runs exactly as before, only the
 * JDK's arithmetic is not repeated. Installed once per JVM ({@link #install}); a thread whose
 * {@code sitelink.crypto.X25519} already holds a KeyAgreement keeps the JDK's, which gives the same results.
 */
final class RememberedX25519 extends Provider {
    private static final long serialVersionUID = 1L;
    private static final int REMEMBERED = 64;
    /** Scalar and point, as bytes, to the shared secret; the eldest entry goes first. */
    private static final Map<String, byte[]> RESULTS = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
            return size() > REMEMBERED;
        }
    };

    private RememberedX25519() {
        super("SitelinkRememberedX25519", "1", "X25519 key agreement remembering its results (tests only)");
        putService(new Service(this, "KeyAgreement", "X25519", Agreement.class.getName(), null, null) {
            @Override
            public Object newInstance(Object parameter) throws NoSuchAlgorithmException {
                return new Agreement();
            }
        });
    }

    static synchronized void install() {
        if (Security.getProvider("SitelinkRememberedX25519") == null) {
            Security.insertProviderAt(new RememberedX25519(), 1);
        }
    }

    /** The agreement: remembers the private key and the point, computes (or recalls) at generateSecret. */
    static final class Agreement extends KeyAgreementSpi {
        private final KeyAgreement jdk;
        private XECPrivateKey priv;
        private XECPublicKey pub;

        Agreement() throws NoSuchAlgorithmException {
            try {
                jdk = KeyAgreement.getInstance("X25519", "SunEC");
            } catch (NoSuchProviderException e) {
                throw new NoSuchAlgorithmException(e);
            }
        }

        @Override
        protected void engineInit(Key key, SecureRandom random) throws InvalidKeyException {
            if (!(key instanceof XECPrivateKey k) || k.getScalar().isEmpty()) {
                throw new InvalidKeyException("an X25519 private key");
            }
            priv = k;
            pub = null;
        }

        @Override
        protected void engineInit(Key key, AlgorithmParameterSpec params, SecureRandom random) throws InvalidKeyException,
                InvalidAlgorithmParameterException {
            if (params != null) {
                throw new InvalidAlgorithmParameterException("no parameters");
            }
            engineInit(key, random);
        }

        @Override
        protected Key engineDoPhase(Key key, boolean lastPhase) throws InvalidKeyException {
            if (priv == null || !lastPhase || !(key instanceof XECPublicKey k)) {
                throw new InvalidKeyException("one X25519 public key, after init");
            }
            pub = k;
            return null;
        }

        @Override
        protected byte[] engineGenerateSecret() {
            if (priv == null || pub == null) {
                throw new IllegalStateException("init and doPhase first");
            }
            byte[] scalar = priv.getScalar().orElseThrow();
            BigInteger u = pub.getU();
            String key = java.util.HexFormat.of().formatHex(scalar) + ":" + u.toString(16);
            Arrays.fill(scalar, (byte) 0);
            byte[] known;
            synchronized (RESULTS) {
                known = RESULTS.get(key);
            }
            if (known == null) {
                try {
                    jdk.init(priv);
                    jdk.doPhase(pub, true);
                    known = jdk.generateSecret(); // throws, as the JDK does, for a small-order point
                } catch (InvalidKeyException e) {
                    throw new IllegalStateException(e);
                }
                synchronized (RESULTS) {
                    RESULTS.put(key, known);
                }
            }
            pub = null;
            return known.clone();
        }

        @Override
        protected int engineGenerateSecret(byte[] sharedSecret, int offset) throws ShortBufferException {
            byte[] s = engineGenerateSecret();
            if (sharedSecret.length - offset < s.length) {
                throw new ShortBufferException("needs " + s.length + " bytes");
            }
            System.arraycopy(s, 0, sharedSecret, offset, s.length);
            return s.length;
        }

        @Override
        protected SecretKey engineGenerateSecret(String algorithm) throws NoSuchAlgorithmException {
            throw new NoSuchAlgorithmException("raw secrets only");
        }
    }
}
