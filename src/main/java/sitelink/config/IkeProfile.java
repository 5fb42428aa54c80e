package sitelink.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A vendor profile ({@code profile: NAME} on an IKEv2 remote site): proposals, lifetimes and a liveness interval
 * that match what a common appliance or cloud gateway is documented to do out of the box, so that the far side
 * needs the fewest changes. Where a vendor's default includes algorithms sitelink refuses (SHA-1, DH groups 2 and
 * 5), the profile keeps only the strongest documented set that sitelink accepts. Fields written on the site
 * override the profile's. docs/ikev2.md cites each vendor's source.
 *
 * @param ikeProposals  strongSwan syntax, as {@code ike_proposals}
 * @param espProposals  strongSwan syntax, as {@code esp_proposals}; a DH group in it means PFS on rekeys
 * @param dpdDelay      our liveness interval; the peer answers liveness checks whatever its own setting
 */
public enum IkeProfile {
    /**
     * Cisco IOS XE IKEv2 smart defaults: the default proposal's AES-CBC-256 with SHA-512/384 (integrity and PRF)
     * and groups 19 and 14 (group 21 and 5 left out: not supported / refused); the default transform set's
     * ESP SHA-1 is refused, so ESP is AES-256-GCM (esp-gcm 256) or AES-256 with SHA-256. IKE SA 86400 s, IPsec
     * SA 3600 s. DPD is off on IOS XE unless configured; ours probes every 30 s and IOS answers.
     */
    CISCO_IOS_XE("cisco-ios-xe", List.of("aes256-sha512-sha384-ecp256-modp2048"), List.of("aes256gcm16", "aes256-sha256"),
            Duration.ofHours(24), Duration.ofHours(1), Duration.ofSeconds(30)),
    /**
     * PAN-OS predefined IKE crypto profile Suite-B-GCM-128 (aes-128-cbc, sha256, group19, 8 hours) and IPSec crypto
     * profile Suite-B-GCM-128 (ESP aes-128-gcm, PFS group19, 1 hour); PAN-OS's IKEv2 liveness check every 5 s.
     */
    PAN_OS_SUITE_B_GCM_128("pan-os-suite-b-gcm-128", List.of("aes128-sha256-ecp256"), List.of("aes128gcm16-ecp256"),
            Duration.ofHours(8), Duration.ofHours(1), Duration.ofSeconds(5)),
    /** The same for Suite-B-GCM-256: aes-256-cbc, sha384, group20; ESP aes-256-gcm with PFS group20. */
    PAN_OS_SUITE_B_GCM_256("pan-os-suite-b-gcm-256", List.of("aes256-sha384-ecp384"), List.of("aes256gcm16-ecp384"),
            Duration.ofHours(8), Duration.ofHours(1), Duration.ofSeconds(5)),
    /**
     * AWS Site-to-Site VPN tunnel options: of the permitted phase 1 algorithms (AES128/256, AES128/256-GCM-16,
     * SHA1/SHA2-256/384/512, groups 2, 14-24) the strongest sitelink speaks, phase 1 lifetime 28800 s, phase 2 3600 s,
     * PFS with the same groups; DPD every 10 s (AWS's DPD timeout is 30 s).
     */
    AWS("aws", List.of("aes256gcm16-prfsha512-prfsha384-prfsha256-ecp384-ecp256-modp2048",
            "aes256-sha512-sha384-sha256-ecp384-ecp256-modp2048"), List.of("aes256gcm16-ecp384-ecp256-modp2048"),
            Duration.ofHours(8), Duration.ofHours(1), Duration.ofSeconds(10)),
    /**
     * Azure VPN Gateway: its default IKEv2 offers include AES256/SHA384 with ECP384 and DHGroup14, IKE SA lifetime
     * 28800 s, IPsec SA lifetime 27000 s; a custom IPsec/IKE policy (GCMAES256, SHA384, ECP384, PFS ECP384) is what
     * the ESP side needs, since the default quick mode has no PFS. DPD timeout 45 s: we probe after 15 s of silence.
     */
    AZURE("azure", List.of("aes256gcm16-prfsha384-ecp384", "aes256-sha384-ecp384-modp2048"), List.of("aes256gcm16-ecp384"),
            Duration.ofHours(8), Duration.ofMinutes(450), Duration.ofSeconds(15));

    private final String word;
    private final List<String> ikeProposals, espProposals;
    private final Duration ikeLifetime, childLifetime, dpdDelay;

    IkeProfile(String word, List<String> ike, List<String> esp, Duration ikeLifetime, Duration childLifetime, Duration dpdDelay) {
        this.word = word;
        this.ikeProposals = ike;
        this.espProposals = esp;
        this.ikeLifetime = ikeLifetime;
        this.childLifetime = childLifetime;
        this.dpdDelay = dpdDelay;
    }

    /** The name written in the site file. */
    public String word() {
        return word;
    }

    public List<String> ikeProposals() {
        return ikeProposals;
    }

    public List<String> espProposals() {
        return espProposals;
    }

    public Duration ikeLifetime() {
        return ikeLifetime;
    }

    public Duration childLifetime() {
        return childLifetime;
    }

    public Duration dpdDelay() {
        return dpdDelay;
    }

    public static Optional<IkeProfile> of(String word) {
        String w = word.strip().toLowerCase(Locale.ROOT);
        return Stream.of(values()).filter(p -> p.word.equals(w)).findFirst();
    }

    /** Every name, for the message that refuses an unknown one. */
    public static String names() {
        return Stream.of(values()).map(IkeProfile::word).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return word;
    }
}
