package sitelink.wireguard;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;
import sitelink.crypto.Blake2s;
import sitelink.crypto.ChaChaPoly;
import sitelink.crypto.Key;
import sitelink.crypto.NoiseKdf;
import sitelink.crypto.Tai64n;
import sitelink.crypto.X25519;

/**
 * The Noise_IKpsk2 handshake with one peer (whitepaper section 5.4.2 to 5.4.5):
 * <pre>
 *   &lt;- s
 *   -&gt; e, es, s, ss, {t}     initiation (148 bytes)
 *   &lt;- e, ee, se, psk, {}    response (92 bytes)
 * </pre>
 * The MACs (mac1, mac2) are not handled here but by {@link CookieGenerator} and {@link CookieChecker}.
 * Not thread-safe: the caller synchronizes (one lock per peer).
 */
public final class Handshake {
    private static final byte[] INITIAL_CHAINING_KEY = Blake2s.hash(Constants.ascii(Constants.CONSTRUCTION));
    private static final byte[] INITIAL_HASH = Blake2s.hash(INITIAL_CHAINING_KEY, Constants.ascii(Constants.IDENTIFIER));
    private static final byte[] EMPTY = new byte[0];

    private final LocalIdentity local;
    private final Key remoteStatic;
    /** DH(our static, their static), or null when their key has small order: no handshake can succeed. */
    private final byte[] staticStatic;
    private final byte[] remoteInitialHash;
    private final byte[] presharedKey = new byte[32];
    /** A second preshared key accepted in a response to our initiation (the post-quantum key's rotation), or null. */
    private byte[] alternatePresharedKey;
    private Supplier<Key> ephemeralSource;
    /**
     * Ephemeral keys made ahead of their handshake ({@link #prepare}), so that the X25519 of making them is not on the
     * path of the packet that waits for the handshake, each with its Diffie-Hellman with the peer's static key already
     * computed (that key is known in advance): the initiator's "es", the responder's "se". Each serves one handshake;
     * null when none is ready.
     */
    private Prepared preparedInitiator;
    private Prepared preparedResponder;
    /** True while a used prepared key should be replaced ({@link #prepare}); false once they expired unused. */
    private boolean replacePrepared;

    // Initiator state: our initiation in flight, awaiting its response.
    private boolean initiationSent;
    private byte[] chainingKey;
    private byte[] hash;
    private Key localEphemeral;
    private int localIndex;
    // Responder state, kept apart from the initiator's: when both sides initiate at once, answering theirs must not
    // destroy ours, so that the answer to ours still completes (both handshakes then yield sessions).
    private boolean initiationAccepted;
    private byte[] responderChainingKey;
    private byte[] responderHash;
    private Key remoteEphemeral;
    private int remoteIndex;
    /** Greatest TAI64N timestamp accepted from this peer; all zeros means none yet. */
    private final byte[] latestTimestamp = new byte[Tai64n.LENGTH];
    private boolean consumedInitiation;
    private long lastInitiationConsumedNanos;

    /** Precomputes DH(our static private, their static public); ephemeral keys come from {@code random}. */
    public Handshake(LocalIdentity local, Key remoteStatic, SecureRandom random) {
        this.ephemeralSource = () -> X25519.generatePrivate(random);
        this.local = local;
        this.remoteStatic = remoteStatic;
        this.staticStatic = X25519.sharedSecret(local.preparedKey(), remoteStatic).map(Key::bytes).orElse(null);
        this.remoteInitialHash = initialHashFor(remoteStatic);
    }

    /** HASH(HASH(HASH(CONSTRUCTION) || IDENTIFIER) || responder's static public key). */
    static byte[] initialHashFor(Key responderStatic) {
        return Blake2s.hash(INITIAL_HASH, responderStatic.bytes());
    }

    /** Test hook: a fixed ephemeral private key instead of a random one, for known-answer transcripts. */
    void setEphemeralSource(Supplier<Key> source) {
        this.ephemeralSource = source;
        forgetPrepared(); // made from the previous source
    }

