package sitelink.tunnel;

import java.util.Locale;
import java.util.Optional;

/**
 * Why a datagram or a packet was dropped, by a protocol core or by the device around it: one taxonomy for every
 * tunnel protocol. Every drop is counted under one of these; status, logs, the UAPI counters and {@code Explain}'s
 * sentences are keyed by the same values.
 */
public enum Drop {
    /** Not a WireGuard message (wrong type, reserved bytes not zero, or wrong length), or a malformed ESP packet. */
    INVALID_MESSAGE,
    /** A handshake message arrived but this device has no private key. */
    NO_PRIVATE_KEY,
    /** MAC1 did not verify: the message was not made for our public key. */
    MAC1_INVALID,
    /**
     * Under load and MAC2 did not verify: answered with a cookie reply instead. IKEv2: an IKE_SA_INIT request under
     * load without a valid cookie, answered with N(COOKIE) (RFC 7296 section 2.6).
     */
    COOKIE_REQUIRED,
    /**
     * Under load and MAC2 did not verify, from a source that was already sent its share of cookie replies (20 a second,
     * bursts of 5): dropped without a reply (a real peer retries after REKEY_TIMEOUT and needs only one).
     */
    COOKIE_REPLY_RATE_LIMITED,
    /**
     * Under load, a handshake message with a valid cookie from a source that already sent its share (20 a second,
     * bursts of 5): refused before any public-key work.
     */
    HANDSHAKE_RATE_LIMITED,
    /** The initiation did not decrypt with our static key. */
    HANDSHAKE_DECRYPT_FAILED,
    /** The initiation came from a public key we have no peer for; or an IKE message from no IKEv2 site's address. */
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
    HANDSHAKE_TIMEOUT,
    /** An outgoing packet for an IKEv2 site with no CHILD SA installed (being negotiated, or the site is down). */
    NO_CHILD_SA,
    /** ESP whose SPI names no installed CHILD SA (deleted, or from before a restart). */
    UNKNOWN_SPI,
    /** An IKE message that was malformed, belonged to no IKE SA of ours, or did not authenticate. */
    INVALID_IKE_MESSAGE,
    /**
     * A packet to or from an IKEv2 site outside the traffic selectors its CHILD SA negotiated: the peer narrowed the
     * site's subnets, or sent what it never agreed to.
     */
    OUTSIDE_SELECTORS,

    // The device's own, before or after the protocol core.
    /** An outgoing packet whose destination is in no peer's allowed IPs. */
    NO_ROUTE,
    /** A decrypted packet whose source is outside its peer's allowed IPs. */
    SOURCE_NOT_ALLOWED,
    /** A packet that is not a well-formed IPv4/IPv6 packet. */
    INVALID_PACKET,
    /** The kernel refused to send a datagram. */
    SEND_FAILED,
    /** The packet filter (site policy, path MTU) refused the packet. */
    FILTERED,
    /** A handshake message found the handshake queue full (a flood): dropped unread by the UDP reader. */
    HANDSHAKE_QUEUE_FULL,
    /**
     * A packet to or from a WireGuard site with {@code post_quantum: on} while no post-quantum preshared key is in
     * force: before the first exchange, or {@code fail_closed} after the last one (docs/post-quantum.md).
     */
    POST_QUANTUM_CLOSED,
    /** A LAN packet shaped like the post-quantum exchange's own (UDP 0.0.0.0 → 0.0.0.0:51822): only the gateway speaks there. */
    POST_QUANTUM_IMITATION;

    private static final Drop[] ALL = values();

    /** The counter name, for example {@code drop_decrypt_failed}. */
    public String counterName() {
        return "drop_" + reasonName();
    }

    /** The reason's name in status and logs, for example {@code decrypt_failed}. */
    public String reasonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The reason with that {@link #reasonName()}, if any (status read back from a running gateway). */
    public static Optional<Drop> named(String reasonName) {
        for (Drop d : ALL) {
            if (d.reasonName().equals(reasonName)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }
}
