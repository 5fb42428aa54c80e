package sitelink.wireguard;

import sitelink.crypto.Blake2s;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;

/**
 * Our static identity: the private key, its public key, and the values derived from the public key that every
 * incoming handshake message needs (whitepaper section 5.4.4 and 5.4.7): the mac1 key HASH(LABEL_MAC1 || pub),
 * the cookie key HASH(LABEL_COOKIE || pub), and the handshake hash after mixing in our public key.
 */
public final class LocalIdentity {
    private final Key privateKey;
    private final X25519.PreparedKey preparedKey;
    private final Key publicKey;
    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final byte[] initialHash;

    public LocalIdentity(Key privateKey) {
        this.privateKey = privateKey;
        this.preparedKey = X25519.prepare(privateKey);
        this.publicKey = X25519.publicKey(privateKey);
        this.mac1Key = mac1KeyFor(publicKey);
        this.cookieKey = cookieKeyFor(publicKey);
        this.initialHash = Handshake.initialHashFor(publicKey);
    }

    public Key privateKey() {
        return privateKey;
    }

    /** The private key in the JDK's form, for the Diffie-Hellmans of every handshake (made once). */
    X25519.PreparedKey preparedKey() {
        return preparedKey;
    }

    public Key publicKey() {
        return publicKey;
    }

    /** HASH(LABEL_MAC1 || publicKey): the key for mac1 of messages sent to this public key. */
    public static byte[] mac1KeyFor(Key publicKey) {
        return Blake2s.hash(Constants.ascii(Constants.LABEL_MAC1), publicKey.bytes());
    }

    /** HASH(LABEL_COOKIE || publicKey): the key that encrypts cookies sent by this public key's owner. */
    public static byte[] cookieKeyFor(Key publicKey) {
        return Blake2s.hash(Constants.ascii(Constants.LABEL_COOKIE), publicKey.bytes());
    }

    byte[] mac1Key() {
        return mac1Key;
    }

    byte[] cookieKey() {
        return cookieKey;
    }

    /** HASH(HASH(HASH(CONSTRUCTION) || IDENTIFIER) || publicKey); callers must not modify it. */
    byte[] initialHash() {
        return initialHash;
    }

    @Override
    public String toString() {
        return "LocalIdentity[" + publicKey.toBase64() + "]";
    }
}