    /** Test hook: replaces the source of ephemeral keys but keeps those already made ahead. */
    void setEphemeralSourceKeepingPrepared(Supplier<Key> source) {
        this.ephemeralSource = source;
    }

    /**
     * An ephemeral key pair made ahead of use, with DH(ephemeral, their static) ("es" in an initiation, "se" in a
     * response), and when it was made.
     */
    private record Prepared(Key ephemeral, byte[] ephemeralPublic, byte[] withTheirStatic, long madeNanos) {
        void destroy() {
            ephemeral.destroy();
            zero(withTheirStatic);
        }
    }

    /**
     * Makes the ephemeral keys of the next initiation and the next response ahead of time, where none is ready: four
     * X25519 (about 0.1-0.3 ms each with the JDK's: each key's public half and its DH with the peer's static key) that
     * then do not delay the first packet of a tunnel, which waits for the handshake. The caller runs it off that path:
     * when the peer is configured, and on the timer thread after a handshake used one. Returns true if it made any.
     */
    public boolean prepare(long nowNanos) {
        if (staticStatic == null) {
            return false;
        }
        boolean made = false;
        if (preparedInitiator == null) {
            preparedInitiator = prepareOne(nowNanos);
            made = true;
        }
        if (preparedResponder == null) {
            preparedResponder = prepareOne(nowNanos);
            made = true;
        }
        replacePrepared = true;
        return made;
    }

    /** A fresh ephemeral key with its public half and DH(it, their static): never all zeros, their key's order was checked. */
    private Prepared prepareOne(long nowNanos) {
        Key e = ephemeralSource.get();
        Key dh = X25519.sharedSecret(e, remoteStatic).orElseThrow();
        byte[] withTheirStatic = dh.bytes();
        dh.destroy();
        return new Prepared(e, X25519.publicKey(e).bytes(), withTheirStatic, nowNanos);
    }

    /**
     * The timer's part: prepared keys unused for {@code maxAgeNanos} are destroyed and not replaced (an idle tunnel's
     * next handshake makes its own), so that no ephemeral private key is kept longer than that before its handshake;
     * used ones are replaced ({@link #prepare}). Returns true if it made any.
     */
    public boolean maintainPrepared(long nowNanos, long maxAgeNanos) {
        boolean expired = false;
        if (preparedInitiator != null && nowNanos - preparedInitiator.madeNanos() > maxAgeNanos) {
            preparedInitiator.destroy();
            preparedInitiator = null;
            expired = true;
        }
        if (preparedResponder != null && nowNanos - preparedResponder.madeNanos() > maxAgeNanos) {
            preparedResponder.destroy();
            preparedResponder = null;
            expired = true;
        }
        if (expired) {
            replacePrepared = false;
            return false;
        }
        return replacePrepared && (preparedInitiator == null || preparedResponder == null) && prepare(nowNanos);
    }

    /** Destroys the prepared ephemeral keys (the peer is removed, or its keys change). */
    public void forgetPrepared() {
        if (preparedInitiator != null) {
            preparedInitiator.destroy();
            preparedInitiator = null;
        }
        if (preparedResponder != null) {
            preparedResponder.destroy();
            preparedResponder = null;
        }
        replacePrepared = false;
    }

    /** Test view: whether an initiation and a response would find their ephemeral keys made. */
    boolean hasPrepared(boolean initiator) {
        return (initiator ? preparedInitiator : preparedResponder) != null;
    }

    public Key remoteStatic() {
        return remoteStatic;
    }

    /** The preshared key mixed in by "psk"; {@link Key#zero()} means none (WireGuard then mixes 32 zeros). */
    public void setPresharedKey(Key psk) {
        byte[] b = psk.bytes();
        System.arraycopy(b, 0, presharedKey, 0, 32);
        Arrays.fill(b, (byte) 0);
    }

    /**
     * A second key that a response to our initiation may have used instead of the preshared key, or {@link Key#zero()}
     * for none: while two gateways rotate their key (docs/post-quantum.md) the responder may still use the old one.
     */
    public void setAlternatePresharedKey(Key psk) {
        alternatePresharedKey = psk.isZero() ? null : psk.bytes();
    }

