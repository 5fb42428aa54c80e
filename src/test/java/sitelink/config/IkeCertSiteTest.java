package sitelink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.ike.IkeConfig;
import sitelink.ike.IkeSession;
import sitelink.pki.CertificateAuthority;
import sitelink.pki.CertificateAuthority.AltName;
import sitelink.pki.CertificateAuthority.Issued;
import sitelink.pki.KeyType;
import sitelink.pki.PemFiles;

/** {@code auth: cert} on an IKEv2 site (docs/ikev2.md): the files read and checked by check, and sessions built from them. */
class IkeCertSiteTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SITE = """
            name: office-a
            private_key: %s
            tunnel: {name: sl-b}
            local_subnets: [198.18.1.0/24]
            remote_sites:
              - name: branch
                protocol: ikev2
                auth: cert
                certificate: a-cert.pem
                private_key: a-key.pem
                ca: ca.pem
                remote_id: b.example
                endpoint: 198.51.100.2
                remote_subnets: [198.18.2.0/24]
            """.formatted(SiteFileTest.ALICE_PRIVATE);

    @TempDir
    Path dir;

    private Issued ca;

    /** A CA and a certificate for a.example (and b.example) valid for {@code validity} from now, in dir. */
    private void pki(Duration validity) throws Exception {
        pki(validity, KeyType.ECDSA_P256);
    }

    private void pki(Duration validity, KeyType gateways) throws Exception {
        Instant now = Instant.now();
        ca = CertificateAuthority.newCa("Example CA", KeyType.ECDSA_P256, Duration.ofDays(3650), now, RANDOM);
        PemFiles.writeCertificate(dir.resolve("ca.pem"), ca.certificate());
        for (String who : List.of("a", "b")) {
            Issued gw = CertificateAuthority.issue(ca.certificate(), ca.privateKey(), who + ".example",
                    List.of(AltName.parse("dns:" + who + ".example")), gateways, validity, now, RANDOM);
            PemFiles.writeCertificate(dir.resolve(who + "-cert.pem"), gw.certificate());
            PemFiles.writePrivateKey(dir.resolve(who + "-key.pem"), gw.privateKey());
            Files.setPosixFilePermissions(dir.resolve(who + "-key.pem"), PosixFilePermissions.fromString("rw-------"));
        }
    }

    private SiteFile parse(String yaml) {
        return SiteFile.parse("office-a.yaml", yaml, dir, SiteFile.Format.YAML);
    }

    private List<String> messages(String yaml) {
        return parse(yaml).problems().stream().map(ConfigProblem::toString).toList();
    }

    @Test
    void certificatesMadeBySitelinkPkiGiveSessionsThatEstablish() throws Exception {
        pki(Duration.ofDays(365));
        SiteFile a = parse(SITE);
        assertEquals(List.of(), a.problems());
        SiteConfig ca = a.config().orElseThrow();
        assertTrue(ca.ikeSites().get(0).auth() instanceof IkeAuth.Cert, ca.ikeSites().get(0).auth().toString());
        SiteConfig cb = parse(SITE.replace("name: office-a", "name: office-b").replace("a-cert.pem", "b-cert.pem")
                .replace("a-key.pem", "b-key.pem").replace("remote_id: b.example", "remote_id: a.example\n    local_id: b.example")
                .replace("[198.18.1.0/24]", "[198.18.9.0/24]").replace("[198.18.2.0/24]", "[198.18.1.0/24]")
                .replace("[198.18.9.0/24]", "[198.18.2.0/24]").replace("198.51.100.2", "198.51.100.1")
                .replace("local_subnets", "local_subnets")).config().orElseThrow();
        InetSocketAddress atA = new InetSocketAddress("198.51.100.1", 500), atB = new InetSocketAddress("198.51.100.2", 500);
        IkeConfig byDefault = ca.ikeConfig(ca.ikeSites().get(0), atA, atB);
        assertEquals(sitelink.ike.IkeId.of(new javax.security.auth.x500.X500Principal("CN=a.example")).toString(),
                byDefault.localId().toString(), "our ID defaults to our certificate's subject DN, as strongSwan's does");
        // b expects a.example (a subjectAltName of a's certificate), so a sends that instead of its DN
        ca = parse(SITE.replace("remote_id: b.example", "remote_id: b.example\n    local_id: a.example")).config().orElseThrow();
        IkeConfig configA = ca.ikeConfig(ca.ikeSites().get(0), atA, atB);
        sitelink.tunnel.Clock clock = sitelink.tunnel.Clock.SYSTEM; // the certificates are valid now, not at FakeClock's 2025
        IkeSession sa = new IkeSession(configA, clock, RANDOM);
        IkeSession sb = new IkeSession(cb.ikeConfig(cb.ikeSites().get(0), atB, atA), clock, RANDOM);
        IkeSiteTest.assertBothInstallAChildSa(sa, sb, atA, atB);
    }

    /** rsa_pss: yes signs with RSASSA-PSS, which the other side (PKCS#1 v1.5 itself) verifies: both install a CHILD SA. */
    @Test
    void rsaPssSignaturesEstablishAndAreRefusedForOtherKeys() throws Exception {
        pki(Duration.ofDays(365), KeyType.RSA_2048);
        String pss = SITE.replace("remote_id: b.example", "remote_id: b.example\n    local_id: a.example\n    rsa_pss: yes");
        SiteConfig ca = parse(pss).config().orElseThrow();
        assertTrue(((IkeAuth.Cert) ca.ikeSites().get(0).auth()).certificates().rsaPss());
        SiteConfig cb = parse(SITE.replace("name: office-a", "name: office-b").replace("a-cert.pem", "b-cert.pem")
                .replace("a-key.pem", "b-key.pem").replace("remote_id: b.example", "remote_id: a.example\n    local_id: b.example")
                .replace("[198.18.1.0/24]", "[198.18.9.0/24]").replace("[198.18.2.0/24]", "[198.18.1.0/24]")
                .replace("[198.18.9.0/24]", "[198.18.2.0/24]").replace("198.51.100.2", "198.51.100.1")).config().orElseThrow();
        assertTrue(!((IkeAuth.Cert) cb.ikeSites().get(0).auth()).certificates().rsaPss(), "PKCS#1 v1.5 unless asked");
        InetSocketAddress atA = new InetSocketAddress("198.51.100.1", 500), atB = new InetSocketAddress("198.51.100.2", 500);
        IkeSession sa = new IkeSession(ca.ikeConfig(ca.ikeSites().get(0), atA, atB), sitelink.tunnel.Clock.SYSTEM, RANDOM);
        IkeSession sb = new IkeSession(cb.ikeConfig(cb.ikeSites().get(0), atB, atA), sitelink.tunnel.Clock.SYSTEM, RANDOM);
        IkeSiteTest.assertBothInstallAChildSa(sa, sb, atA, atB);

        for (String f : List.of("ca.pem", "a-cert.pem", "a-key.pem", "b-cert.pem", "b-key.pem")) {
            Files.delete(dir.resolve(f));
        }
        pki(Duration.ofDays(365)); // ECDSA keys now
        List<String> m = messages(pss);
        assertEquals(1, m.size(), m.toString());
        assertTrue(m.get(0).startsWith("office-a.yaml:14:14: ") && m.get(0).contains("rsa_pss is yes, but " + dir.resolve("a-key.pem")
                + " holds an EC key: RSASSA-PSS signs with RSA keys only; remove rsa_pss"), m.get(0));
        assertTrue(messages(SITE + "    rsa_pss: maybe\n").stream().anyMatch(x -> x.contains("rsa_pss 'maybe' is not known; write yes")));
        assertTrue(messages(SITE.replace("auth: cert", "auth: psk").replace("    certificate: a-cert.pem\n", "")
                .replace("    private_key: a-key.pem\n", "").replace("    ca: ca.pem\n", "") + "    psk_file: branch.psk\n    rsa_pss: yes\n")
                .stream().anyMatch(x -> x.contains("rsa_pss is for auth: cert")));
    }

    @Test
    void theFieldsAndThePeersIdentityAreRequired() throws Exception {
        pki(Duration.ofDays(365));
        List<String> m = messages(SITE.replace("    certificate: a-cert.pem\n", "").replace("    remote_id: b.example\n", ""));
        assertTrue(m.stream().anyMatch(x -> x.contains("has no certificate; add one, e.g. certificate: "
                + "/etc/sitelink/branch-cert.pem")), m.toString());
        assertTrue(m.stream().anyMatch(x -> x.contains("has no remote_id; with certificates give the identity the "
                + "peer's certificate names")), m.toString());
        assertTrue(messages(SITE.replace("ca: ca.pem", "ca: nowhere.pem")).stream()
                .anyMatch(x -> x.contains("ca " + dir.resolve("nowhere.pem") + " does not exist")));
        assertTrue(messages(SITE + "    psk_file: branch.psk\n").stream()
                .anyMatch(x -> x.contains("psk_file is for auth: psk")));
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefused() throws Exception {
        pki(Duration.ofDays(365));
        List<String> m = messages(SITE.replace("private_key: a-key.pem", "private_key: b-key.pem"));
        assertEquals(1, m.size(), m.toString());
        assertTrue(m.get(0).startsWith("office-a.yaml:9:18: remote site branch"), m.get(0));
        assertTrue(m.get(0).contains("the private key does not belong to the certificate CN=a.example"), m.get(0));
    }

    @Test
    void anExpiredCertificateIsAnErrorAndOneExpiringSoonAWarning() throws Exception {
        pki(Duration.ofDays(10));
        SiteFile soon = parse(SITE);
        assertEquals(List.of(), soon.errors());
        assertEquals(1, soon.problems().size(), soon.problems().toString());
        assertTrue(soon.problems().get(0).toString().matches("office-a\\.yaml:9:18: warning: this site's certificate "
                + "expires in (9|10) days \\(\\d{4}-\\d\\d-\\d\\d\\); renew it \\(sitelink pki issue\\)"),
                soon.problems().get(0).toString());
        Issued old = CertificateAuthority.issue(ca.certificate(), ca.privateKey(), "a.example",
                List.of(AltName.parse("dns:a.example")), KeyType.ECDSA_P256, Duration.ofDays(1),
                Instant.now().minus(Duration.ofDays(3)), RANDOM);
        Files.delete(dir.resolve("a-cert.pem"));
        Files.delete(dir.resolve("a-key.pem"));
        PemFiles.writeCertificate(dir.resolve("a-cert.pem"), old.certificate());
        PemFiles.writePrivateKey(dir.resolve("a-key.pem"), old.privateKey());
        List<String> m = parse(SITE).errors().stream().map(ConfigProblem::toString).toList();
        assertEquals(1, m.size(), m.toString());
        assertTrue(m.get(0).matches("office-a\\.yaml:9:18: this site's certificate expired on \\d{4}-\\d\\d-\\d\\d; "
                + "renew it \\(sitelink pki issue\\)"), m.get(0));
    }

    @Test
    void aPrivateKeyFileOthersMayReadIsRefusedLikeEveryKeyFile() throws Exception {
        pki(Duration.ofDays(365));
        Files.setPosixFilePermissions(dir.resolve("a-key.pem"), PosixFilePermissions.fromString("rw-r--r--"));
        SiteFile f = parse(SITE);
        List<ConfigProblem> system = SystemChecks.files(f);
        assertTrue(system.stream().anyMatch(p -> p.isError() && p.location().line() == 10
                && p.message().contains("chmod 600")), system.toString());
    }

    @Test
    void aDistinguishedNameIsAnIdentityWithCertificates() throws Exception {
        pki(Duration.ofDays(365));
        assertEquals(List.of(), parse(SITE.replace("remote_id: b.example", "remote_id: \"CN=b.example\"")).errors());
    }
}
