package sitelink.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import sitelink.ike.IkeConfig;
import sitelink.ike.IkeId;
import sitelink.ike.Proposal;
import sitelink.ike.TrafficSelector;
import sitelink.policy.Rule;
import sitelink.route.Prefix;

/**
 * A remote site reached over IKEv2 and ESP ({@code protocol: ikev2}): validated, immutable, never holding a
 * WireGuard field. Its {@code remoteSubnets} are the routes into the tunnel and the remote traffic selectors; the
 * site's {@code local_subnets} are the local ones. docs/ikev2.md lists the fields and their defaults.
 *
 * @param endpoint      the peer's IKE address (port 500 unless written); empty: wait for the peer to initiate
 * @param localId       our IKE identity; empty: the address we send from, as strongSwan's default
 * @param remoteId      the identity the peer must present; empty: its address, as strongSwan sends by default
 * @param ikeLifetime   the IKE SA is rekeyed before it is this old (the session picks the moment, with jitter)
 * @param childLifetime the same for each CHILD SA
 * @param dpdDelay      a liveness check after this long without traffic from the peer; zero: never
 * @param postQuantum   {@code post_quantum}: whether ML-KEM-768 joins the key exchange (the proposals above already
 *                      carry it: {@code ike_proposals}/{@code esp_proposals} as {@link sitelink.ike.Proposals#postQuantum} made them)
 * @param profile       the vendor profile the proposals, lifetimes and dpdDelay came from where not written
 * @param routeFrom     {@code route_from}: the local subnets whose traffic alone is routed to this site; empty: all
 * @param dscp          {@code dscp}: the ESP datagrams' outer DSCP, {@link sitelink.packet.OuterTos#COPY} or 0..63
 */
public record IkeSite(String name, Optional<Endpoint> endpoint, List<Prefix> remoteSubnets, List<Rule> policy,
                      IkeAuth auth, Optional<IkeId> localId, Optional<IkeId> remoteId,
                      List<Proposal> ikeProposals, List<Proposal> espProposals,
                      Duration ikeLifetime, Duration childLifetime, Duration dpdDelay, StartAction startAction,
                      sitelink.ike.PostQuantum postQuantum, Optional<IkeProfile> profile, List<Prefix> routeFrom,
                      int dscp) {
    public static final int IKE_PORT = 500;
    public static final Duration DEFAULT_IKE_LIFETIME = Duration.ofHours(4);
    public static final Duration DEFAULT_CHILD_LIFETIME = Duration.ofHours(1);
    public static final Duration DEFAULT_DPD_DELAY = IkeConfig.DPD_INTERVAL;

    public IkeSite {
        remoteSubnets = List.copyOf(remoteSubnets);
        policy = List.copyOf(policy);
        ikeProposals = List.copyOf(ikeProposals);
        espProposals = List.copyOf(espProposals);
        routeFrom = List.copyOf(routeFrom);
    }

    /** A site routed for all traffic (no route_from), its DSCP copied outward. */
    public IkeSite(String name, Optional<Endpoint> endpoint, List<Prefix> remoteSubnets, List<Rule> policy,
                   IkeAuth auth, Optional<IkeId> localId, Optional<IkeId> remoteId,
                   List<Proposal> ikeProposals, List<Proposal> espProposals,
                   Duration ikeLifetime, Duration childLifetime, Duration dpdDelay, StartAction startAction,
                   sitelink.ike.PostQuantum postQuantum, Optional<IkeProfile> profile) {
        this(name, endpoint, remoteSubnets, policy, auth, localId, remoteId, ikeProposals, espProposals, ikeLifetime,
                childLifetime, dpdDelay, startAction, postQuantum, profile, List.of(), sitelink.packet.OuterTos.COPY);
    }


    /**
     * The session configuration for this site once the gateway knows both ends' addresses: {@code local} is the
     * address and port we send from, {@code remote} the peer's (the resolved endpoint, or where its first message
     * came from). Unset identities default to those addresses, as strongSwan's do; the selectors are
     * {@code localSubnets} (this site's {@code route_from} instead when it has one: only their traffic goes there)
     * and this site's remote subnets. NAT-T is forced because our ESP travels only in UDP.
     */
    public IkeConfig toIkeConfig(List<Prefix> localSubnets, InetSocketAddress local, InetSocketAddress remote) {
        return toIkeConfig(localSubnets, local, remote, auth instanceof IkeAuth.Cert c ? Optional.of(c.certificates()) : Optional.empty());
    }

    /**
     * The same with {@code certificates} in place of those {@code check} read (the gateway's, whose CRLs it re-reads
     * when their files change); empty for a site with a pre-shared key.
     */
    public IkeConfig toIkeConfig(List<Prefix> localSubnets, InetSocketAddress local, InetSocketAddress remote,
                                 Optional<sitelink.ike.IkeCertificates> certificates) {
        byte[] psk = switch (auth) {
            case IkeAuth.Psk p -> p.secret();
            case IkeAuth.Cert c -> new byte[0];
        };
        // With certificates our identity defaults to our certificate's subject DN, as strongSwan's does.
        IkeId ours = localId.orElseGet(() -> certificates.map(x -> IkeId.of(x.chain().get(0).getSubjectX500Principal()))
                .orElse(IkeId.of(local.getAddress())));
        try {
            return new IkeConfig(ours, remoteId.orElse(IkeId.of(remote.getAddress())),
                    psk, ikeProposals, espProposals, selectors(routeFrom.isEmpty() ? localSubnets : routeFrom), selectors(remoteSubnets), local, remote,
                    true, IkeConfig.RETRANSMIT_TIMEOUT, IkeConfig.RETRANSMIT_TRIES, dpdDelay, true, certificates, ikeLifetime, childLifetime);
        } finally {
            java.util.Arrays.fill(psk, (byte) 0);
        }
    }

    private static List<TrafficSelector> selectors(List<Prefix> subnets) {
        return subnets.stream().map(p -> TrafficSelector.subnet(p.toString())).toList();
    }
}