    /**
     * False when the peer's static key has small order, so DH with it is all zeros: every handshake with it fails
     * (openInitiation/acceptInitiation/consumeResponse return empty; createInitiation throws).
     */
    public boolean isUsable() {
        return staticStatic != null;
    }

    /** Sender index of our initiation in flight (awaiting a response), or 0 when none; a responder keypair carries its own index. */
    public int pendingLocalIndex() {
        return initiationSent ? localIndex : 0;
    }

    // ---------------------------------------------------------------- initiator

    /**
     * Initiator: a 148-byte initiation, mac1 and mac2 left zero (CookieGenerator fills them). Replaces any
     * handshake in flight.
     *
     * @throws IllegalStateException if {@link #isUsable()} is false
     */
    public byte[] createInitiation(int senderIndex, Instant now) {
        if (staticStatic == null) {
            throw new IllegalStateException("the peer's public key has small order; no handshake can succeed");
        }
        clearInitiator();
        byte[] msg = new byte[Constants.MESSAGE_INITIATION_SIZE];
        Messages.putHeader(msg, 0, Constants.MESSAGE_INITIATION);
        Messages.putInt(msg, Messages.SENDER, senderIndex);

        byte[] ck = INITIAL_CHAINING_KEY.clone();
        byte[] h = remoteInitialHash.clone();
        Prepared ready = preparedInitiator;
        preparedInitiator = null;
        Key ephemeral = ready != null ? ready.ephemeral() : ephemeralSource.get();
        byte[] ephemeralPublic = ready != null ? ready.ephemeralPublic() : X25519.publicKey(ephemeral).bytes();
        System.arraycopy(ephemeralPublic, 0, msg, Messages.INITIATION_EPHEMERAL, 32);
        byte[] ck1 = mixKey(ck, ephemeralPublic);
        zero(ck);
        ck = ck1;
        h = Blake2s.hash(h, ephemeralPublic);

        // es: a small-order responder key was excluded above, so this DH succeeds.
        byte[] key = ready != null ? mixPrepared(ck, ready.withTheirStatic()) : mixDh(ck, ephemeral, remoteStatic).orElseThrow();
        ck = takeChainingKey(key);
        byte[] k = takeCipherKey(key);
        h = encryptAndHash(k, local.publicKey().bytes(), h, msg, Messages.INITIATION_STATIC);

        byte[][] ss = NoiseKdf.kdf2(ck, staticStatic);
        zero(ck);
        zero(k);
        ck = ss[0];
        k = ss[1];
        h = encryptAndHash(k, Tai64n.of(now), h, msg, Messages.INITIATION_TIMESTAMP);
        zero(k);

        this.chainingKey = ck;
        this.hash = h;
        this.localEphemeral = ephemeral;
        this.localIndex = senderIndex;
        this.initiationSent = true;
        return msg;
    }

    /**
     * Initiator: consumes a 92-byte response whose MACs were checked. Its receiver index must equal our in-flight
     * sender index. Empty on any failure, leaving the state unchanged (a forged response cannot cancel a
     * handshake in flight).
     */
    public Optional<Keypair> consumeResponse(byte[] msg, long nowNanos) {
        if (!initiationSent || staticStatic == null
                || Messages.classify(msg, msg.length) != Constants.MESSAGE_RESPONSE
                || Messages.getInt(msg, Messages.RESPONSE_RECEIVER) != localIndex) {
            return Optional.empty();
        }
        Key responderEphemeral = Key.of(Arrays.copyOfRange(msg, Messages.RESPONSE_EPHEMERAL, Messages.RESPONSE_EPHEMERAL + 32));
        byte[] ck = mixKey(chainingKey, responderEphemeral.bytes());
        byte[] h = Blake2s.hash(hash, responderEphemeral.bytes());
        try {
            // ee, se: each DH result becomes the next chaining key (KDF1).
            Optional<byte[]> ee = mixDh(ck, localEphemeral, responderEphemeral);
            zero(ck);
            if (ee.isEmpty()) {
                return Optional.empty();
            }
            ck = chainOnly(ee.get());
            Optional<byte[]> se = mixDh(ck, local.preparedKey(), responderEphemeral);
            zero(ck);
            if (se.isEmpty()) {
                return Optional.empty();
            }
            ck = chainOnly(se.get());
            byte[] afterPsk = mixResponsePsk(ck, h, presharedKey, msg);
            if (afterPsk == null && alternatePresharedKey != null) {
                afterPsk = mixResponsePsk(ck, h, alternatePresharedKey, msg);
            }
            zero(ck);
            if (afterPsk == null) {
                return Optional.empty();
            }
            ck = afterPsk;
            byte[][] transport = NoiseKdf.kdf2(ck, EMPTY);
            Keypair keypair = new Keypair(localIndex, Messages.senderIndex(msg, 0), true, nowNanos, transport[0], transport[1]);
            clearInitiator();
            return Optional.of(keypair);
        } finally {
            zero(ck);
        }
    }

