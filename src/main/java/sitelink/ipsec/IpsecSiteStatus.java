package sitelink.ipsec;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import sitelink.crypto.Key;

/**
 * An IKEv2 remote site as {@code sitelink status} shows it.
 *
 * @param state        ESTABLISHED (an IKE SA is up), CONNECTING (an exchange is under way and nothing has failed
 *                     since the SA was last up), DOWN (this side initiates and has no SA after a failure, also while
 *                     it tries again: see {@code lastFailure} and {@code nextAttempt}) or WAITING (only
 *                     answers, and the peer has not connected)
 * @param peer         the peer's IKE address
 * @param ikeProposal  the IKE SA's proposal, when established
 * @param spiI         the IKE SA's SPIs (0 before it is established)
 * @param children     the installed CHILD SAs, the one outgoing packets use marked {@code outbound}
 * @param lastFailure  the last failure, as the log said it ("AUTHENTICATION_FAILED: the pre-shared keys differ")
 * @param nextAttempt  when this side initiates again after a loss
 * @param keyExchange  the IKE SA's key exchange: "hybrid (curve25519 + mlkem768)" or "classical only (curve25519)"
 * @param certificateExpires     with certificates: when this site's certificate expires
 * @param peerCertificateExpires when the certificate the peer last authenticated with expires (it stays known after
 *                               the IKE SA went down)
 * @param awaitedId    a site without an endpoint whose remote_id is written: the ID its peer must present
 */
