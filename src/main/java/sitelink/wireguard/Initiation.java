package sitelink.wireguard;

import java.util.Arrays;
import sitelink.crypto.Key;

/**
 * The result of the device-level first step of consuming a handshake initiation
 * ({@link Handshake#openInitiation}): whose static key it carries, so the device can find the peer, plus the
 * Noise state after "e, es, s" that the peer's {@link Handshake#acceptInitiation} continues from.
 *
 * @param remoteStatic the initiator's static public key, decrypted from the message
 * @param senderIndex the initiator's sender index (our receiver index for the response)
 * @param remoteEphemeral the initiator's ephemeral public key
 * @param chainingKey Noise chaining key after "s" (secret: call {@link #destroy()} once done)
 * @param hash Noise handshake hash after "s"
 * @param sealedTimestamp the encrypted TAI64N timestamp with its tag (28 bytes)
 */
public record Initiation(Key remoteStatic, int senderIndex, Key remoteEphemeral, Key chainingKey, Key hash,
        byte[] sealedTimestamp) {

    /** Zeroes the chaining key. {@link Handshake#acceptInitiation} does this itself. */
    public void destroy() {
        chainingKey.destroy();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Initiation i && remoteStatic.equals(i.remoteStatic) && senderIndex == i.senderIndex
                && remoteEphemeral.equals(i.remoteEphemeral) && Arrays.equals(sealedTimestamp, i.sealedTimestamp);
    }

    @Override
    public int hashCode() {
        return remoteEphemeral.hashCode();
    }

    @Override
    public String toString() {
        return "Initiation[from " + remoteStatic.toBase64() + ", sender " + Integer.toUnsignedString(senderIndex) + "]";
    }
}