    /** "psk, {}" of the response under one preshared key: the next chaining key, or null when the empty payload fails. */
    private static byte[] mixResponsePsk(byte[] ck, byte[] h, byte[] psk, byte[] msg) {
        byte[][] k = NoiseKdf.kdf3(ck, psk);
        byte[] h2 = Blake2s.hash(h, k[1]);
        zero(k[1]);
        boolean ok = ChaChaPoly.open(k[2], 0, msg, Messages.RESPONSE_EMPTY, ChaChaPoly.TAG_LENGTH, h2, EMPTY, 0) == 0;
        zero(k[2]);
        if (!ok) {
            zero(k[0]);
            return null;
        }
        return k[0];
    }

    // ---------------------------------------------------------------- responder

    /**
     * Responder, device level: decrypts the initiator's static key with our static key ("e, es, s"). Empty if the
     * message is not a well-formed initiation for our key. The MACs must have been checked already.
     */
    public static Optional<Initiation> openInitiation(LocalIdentity local, byte[] msg) {
        if (Messages.classify(msg, msg.length) != Constants.MESSAGE_INITIATION) {
            return Optional.empty();
        }
        byte[] ephemeralPublic = Arrays.copyOfRange(msg, Messages.INITIATION_EPHEMERAL, Messages.INITIATION_EPHEMERAL + 32);
        Key remoteEphemeral = Key.of(ephemeralPublic);
        byte[] ck = mixKey(INITIAL_CHAINING_KEY, ephemeralPublic);
        byte[] h = Blake2s.hash(local.initialHash(), ephemeralPublic);
        Optional<byte[]> es = mixDh(ck, local.preparedKey(), remoteEphemeral);
        zero(ck);
        if (es.isEmpty()) {
            return Optional.empty();
        }
        ck = takeChainingKey(es.get());
        byte[] k = takeCipherKey(es.get());
        byte[] initiatorStatic = new byte[32];
        int n = ChaChaPoly.open(k, 0, msg, Messages.INITIATION_STATIC, 32 + ChaChaPoly.TAG_LENGTH, h, initiatorStatic, 0);
        zero(k);
        if (n != 32) {
            zero(ck);
            return Optional.empty();
        }
        h = Blake2s.hash(h, Arrays.copyOfRange(msg, Messages.INITIATION_STATIC, Messages.INITIATION_TIMESTAMP));
        Initiation result = new Initiation(Key.of(initiatorStatic), Messages.senderIndex(msg, 0), remoteEphemeral,
                Key.of(ck), Key.of(h), Arrays.copyOfRange(msg, Messages.INITIATION_TIMESTAMP, Messages.INITIATION_MAC1));
        zero(ck);
        return Optional.of(result);
    }

