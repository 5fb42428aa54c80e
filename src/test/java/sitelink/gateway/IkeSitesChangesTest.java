package sitelink.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.config.SiteConfig;
import sitelink.config.SiteFile;
import sitelink.pki.CertificateAuthority;
import sitelink.pki.KeyType;
import sitelink.pki.PemFiles;

/**
 * What a reload does to the IKEv2 sites ({@link IkeSites.Changes}): a file read again unchanged touches none (so their
 * IKE SAs live on), an edited site is replaced, and a change of the local subnets (every site's local selectors)
 * replaces them all.
 */
class IkeSitesChangesTest {
    private static final String HEAD = """
            name: office-a
            private_key: dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=
            tunnel: {name: sl-b}
            local_subnets: [%s]
            remote_sites:
            """;
    private static final String PSK_SITE = """
              - name: %s
                protocol: ikev2
                psk_file: branch.psk
                endpoint: %s
                remote_subnets: [%s]
            """;
    private static final String CERT_SITE = """
              - name: certified
                protocol: ikev2
                auth: cert
                certificate: a-cert.pem
                private_key: a-key.pem
                ca: ca.pem
                remote_id: b.example
                endpoint: 198.51.100.9
                remote_subnets: [198.18.9.0/24]
            """;

    @TempDir
    Path dir;

    private SiteConfig parse(String localSubnets, String... sites) throws Exception {
        Path psk = dir.resolve("branch.psk");
        if (!Files.exists(psk)) {
            Files.writeString(psk, "4cQ0m2pH6aT1xqVb9RrZ3kLw8sYd5nEfGuJ7oIzC1Mk=\n");
            Files.setPosixFilePermissions(psk, PosixFilePermissions.fromString("rw-------"));
        }
        SiteFile f = SiteFile.parse("office-a.yaml", HEAD.formatted(localSubnets) + String.join("", sites), dir,
                SiteFile.Format.YAML);
        assertEquals(List.of(), f.errors());
        return f.config().orElseThrow();
    }

    private static String psk(String name, String endpoint, String subnets) {
        return PSK_SITE.formatted(name, endpoint, subnets);
    }

    @Test
    void theSameFileReadTwiceChangesNoSiteWithAPskOrACertificate() throws Exception {
        SecureRandom random = new SecureRandom();
        Instant now = Instant.now();
        CertificateAuthority.Issued ca = CertificateAuthority.newCa("Example CA", KeyType.ECDSA_P256, Duration.ofDays(3650), now, random);
        PemFiles.writeCertificate(dir.resolve("ca.pem"), ca.certificate());
        CertificateAuthority.Issued a = CertificateAuthority.issue(ca.certificate(), ca.privateKey(), "a.example",
                List.of(CertificateAuthority.AltName.parse("dns:a.example")), KeyType.ECDSA_P256, Duration.ofDays(365), now, random);
        PemFiles.writeCertificate(dir.resolve("a-cert.pem"), a.certificate());
        PemFiles.writePrivateKey(dir.resolve("a-key.pem"), a.privateKey());
        Files.setPosixFilePermissions(dir.resolve("a-key.pem"), PosixFilePermissions.fromString("rw-------"));
        String[] sites = {psk("branch", "198.51.100.2", "198.18.2.0/24"), CERT_SITE};
        IkeSites.Changes c = IkeSites.Changes.between(parse("198.18.1.0/24", sites), parse("198.18.1.0/24", sites));
        assertFalse(c.any(), c.toString());
        assertEquals("added none; removed none; changed none; unchanged branch, certified", c.toString());
    }

    @Test
    void anEditedSiteIsReplacedAnAddedOneAddedARemovedOneRemoved() throws Exception {
        SiteConfig before = parse("198.18.1.0/24", psk("branch", "198.51.100.2", "198.18.2.0/24"),
                psk("depot", "198.51.100.3", "198.18.3.0/24"), psk("closing", "198.51.100.4", "198.18.4.0/24"));
        SiteConfig after = parse("198.18.1.0/24", psk("branch", "198.51.100.2", "198.18.2.0/24"),
                psk("depot", "198.51.100.3", "198.18.3.0/24, 198.18.33.0/24"), psk("opening", "198.51.100.5", "198.18.5.0/24"));
        IkeSites.Changes c = IkeSites.Changes.between(before, after);
        assertEquals(List.of("depot", "closing"), c.removed());
        assertEquals(List.of("depot", "opening"), c.added().stream().map(s -> s.name()).toList());
        assertEquals("added opening; removed closing; changed depot; unchanged branch", c.toString());
    }

    @Test
    void newLocalSubnetsAreNewSelectorsForEverySite() throws Exception {
        String[] sites = {psk("branch", "198.51.100.2", "198.18.2.0/24"), psk("depot", "198.51.100.3", "198.18.3.0/24")};
        IkeSites.Changes c = IkeSites.Changes.between(parse("198.18.1.0/24", sites), parse("198.18.1.0/24, 198.18.11.0/24", sites));
        assertEquals("added none; removed none; changed branch, depot; unchanged none", c.toString());
    }
}
