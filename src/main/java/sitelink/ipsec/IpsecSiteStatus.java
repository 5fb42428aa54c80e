package sitelink.ipsec;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import sitelink.crypto.Key;

/**
 * An IKEv2 remote site as {@code sitelink status} shows it.
 *
 * @param state        ESTABLISHED (an IKE SA is up), CONNECTING (an exchange is under way), DOWN (this side
 *                     initiates and has no SA: see {@code lastFailure} and {@code nextAttempt}) or WAITING (only
 *                     answers, and the peer has not connected)
 * @param peer         the peer's IKE address
 * @param ikeProposal  the IKE SA's proposal, when established
 * @param spiI         the IKE SA's SPIs (0 before it is established)
 * @param children     the installed CHILD SAs, the one outgoing packets use marked {@code outbound}
 * @param lastFailure  the last failure, as the log said it ("AUTHENTICATION_FAILED: the pre-shared keys differ")
 * @param nextAttempt  when this side initiates again after a loss
 * @param keyExchange  the IKE SA's key exchange: "hybrid (curve25519 + mlkem768)" or "classical only (curve25519)"
 */
public record IpsecSiteStatus(String name, Key id, String state, Optional<InetSocketAddress> peer,
                              Optional<String> ikeProposal, long spiI, long spiR, boolean natTraversal,
                              Optional<Instant> establishedAt, List<Child> children, Optional<String> lastFailure,
                              Optional<Instant> lastFailureAt, Optional<Instant> nextAttempt, long rxBytes, long txBytes,
                              long rxPackets, long txPackets, Optional<String> keyExchange) {
    public IpsecSiteStatus {
        children = List.copyOf(children);
    }

    /** One installed CHILD SA: its SPIs, ESP transform, selectors, when it was installed. */
    public record Child(int inboundSpi, int outboundSpi, String cipher, String localSelectors, String remoteSelectors,
                        Instant installedAt, boolean outbound) {
    }

    public boolean isEstablished() {
        return state.equals("ESTABLISHED");
    }
}
