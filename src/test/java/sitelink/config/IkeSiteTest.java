package sitelink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.ike.Ike;
import sitelink.ike.IkeAction;
import sitelink.ike.IkeConfig;
import sitelink.ike.IkeId;
import sitelink.ike.IkeSession;
import sitelink.ike.Proposals;
import sitelink.ike.TrafficSelector;
import sitelink.route.Prefix;
import sitelink.wireguard.FakeClock;

/** The IKEv2 fields of a remote site (docs/ikev2.md): one test per rule, with the message the user sees. */
class IkeSiteTest {
    static final String PSK = "4cQ0m2pH6aT1xqVb9RrZ3kLw8sYd5nEfGuJ7oIzC1Mk=";
    static final String SITE = """
            name: office-a
            private_key: %s
            tunnel: {name: sl-b}
            local_subnets: [198.18.1.0/24]
            remote_sites:
              - name: branch
                protocol: ikev2
                psk_file: branch.psk
                endpoint: 198.51.100.2
                remote_subnets: [198.18.2.0/24]
            """.formatted(SiteFileTest.ALICE_PRIVATE);

    @TempDir
    Path dir;

    private SiteFile parse(String yaml) throws Exception {
        Path psk = dir.resolve("branch.psk");
        if (!Files.exists(psk)) {
            writePsk(PSK + "\n");
        }
        return SiteFile.parse("office-a.yaml", yaml, dir, SiteFile.Format.YAML);
    }

    private void writePsk(String content) throws Exception {
        Path psk = dir.resolve("branch.psk");
        Files.writeString(psk, content);
        Files.setPosixFilePermissions(psk, PosixFilePermissions.fromString("rw-------"));
    }

    private List<String> errors(String yaml) throws Exception {
        return parse(yaml).errors().stream().map(ConfigProblem::toString).toList();
    }

    private void assertOnlyError(String expected, String yaml) throws Exception {
        assertEquals(List.of(expected), errors(yaml));
    }

    private IkeSite site(String yaml) throws Exception {
        SiteFile f = parse(yaml);
        assertEquals(List.of(), f.errors());
        return f.config().orElseThrow().ikeSites().get(0);
    }

    /** SITE without the endpoint, and a second such site (branch-c) after it, with {@code extra} lines of its own. */
    private static String twoAnswering(String branchExtra, String cExtra) {
        return SITE.replace("    endpoint: 198.51.100.2\n", branchExtra) + """
                  - name: branch-c
                    protocol: ikev2
                    psk_file: branch.psk
                    remote_subnets: [198.18.3.0/24]
                """ + cExtra;
    }

    /**
     * Several IKEv2 sites without an endpoint: each needs a remote_id of its own (the peer's ID picks the site), and
     * they answer IKE_SA_INIT alike (the same ike_proposals, the same kind of authentication).
     */
    @Test
    void sitesWithoutAnEndpointAreToldApartByTheirRemoteIds() throws Exception {
        assertEquals(List.of(), errors(twoAnswering("    remote_id: b.example\n", "    remote_id: c.example\n")));
        assertEquals(List.of(), errors(SITE.replace("    endpoint: 198.51.100.2\n", "")), "one alone needs no remote_id");
        List<String> e = errors(twoAnswering("    remote_id: b.example\n", ""));
        assertEquals(1, e.size(), e.toString());
        assertTrue(e.get(0).contains("remote site branch-c needs a remote_id: the IKEv2 sites without an endpoint (branch, "
                + "branch-c) answer any address, and the ID a peer presents picks its site"), e.get(0));
        e = errors(twoAnswering("    remote_id: b.example\n", "    remote_id: B.EXAMPLE\n"));
        assertEquals(1, e.size(), e.toString());
        assertTrue(e.get(0).contains("remote_id B.EXAMPLE of branch-c is also that of branch (line 9)"), e.get(0));
        e = errors(twoAnswering("    remote_id: b.example\n", "    remote_id: c.example\n    ike_proposals: aes256gcm16-prfsha256-ecp384\n"));
        assertEquals(1, e.size(), e.toString());
        assertTrue(e.get(0).contains("give them the same ike_proposals"), e.get(0));
        assertEquals(List.of(), errors(twoAnswering("    remote_id: b.example\n", "    remote_id: c.example\n    endpoint: 198.51.100.3\n")),
                "a site with an endpoint is told apart by its address");
    }

