package sitelink.wireguard;

import java.util.Locale;

/**
 * Why the protocol core dropped a datagram or a packet. Every drop is counted under one of these; status, logs and
 * the UAPI counters read the same numbers.
 */
public enum Drop {
    /** Not a WireGuard message: wrong type, reserved bytes not zero, or wrong length. */
    INVALID_MESSAGE,
    /** A handshake message arrived but this device has no private key. */
    NO_PRIVATE_KEY,
    /** MAC1 did not verify: the message was not made for our public key. */
    MAC1_INVALID,
    /** Under load and MAC2 did not verify: answered with a cookie reply instead. */
    COOKIE_REQUIRED,
    /**
     * Under load, a handshake message with a valid cookie from a source that already sent its share (20 a second,
     * bursts of 5): refused before any public-key work.
     */
    HANDSHAKE_RATE_LIMITED,
    /** The initiation did not decrypt with our static key. */
    HANDSHAKE_DECRYPT_FAILED,
    /** The initiation came from a public key we have no peer for. */
    UNKNOWN_PEER,
    /** The initiation's timestamp was not newer than the last one (replay) or came too fast (flood). */
    HANDSHAKE_REPLAY,
    /** A response or cookie reply that did not match the handshake in flight, or did not decrypt. */
    HANDSHAKE_RESPONSE_INVALID,
    /** No session or handshake has this receiver index. */
    UNKNOWN_INDEX,
    /** The transport message did not authenticate under its session key. */
    DECRYPT_FAILED,
    /** The counter was already seen or is older than the replay window. */
    REPLAY,
    /** The session is past REJECT_AFTER_TIME or REJECT_AFTER_MESSAGES. */
    KEYPAIR_EXPIRED,
    /** An outgoing packet for a peer with no endpoint to send to. */
    NO_ENDPOINT,
    /** An outgoing packet dropped because too many were already waiting for a handshake. */
    STAGED_QUEUE_FULL,
    /** Packets that were waiting for a handshake that gave up. */
    HANDSHAKE_TIMEOUT;

    /** The counter name, for example {@code drop_decrypt_failed}. */
    public String counterName() {
        return "drop_" + name().toLowerCase(Locale.ROOT);
    }
}
