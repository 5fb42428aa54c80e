package sitelink.control;

/** A tunnel's state at a glance, as {@code sitelink status} shows it (docs/status.md). */
public enum TunnelState {
    /** A handshake within REJECT_AFTER_TIME, a session to send on, and no rekey left unanswered for long. */
    ESTABLISHED,
    /** Handshake initiations sent recently, none answered yet. */
    CONNECTING,
    /** No session, and nothing asked for one: WireGuard connects on demand (or with persistent_keepalive). */
    IDLE,
    /** The tunnel cannot carry traffic, for the reason given. */
    DOWN
}