    /** A file linking only over IKEv2 needs no WireGuard key; one with a WireGuard site still does. */
    @Test
    void onlyIkeSitesNeedNoWireGuardKey() throws Exception {
        String ikeOnly = SITE.replace("private_key: " + SiteFileTest.ALICE_PRIVATE + "\n", "");
        SiteFile f = parse(ikeOnly);
        assertEquals(List.of(), f.errors());
        assertEquals("branch", f.config().orElseThrow().ikeSites().get(0).name());
        String withWireGuard = ikeOnly + """
                  - name: office-b
                    public_key: %s
                    remote_subnets: [198.18.3.0/24]
                """.formatted(SiteFileTest.BOB_PUBLIC);
        List<String> errors = errors(withWireGuard);
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).contains("private_key_file"), errors.get(0));
    }

    @Test
    void aMinimalIkeSiteGetsTheDocumentedDefaults() throws Exception {
        SiteFile f = parse(SITE);
        assertEquals(List.of(), f.problems());
        SiteConfig c = f.config().orElseThrow();
        assertEquals(List.of(), c.remoteSites(), "an IKEv2 site is not a WireGuard peer");
        IkeSite s = c.ikeSites().get(0);
        assertEquals("branch", s.name());
        assertEquals(Optional.of(new Endpoint("198.51.100.2", 500)), s.endpoint(), "IKE's port when none is written");
        assertEquals(List.of(Prefix.parse("198.18.2.0/24")), s.remoteSubnets());
        assertEquals(new IkeAuth.Psk(dir.resolve("branch.psk"), PSK.getBytes(StandardCharsets.UTF_8)), s.auth(),
                "the file's line without its line end");
        assertEquals(Optional.empty(), s.localId());
        assertEquals(Optional.empty(), s.remoteId());
        assertEquals(sitelink.ike.PostQuantum.PREFERRED, s.postQuantum(), "hybrid with ML-KEM when the peer can, by default");
        assertEquals(Proposals.postQuantum(sitelink.ike.PostQuantum.PREFERRED, Proposals.parseAll(Ike.PROTO_IKE, Proposals.DEFAULT_IKE)),
                s.ikeProposals(), "the hybrid default first, the classical one after it");
        assertEquals(Proposals.parseAll(Ike.PROTO_ESP, Proposals.DEFAULT_ESP), s.espProposals(), "no group, nothing to add to");
        assertEquals(Duration.ofHours(4), s.ikeLifetime());
        assertEquals(Duration.ofHours(1), s.childLifetime());
        assertEquals(Duration.ofSeconds(30), s.dpdDelay());
        assertEquals(StartAction.START, s.startAction(), "with an endpoint: an always-on link");
        assertEquals(List.of(new SiteFile.KeyFile("psk_file", dir.resolve("branch.psk"), new Location("office-a.yaml", 8, 15))),
                f.keyFiles(), "the PSK file is checked for mode 0600 like every key file");
    }

    @Test
    void theIkeConfigTakesTheAddressesAsIdentitiesAndTheSubnetsAsSelectors() throws Exception {
        SiteConfig c = parse(SITE).config().orElseThrow();
        InetSocketAddress local = new InetSocketAddress("198.51.100.1", 500), remote = new InetSocketAddress("198.51.100.2", 500);
        IkeConfig k = c.ikeConfig(c.ikeSites().get(0), local, remote);
        assertEquals(IkeId.of(InetAddress.getByName("198.51.100.1")), k.localId(), "strongSwan's default: our address");
        assertEquals(IkeId.of(InetAddress.getByName("198.51.100.2")), k.remoteId(), "what strongSwan sends by default");
        assertEquals(PSK, new String(k.psk(), StandardCharsets.UTF_8));
        assertEquals(List.of(TrafficSelector.subnet("198.18.1.0/24")), k.localSelectors());
        assertEquals(List.of(TrafficSelector.subnet("198.18.2.0/24")), k.remoteSelectors());
        assertEquals(Duration.ofSeconds(30), k.dpdInterval());
        assertTrue(k.forceEncap(), "our ESP travels in UDP only");
        assertEquals(local, k.local());
        assertEquals(remote, k.remote());

        IkeSite named = site(SITE + "    local_id: \"@gw-a.example.org\"\n    remote_id: vpn@example.org\n    dpd_delay: off\n");
        IkeConfig n = named.toIkeConfig(c.localSubnets(), local, remote);
        assertEquals(IkeId.parse("gw-a.example.org"), n.localId());
        assertEquals(Ike.ID_FQDN, n.localId().idType());
        assertEquals(Ike.ID_RFC822_ADDR, n.remoteId().idType());
        assertEquals(Duration.ZERO, n.dpdInterval(), "off: no liveness checks");
    }

    @Test
    void routeFromNarrowsTheLocalSelectorsAndLetsTheRemoteSideBeEverywhere() throws Exception {
        SiteFile f = parse(SITE.replace("remote_subnets: [198.18.2.0/24]", "remote_subnets: [0.0.0.0/0]")
                + "    route_from: [198.18.1.128/25]\n");
        SiteConfig c = f.config().orElseThrow(() -> new AssertionError(f.problems()));
        IkeConfig k = c.ikeConfig(c.ikeSites().get(0), new InetSocketAddress("198.51.100.1", 500),
                new InetSocketAddress("198.51.100.2", 500));
        assertEquals(List.of(TrafficSelector.subnet("198.18.1.128/25")), k.localSelectors(), "only route_from's traffic");
        assertEquals(List.of(TrafficSelector.subnet("0.0.0.0/0")), k.remoteSelectors());
        assertEquals(List.of(), c.mainRoutedSubnets());
    }

    /** The strongest check of the defaults: two site files' IkeConfigs, one per gateway, bring up a CHILD SA. */
    @Test
    void twoSiteFilesMakeSessionsThatEstablish() throws Exception {
        SiteConfig a = parse(SITE).config().orElseThrow();
        String other = SITE.replace("name: office-a", "name: office-b").replace("name: branch", "name: office-a")
                .replace("[198.18.1.0/24]", "[198.18.9.0/24]").replace("[198.18.2.0/24]", "[198.18.1.0/24]")
                .replace("[198.18.9.0/24]", "[198.18.2.0/24]").replace("endpoint: 198.51.100.2", "endpoint: 198.51.100.1");
        SiteConfig b = parse(other).config().orElseThrow();
        InetSocketAddress atA = new InetSocketAddress("198.51.100.1", 500), atB = new InetSocketAddress("198.51.100.2", 500);
        FakeClock clock = new FakeClock();
        IkeSession sa = new IkeSession(a.ikeConfig(a.ikeSites().get(0), atA, atB), clock, new SecureRandom());
        IkeSession sb = new IkeSession(b.ikeConfig(b.ikeSites().get(0), atB, atA), clock, new SecureRandom());
        assertBothInstallAChildSa(sa, sb, atA, atB);
    }

    /** Runs the exchanges {@code sa} starts with {@code sb} to their end: both install a CHILD SA, neither fails. */
    static void assertBothInstallAChildSa(IkeSession sa, IkeSession sb, InetSocketAddress atA, InetSocketAddress atB) {
        List<IkeAction> seenA = new ArrayList<>(), seenB = new ArrayList<>();
        List<IkeAction> pending = new ArrayList<>(sa.initiate());
        boolean fromA = true;
        for (int round = 0; round < 12 && !pending.isEmpty(); round++, fromA = !fromA) {
            (fromA ? seenA : seenB).addAll(pending);
            List<IkeAction> next = new ArrayList<>();
            for (IkeAction x : pending) {
                if (x instanceof IkeAction.Send s) {
                    next.addAll((fromA ? sb : sa).receive(fromA ? atA : atB, s.to().getPort(), s.datagram(), 0,
                            s.datagram().length));
                }
            }
            pending = next;
        }
        for (List<IkeAction> seen : List.of(seenA, seenB)) {
            assertTrue(seen.stream().anyMatch(x -> x instanceof IkeAction.ChildSaInstalled), seen.toString());
            assertFalse(seen.stream().anyMatch(x -> x instanceof IkeAction.Failed), seen.toString());
        }
    }

    @Test
    void wireguardStaysTheDefaultAndMayBeNamed() throws Exception {
        SiteFile f = parse(SiteFileTest.GOOD.replace("    endpoint:", "    protocol: wireguard\n    endpoint:"));
        assertEquals(List.of(), f.problems());
        assertEquals(1, f.config().get().remoteSites().size());
        assertEquals(List.of(), f.config().get().ikeSites());
    }

    @Test
    void anUnknownProtocolIsRefusedWithTheTwoWeSpeak() throws Exception {
        assertOnlyError("office-a.yaml:7:15: protocol 'openvpn' is not known; write wireguard (the default) or ikev2",
                SITE.replace("protocol: ikev2", "protocol: openvpn"));
        assertOnlyError("office-a.yaml:7:15: protocol 'ikev1': IKEv1 is not supported (RFC 7296 replaced it); configure "
                + "the other gateway for IKEv2 and write protocol: ikev2", SITE.replace("protocol: ikev2", "protocol: ikev1"));
        assertOnlyError("office-a.yaml:7:15: protocol 'ipsec' is not a protocol name sitelink knows; write protocol: "
                + "ikev2 (IKEv2 with ESP, the IPsec of today's gateways)", SITE.replace("protocol: ikev2", "protocol: ipsec"));
    }

    @Test
    void wireguardFieldsOnAnIkeSiteNameTheFieldAndTheProtocol() throws Exception {
        assertEquals(List.of(
                "office-a.yaml:11:5: public_key is a WireGuard field, but remote site branch speaks IKEv2 (protocol: ikev2): "
                        + "remove it (an IKEv2 site authenticates with auth: psk and psk_file, or auth: cert and its certificate)",
                "office-a.yaml:12:5: persistent_keepalive is a WireGuard field, but remote site branch speaks IKEv2 "
                        + "(protocol: ikev2): remove it (IKEv2 checks the peer with dpd_delay and keeps NAT mappings open by itself)"),
                errors(SITE + "    public_key: " + SiteFileTest.BOB_PUBLIC + "\n    persistent_keepalive: 25\n"));
        assertEquals(1, errors(SITE + "    preshared_key_file: branch.psk\n").size());
    }

    @Test
    void ikeFieldsOnAWireGuardSiteNameTheFieldAndTheProtocol() throws Exception {
        assertOnlyError("office-a.yaml:13:5: ike_proposals is an IKEv2 field, but remote site office-b speaks WireGuard "
                        + "(the default protocol): add protocol: ikev2 to link to an IPsec gateway, or remove it",
                SiteFileTest.GOOD + "    ike_proposals: aes256gcm16-prfsha256-modp2048\n");
        assertOnlyError("office-a.yaml:14:5: psk_file is an IKEv2 field, but remote site office-b speaks WireGuard "
                        + "(protocol: wireguard): remove it",
                SiteFileTest.GOOD + "    protocol: wireguard\n    psk_file: branch.psk\n");
    }

    @Test
    void anUnknownFieldOfAnIkeSiteListsTheIkeFieldsAndAMisspellingIsMatched() throws Exception {
        assertOnlyError("office-a.yaml:11:5: unknown field 'colour' in remote site branch; remove it (known fields: name, "
                + "protocol, endpoint, remote_subnets, route_from, dscp, policy, auth, psk_file, certificate, private_key, ca, crl, rsa_pss, local_id, remote_id, "
                + "profile, ike_proposals, esp_proposals, ike_lifetime, child_lifetime, dpd_delay, start_action, post_quantum)", SITE + "    colour: blue\n");
        assertOnlyError("office-a.yaml:11:5: unknown field 'ike_proposal' in remote site branch; did you mean 'ike_proposals'?",
                SITE + "    ike_proposal: aes256gcm16-prfsha256-modp2048\n");
    }

    // ---- authentication ----

    @Test
    void aPskFileIsRequiredAndAMissingOneComesWithTheCommandToMakeIt() throws Exception {
        assertOnlyError("office-a.yaml:6:5: remote site branch (auth: psk) has no psk_file; add one, e.g. psk_file: "
                        + "/etc/sitelink/branch.psk (create it with: umask 077; sitelink genpsk > /etc/sitelink/branch.psk, "
                        + "and give the other gateway the same key)",
                SITE.replace("    psk_file: branch.psk\n", ""));
        Path missing = dir.resolve("nope.psk");
        assertOnlyError("office-a.yaml:8:15: psk_file " + missing + " does not exist; create it with: umask 077; "
                        + "sitelink genpsk > " + missing + " (and give the other gateway the same key)",
                SITE.replace("psk_file: branch.psk", "psk_file: nope.psk"));
    }

    @Test
    void aPskShorterThan32CharactersIsAnErrorThatSaysSo() throws Exception {
        String key31 = "x".repeat(31);
        writePsk(key31 + "\n");
        Path p = dir.resolve("branch.psk");
        List<String> e = errors(SITE);
        assertEquals(List.of("office-a.yaml:8:15: psk_file " + p + " holds a key of 31 characters, shorter than the 32 "
                + "a pre-shared key needs (a short key can be guessed offline from one captured IKE exchange); make a new "
                + "one with: umask 077; sitelink genpsk > " + p + ", and give the other gateway the same key"), e);
        assertFalse(e.get(0).contains(key31), "the key itself is never shown");
        writePsk("y".repeat(32));
        assertEquals(List.of(), errors(SITE), "32 characters (and no line end) is enough");
    }

    @Test
    void aPskOnSeveralLinesIsRefusedAndStrayWhitespaceWarned() throws Exception {
        Path p = dir.resolve("branch.psk");
        writePsk(PSK + "\n" + PSK + "\n");
        assertEquals(List.of("office-a.yaml:8:15: psk_file " + p + " holds more than one line; put the key alone on one line"),
                errors(SITE));
        writePsk(PSK + " \r\n");
        SiteFile f = parse(SITE);
        assertEquals(List.of("office-a.yaml:8:15: warning: psk_file " + p + ": the key ends with a space or tab, which "
                + "is part of the key; remove it unless the other gateway's key has it too"),
                f.problems().stream().map(ConfigProblem::toString).toList());
        assertEquals(new IkeAuth.Psk(p, (PSK + " ").getBytes(StandardCharsets.UTF_8)), f.config().get().ikeSites().get(0).auth(),
                "the space is kept: it is what the other side may have too");
    }

    @Test
    void aPskFileReadableByOthersIsRefusedWithTheFix() throws Exception {
        SiteFile f = parse(SITE);
        Path p = dir.resolve("branch.psk");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(List.of("office-a.yaml:8:15: psk_file " + p + " is readable or writable by group or others (mode "
                + "0644); restrict it with: chmod 600 " + p), SystemChecks.files(f).stream().map(ConfigProblem::toString).toList());
    }

    @Test
    void anUnknownAuthNamesTheTwoKnownOnes() throws Exception {
        assertOnlyError("office-a.yaml:11:11: auth 'password' is not known; write psk (a pre-shared key in psk_file) or "
                + "cert (certificates: certificate, private_key, ca)", SITE + "    auth: password\n");
        assertEquals(List.of(), errors(SITE + "    auth: psk\n"));
        assertOnlyError("office-a.yaml:11:5: certificate is for auth: cert; write auth: cert to use certificates, or "
                + "remove it", SITE + "    certificate: gw.pem\n");
    }

    @Test
    void theKeyNeverAppearsInTheConfigsText() throws Exception {
        SiteConfig c = parse(SITE).config().orElseThrow();
        assertFalse(c.toString().contains(PSK), c.toString());
        assertFalse(c.ikeConfig(c.ikeSites().get(0), new InetSocketAddress("198.51.100.1", 500),
                new InetSocketAddress("198.51.100.2", 500)).toString().contains(PSK));
    }

    // ---- the PSK's age ----

    @Test
    void aPskOlderThan90DaysIsToBeRotated() throws Exception {
        SiteFile f = parse(SITE);
        Path p = dir.resolve("branch.psk");
        Instant changed = Instant.parse("2026-08-23T10:00:00Z");
        Files.setLastModifiedTime(p, FileTime.from(changed));
        IkeSite s = f.config().get().ikeSites().get(0);
        assertEquals(Optional.empty(), SystemChecks.pskRotation(s, changed.plus(Duration.ofDays(90))));
        assertEquals(Optional.of("rotate the PSK: 97 days old (branch's psk_file " + p + " last changed 2026-08-23); make "
                        + "a new key with: umask 077; sitelink genpsk > " + p + ", and give the other gateway the same key"),
                SystemChecks.pskRotation(s, changed.plus(Duration.ofDays(97)).plusSeconds(3600)));
        assertEquals(List.of("office-a.yaml:8:15: warning: rotate the PSK: 97 days old (branch's psk_file " + p
                        + " last changed 2026-08-23); make a new key with: umask 077; sitelink genpsk > " + p
                        + ", and give the other gateway the same key"),
                SystemChecks.pskAges(f, changed.plus(Duration.ofDays(97))).stream().map(ConfigProblem::toString).toList());
    }

    @Test
    void checkRunsTheAgeCheckOnTheFileAsItIsNow() throws Exception {
        SiteFile f = parse(SITE);
        Files.setLastModifiedTime(dir.resolve("branch.psk"), FileTime.from(Instant.now().minus(Duration.ofDays(100))));
        assertTrue(SystemChecks.run(f).stream().anyMatch(p -> !p.isError() && p.message().startsWith("rotate the PSK: 100 days old")),
                SystemChecks.run(f).toString());
        Files.setLastModifiedTime(dir.resolve("branch.psk"), FileTime.from(Instant.now()));
        assertTrue(SystemChecks.run(f).stream().noneMatch(p -> p.message().contains("rotate")));
    }

    // ---- identities ----

    @Test
    void identitiesTakeStrongSwansForms() throws Exception {
        IkeSite s = site(SITE + "    local_id: 198.51.100.1\n    remote_id: \"2001:db8::2\"\n");
        assertEquals(IkeId.parse("198.51.100.1"), s.localId().get());
        assertEquals(Ike.ID_IPV6_ADDR, s.remoteId().get().idType());
        assertEquals(Ike.ID_FQDN, site(SITE + "    remote_id: gw-b.example.org\n").remoteId().get().idType());
    }

    @Test
    void wildcardsDistinguishedNamesAndBadAddressesAreRefused() throws Exception {
        assertOnlyError("office-a.yaml:11:16: remote_id '%any' is a wildcard, but sitelink checks the peer's identity "
                        + "exactly; give the identity the peer sends (strongSwan sends its IP address unless its local id "
                        + "is set), or leave remote_id out to expect the endpoint's address",
                SITE + "    remote_id: \"%any\"\n");
        assertOnlyError("office-a.yaml:11:15: local_id 'C=CH, O=Example, CN=gw-a' looks like a distinguished name (C=, O=, "
                        + "CN=), an identity for certificates (auth: cert); with auth: psk write an IP "
                        + "address (198.51.100.1), a DNS name (gw.example.org or @gw.example.org) or an email address "
                        + "(vpn@example.org)",
                SITE + "    local_id: \"C=CH, O=Example, CN=gw-a\"\n");
        assertEquals(1, errors(SITE + "    remote_id: 198.51.100.300\n").size());
        assertTrue(errors(SITE + "    remote_id: 198.51.100.300\n").get(0).contains("is not an IP address"));
        assertEquals(1, errors(SITE + "    remote_id: \"gw b.example.org\"\n").size());
        assertEquals(1, errors(SITE + "    remote_id: \"@\"\n").size());
    }

    // ---- proposals ----

    @Test
    void proposalsAreStrongSwansSyntaxAsAListOrWithCommas() throws Exception {
        IkeSite s = site(SITE + "    ike_proposals: [aes256gcm16-prfsha384-ecp384, aes256-sha256-curve25519]\n"
                + "    esp_proposals: \"aes256gcm16-modp2048, default\"\n");
        assertEquals(Proposals.postQuantum(sitelink.ike.PostQuantum.PREFERRED,
                Proposals.parseAll(Ike.PROTO_IKE, List.of("aes256gcm16-prfsha384-ecp384", "aes256-sha256-curve25519"))), s.ikeProposals());
        assertEquals(Proposals.postQuantum(sitelink.ike.PostQuantum.PREFERRED,
                Proposals.parseAll(Ike.PROTO_ESP, List.of("aes256gcm16-modp2048", Proposals.DEFAULT_ESP.get(0)))),
                s.espProposals(), "default stands for our defaults, as in strongSwan");
    }

    @Test
    void postQuantumRequiredPreferredOrOffShapesTheProposals() throws Exception {
        IkeSite off = site(SITE + "    post_quantum: off\n    ike_proposals: aes256gcm16-prfsha384-x25519\n");
        assertEquals(sitelink.ike.PostQuantum.OFF, off.postQuantum());
        assertEquals(Proposals.parseAll(Ike.PROTO_IKE, List.of("aes256gcm16-prfsha384-x25519")), off.ikeProposals());
        IkeSite required = site(SITE + "    post_quantum: required\n    ike_proposals: aes256gcm16-prfsha384-x25519\n"
                + "    esp_proposals: aes256gcm16-x25519\n");
        assertEquals(Proposals.parseAll(Ike.PROTO_IKE, List.of("aes256gcm16-prfsha384-x25519-ke1_mlkem768")), required.ikeProposals());
        assertEquals(Proposals.parseAll(Ike.PROTO_ESP, List.of("aes256gcm16-x25519-ke1_mlkem768")), required.espProposals(),
                "PFS on CHILD SA rekeys with ML-KEM too");
        IkeSite written = site(SITE + "    ike_proposals: aes256gcm16-prfsha384-x25519-ke1_mlkem768\n");
        assertEquals(1, written.ikeProposals().size(), "a hybrid proposal as written, no classical copy to add: " + written.ikeProposals());
        assertEquals(List.of("office-a.yaml:11:19: post_quantum 'maybe' is not known; write required (refuse a peer"
                + " without ML-KEM), preferred (the default: hybrid when the peer can, else classical) or off"), errors(SITE + "    post_quantum: maybe\n"));
        List<String> conflict = errors(SITE + "    post_quantum: off\n    ike_proposals: aes256gcm16-prfsha384-x25519-ke1_mlkem768\n");
        assertEquals(1, conflict.size(), conflict.toString());
        assertTrue(conflict.get(0).contains("names an additional key exchange, but post_quantum is off"), conflict.get(0));
    }

    @Test
    void weakAlgorithmsAreRefusedWithTheTransformAndAReplacement() throws Exception {
        assertOnlyError("office-a.yaml:11:20: ike_proposals 'aes256-sha1-modp2048': sha1 is too weak for a site link and "
                        + "refused; use sha256 (or an AEAD such as aes256gcm16, which needs none)",
                SITE + "    ike_proposals: aes256-sha1-modp2048\n");
        assertOnlyError("office-a.yaml:11:20: ike_proposals 'aes256-sha256-modp1024': modp1024 (DH group 2) is too weak "
                        + "for a site link and refused; use modp2048 (group 14), ecp256 (group 19), ecp384 (group 20) or "
                        + "curve25519 (group 31)",
                SITE + "    ike_proposals: aes256-sha256-modp1024\n");
        assertEquals(List.of(
                "office-a.yaml:11:20: esp_proposals '3des-md5-modp1024': 3des is too weak for a site link and refused; use aes256gcm16",
                "office-a.yaml:11:20: esp_proposals '3des-md5-modp1024': md5 is too weak for a site link and refused; use sha256",
                "office-a.yaml:11:20: esp_proposals '3des-md5-modp1024': modp1024 (DH group 2) is too weak for a site link "
                        + "and refused; use modp2048 (group 14), ecp256 (group 19), ecp384 (group 20) or curve25519 (group 31)"),
                errors(SITE + "    esp_proposals: 3des-md5-modp1024\n"), "every weak algorithm at once");
        assertEquals(List.of("office-a.yaml:11:20: ike_proposals 'aes128-md5-prfmd5-modp2048': md5 is too weak for a "
                        + "site link and refused; use sha256",
                "office-a.yaml:11:20: ike_proposals 'aes128-md5-prfmd5-modp2048': prfmd5 is too weak for a site link and "
                        + "refused; use prfsha256"),
                errors(SITE + "    ike_proposals: aes128-md5-prfmd5-modp2048\n"));
        assertOnlyError("office-a.yaml:11:20: esp_proposals 'des-sha256': des is too weak for a site link and refused; use aes256gcm16",
                SITE + "    esp_proposals: des-sha256\n");
        assertOnlyError("office-a.yaml:11:20: esp_proposals 'aes256gcm16-modp1536': modp1536 (DH group 5) is too weak for "
                        + "a site link and refused; use modp2048 (group 14), ecp256 (group 19), ecp384 (group 20) or "
                        + "curve25519 (group 31)",
                SITE + "    esp_proposals: aes256gcm16-modp1536\n");
    }

    @Test
    void aProposalThatIsNotOneIsRefusedWhereItIsWritten() throws Exception {
        assertOnlyError("office-a.yaml:12:9: ike_proposals 'aes256gcm16-modp2048' names no PRF: add prfsha256 (or prfsha384, prfsha512)",
                SITE + "    ike_proposals:\n      - aes256gcm16-prfsha256-modp2048\n      - aes256gcm16-modp2048\n"
                        .replace("      - aes256gcm16-prfsha256-modp2048\n", ""));
        assertOnlyError("office-a.yaml:11:20: ike_proposals has an empty proposal between commas; remove the extra comma",
                SITE + "    ike_proposals: \"aes256gcm16-prfsha256-modp2048,,\"\n".replace(",,", ", ,"));
    }

    // ---- lifetimes, liveness, start ----

    @Test
    void lifetimesAndTheDpdDelayUseSwanctlsTimeSyntax() throws Exception {
        IkeSite s = site(SITE + "    ike_lifetime: 8h\n    child_lifetime: 45m\n    dpd_delay: 10s\n");
        assertEquals(Duration.ofHours(8), s.ikeLifetime());
        assertEquals(Duration.ofMinutes(45), s.childLifetime());
        assertEquals(Duration.ofSeconds(10), s.dpdDelay());
        assertEquals(Duration.ofSeconds(3600), site(SITE + "    child_lifetime: 3600\n").childLifetime(), "bare seconds");
    }

    @Test
    void lifetimesOutsideTwoMinutesToADayAreRefused() throws Exception {
        assertOnlyError("office-a.yaml:11:21: child_lifetime 30s is too short: the SA would be rekeyed all the time; give "
                + "2m..24h, e.g. 1h (units s, m, h, d; the default is 1h)", SITE + "    child_lifetime: 30s\n");
        assertOnlyError("office-a.yaml:11:19: ike_lifetime 2d is too long: keys should not serve more than a day; give "
                + "2m..24h, e.g. 4h (units s, m, h, d; the default is 4h)", SITE + "    ike_lifetime: 2d\n");
        assertOnlyError("office-a.yaml:11:19: ike_lifetime 'four hours' is not a duration; give 2m..24h, e.g. 4h (units "
                + "s, m, h, d; the default is 4h)", SITE + "    ike_lifetime: four hours\n");
        assertOnlyError("office-a.yaml:11:16: dpd_delay 2h is too long: a dead peer would go unnoticed; give 1s..1h, e.g. "
                + "30s (the default), or off", SITE + "    dpd_delay: 2h\n");
    }

    @Test
    void startActionTakesSwanctlsWords() throws Exception {
        assertEquals(StartAction.TRAP, site(SITE + "    start_action: trap\n").startAction());
        assertEquals(StartAction.NONE, site(SITE + "    start_action: none\n").startAction());
        assertEquals(StartAction.NONE, site(SITE.replace("    endpoint: 198.51.100.2\n", "")).startAction(),
                "without an endpoint we can only answer");
        assertOnlyError("office-a.yaml:11:19: start_action 'route' is not known; write start (initiate when the gateway "
                        + "starts), trap (on the first packet) or none (only answer); ipsec.conf's auto=route is trap here",
                SITE + "    start_action: route\n");
        assertOnlyError("office-a.yaml:10:19: start_action start needs an endpoint to initiate to; add endpoint: with the "
                        + "peer's address, or write start_action: none to only answer",
                SITE.replace("    endpoint: 198.51.100.2\n", "") + "    start_action: start\n");
    }

    // ---- endpoint, selectors, cross-checks ----

    @Test
    void anIkeEndpointMayNameItsPortOrAHost() throws Exception {
        assertEquals(Optional.of(new Endpoint("198.51.100.2", 4500)),
                site(SITE.replace("endpoint: 198.51.100.2", "endpoint: 198.51.100.2:4500")).endpoint());
        assertEquals(Optional.of(new Endpoint("gw-b.example.org", 500)),
                site(SITE.replace("endpoint: 198.51.100.2", "endpoint: gw-b.example.org")).endpoint());
        assertEquals(Optional.of(new Endpoint("2001:db8::2", 500)),
                site(SITE.replace("endpoint: 198.51.100.2", "endpoint: \"2001:db8::2\"")).endpoint());
        assertEquals(1, errors(SITE.replace("endpoint: 198.51.100.2", "endpoint: \"gw b\"")).size());
    }

    @Test
    void anIkeSiteNeedsLocalSubnetsForItsSelectors() throws Exception {
        assertOnlyError("office-a.yaml:9:5: remote site branch speaks IKEv2, whose traffic selectors are the site's "
                        + "local_subnets and the remote_subnets, but the site has no local_subnets; add local_subnets: with "
                        + "the subnets behind this gateway, e.g. [198.18.1.0/24]",
                SITE.replace("local_subnets: [198.18.1.0/24]\n", ""));
    }

    @Test
    void crossChecksSpanBothProtocols() throws Exception {
        String both = SiteFileTest.GOOD.replace("private_key: " + SiteFileTest.ALICE_PRIVATE, "private_key: " + SiteFileTest.ALICE_PRIVATE)
                + "  - name: office-b\n    protocol: ikev2\n    psk_file: branch.psk\n    endpoint: 198.51.100.2\n"
                + "    remote_subnets: [198.18.2.128/25]\n";
        assertEquals(List.of(
                "office-a.yaml:13:11: remote site name 'office-b' is already used at line 9; give each site its own name",
                "office-a.yaml:17:22: remote subnet 198.18.2.128/25 of office-b overlaps remote subnet 198.18.2.0/24 of "
                        + "office-b (line 12); an address can belong to one remote site only: make the subnets disjoint"),
                errors(both));
        assertOnlyError("office-a.yaml:10:22: remote subnet 198.51.100.0/24 of branch contains 198.51.100.2, the endpoint "
                        + "of branch (line 9): the tunnel's own packets would be routed into the tunnel (a routing loop); "
                        + "narrow the subnet so that it leaves 198.51.100.2 out",
                SITE.replace("remote_subnets: [198.18.2.0/24]", "remote_subnets: [198.51.100.0/24]"));
    }
}
