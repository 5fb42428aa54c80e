package sitelink.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.config.ConfigProblem;
import sitelink.config.IkeSite;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;
import sitelink.config.SiteFile;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;

/**
 * {@code sitelink export}: the far side's configuration agrees with the site file (proposals, mirrored selectors and
 * identities, lifetimes, liveness), secrets only with --include-secrets. The Cisco IOS XE and PAN-OS outputs are
 * golden files, checked line by line against the vendors' documented command syntax (docs/ikev2.md names the pages).
 */
class ExportTest {
    static final String PSK = "4cQ0m2pH6aT1xqVb9RrZ3kLw8sYd5nEfGuJ7oIzC1Mk=";
    /** Fixed keys, so that golden output does not change. */
    static final Key A_PRIVATE = Key.fromBase64("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=");
    static final Key B_PRIVATE = Key.fromBase64("oAa9fy2u6H5JeHmmK8qGkmHX1C1nhhrBi2tb9VvMBlI=");

    @TempDir
    Path dir;

    static String ikeSite(String extra) {
        return """
                name: office-a
                private_key: %s
                tunnel: {name: sl-ipsec}
                local_subnets: [198.18.1.0/24]
                remote_sites:
                  - name: branch
                    protocol: ikev2
                    psk_file: branch.psk
                    endpoint: 198.51.100.2
                    remote_subnets: [198.18.3.0/24, 198.18.4.0/24]
                """.formatted(A_PRIVATE.toBase64()) + extra;
    }

    static String wgSite(String extra) {
        return """
                name: office-a
                private_key: %s
                listen_port: 51820
                tunnel: {name: sl-b, addresses: [198.19.0.1/30]}
                local_subnets: [198.18.1.0/24]
                remote_sites:
                  - name: office-b
                    public_key: %s
                    endpoint: 198.18.0.2:51821
                    remote_subnets: [198.18.2.0/24, 198.19.0.2/32]
                    persistent_keepalive: 25
                """.formatted(A_PRIVATE.toBase64(), X25519.publicKey(B_PRIVATE).toBase64()) + extra;
    }

    private SiteConfig config(String yaml) throws IOException {
        Path psk = dir.resolve("branch.psk");
        if (!Files.exists(psk)) {
            Files.writeString(psk, PSK + "\n");
            Files.setPosixFilePermissions(psk, PosixFilePermissions.fromString("rw-------"));
        }
        SiteFile f = SiteFile.parse("office-a.yaml", yaml, dir, SiteFile.Format.YAML);
        assertEquals(List.of(), f.errors());
        return f.config().orElseThrow();
    }

    private String export(Export.Target t, String yaml, String remote, Optional<String> address, boolean secrets) throws Exception {
        return Export.render(t, config(yaml), remote, new Export.Options("office-a.yaml", address, secrets))
                .replace(dir.toString(), "/etc/sitelink");
    }

