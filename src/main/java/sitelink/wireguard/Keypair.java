package sitelink.wireguard;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import sitelink.crypto.ChaChaPoly;
import sitelink.crypto.SessionKey;

/**
 * A session: the two transport keys a completed handshake derived (whitepaper section 5.4.5), the indices
 * that name it on the wire, the send counter and the receive replay window. encrypt and decrypt are
 * thread-safe and allocate nothing of their own beyond what the JDK Cipher does.
 */
public final class Keypair {
    /** Transport header (16) plus Poly1305 tag (16). */
    public static final int OVERHEAD = 32;

    /** The message did not authenticate under this keypair's receive key. */
    public static final int DECRYPT_AUTH_FAILED = -1;
    /** The counter was already received or is older than the replay window. */
    public static final int DECRYPT_REPLAY = -2;
    /** The counter is at or past REJECT_AFTER_MESSAGES. */
    public static final int DECRYPT_COUNTER_LIMIT = -3;
    /** Not a transport message for this keypair (too short, wrong type or receiver index). */
    public static final int DECRYPT_MALFORMED = -4;
    /** {@link #destroy()} was called. */
    public static final int DECRYPT_KEY_DESTROYED = -5;

    private final int localIndex;
    private final int remoteIndex;
    private final boolean initiator;
    private final long createdNanos;
    private final SessionKey sendKey;
    private final SessionKey receiveKey;
    private final AtomicLong sendCounter = new AtomicLong();
    private final ReplayWindow replay = new ReplayWindow();

    /** Takes ownership of (and later zeroes) the two key arrays. */
    Keypair(int localIndex, int remoteIndex, boolean initiator, long createdNanos, byte[] sendKey, byte[] receiveKey) {
        this.localIndex = localIndex;
        this.remoteIndex = remoteIndex;
        this.initiator = initiator;
        this.createdNanos = createdNanos;
        this.sendKey = new SessionKey(sendKey);
        this.receiveKey = new SessionKey(receiveKey);
    }

    /** Our index: peers put it in the receiver field of messages for this session. */
    public int localIndex() {
        return localIndex;
    }

    /** The peer's index: we put it in the receiver field of transport messages we send. */
    public int remoteIndex() {
        return remoteIndex;
    }

    public boolean isInitiator() {
        return initiator;
    }

    public long createdNanos() {
        return createdNanos;
    }

    /** The next counter encrypt will use (unsigned). */
    public long sendCounter() {
        return sendCounter.get();
    }

    /** Test hook: jump the send counter (e.g. to just below REJECT_AFTER_MESSAGES). */
    void setSendCounter(long counter) {
        sendCounter.set(counter);
    }

    /** The transport message length for a packet of len bytes: header, padded plaintext, tag. */
    public static int messageLength(int len) {
        return OVERHEAD + paddedLength(len);
    }

    private static int paddedLength(int len) {
        int m = Constants.PADDING_MULTIPLE;
        return (len + m - 1) / m * m;
    }

    /**
     * Encrypts packet[off, off+len), zero-padded to a multiple of 16, into out[outOff...] as a complete transport
     * message (type 4, receiver index = remoteIndex, counter). out needs {@link #messageLength(int)} bytes from
     * outOff; packet and out may be the same array (encrypting in place when off == outOff + 16). Returns the
     * message length, or -1 once the counter reached REJECT_AFTER_MESSAGES or after destroy. A zero-length
     * packet is a keepalive.
     */
    public int encrypt(byte[] packet, int off, int len, byte[] out, int outOff) {
        int padded = paddedLength(len);
        if (outOff < 0 || out.length - outOff < OVERHEAD + padded) {
            throw new IllegalArgumentException("output buffer too small for a " + len + "-byte packet");
        }
        if (!sendKey.acquire()) {
            return -1; // destroyed
        }
        try {
            long counter;
            do {
                counter = sendCounter.get();
                if (Constants.reachedRejectAfterMessages(counter)) {
                    return -1; // never wrap: a reused nonce would reveal plaintexts
                }
            } while (!sendCounter.compareAndSet(counter, counter + 1));
            int data = outOff + Messages.TRANSPORT_DATA;
            System.arraycopy(packet, off, out, data, len);
            Arrays.fill(out, data + len, data + padded, (byte) 0);
            Messages.putHeader(out, outOff, Constants.MESSAGE_TRANSPORT);
            Messages.putInt(out, outOff + Messages.TRANSPORT_RECEIVER, remoteIndex);
            Messages.putLong(out, outOff + Messages.TRANSPORT_COUNTER, counter);
            return Messages.TRANSPORT_DATA + ChaChaPoly.sealTransport(sendKey, counter, out, data, padded, out, data);
        } finally {
            sendKey.release();
        }
    }

    /**
     * Decrypts the transport message msg[off, off+len) into out[outOff...] (len - 32 bytes; may overlap msg).
     * Returns the plaintext length (still padded) or a negative DECRYPT_* code. The replay window is updated only
     * after the message authenticated, so a forged counter cannot push the window.
     */
    public int decrypt(byte[] msg, int off, int len, byte[] out, int outOff) {
        if (Messages.classify(msg, off, len) != Constants.MESSAGE_TRANSPORT
                || Messages.getInt(msg, off + Messages.TRANSPORT_RECEIVER) != localIndex) {
            return DECRYPT_MALFORMED;
        }
        long counter = Messages.counter(msg, off);
        if (Constants.reachedRejectAfterMessages(counter)) {
            return DECRYPT_COUNTER_LIMIT;
        }
        if (!replay.check(counter)) {
            return DECRYPT_REPLAY; // cheap rejection before spending a decryption
        }
        if (!receiveKey.acquire()) {
            return DECRYPT_KEY_DESTROYED;
        }
        int n;
        try {
            n = ChaChaPoly.openTransport(receiveKey, counter, msg, off + Messages.TRANSPORT_DATA,
                    len - Messages.TRANSPORT_DATA, out, outOff);
        } finally {
            receiveKey.release();
        }
        if (n < 0) {
            return DECRYPT_AUTH_FAILED;
        }
        return replay.update(counter) ? n : DECRYPT_REPLAY; // another thread may have won the same counter
    }

    /** Later encrypt and decrypt fail; each key is zeroed as soon as no encrypt or decrypt is still using it. */
    public void destroy() {
        sendKey.destroy();
        receiveKey.destroy();
    }

    public boolean isDestroyed() {
        return sendKey.isDestroyed();
    }

    @Override
    public String toString() {
        return "Keypair[local=" + Integer.toUnsignedString(localIndex) + ", remote=" + Integer.toUnsignedString(remoteIndex)
                + (initiator ? ", initiator" : ", responder") + (isDestroyed() ? ", destroyed" : "") + "]";
    }
}
