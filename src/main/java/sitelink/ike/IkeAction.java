package sitelink.ike;

import java.net.InetSocketAddress;

/** What an {@link IkeSession} asks its caller to do or tells it happened; the session itself does no I/O. */
public sealed interface IkeAction {
    /**
     * Send {@code datagram} from our UDP port {@code localPort} (500 or 4500) to {@code to}; on 4500 the datagram
     * already starts with the 4-byte non-ESP marker (RFC 3948 section 2.2).
     */
    record Send(int localPort, InetSocketAddress to, byte[] datagram) implements IkeAction {
    }

    /**
     * The IKE SA is ESTABLISHED with this proposal; {@code peerCertificateExpires} is when the certificate the peer
     * authenticated with expires (its notAfter; empty with a pre-shared key); {@code initialContact}: we answered and
     * the peer's IKE_AUTH carried INITIAL_CONTACT, its word that it holds no other IKE SA with us (it restarted), so
     * any other we hold with it is dead (RFC 7296 section 2.4).
     */
    record Established(long spiI, long spiR, Proposal proposal, boolean natTraversal,
                       java.util.Optional<java.time.Instant> peerCertificateExpires, boolean initialContact)
            implements IkeAction {
        public Established(long spiI, long spiR, Proposal proposal, boolean natTraversal) {
            this(spiI, spiR, proposal, natTraversal, java.util.Optional.empty(), false);
        }

        /** Whether the key exchange was hybrid: a classical group and ML-KEM (RFC 9370), safe against recording now, decrypting later. */
        public boolean hybrid() {
            return Proposals.hybrid(proposal);
        }

        /** For status lines: {@code hybrid (curve25519 + mlkem768)} or {@code classical only (curve25519)}. */
        public String keyExchange() {
            return IkeAction.keyExchange(proposal);
        }
    }

    /** {@code hybrid (curve25519 + mlkem768)} or {@code classical only (curve25519)} for a selected IKE proposal. */
    static String keyExchange(Proposal p) {
        String methods = p.transforms().stream().filter(t -> t.type() == Ike.DH || (Ike.additionalKe(t.type()) && t.id() != 0))
                .map(t -> Transform.keyExchangeName(t.id())).collect(java.util.stream.Collectors.joining(" + "));
        return (Proposals.hybrid(p) ? "hybrid (" : "classical only (") + methods + ")";
    }

    /**
     * The IKE SA was rekeyed (RFC 7296 section 2.18, by us or the peer): it goes on under these SPIs and proposal
     * (the old one is deleted); the CHILD SAs are unchanged.
     */
    record IkeSaRekeyed(long spiI, long spiR, Proposal proposal) implements IkeAction {
        /** As {@link Established#keyExchange()}: the new IKE SA's key exchange. */
        public String keyExchange() {
            return IkeAction.keyExchange(proposal);
        }
    }

    /**
     * A CHILD SA is INSTALLED: ESP with these SPIs, keys and selectors opens at once; {@code outbound} says when
     * outgoing packets may use it.
     */
    record ChildSaInstalled(ChildSa child, Outbound outbound) implements IkeAction {
        /** A CHILD SA that carries outgoing packets at once. */
        public ChildSaInstalled(ChildSa child) {
            this(child, Outbound.NOW);
        }
    }

    /** When outgoing packets may use a CHILD SA just installed. */
    enum Outbound {
        /** Now: the peer has it installed (we started the exchange that made it, and got the answer). */
        NOW,
        /**
         * Once {@link ChildSaReady} says so: we answered the exchange that made it, and the peer installs it only when
         * our answer arrives (RFC 7296 section 2.8). A caller may also take a valid packet received under it, or a few
         * seconds without either, as the sign.
         */
        WHEN_PEER_READY,
        /** Never: a redundant SA of a rekey collision (section 2.8.1), kept for incoming packets until its Delete is answered. */
        NEVER
    }

    /**
     * The peer has the CHILD SA (installed {@link Outbound#WHEN_PEER_READY}) in place: it deleted the SA this one
     * replaced (RFC 7296 section 2.8), which it does only after installing the new one. Outgoing packets may use it now.
     */
    record ChildSaReady(int inboundSpi) implements IkeAction {
    }

    /** A CHILD SA was deleted (by the peer or by us): its inbound SPI. */
    record ChildSaDeleted(int inboundSpi) implements IkeAction {
    }

    /** Setting up the IKE SA or a CHILD SA failed; {@code detail} says what differs, as a log line would. */
    record Failed(IkeFailure reason, String detail) implements IkeAction {
    }

    /** The IKE SA is gone (deleted by the peer, or by us and confirmed). */
    record Closed(String why) implements IkeAction {
    }

    /** A datagram was dropped without effect (malformed, not ours, did not authenticate). */
    record Dropped(String reason) implements IkeAction {
    }
}
