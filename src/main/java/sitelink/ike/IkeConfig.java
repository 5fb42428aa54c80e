package sitelink.ike;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What one IKEv2 remote site is: identities, PSK, proposals, selectors and addresses. {@code local} is our address
 * (port 500) as the peer sees it when there is no NAT; {@code remote} is the peer's (port 500), or for a responder
 * that accepts any address, a placeholder replaced by the initiator's source.
 *
 * <p>{@code forceEncap}: our ESP is UDP-encapsulated only, so, as strongSwan's {@code encap = yes}, we send a
 * NAT_DETECTION_SOURCE_IP that cannot match and both sides move to UDP 4500 and ESP-in-UDP even without a NAT.
 *
 * <p>{@code dpdInterval}: after this long without an authenticated message or ESP from the peer, an empty
 * INFORMATIONAL checks that it is alive (zero: never); an unanswered check fails the SA after the retransmissions.
 *
 * <p>{@code fragmentation}: announce IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383) and, when the peer announced it too,
 * send encrypted messages that would not fit a 1280-byte packet as Encrypted Fragments (strongSwan's
 * {@code fragmentation = yes}); fragments from the peer are reassembled either way.
 *
 * <p>{@code certificates}: when present, both sides authenticate with certificates instead of the PSK (which is then
 * unused): we send our chain and sign, and the peer must send a certificate that chains to one of our trust anchors,
 * is not revoked by a configured CRL, is valid at the session clock's time, and names {@code remoteId}.
 *
 * <p>{@code ikeLifetime} / {@code childLifetime}: the IKE SA and each CHILD SA are rekeyed by us before they are this
 * old (the site file's {@code ike_lifetime} and {@code child_lifetime}, strongSwan's {@code rekey_time}s): at a moment
 * drawn uniformly from the last tenth of the lifetime ({@link #rekeyJitter}), so that two gateways with the same
 * lifetimes rarely rekey at once.
 */
public record IkeConfig(IkeId localId, IkeId remoteId, byte[] psk, List<Proposal> ikeProposals, List<Proposal> espProposals,
                        List<TrafficSelector> localSelectors, List<TrafficSelector> remoteSelectors,
                        InetSocketAddress local, InetSocketAddress remote, boolean forceEncap,
                        Duration retransmitTimeout, int retransmitTries, Duration dpdInterval,
                        boolean fragmentation, Optional<IkeCertificates> certificates,
                        Duration ikeLifetime, Duration childLifetime) {
    public static final Duration RETRANSMIT_TIMEOUT = Duration.ofSeconds(1);
    public static final Duration IKE_LIFETIME = Duration.ofHours(4), CHILD_LIFETIME = Duration.ofHours(1);

    /** The largest random amount a rekey comes before the lifetime: a tenth of it (strongSwan's default rand_time). */
    public static Duration rekeyJitter(Duration lifetime) {
        return lifetime.dividedBy(10);
    }
    public static final int RETRANSMIT_TRIES = 5;
    public static final Duration DPD_INTERVAL = Duration.ofSeconds(30);

    public IkeConfig {
        psk = psk.clone();
        ikeProposals = List.copyOf(ikeProposals);
        espProposals = List.copyOf(espProposals);
        localSelectors = List.copyOf(localSelectors);
        remoteSelectors = List.copyOf(remoteSelectors);
        if (ikeLifetime.compareTo(Duration.ofSeconds(10)) < 0 || childLifetime.compareTo(Duration.ofSeconds(10)) < 0) {
            throw new IllegalArgumentException("lifetimes below 10 s: IKE " + ikeLifetime + ", CHILD " + childLifetime);
        }
    }

    @Override
    public byte[] psk() {
        return psk.clone();
    }

    @Override
    public String toString() { // never the PSK or the private key
        return "IkeConfig[" + localId + " -> " + remoteId + ", " + remote + ", " + certificates.map(Object::toString).orElse("PSK")
                + ", IKE " + ikeProposals + ", ESP " + espProposals + "]";
    }

    /**
     * Defaults a user would expect: address IDs (with certificates our ID is our certificate's subject DN, as
     * strongSwan's), the default proposals, 0.0.0.0/0 selectors, NAT-T forced.
     */
    public static final class Builder {
        private final InetSocketAddress local, remote;
        private IkeId localId, remoteId;
        private boolean localIdGiven;
        private Optional<IkeCertificates> certificates = Optional.empty();
        private boolean fragmentation = true;
        private byte[] psk = new byte[0];
        private List<Proposal> ike, esp;
        private List<TrafficSelector> localTs = List.of(TrafficSelector.subnet("0.0.0.0/0")), remoteTs = localTs;
        private boolean forceEncap = true;
        private Duration retransmitTimeout = RETRANSMIT_TIMEOUT;
        private int retransmitTries = RETRANSMIT_TRIES;
        private Duration dpdInterval = DPD_INTERVAL;
        private Duration ikeLifetime = IKE_LIFETIME, childLifetime = CHILD_LIFETIME;

        public Builder(InetSocketAddress local, InetSocketAddress remote) {
            this.local = local;
            this.remote = remote;
            this.localId = IkeId.of(local.getAddress());
            this.remoteId = IkeId.of(remote.getAddress());
            try {
                ike = Proposals.parseAll(Ike.PROTO_IKE, Proposals.DEFAULT_IKE);
                esp = Proposals.parseAll(Ike.PROTO_ESP, Proposals.DEFAULT_ESP);
            } catch (Proposals.ProposalException e) {
                throw new IllegalStateException("the default proposals do not parse", e);
            }
        }

        public Builder ids(String local, String remote) {
            localId = IkeId.parse(local);
            remoteId = IkeId.parse(remote);
            localIdGiven = true;
            return this;
        }

        /** Authenticate with certificates (instead of the PSK). */
        public Builder certificates(IkeCertificates c) {
            certificates = Optional.of(c);
            return this;
        }

        public Builder psk(byte[] key) {
            psk = key.clone();
            return this;
        }

        public Builder ike(String... specs) throws Proposals.ProposalException {
            ike = Proposals.parseAll(Ike.PROTO_IKE, List.of(specs));
            return this;
        }

        public Builder esp(String... specs) throws Proposals.ProposalException {
            esp = Proposals.parseAll(Ike.PROTO_ESP, List.of(specs));
            return this;
        }

        /**
         * Applies a {@code post_quantum} setting to the IKE and ESP proposals given so far ({@link Proposals#postQuantum}):
         * call it after {@link #ike} and {@link #esp}. Without it the proposals stay as given (classical by default).
         */
        public Builder postQuantum(PostQuantum mode) {
            ike = Proposals.postQuantum(mode, ike);
            esp = Proposals.postQuantum(mode, esp);
            return this;
        }

        public Builder selectors(List<String> localSubnets, List<String> remoteSubnets) {
            localTs = localSubnets.stream().map(TrafficSelector::subnet).toList();
            remoteTs = remoteSubnets.stream().map(TrafficSelector::subnet).toList();
            return this;
        }

        public Builder fragmentation(boolean on) {
            fragmentation = on;
            return this;
        }

        public Builder forceEncap(boolean on) {
            forceEncap = on;
            return this;
        }

        public Builder retransmit(Duration timeout, int tries) {
            retransmitTimeout = timeout;
            retransmitTries = tries;
            return this;
        }

        public Builder dpd(Duration interval) {
            dpdInterval = interval;
            return this;
        }

        public Builder lifetimes(Duration ike, Duration child) {
            ikeLifetime = ike;
            childLifetime = child;
            return this;
        }

        public IkeConfig build() {
            IkeId ours = certificates.isPresent() && !localIdGiven
                    ? IkeId.of(certificates.get().chain().get(0).getSubjectX500Principal()) : localId;
            return new IkeConfig(ours, remoteId, psk, ike, esp, localTs, remoteTs, local, remote, forceEncap,
                    retransmitTimeout, retransmitTries, dpdInterval, fragmentation, certificates, ikeLifetime, childLifetime);
        }
    }
}
