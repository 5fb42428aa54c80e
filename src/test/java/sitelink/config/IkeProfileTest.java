package sitelink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.ike.Proposal;
import sitelink.ike.Transform;

/** {@code profile: NAME} on an IKEv2 site (docs/ikev2.md#vendor-profiles): what each selects, and overrides. */
class IkeProfileTest {
    @TempDir
    Path dir;

    private SiteFile parse(String extra) throws Exception {
        Path psk = dir.resolve("branch.psk");
        Files.writeString(psk, IkeSiteTest.PSK + "\n");
        Files.setPosixFilePermissions(psk, PosixFilePermissions.fromString("rw-------"));
        return SiteFile.parse("office-a.yaml", IkeSiteTest.SITE + extra, dir, SiteFile.Format.YAML);
    }

    private IkeSite site(String extra) throws Exception {
        SiteFile f = parse(extra);
        assertEquals(List.of(), f.errors());
        return f.config().orElseThrow().ikeSites().get(0);
    }

    /** As check prints them: transforms joined by dashes, without the noesn we add. */
    private static List<String> specs(List<Proposal> proposals) {
        return proposals.stream().map(p -> p.transforms().stream().map(Transform::name).filter(n -> !n.equals("noesn"))
                .collect(Collectors.joining("-"))).toList();
    }

    @Test
    void eachProfileSelectsItsProposalsLifetimesAndDpd() throws Exception {
        for (IkeProfile p : IkeProfile.values()) {
            IkeSite s = site("    profile: " + p.word() + "\n");
            assertEquals(Optional.of(p), s.profile());
            assertEquals(p.ikeLifetime(), s.ikeLifetime(), p.word());
            assertEquals(p.childLifetime(), s.childLifetime(), p.word());
            assertEquals(p.dpdDelay(), s.dpdDelay(), p.word());
            assertEquals(p.ikeProposals().size(), s.ikeProposals().size(), p.word());
            assertEquals(p.espProposals().size(), s.espProposals().size(), p.word());
        }
    }

    @Test
    void theProfilesAreTheDocumentedOnes() throws Exception {
        IkeSite cisco = site("    profile: cisco-ios-xe\n");
        assertEquals(List.of("aes256-sha512-sha384-ecp256-modp2048-prfsha512-prfsha384"), specs(cisco.ikeProposals()));
        assertEquals(List.of("aes256gcm16", "aes256-sha256"), specs(cisco.espProposals()));
        assertEquals(Duration.ofHours(24), cisco.ikeLifetime());
        IkeSite gcm128 = site("    profile: pan-os-suite-b-gcm-128\n");
        assertEquals(List.of("aes128-sha256-ecp256-prfsha256"), specs(gcm128.ikeProposals()));
        assertEquals(List.of("aes128gcm16-ecp256"), specs(gcm128.espProposals()));
        assertEquals(Duration.ofHours(8), gcm128.ikeLifetime());
        assertEquals(Duration.ofSeconds(5), gcm128.dpdDelay());
        IkeSite gcm256 = site("    profile: PAN-OS-Suite-B-GCM-256\n"); // as PAN-OS spells it
        assertEquals(List.of("aes256-sha384-ecp384-prfsha384"), specs(gcm256.ikeProposals()));
        assertEquals(List.of("aes256gcm16-ecp384"), specs(gcm256.espProposals()));
        IkeSite azure = site("    profile: azure\n");
        assertEquals(Duration.ofSeconds(27000), azure.childLifetime());
        assertEquals(Duration.ofSeconds(28800), azure.ikeLifetime());
        IkeSite aws = site("    profile: aws\n");
        assertEquals(Duration.ofSeconds(28800), aws.ikeLifetime());
        assertEquals(Duration.ofSeconds(3600), aws.childLifetime());
    }

    /** No profile names an algorithm sitelink refuses: SHA-1, MD5, 3DES, groups 1, 2, 5 are never selected. */
    @Test
    void noProfileSelectsAWeakAlgorithm() throws Exception {
        for (IkeProfile p : IkeProfile.values()) {
            IkeSite s = site("    profile: " + p.word() + "\n");
            String all = String.join(",", specs(s.ikeProposals())) + "," + String.join(",", specs(s.espProposals()));
            for (String weak : List.of("sha1", "md5", "3des", "modp1024", "modp1536", "modp768")) {
                assertTrue(!all.contains(weak), p.word() + " selects " + weak + ": " + all);
            }
        }
    }

    @Test
    void fieldsWrittenOnTheSiteOverrideTheProfile() throws Exception {
        IkeSite s = site("""
                    profile: pan-os-suite-b-gcm-256
                    esp_proposals: aes256gcm16
                    child_lifetime: 30m
                    dpd_delay: off
                """);
        assertEquals(List.of("aes256-sha384-ecp384-prfsha384"), specs(s.ikeProposals()), "not written: the profile's");
        assertEquals(List.of("aes256gcm16"), specs(s.espProposals()));
        assertEquals(Duration.ofMinutes(30), s.childLifetime());
        assertEquals(Duration.ofHours(8), s.ikeLifetime(), "not written: the profile's");
        assertEquals(Duration.ZERO, s.dpdDelay());
    }

    @Test
    void anUnknownProfileIsRefusedWithTheKnownNames() throws Exception {
        assertEquals(List.of("office-a.yaml:11:14: profile 'fortigate' is not known; write one of cisco-ios-xe, "
                + "pan-os-suite-b-gcm-128, pan-os-suite-b-gcm-256, aws, azure (docs/ikev2.md says what each selects), or "
                + "remove it for sitelink's defaults"),
                parse("    profile: fortigate\n").errors().stream().map(ConfigProblem::toString).toList());
    }

    @Test
    void aWireGuardSiteRefusesAProfile() throws Exception {
        SiteFile f = SiteFile.parse("office-a.yaml", SiteFileTest.GOOD + "    profile: aws\n", dir, SiteFile.Format.YAML);
        assertEquals(1, f.errors().size(), f.problems().toString());
        assertTrue(f.errors().get(0).toString().contains("profile is an IKEv2 field, but remote site office-b speaks WireGuard"),
                f.errors().toString());
    }
}