    /**
     * Responder, per peer: finishes "ss, {t}". Rejects an initiation for another peer, one whose timestamp does
     * not decrypt, one whose TAI64N timestamp is not greater than the greatest accepted so far (a replayed
     * initiation would otherwise make us drop the current session), and any initiation within
     * HANDSHAKE_INITIATION_RATE of the last accepted one (a flood would burn CPU on DH). On success stores the
     * responder state beside any initiation of ours in flight, which stays valid. Destroys the initiation's chaining
     * key either way.
     */
    public boolean acceptInitiation(Initiation initiation, long nowNanos) {
        try {
            if (staticStatic == null || !initiation.remoteStatic().equals(remoteStatic)) {
                return false;
            }
            byte[] ck0 = initiation.chainingKey().bytes();
            byte[][] ss = NoiseKdf.kdf2(ck0, staticStatic);
            zero(ck0);
            byte[] h = initiation.hash().bytes();
            byte[] timestamp = new byte[Tai64n.LENGTH];
            byte[] sealed = initiation.sealedTimestamp();
            int n = ChaChaPoly.open(ss[1], 0, sealed, 0, sealed.length, h, timestamp, 0);
            zero(ss[1]);
            if (n != Tai64n.LENGTH) {
                zero(ss[0]);
                return false;
            }
            boolean replay = !Tai64n.isAfter(timestamp, latestTimestamp);
            boolean flood = consumedInitiation && nowNanos - lastInitiationConsumedNanos <= Constants.HANDSHAKE_INITIATION_RATE_NANOS;
            if (replay || flood) {
                zero(ss[0]);
                return false;
            }
            clearResponder();
            this.responderChainingKey = ss[0];
            this.responderHash = Blake2s.hash(h, sealed);
            this.remoteEphemeral = initiation.remoteEphemeral();
            this.remoteIndex = initiation.senderIndex();
            System.arraycopy(timestamp, 0, latestTimestamp, 0, Tai64n.LENGTH);
            this.consumedInitiation = true;
            this.lastInitiationConsumedNanos = nowNanos;
            this.initiationAccepted = true;
            return true;
        } finally {
            initiation.destroy();
        }
    }

    /** A response message (MACs zero, CookieChecker's peer fills them) and the responder's new session. */
    public record Response(byte[] message, Keypair keypair) {
    }

    /**
     * Responder: after {@link #acceptInitiation} returned true, the 92-byte response ("e, ee, se, psk, {}") and
     * the new responder Keypair; the responder state is then cleared (an initiation of ours in flight stays).
     *
     * @throws IllegalStateException if no accepted initiation is pending
     */
    public Response createResponse(int senderIndex, long nowNanos) {
        if (!initiationAccepted) {
            throw new IllegalStateException("no accepted initiation to respond to");
        }
        byte[] msg = new byte[Constants.MESSAGE_RESPONSE_SIZE];
        Messages.putHeader(msg, 0, Constants.MESSAGE_RESPONSE);
        Messages.putInt(msg, Messages.SENDER, senderIndex);
        Messages.putInt(msg, Messages.RESPONSE_RECEIVER, remoteIndex);

        Prepared ready = preparedResponder;
        preparedResponder = null;
        Key ephemeral = ready != null ? ready.ephemeral() : ephemeralSource.get();
        byte[] ephemeralPublic = ready != null ? ready.ephemeralPublic() : X25519.publicKey(ephemeral).bytes();
        System.arraycopy(ephemeralPublic, 0, msg, Messages.RESPONSE_EPHEMERAL, 32);
        byte[] ck = mixKey(responderChainingKey, ephemeralPublic);
        byte[] h = Blake2s.hash(responderHash, ephemeralPublic);
        // ee and se cannot fail: openInitiation and the constructor rejected small-order keys.
        byte[] ee = mixDh(ck, ephemeral, remoteEphemeral).orElseThrow();
        zero(ck);
        ck = chainOnly(ee);
        byte[] se = ready != null ? mixPrepared(ck, ready.withTheirStatic()) : mixDh(ck, ephemeral, remoteStatic).orElseThrow();
        zero(ck);
        ck = chainOnly(se);
        ephemeral.destroy();
        byte[][] psk = NoiseKdf.kdf3(ck, presharedKey);
        zero(ck);
        h = Blake2s.hash(h, psk[1]);
        zero(psk[1]);
        h = encryptAndHash(psk[2], EMPTY, h, msg, Messages.RESPONSE_EMPTY);
        zero(psk[2]);
        byte[][] transport = NoiseKdf.kdf2(psk[0], EMPTY);
        zero(psk[0]);
        zero(h);
        Keypair keypair = new Keypair(senderIndex, remoteIndex, false, nowNanos, transport[1], transport[0]);
        clearResponder();
        return new Response(msg, keypair);
    }

