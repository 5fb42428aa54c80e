package sitelink.pqpsk;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.KDF;
import javax.crypto.Mac;
import javax.crypto.spec.HKDFParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import sitelink.crypto.Key;

/**
 * The key schedule of one exchange, HKDF-SHA256 (RFC 5869) through the JDK's {@code javax.crypto.KDF}:
 * <pre>
 *   PRK  = HKDF-Extract(salt = previous key | configured PSK (or 32 zeros), IKM = ML-KEM shared secret)
 *   OKM  = HKDF-Expand(PRK, "sitelink pq-psk v1" | initiator's public key | responder's public key | epoch
 *                           | SHA-256(INIT | RESPONSE without its confirm), 64)
 *   new preshared key = OKM[0..32], confirm key = OKM[32..64]
 *   RESPONSE confirm = HMAC-SHA256(confirm key, "response"), ACK confirm = HMAC-SHA256(confirm key, "ack")
 * </pre>
 * So the key depends on the ML-KEM secret and on every key before it, is bound to both gateways, the epoch and
 * both messages as sent, and each side proves it derived the same before the other installs it.
 */
final class PqKdf {
    private static final byte[] LABEL = "sitelink pq-psk v1".getBytes(StandardCharsets.US_ASCII);

    record Derived(Key presharedKey, byte[] confirmKey) {
    }

    private PqKdf() {
    }

    static Derived derive(byte[] sharedSecret, Key previous, Key configured, Key initiator, Key responder, long epoch,
                          byte[] init, byte[] responseBody) {
        byte[] salt = concat(previous.bytes(), configured.bytes());
        byte[] transcript;
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(init);
            transcript = sha.digest(responseBody);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        byte[] info = ByteBuffer.allocate(LABEL.length + 32 + 32 + 8 + 32).put(LABEL).put(initiator.bytes())
                .put(responder.bytes()).putLong(epoch).put(transcript).array();
        try {
            KDF hkdf = KDF.getInstance("HKDF-SHA256");
            byte[] okm = hkdf.deriveData(HKDFParameterSpec.ofExtract().addIKM(sharedSecret).addSalt(salt)
                    .thenExpand(info, 64));
            Derived d = new Derived(Key.of(Arrays.copyOf(okm, 32)), Arrays.copyOfRange(okm, 32, 64));
            Arrays.fill(okm, (byte) 0);
            return d;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no HKDF-SHA256", e);
        } finally {
            Arrays.fill(salt, (byte) 0);
        }
    }

    static byte[] confirm(byte[] confirmKey, String label) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(confirmKey, "HmacSHA256"));
            return mac.doFinal(label.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
