package sitelink.policy;

/**
 * What {@link Policy#check} decided. The {@code DROP_*} values are the drop reasons; each has a counter
 * ({@link Policy#count(Verdict)}), and so has each kind of accept.
 */
public enum Verdict {
    /** The site has no rules: only its traffic selectors (allowed IPs) apply. */
    ALLOW_UNRESTRICTED,
    /** A rule allowed it; a TCP/UDP/ICMP-echo flow is now tracked. */
    ALLOW_RULE,
    /** Part of a tracked flow: a reply, or more of what a rule allowed. */
    ALLOW_TRACKED,
    /** An ICMP error about a tracked flow (PMTUD's "too big", "unreachable"): without it PMTUD would break. */
    ALLOW_RELATED,
    /** A later fragment (no ports) of a datagram whose first fragment was allowed, travelling the same way. */
    ALLOW_FRAGMENT,
    /** The IP or transport header does not add up. */
    DROP_MALFORMED,
    /** Default deny: no rule allows it and it belongs to no tracked flow. */
    DROP_NO_RULE,
    /** A non-first fragment (no ports to check) whose first fragment was not allowed (or not seen) and that no
     *  address-only rule allows. */
    DROP_FRAGMENT,
    /** A rule allowed a new flow but the connection table is full of live assured flows (none could be evicted). */
    DROP_TABLE_FULL,
    /** A rule allowed a new flow but its source address already holds {@link Policy.Limits#maxConnectionsPerSource}
     *  tracked flows. */
    DROP_SOURCE_LIMIT;

    public boolean allowed() {
        return ordinal() <= ALLOW_FRAGMENT.ordinal();
    }
}
