package sitelink.wireguard;

/**
 * A peer's three sessions (previous, current, next: whitepaper 5.4, wireguard-go's keypair.go) as they rotate, and
 * their end: a session that leaves the rotation gives up its index and has its keys zeroed (after their last use).
 * Every method runs under the peer's monitor.
 */
final class Sessions {
    private final IndexTable indices;

    Sessions(IndexTable indices) {
        this.indices = indices;
    }

    /**
     * wireguard-go's BeginSymmetricSession: where a new keypair goes and which old one dies. {@code yieldInitiatorRole}:
     * our static public key sorts below the peer's, so when handshakes crossed we keep the peer's session.
     */
    void begin(Peer p, Keypair kp, boolean initiator, boolean yieldInitiatorRole) {
        p.sentLastMinuteHandshake = false;
        if (initiator) {
            Keypair oldPrevious = p.previous;
            if (p.next != null && yieldInitiatorRole) {
                // Both sides initiated at once and both handshakes completed (see receiveInitiation). Left as it is,
                // each side would send on its own initiator session, i.e. into the other's previous slot, which
                // the other's next rekey deletes while packets are still in flight. So the side with the smaller
                // public key keeps the peer's session waiting in next: the peer's first packet promotes it, and the
                // two settle as initiator and responder, as after any handshake. Until then ours carries our packets
                // (a wireguard-go peer, which dropped its own initiation, only ever has ours).
                p.previous = p.current;
            } else if (p.next != null) {
                p.previous = p.next;
                p.next = null;
                destroy(p.current);
            } else {
                p.previous = p.current;
            }
            destroy(oldPrevious);
            p.current = kp;
        } else {
            destroy(p.next);
            p.next = kp;
            destroy(p.previous);
            p.previous = null;
        }
    }

    /** The responder's next session is confirmed by the first packet on it: true if {@code kp} was that one. */
    boolean confirm(Peer p, Keypair kp) {
        if (p.next != kp) {
            return false;
        }
        destroy(p.previous);
        p.previous = p.current;
        p.current = kp;
        p.next = null;
        return true;
    }

    /** Every session and the handshake in flight end: keys zeroed, indices freed. */
    void zero(Peer p) {
        destroy(p.previous);
        destroy(p.current);
        destroy(p.next);
        p.previous = null;
        p.current = null;
        p.next = null;
        forgetPending(p);
        if (p.handshake != null) {
            p.handshake.clear();
        }
    }

    /** Frees the index of the peer's initiation in flight, if any: no answer to it will be accepted. */
    void forgetPending(Peer p) {
        indices.removePending(p.handshake == null ? 0 : p.handshake.pendingLocalIndex());
    }

    private void destroy(Keypair kp) {
        if (kp != null) {
            indices.remove(kp);
            kp.destroy();
        }
    }
}