public record IpsecSiteStatus(String name, Key id, String state, Optional<InetSocketAddress> peer,
                              Optional<String> ikeProposal, long spiI, long spiR, boolean natTraversal,
                              Optional<Instant> establishedAt, List<Child> children, Optional<String> lastFailure,
                              Optional<Instant> lastFailureAt, Optional<Instant> nextAttempt, long rxBytes, long txBytes,
                              long rxPackets, long txPackets, Optional<String> keyExchange,
                              Optional<Instant> certificateExpires, Optional<Instant> peerCertificateExpires,
                              Optional<Instant> pskChanged, Optional<String> awaitedId) {
    /** Certificates that expire within this many days are warned about (status, diagnose, an event). */
    public static final int WARN_DAYS_BEFORE_EXPIRY = 30;
    /** A pre-shared key unchanged for longer is to be rotated (as {@code check} and {@code diagnose} say). */
    public static final int ROTATE_PSK_AFTER_DAYS = 90;

    /** As above for a site with an endpoint (no awaited ID). */
    public IpsecSiteStatus(String name, Key id, String state, Optional<InetSocketAddress> peer, Optional<String> ikeProposal,
                           long spiI, long spiR, boolean natTraversal, Optional<Instant> establishedAt, List<Child> children,
                           Optional<String> lastFailure, Optional<Instant> lastFailureAt, Optional<Instant> nextAttempt,
                           long rxBytes, long txBytes, long rxPackets, long txPackets, Optional<String> keyExchange,
                           Optional<Instant> certificateExpires, Optional<Instant> peerCertificateExpires,
                           Optional<Instant> pskChanged) {
        this(name, id, state, peer, ikeProposal, spiI, spiR, natTraversal, establishedAt, children, lastFailure,
                lastFailureAt, nextAttempt, rxBytes, txBytes, rxPackets, txPackets, keyExchange, certificateExpires,
                peerCertificateExpires, pskChanged, Optional.empty());
    }

    /** As above without a pre-shared key file's age (a site with certificates, or none known). */
    public IpsecSiteStatus(String name, Key id, String state, Optional<InetSocketAddress> peer, Optional<String> ikeProposal,
                           long spiI, long spiR, boolean natTraversal, Optional<Instant> establishedAt, List<Child> children,
                           Optional<String> lastFailure, Optional<Instant> lastFailureAt, Optional<Instant> nextAttempt,
                           long rxBytes, long txBytes, long rxPackets, long txPackets, Optional<String> keyExchange,
                           Optional<Instant> certificateExpires, Optional<Instant> peerCertificateExpires) {
        this(name, id, state, peer, ikeProposal, spiI, spiR, natTraversal, establishedAt, children, lastFailure,
                lastFailureAt, nextAttempt, rxBytes, txBytes, rxPackets, txPackets, keyExchange, certificateExpires,
                peerCertificateExpires, Optional.empty(), Optional.empty());
    }

    /** Whole days since the pre-shared key's file last changed, when known. */
    public Optional<Long> pskAgeDays(Instant now) {
        return pskChanged.map(c -> java.time.Duration.between(c, now).toDays());
    }

    /** "rotate the PSK: 97 days old (...)" past {@link #ROTATE_PSK_AFTER_DAYS}, else empty. */
    public Optional<String> pskWarning(Instant now) {
        return pskAgeDays(now).filter(d -> d > ROTATE_PSK_AFTER_DAYS).map(d -> "rotate the PSK: " + d + " days old (its "
                + "psk_file last changed " + pskChanged.get().atZone(java.time.ZoneOffset.UTC).toLocalDate() + "); make a "
                + "new key with sitelink genpsk, and give the other gateway the same key");
    }

    public IpsecSiteStatus {
        children = List.copyOf(children);
    }

    /** A site without certificates. */
    public IpsecSiteStatus(String name, Key id, String state, Optional<InetSocketAddress> peer, Optional<String> ikeProposal,
                           long spiI, long spiR, boolean natTraversal, Optional<Instant> establishedAt, List<Child> children,
                           Optional<String> lastFailure, Optional<Instant> lastFailureAt, Optional<Instant> nextAttempt,
                           long rxBytes, long txBytes, long rxPackets, long txPackets, Optional<String> keyExchange) {
        this(name, id, state, peer, ikeProposal, spiI, spiR, natTraversal, establishedAt, children, lastFailure, lastFailureAt,
                nextAttempt, rxBytes, txBytes, rxPackets, txPackets, keyExchange, Optional.empty(), Optional.empty());
    }

    /**
     * The expiry warnings at {@code now}, ours first, each with what to do: "this site's certificate expires in 9 days
     * (2026-12-08); renew it (sitelink pki issue) and restart the gateway", "the peer's certificate expired on ...;
     * the peer's operator must renew it"; none when both are more than {@link #WARN_DAYS_BEFORE_EXPIRY} days away.
     */
    public List<String> expiryWarnings(Instant now) {
        List<String> out = new java.util.ArrayList<>();
        certificateExpires.flatMap(t -> expiryWarning(true, t, now)).ifPresent(out::add);
        peerCertificateExpires.flatMap(t -> expiryWarning(false, t, now)).ifPresent(out::add);
        return out;
    }

    /**
     * The warning for this site's certificate ({@code ours}) or the peer's expiring at {@code expires}: "... expires in
     * N days (DAY); REMEDY" or "... expired on DAY; REMEDY" within the warning window, else empty.
     */
    public static Optional<String> expiryWarning(boolean ours, Instant expires, Instant now) {
        String what = ours ? "this site's certificate" : "the peer's certificate";
        String remedy = ours ? "; renew it (sitelink pki issue) and restart the gateway" : "; the peer's operator must renew it";
        String day = expires.atZone(java.time.ZoneOffset.UTC).toLocalDate().toString();
        if (!expires.isAfter(now)) {
            return Optional.of(what + " expired on " + day + remedy);
        }
        long days = java.time.Duration.between(now, expires).toDays();
        return days < WARN_DAYS_BEFORE_EXPIRY
                ? Optional.of(what + " expires in " + days + (days == 1 ? " day" : " days") + " (" + day + ")" + remedy)
                : Optional.empty();
    }

    /** One installed CHILD SA: its SPIs, ESP transform, selectors, when it was installed. */
    public record Child(int inboundSpi, int outboundSpi, String cipher, String localSelectors, String remoteSelectors,
                        Instant installedAt, boolean outbound) {
    }

    public boolean isEstablished() {
        return state.equals("ESTABLISHED");
    }
}
