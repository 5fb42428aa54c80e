package sitelink.crypto;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.SecretKey;

/**
 * A symmetric key that one thread may destroy while others are using it, zeroed only once nobody is.
 *
 * <p>A session's transport keys are used by the data-path threads without a lock while the UDP, timer or UAPI thread
 * may end the session (a new handshake, a removed peer, a new private key). Zeroing the array in place under a
 * sealing thread would seal a datagram under an all-zero or half-zeroed key and so expose its plaintext. Users
 * therefore bracket every use with {@link #acquire()} and {@link #release()}; {@link #destroy()} drops the owner's
 * reference and the last reference to go zeroes the key (the reference counting that the kernel's RCU-deferred
 * keypair free achieves).
 *
 * <p>The JDK's ChaCha20 cipher takes the key through {@link #getEncoded()}: each call hands it a fresh copy, which the
 * cipher owns and zeroes itself when it is initialised with the next key, so no copy is left in the heap for the
 * garbage collector (a {@code SecretKeySpec} per packet leaves two, neither of which can be cleared).
 */
public final class SessionKey implements SecretKey {
    private static final long serialVersionUID = 1L;
    /** The owner's reference plus one per user; 0 once destroyed and released by all. */
    private final AtomicInteger references = new AtomicInteger(1);
    private final transient byte[] key;
    private volatile boolean destroyed;

    /** Takes ownership of {@code key}, which this object zeroes on destroy. */
    public SessionKey(byte[] key) {
        if (key.length != ChaChaPoly.KEY_LENGTH) {
            throw new IllegalArgumentException("a session key is 32 bytes, not " + key.length);
        }
        this.key = key;
    }

    /** Takes a reference for one use; false once the key is destroyed (it may then no longer be used). */
    public boolean acquire() {
        if (destroyed) {
            return false;
        }
        int n;
        do {
            n = references.get();
            if (n == 0) {
                return false;
            }
        } while (!references.compareAndSet(n, n + 1));
        if (destroyed) { // destroyed between the check and the increment: do not start a use after destroy()
            release();
            return false;
        }
        return true;
    }

    /** Ends a use begun by a successful {@link #acquire()}. */
    public void release() {
        if (references.decrementAndGet() == 0) {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** No new use may start; the key is zeroed as soon as the uses in progress end (at once if there are none). */
    @Override
    public void destroy() {
        synchronized (this) {
            if (destroyed) {
                return;
            }
            destroyed = true;
        }
        release();
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    /** True once the key bytes are zero: destroyed and no use in progress. For tests. */
    boolean isZeroed() {
        return references.get() == 0;
    }

    @Override
    public String getAlgorithm() {
        return "ChaCha20";
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    /** A copy for the cipher, which owns it; only between acquire and release. */
    @Override
    public byte[] getEncoded() {
        return key.clone();
    }

    @Override
    public String toString() {
        return "SessionKey[" + (destroyed ? "destroyed" : "live") + "]"; // never the key
    }
}