    /** Forgets any handshake in flight, zeroing the ephemeral private key and chaining key. Replay and flood history stay. */
    public void clear() {
        clearInitiator();
        clearResponder();
    }

    private void clearInitiator() {
        zero(chainingKey);
        zero(hash);
        chainingKey = null;
        hash = null;
        if (localEphemeral != null) {
            localEphemeral.destroy();
            localEphemeral = null;
        }
        localIndex = 0;
        initiationSent = false;
    }

    private void clearResponder() {
        zero(responderChainingKey);
        zero(responderHash);
        responderChainingKey = null;
        responderHash = null;
        remoteEphemeral = null;
        remoteIndex = 0;
        initiationAccepted = false;
    }

    // ---------------------------------------------------------------- Noise helpers

    /** KDF1(ck, input): the new chaining key. */
    private static byte[] mixKey(byte[] ck, byte[] input) {
        return NoiseKdf.kdf1(ck, input);
    }

    /**
     * KDF2(ck, DH(priv, pub)) packed as 64 bytes (chaining key || cipher key), or empty when the DH result is all
     * zero. The DH output is zeroed.
     */
    private static Optional<byte[]> mixDh(byte[] ck, Key priv, Key pub) {
        return mix(ck, X25519.sharedSecret(priv, pub));
    }

    /** As {@link #mixDh(byte[], Key, Key)} with our static key, converted once for every handshake. */
    private static Optional<byte[]> mixDh(byte[] ck, X25519.PreparedKey priv, Key pub) {
        return mix(ck, X25519.sharedSecret(priv, pub));
    }

    private static Optional<byte[]> mix(byte[] ck, Optional<Key> dh) {
        if (dh.isEmpty()) {
            return Optional.empty();
        }
        byte[] secret = dh.get().bytes();
        dh.get().destroy();
        return Optional.of(mixPrepared(ck, secret));
    }

    /** KDF2(ck, secret) packed as {@link #mixDh(byte[], Key, Key)} packs it, for a DH made ahead; {@code secret} is zeroed. */
    private static byte[] mixPrepared(byte[] ck, byte[] secret) {
        byte[][] t = NoiseKdf.kdf2(ck, secret);
        zero(secret);
        byte[] packed = new byte[64];
        System.arraycopy(t[0], 0, packed, 0, 32);
        System.arraycopy(t[1], 0, packed, 32, 32);
        zero(t[0]);
        zero(t[1]);
        return packed;
    }

    private static byte[] takeChainingKey(byte[] packed) {
        return Arrays.copyOfRange(packed, 0, 32);
    }

    /** KDF1 of a DH: the chaining key half only; zeroes the packed array. */
    private static byte[] chainOnly(byte[] packed) {
        byte[] ck = takeChainingKey(packed);
        zero(packed);
        return ck;
    }

    /** The cipher key half; zeroes the packed array (call after takeChainingKey). */
    private static byte[] takeCipherKey(byte[] packed) {
        byte[] k = Arrays.copyOfRange(packed, 32, 64);
        zero(packed);
        return k;
    }

    /** Seals plaintext with nonce 0 and AAD h into msg[off...]; returns HASH(h || ciphertext). */
    private static byte[] encryptAndHash(byte[] k, byte[] plaintext, byte[] h, byte[] msg, int off) {
        int n = ChaChaPoly.seal(k, 0, plaintext, 0, plaintext.length, h, msg, off);
        return Blake2s.hash(h, Arrays.copyOfRange(msg, off, off + n));
    }

    private static void zero(byte[] b) {
        if (b != null) {
            Arrays.fill(b, (byte) 0);
        }
    }

    @Override
    public String toString() {
        return "Handshake[" + remoteStatic.toBase64() + (initiationSent ? ", initiation sent" : "")
                + (initiationAccepted ? ", initiation accepted" : "") + "]";
    }
}
