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
     * authenticated with expires (its notAfter; empty with a pre-shared key).
     */
    record Established(long spiI, long spiR, Proposal proposal, boolean natTraversal,
                       java.util.Optional<java.time.Instant> peerCertificateExpires) implements IkeAction {
        public Established(long spiI, long spiR, Proposal proposal, boolean natTraversal) {
            this(spiI, spiR, proposal, natTraversal, java.util.Optional.empty());
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

    /** A CHILD SA is INSTALLED: ESP can flow with these SPIs, keys and selectors. */
    record ChildSaInstalled(ChildSa child) implements IkeAction {
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