    private static String golden(String name) throws IOException {
        try (InputStream in = ExportTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void ciscoIosXeMatchesTheGoldenFile() throws Exception {
        String out = export(Export.Target.CISCO_IOS, ikeSite("""
                    profile: cisco-ios-xe
                    local_id: gw-a.example.org
                    remote_id: gw-branch.example.org
                """), "branch", Optional.of("203.0.113.1"), false);
        assertEquals(golden("branch.cisco-ios.txt"), out);
    }

    @Test
    void panOsMatchesTheGoldenFile() throws Exception {
        String out = export(Export.Target.PAN_OS, ikeSite("""
                    profile: pan-os-suite-b-gcm-256
                    local_id: gw-a.example.org
                    remote_id: gw-branch.example.org
                """), "branch", Optional.of("203.0.113.1"), false);
        assertEquals(golden("branch.pan-os.txt"), out);
    }

    @Test
    void strongSwanGetsOurProposalsMirroredSelectorsAndIdsAndTheSecretOnlyWhenAsked() throws Exception {
        String yaml = ikeSite("""
                    local_id: gw-a.example.org
                    ike_proposals: aes256gcm16-prfsha384-ecp384
                    esp_proposals: aes128gcm16-modp2048
                    ike_lifetime: 2h
                    child_lifetime: 20m
                    dpd_delay: 10s
                """);
        String out = export(Export.Target.STRONGSWAN, yaml, "branch", Optional.of("203.0.113.1"), false);
        for (String line : List.of("local_addrs = 198.51.100.2", "remote_addrs = 203.0.113.1", "proposals = aes256gcm16-prfsha384-ecp384",
                "rekey_time = 2h", "dpd_delay = 10s", "id = 198.51.100.2", "id = @gw-a.example.org",
                "local_ts = 198.18.3.0/24, 198.18.4.0/24", "remote_ts = 198.18.1.0/24", "esp_proposals = aes128gcm16-modp2048",
                "rekey_time = 20m", "start_action = none")) {
            assertTrue(out.contains("\n" + " ".repeat(indent(out, line)) + line), line + " in:\n" + out);
        }
        assertTrue(!out.contains(PSK), "the key is not printed without --include-secrets");
        assertTrue(out.contains("# secret = \"...\"    the line in /etc/sitelink/branch.psk"), out);
        String secret = export(Export.Target.STRONGSWAN, yaml, "branch", Optional.of("203.0.113.1"), true);
        assertTrue(secret.contains("    secret = \"" + PSK + "\"\n"), secret);
    }

    private static int indent(String text, String line) {
        int i = text.indexOf(line);
        int start = text.lastIndexOf('\n', i) + 1;
        return i < 0 ? 0 : i - start;
    }

    /** A site that only answers gets a far side that initiates; without --address it cannot, and says so. */
    @Test
    void theFarSideInitiatesWhenWeOnlyAnswer() throws Exception {
        String yaml = ikeSite("    start_action: none\n");
        assertTrue(export(Export.Target.STRONGSWAN, yaml, "branch", Optional.of("203.0.113.1"), false)
                .contains("start_action = start    # sitelink only answers"));
        String unknown = export(Export.Target.STRONGSWAN, yaml, "branch", Optional.empty(), false);
        assertTrue(unknown.contains("remote_addrs = %any") && unknown.contains("id = %any") && unknown.contains("start_action = none"), unknown);
    }

    /** The exported site file of {@code name}, read in a directory of its own beside the key it names; no errors. */
    private SiteConfig farSide(String name, String exported) throws IOException {
        Path far = Files.createDirectories(dir.resolve("far"));
        Files.writeString(far.resolve(name + ".key"), B_PRIVATE.toBase64() + "\n");
        Files.setPosixFilePermissions(far.resolve(name + ".key"), PosixFilePermissions.fromString("rw-------"));
        SiteFile f = SiteFile.parse(name + ".yaml", exported, far, SiteFile.Format.YAML);
        assertEquals(List.of(), f.errors().stream().map(ConfigProblem::toString).toList(), exported);
        return f.config().orElseThrow();
    }

    @Test
    void theSitelinkFileOfAnIkeSiteMirrorsItAndPassesCheck() throws Exception {
        String yaml = ikeSite("""
                    local_id: gw-a.example.org
                    remote_id: gw-branch.example.org
                    profile: aws
                    policy: [allow to tcp 198.18.3.0/24 port 443]
                """);
        SiteConfig ours = config(yaml);
        String out = export(Export.Target.SITELINK, yaml, "branch", Optional.of("203.0.113.1"), false);
        Files.createDirectories(dir.resolve("far"));
        Files.copy(dir.resolve("branch.psk"), dir.resolve("far/branch-office-a.psk"));
        SiteConfig far = farSide("branch", out);
        IkeSite theirs = far.ikeSite("office-a").orElseThrow();
        IkeSite mine = ours.ikeSite("branch").orElseThrow();
        assertEquals(ours.localSubnets(), theirs.remoteSubnets());
        assertEquals(mine.remoteSubnets(), far.localSubnets());
        assertEquals(mine.localId(), theirs.remoteId());
        assertEquals(mine.remoteId(), theirs.localId());
        assertEquals(mine.ikeProposals(), theirs.ikeProposals());
        assertEquals(mine.espProposals(), theirs.espProposals());
        assertEquals(List.of(mine.ikeLifetime(), mine.childLifetime(), mine.dpdDelay()),
                List.of(theirs.ikeLifetime(), theirs.childLifetime(), theirs.dpdDelay()));
        assertEquals("203.0.113.1:500", theirs.endpoint().orElseThrow().toString());
        assertEquals("[allow from tcp dst 198.18.3.0/24 port 443]", theirs.policy().toString());
    }

    @Test
    void theSitelinkFileOfAWireGuardSiteMirrorsItAndPassesCheck() throws Exception {
        String yaml = wgSite("    policy: [allow to tcp 198.18.2.0/24 port 22, allow both icmp type 8]\n");
        SiteConfig ours = config(yaml);
        String out = export(Export.Target.SITELINK, yaml, "office-b", Optional.of("198.18.0.1"), false);
        SiteConfig theirs = farSide("office-b", out);
        RemoteSite a = theirs.remoteSite("office-a").orElseThrow();
        assertEquals(ours.publicKey(), a.publicKey());
        assertEquals("198.18.0.1:51820", a.endpoint().orElseThrow().toString());
        assertEquals("[198.18.1.0/24, 198.19.0.1/32]", a.remoteSubnets().toString());
        assertEquals("[198.18.2.0/24]", theirs.localSubnets().toString());
        assertEquals("[198.19.0.2/30]", theirs.tunnel().addresses().toString());
        assertEquals(51821, theirs.listenPort());
        assertEquals(25, a.persistentKeepalive());
        assertEquals("[allow from tcp dst 198.18.2.0/24 port 22, allow both icmp type 8]", a.policy().toString());
    }

    @Test
    void theWgQuickFileNamesOurKeyEndpointAndSubnetsAndNotItsOwnKey() throws Exception {
        String out = export(Export.Target.WG_QUICK, wgSite(""), "office-b", Optional.of("198.18.0.1"), false);
        Path conf = dir.resolve("wg-b.conf");
        Files.writeString(conf, out);
        assertEquals("""
                # wg-quick file for the far side of remote site office-b in office-a.yaml (site office-a), made by sitelink export.
                [Interface]
                # This gateway's own private key, the one whose public key is %1$s (office-a.yaml's public_key for office-b):
                # keep it in /etc/wireguard/office-b.key (mode 0600) for the PostUp line, or replace that line with PrivateKey = <the key>.
                PostUp = wg set %%i private-key /etc/wireguard/office-b.key
                Address = 198.19.0.2/30
                ListenPort = 51821
                MTU = 1420

                [Peer]
                # office-a
                PublicKey = %2$s
                Endpoint = 198.18.0.1:51820
                AllowedIPs = 198.18.1.0/24, 198.19.0.1/32
                PersistentKeepalive = 25
                """.formatted(X25519.publicKey(B_PRIVATE).toBase64(), X25519.publicKey(A_PRIVATE).toBase64()), out);
        assertTrue(!out.contains(B_PRIVATE.toBase64()) && !out.contains(A_PRIVATE.toBase64()), "no private key");
    }

    @Test
    void aPresharedKeyIsPrintedOnlyWithIncludeSecrets() throws Exception {
        Key psk = Key.fromBase64(PSK);
        String yaml = wgSite("    preshared_key: " + psk.toBase64() + "\n");
        assertTrue(!export(Export.Target.WG_QUICK, yaml, "office-b", Optional.empty(), false).contains(PSK));
        assertTrue(export(Export.Target.WG_QUICK, yaml, "office-b", Optional.empty(), true).contains("PresharedKey = " + PSK + "\n"));
        assertTrue(export(Export.Target.WG_QUICK, yaml, "office-b", Optional.empty(), false)
                .contains("# Endpoint = <office-a's address>:51820"));
    }

    @Test
    void proposalsAnApplianceCannotExpressAreRefusedWithWhatToAdd() throws Exception {
        String yaml = ikeSite("    ike_proposals: chacha20poly1305-prfsha256-curve25519\n");
        ExportException cisco = assertThrows(ExportException.class, () -> export(Export.Target.CISCO_IOS, yaml, "branch", Optional.empty(), false));
        assertEquals("none of branch's ike_proposals can be configured on IOS XE (it has no ChaCha20-Poly1305 and no "
                + "Curve25519): add one such as aes256gcm16-prfsha256-ecp256, or write profile: cisco-ios-xe", cisco.getMessage());
        assertThrows(ExportException.class, () -> export(Export.Target.PAN_OS, yaml, "branch", Optional.empty(), false));
        // strongSwan speaks them all
        assertTrue(export(Export.Target.STRONGSWAN, yaml, "branch", Optional.empty(), false).contains("proposals = chacha20poly1305-prfsha256-curve25519"));
    }

    @Test
    void aTargetOfTheOtherProtocolOrAnUnknownSiteIsRefused() throws Exception {
        assertEquals("remote site office-b speaks WireGuard; --for cisco-ios writes an IKEv2 peer's configuration: use --for "
                + "wg-quick or --for sitelink", assertThrows(ExportException.class,
                        () -> export(Export.Target.CISCO_IOS, wgSite(""), "office-b", Optional.empty(), false)).getMessage());
        assertTrue(assertThrows(ExportException.class, () -> export(Export.Target.WG_QUICK, ikeSite(""), "branch", Optional.empty(), false))
                .getMessage().startsWith("remote site branch speaks IKEv2"));
        assertEquals("office-a.yaml has no remote site 'brnach' (its remote sites: branch)", assertThrows(ExportException.class,
                () -> export(Export.Target.STRONGSWAN, ikeSite(""), "brnach", Optional.empty(), false)).getMessage());
    }

    /** With certificates: pubkey on both sides, our ID our certificate's subject DN, the far file names its own files. */
    @Test
    void certificateSitesExportPubkeyAuthAndTheDnWeSend() throws Exception {
        java.security.SecureRandom random = new java.security.SecureRandom();
        java.time.Instant now = java.time.Instant.now();
        sitelink.pki.CertificateAuthority.Issued ca = sitelink.pki.CertificateAuthority.newCa("Example CA", sitelink.pki.KeyType.ECDSA_P256,
                java.time.Duration.ofDays(3650), now, random);
        Path far = Files.createDirectories(dir.resolve("far"));
        for (String who : List.of("a", "b")) {
            sitelink.pki.CertificateAuthority.Issued gw = sitelink.pki.CertificateAuthority.issue(ca.certificate(), ca.privateKey(),
                    who + ".example", List.of(sitelink.pki.CertificateAuthority.AltName.parse("dns:" + who + ".example")),
                    sitelink.pki.KeyType.ECDSA_P256, java.time.Duration.ofDays(365), now, random);
            Path d = who.equals("a") ? dir : far;
            sitelink.pki.PemFiles.writeCertificate(d.resolve(who.equals("a") ? "a-cert.pem" : "branch-cert.pem"), gw.certificate());
            Path key = d.resolve(who.equals("a") ? "a-key.pem" : "branch-key.pem");
            sitelink.pki.PemFiles.writePrivateKey(key, gw.privateKey());
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
            sitelink.pki.PemFiles.writeCertificate(d.resolve("ca.pem"), ca.certificate());
        }
        String yaml = ikeSite("""
                    auth: cert
                    certificate: a-cert.pem
                    private_key: a-key.pem
                    ca: ca.pem
                    remote_id: b.example
                """).replace("    psk_file: branch.psk\n", "");
        String swan = export(Export.Target.STRONGSWAN, yaml, "branch", Optional.of("203.0.113.1"), false);
        assertTrue(swan.contains("      auth = pubkey\n      id = @b.example\n      certs = branch.crt"), swan);
        assertTrue(swan.contains("      auth = pubkey\n      id = \"CN=a.example\"\n"), swan);
        assertTrue(!swan.contains("secrets {"), "no shared secret with certificates:\n" + swan);
        IkeSite theirs = farSide("branch", export(Export.Target.SITELINK, yaml, "branch", Optional.of("203.0.113.1"), false))
                .ikeSite("office-a").orElseThrow();
        assertEquals("cert", theirs.auth().method());
        assertEquals("b.example", theirs.localId().orElseThrow().toString());
        assertEquals("CN=a.example", theirs.remoteId().orElseThrow().toString());
    }
}
