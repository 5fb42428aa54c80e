package sitelink.policy;

/** Which way a packet crosses the tunnel, as seen by this gateway. */
public enum Direction {
    /** Read from the local TUN, going to the remote site. */
    TO_REMOTE,
    /** Decrypted from the remote site, going to the local network. */
    FROM_REMOTE;

    public Direction opposite() {
        return this == TO_REMOTE ? FROM_REMOTE : TO_REMOTE;
    }
}
