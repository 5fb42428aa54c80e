package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sitelink.pki.CertificateAuthority;
import sitelink.pki.KeyType;
import sitelink.pki.PemFiles;

/**
 * {@code sitelink up} with an IKEv2 site authenticated by certificates (issue 12): office A's gateway is sitelink,
 * office B's is strongSwan's charon ({@code auth = pubkey}, kernel-libipsec, in B's gateway namespace); the CA and both
 * gateways' certificates are made by {@code sitelink pki}. Both roles with RSA 3072 (IKE_AUTH fragmented) and ECDSA
 * P-256: host A and host B talk through the tunnel. The same with a CA and certificates made by strongSwan's own
 * {@code pki} (RSA 3072 with sitelink initiating, ECDSA P-256 with charon initiating). And the refusals, each named in sitelink's log and by
 * {@code sitelink diagnose}: charon's certificate expired, its ID not in its certificate, revoked by a CRL that changed
 * while its IKE SA was up (the gateway deletes that IKE SA, then refuses charon's next attempt), and signed by a CA
 * this site does not trust.
 */
class GatewayCertIT {
    private static final String OUR_ID = "left.example", SWAN_ID = "right.example";
    private static final String IKE = "aes256gcm16-prfsha256-ecp256", ESP = "aes256gcm16";
    private static final long TRANSFER = 8 * TcpTransfer.MIB;
    /** Our signature schemes as charon's log names them. */
    private static final String PKCS1 = "RSA_EMSA_PKCS1_SHA2_256", PSS = "RSA_EMSA_PSS", ECDSA = "ECDSA_WITH_SHA256_DER";

    /** The CA, certificates, keys and CRL of one test, made by {@code sitelink pki} in {@code dir}. */
    private record Pki(Path dir) {
        Path p(String name) {
            return dir.resolve(name);
        }

        void pki(String... args) throws IOException {
            PkiCli.run(dir, args);
        }

        static Pki make(TwoOffices t, String keyType) throws IOException {
            return make(t, keyType, "730");
        }

        /** A CA and both gateways' certificates, valid for {@code days}. */
        static Pki make(TwoOffices t, String keyType, String days) throws IOException {
            Path dir = t.a().gateway().logDir().resolve("pki");
            Files.createDirectories(dir);
            Pki k = new Pki(dir);
            k.pki("ca", "--name", "Example CA", "--key-type", keyType, "--out-cert", "ca.crt", "--out-key", "ca.key");
            k.issue("left", OUR_ID, t.a().wanAddress(), keyType, days);
            k.issue("right", SWAN_ID, t.b().wanAddress(), keyType, days);
            k.pki("revoke", "--ca-cert", "ca.crt", "--ca-key", "ca.key", "--crl", "ca.crl", "--renew");
            return k;
        }

        void issue(String file, String name, String ip, String keyType, String days) throws IOException {
            pki("issue", "--ca-cert", "ca.crt", "--ca-key", "ca.key", "--name", name, "--san", "dns:" + name, "--san", "ip:" + ip,
                    "--key-type", keyType, "--days", days, "--out-cert", file + ".crt", "--out-key", file + ".key");
        }
    }

    @ParameterizedTest(name = "{0}, sitelink initiates: {1}")
    @CsvSource({"rsa3072, true", "rsa3072, false", "ecdsa-p256, true", "ecdsa-p256, false"})
    @DisplayName("certificates made by sitelink pki through the gateway: ESTABLISHED and INSTALLED, ping both ways, 8 MiB intact; RSA 3072's IKE_AUTH fragmented; ECDSA's certificates expire in 20 days: warned by status, diagnose and an event")
    void establishes(String keyType, boolean weInitiate) throws IOException {
        try (TwoOffices t = TwoOffices.create()) {
            boolean expiring = keyType.startsWith("ecdsa");
            Pki pki = Pki.make(t, keyType, expiring ? "20" : "730");
            Charon swan = charon(t, pki, Map.of(), "right.crt", SWAN_ID);
            t.writeSiteFile(t.a(), site(t, pki, "ca.crt", weInitiate ? "start" : "none"));
            t.up(t.a());
            if (!weInitiate) {
                swan.swanctl("--initiate", "--child", "net");
            }
            carries(t, swan, keyType.startsWith("rsa") ? PKCS1 : ECDSA, keyType.equals("rsa3072"), 0);
            String status = status(t);
            System.out.println(status);
            assertTrue(status.contains("ESTABLISHED"), status);
            String ourWarning = "this site's certificate expires in 19 days", peerWarning = "the peer's certificate expires in 19 days";
            if (expiring) {
                assertTrue(status.contains("office-a (" + t.a().iface() + ") -> office-b: " + ourWarning)
                        && status.contains("office-a (" + t.a().iface() + ") -> office-b: " + peerWarning), status);
                String diagnose = diagnose(t);
                System.out.println(diagnose);
                assertTrue(diagnose.contains("IKEv2 office-b: certificates") && diagnose.contains(ourWarning)
                        && diagnose.contains(peerWarning), diagnose);
                // the events (log lines "tunnel office-a -> office-b (ENDPOINT): WARNING; ..."; check's warning at start
                // says the same about our certificate in other words)
                for (String w : List.of(ourWarning, peerWarning)) {
                    E2e.await(Duration.ofSeconds(5), "the certificate-expiring event: " + w, () -> t.a().sitelink().output().lines()
                            .anyMatch(l -> l.contains("tunnel office-a -> office-b (") && l.contains("): " + w)), t.a().sitelink()::tail);
                    System.out.println("sitelink: " + line(t.a().sitelink().output(), "): " + w));
                }
            } else {
                assertTrue(!status.contains("certificate expires"), status);
            }
        }
    }

    /**
     * The tunnel is up and carries traffic: host A reaches host B, charon has the IKE SA ESTABLISHED (with our IDs)
     * and the CHILD SA INSTALLED, charon's log since {@code logFrom} says it verified our signature ({@code ourScheme}, as
     * charon names it: RSA PKCS#1 v1.5, RSASSA-PSS or ECDSA with SHA-256, all RFC 7427), sitelink logged the IKE SA established,
     * 8 MiB from host A arrive intact and host B pings host A; {@code fragmented}: charon split its IKE_AUTH message
     * into RFC 7383 fragments and reassembled ours.
     */
    private static void carries(TwoOffices t, Charon swan, String ourScheme, boolean fragmented, int logFrom) {
        Traffic.awaitPing(t.a().host(), t.b().hostAddress(), Duration.ofSeconds(30));
        String sas = swan.swanctl("--list-sas");
        System.out.println("swanctl --list-sas:\n" + sas);
        assertTrue(sas.contains("ESTABLISHED, IKEv2") && sas.contains("local  '" + SWAN_ID + "'")
                && sas.contains("remote '" + OUR_ID + "'") && sas.contains("INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256"), sas);
        String log = swan.log().substring(logFrom);
        String verified = line(log, "authentication of '" + OUR_ID + "' with ");
        System.out.println("charon: " + verified);
        assertTrue(verified.contains(ourScheme)
                && verified.endsWith("successful"), verified);
        assertTrue(t.a().sitelink().output().contains("office-b: IKE SA established with"), t.a().sitelink().tail());
        if (fragmented) {
            // an RSA 3072 IKE_AUTH (a certificate signed with RSA 3072, a 384-byte signature) is larger than a 1280-byte
            // packet: both ends send it in RFC 7383 fragments, and each reassembles the other's
            System.out.println("charon: " + line(log, "splitting IKE message") + "\ncharon: "
                    + line(log, "reassembled fragmented IKE message"));
            assertTrue(log.contains("splitting IKE message") && log.contains("reassembled fragmented IKE message"), log);
        }
        TcpTransfer.Result r = TcpTransfer.start(t.a().host(), t.b().host(), t.b().hostAddress(), TRANSFER, 0)
                .await(Duration.ofSeconds(60));
        assertEquals(TRANSFER, r.received(), "host B received every byte host A sent");
        assertEquals(r.sentSha256(), r.receivedSha256(), "and the same bytes");
        Traffic.Ping back = Traffic.ping(t.b().host(), t.a().hostAddress(), 3, 0.2);
        assertEquals(3, back.received(), "host B pings host A through charon and sitelink");
    }

    @Test
    @DisplayName("rsa_pss: yes, RSA 3072, sitelink initiating to charon that accepts only RSASSA-PSS from it (remote auth = ike:rsa/pss-sha256; PKCS#1 v1.5 from us it refuses): ESTABLISHED, charon logs our RSASSA-PSS signature verified, ping both ways, 8 MiB intact")
    void rsaPssForAPeerThatRequiresIt() throws IOException {
        try (TwoOffices t = TwoOffices.create()) {
            Pki pki = Pki.make(t, "rsa3072");
            t.b().gateway().sysctl("net.ipv4.ip_forward", "1");
            Charon swan = Charon.run(t.b().gateway(), Charon.officeConnection(t.b(), t.a(), IKE, "auth = pubkey\n      certs = right.crt\n"
                    + "      id = " + SWAN_ID, "auth = ike:rsa/pss-sha256\n      id = " + OUR_ID, t.b().lan(), ESP, ""),
                    Map.of("x509/right.crt", pki.p("right.crt"), "private/right.key", pki.p("right.key"), "x509ca/ca.crt", pki.p("ca.crt")));
            t.writeSiteFile(t.a(), site(t, pki, "ca.crt", "start").replace("local_id: " + OUR_ID, "rsa_pss: yes\n    local_id: " + OUR_ID));
            t.up(t.a());
            carries(t, swan, PSS, true, 0);
        }
    }

    @Test
    @DisplayName("certificates made by strongSwan's pki (an RSA 3072 CA; PKCS#1 and SEC1 keys) through the gateway: RSA 3072 with sitelink initiating (IKE_AUTH fragmented), then ECDSA P-256 with charon initiating: ESTABLISHED, ping both ways, 8 MiB intact")
    void certificatesOfStrongSwansPki() throws IOException {
        E2e.require(E2e.onPath("pki").isPresent(), "strongSwan's pki (apt-get install --no-install-recommends strongswan-pki)");
        try (TwoOffices t = TwoOffices.create()) {
            Path dir = t.a().gateway().logDir().resolve("swan-pki");
            Files.createDirectories(dir);
            // strongSwan's own recipe: an RSA CA, and for each gateway an RSA 3072 and an ECDSA P-256 certificate with
            // its DNS name; pki writes RSA keys as PKCS#1 and ECDSA keys as SEC1 ("EC PRIVATE KEY")
            StringBuilder script = new StringBuilder("""
                    set -e
                    umask 077
                    pki --gen --type rsa --size 3072 --outform pem > ca.key
                    pki --self --ca --lifetime 3650 --in ca.key --dn "CN=Swan CA" --outform pem > ca.crt
                    """);
            for (String[] c : new String[][] {{"left", OUR_ID, t.a().wanAddress()}, {"right", SWAN_ID, t.b().wanAddress()}}) {
                for (String[] k : new String[][] {{"rsa", "--type rsa --size 3072"}, {"ec", "--type ecdsa --size 256"}}) {
                    String file = c[0] + "-" + k[0];
                    script.append("pki --gen %s --outform pem > %s.key\n".formatted(k[1], file)).append(("pki --pub --in %s.key"
                            + " | pki --issue --cacert ca.crt --cakey ca.key --dn \"CN=%s\" --san %s --san %s --outform pem > %s.crt\n")
                            .formatted(file, c[1], c[1], c[2], file));
                }
            }
            sitelink.testbed.Command.Result made = t.a().gateway().exec(Duration.ofSeconds(120), "sh", "-c", "cd " + dir + " && "
                    + script);
            assertEquals(0, made.exitCode(), made.stdout() + made.stderr());
            assertTrue(Files.readString(dir.resolve("left-rsa.key")).startsWith("-----BEGIN RSA PRIVATE KEY-----")
                    && Files.readString(dir.resolve("left-ec.key")).startsWith("-----BEGIN EC PRIVATE KEY-----"), "PKCS#1 and SEC1");
            Map<String, Path> files = new HashMap<>(Map.of("x509ca/ca.crt", dir.resolve("ca.crt")));
            for (String f : List.of("right-rsa", "right-ec")) {
                files.put("x509/" + f + ".crt", dir.resolve(f + ".crt"));
                files.put("private/" + f + ".key", dir.resolve(f + ".key"));
            }
            t.b().gateway().sysctl("net.ipv4.ip_forward", "1");

            // RSA 3072, sitelink initiates
            Charon swan = Charon.run(t.b().gateway(), conf(t, "right-rsa.crt", SWAN_ID), files);
            t.writeSiteFile(t.a(), site(t, dir, "left-rsa", "ca.crt", null, "start"));
            t.up(t.a());
            carries(t, swan, PKCS1, true, 0);

            // ECDSA P-256, charon initiates (sitelink restarted with its other certificate: it deletes the IKE SA on the way)
            t.down(t.a());
            int logFrom = swan.log().length();
            swan.reload(conf(t, "right-ec.crt", SWAN_ID));
            t.writeSiteFile(t.a(), site(t, dir, "left-ec", "ca.crt", null, "none"));
            t.up(t.a());
            swan.swanctl("--initiate", "--child", "net");
            carries(t, swan, ECDSA, false, logFrom);
            assertTrue(line(swan.log().substring(logFrom), "authentication of '" + SWAN_ID + "' (myself) with ")
                    .contains("ECDSA_WITH_SHA256_DER"), swan.log().substring(logFrom));
        }
    }

    @Test
    @DisplayName("refusals named in sitelink's log and by diagnose: charon's certificate expired, its ID not in its certificate, revoked by a CRL changed while its IKE SA was up (deleted, then refused), an unknown CA")
    void refusalsAreNamed() throws IOException {
        try (TwoOffices t = TwoOffices.create()) {
            Pki pki = Pki.make(t, "ecdsa-p256");
            // an expired certificate for charon: issued as if 60 days ago, for 30 days
            CertificateAuthority.Issued expired = CertificateAuthority.issue(PemFiles.certificate(pki.p("ca.crt")),
                    PemFiles.privateKey(pki.p("ca.key")), SWAN_ID, List.of(CertificateAuthority.AltName.parse("dns:" + SWAN_ID)),
                    KeyType.ECDSA_P256, Duration.ofDays(30), Instant.now().minus(Duration.ofDays(60)), new SecureRandom());
            PemFiles.writeCertificate(pki.p("right-expired.crt"), expired.certificate());
            PemFiles.writePrivateKey(pki.p("right-expired.key"), expired.privateKey());
            // a certificate of charon's that names only another identity
            pki.issue("right-other", "other.example", t.b().wanAddress(), "ecdsa-p256", "730");
            pki.pki("ca", "--name", "Other CA", "--out-cert", "other.crt", "--out-key", "other.key");
            Map<String, Path> more = Map.of("x509/right-expired.crt", pki.p("right-expired.crt"), "private/right-expired.key",
                    pki.p("right-expired.key"), "x509/right-other.crt", pki.p("right-other.crt"), "private/right-other.key",
                    pki.p("right-other.key"));

            // charon initiates each time (this site only answers), so no back-off stands between the attempts
            Charon swan = charon(t, pki, more, "right-expired.crt", SWAN_ID);
            t.writeSiteFile(t.a(), site(t, pki, "ca.crt", "none"));
            t.up(t.a());
            refused(t, swan, "CERTIFICATE_EXPIRED: certificate of " + SWAN_ID + " expired on ",
                    "renew the certificate (sitelink pki issue)");

            // charon sends the ID it is told (right.example) with a certificate that names only other.example
            swan.reload(conf(t, "right-other.crt", SWAN_ID));
            refused(t, swan, "ID_MISMATCH: the peer identifies as " + SWAN_ID + ", but its certificate (CN=other.example) names only "
                    + "[dns:other.example, ip:" + t.b().wanAddress() + "] as subjectAltNames", "set remote_id to the identity the peer sends");

            // charon's good certificate is accepted; then revoked in the CRL file the running gateway reads while the
            // IKE SA is up: the gateway's timer (every 30 s) re-reads the CRL and deletes that IKE SA, and charon,
            // initiating again, is refused
            swan.reload(conf(t, "right.crt", SWAN_ID));
            swan.swanctl("--initiate", "--child", "net");
            Traffic.awaitPing(t.a().host(), t.b().hostAddress(), Duration.ofSeconds(30));
            pki.pki("revoke", "--ca-cert", "ca.crt", "--ca-key", "ca.key", "--crl", "ca.crl", "--cert", "right.crt");
            long revokedAt = Instant.now().getEpochSecond();
            E2e.await(Duration.ofSeconds(5), "the revocation's second to pass (the JDK counts a revocation from the next one)",
                    () -> Instant.now().getEpochSecond() > revokedAt, () -> "");
            String serial = PkiCli.serial(pki.p("right.crt"));
            String whileUp = "office-b: CERTIFICATE_REVOKED while the IKE SA was up: certificate of " + SWAN_ID + " revoked (serial "
                    + serial + ", CRL of Example CA updated ";
            E2e.await(Duration.ofSeconds(45), "the established IKE SA deleted for the revocation",
                    () -> t.a().sitelink().output().contains(whileUp), t.a().sitelink()::tail);
            System.out.println("sitelink: " + line(t.a().sitelink().output(), whileUp));
            E2e.await(Duration.ofSeconds(10), "charon to have taken the Delete", () -> !swan.swanctl("--list-sas").contains("ESTABLISHED"),
                    swan::log);
            refused(t, swan, "CERTIFICATE_REVOKED: certificate of " + SWAN_ID + " revoked (serial " + serial + ", CRL of Example CA updated ",
                    "issue the peer a new certificate");
            assertTrue(t.a().sitelink().output().contains("office-b: CRL " + pki.p("ca.crl") + " re-read"), t.a().sitelink().tail());

            // this site trusts only another CA (a restart: a reload does not apply IKEv2 sites yet)
            t.down(t.a());
            t.writeSiteFile(t.a(), site(t, pki, "other.crt", "none"));
            t.up(t.a());
            refused(t, swan, "CERTIFICATE_UNTRUSTED: unknown CA: certificate of " + SWAN_ID + " chains to CN=Example CA, which is "
                    + "none of this site's CAs [Other CA]", "list the CA that signed the peer's certificate under ca");

            // the other direction: our own certificate revoked in the CRL charon holds; this site initiates, charon
            // refuses our IKE_AUTH, and the log and diagnose say the peer does not accept our certificate
            t.down(t.a());
            pki.pki("revoke", "--ca-cert", "ca.crt", "--ca-key", "ca.key", "--crl", "ca.crl", "--cert", "left.crt");
            long oursRevokedAt = Instant.now().getEpochSecond();
            E2e.await(Duration.ofSeconds(5), "the revocation's second to pass", () -> Instant.now().getEpochSecond() > oursRevokedAt,
                    () -> "");
            Path crls = Files.createDirectories(swan.dir().resolve("swanctl/x509crl"));
            Files.copy(pki.p("ca.crl"), crls.resolve("ca.crl"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            swan.swanctl("--load-creds");
            t.writeSiteFile(t.a(), site(t, pki.dir(), "left", "ca.crt", null, "start"));
            t.up(t.a());
            String refusedOurs = "AUTHENTICATION_FAILED: the peer refused our authentication: it does not accept our certificate";
            E2e.await(Duration.ofSeconds(30), "charon refusing our revoked certificate", () -> t.a().sitelink().output()
                    .contains("office-b: authentication (IKE_AUTH): " + refusedOurs), () -> t.a().sitelink().tail() + swan.log());
            System.out.println("sitelink: " + line(t.a().sitelink().output(), refusedOurs));
            assertTrue(swan.log().contains("certificate was revoked"), "charon refused it for the revocation:\n" + swan.log());
            String diagnose = diagnose(t);
            System.out.println(diagnose);
            assertTrue(diagnose.contains("IKEv2 office-b") && diagnose.contains(refusedOurs), diagnose);
            assertTrue(!swan.swanctl("--list-sas").contains("INSTALLED"), swan.swanctl("--list-sas"));
        }
    }

    /**
     * charon initiates and is refused: sitelink's log names the failure with its phase and remedy, status shows the
     * site not established, and diagnose says the same.
     */
    private static void refused(TwoOffices t, Charon swan, String failure, String remedy) {
        int before = Charon.count(t.a().sitelink().output(), "office-b: authentication (IKE_AUTH): ");
        swan.swanctlMayFail("--initiate", "--child", "net", "--timeout", "15");
        E2e.await(Duration.ofSeconds(30), failure, () -> Charon.count(t.a().sitelink().output(),
                "office-b: authentication (IKE_AUTH): ") > before, t.a().sitelink()::tail);
        String logLine = lastLine(t.a().sitelink().output(), "office-b: authentication (IKE_AUTH): ");
        System.out.println("sitelink: " + logLine);
        assertTrue(logLine.contains(failure) && logLine.contains(remedy), logLine);
        String diagnose = diagnose(t);
        System.out.println(diagnose);
        assertTrue(diagnose.contains("IKEv2 office-b") && diagnose.contains(failure) && diagnose.contains(remedy), diagnose);
        assertTrue(!swan.swanctl("--list-sas").contains("INSTALLED"), swan.swanctl("--list-sas"));
    }

    private static String lastLine(String text, String containing) {
        List<String> lines = text.lines().filter(l -> l.contains(containing)).toList();
        return lines.isEmpty() ? "(no line with '" + containing + "')" : lines.get(lines.size() - 1);
    }

    private static String line(String text, String containing) {
        return text.lines().filter(l -> l.contains(containing)).findFirst().orElse("(no line with '" + containing + "')");
    }

    private static String diagnose(TwoOffices t) {
        sitelink.testbed.Command.Result r = t.a().gateway().exec(Duration.ofSeconds(60), E2e.home().resolve("sitelink").toString(),
                "diagnose", t.a().siteFile().toString());
        return r.stdout() + r.stderr();
    }

    private static String status(TwoOffices t) {
        return t.a().gateway().execOk(E2e.home().resolve("sitelink").toString(), "status", t.a().iface());
    }

    /** Office A's site file: the IKEv2 site office-b authenticated by A's certificate, trusting {@code ca}. */
    private static String site(TwoOffices t, Pki pki, String ca, String startAction) {
        return site(t, pki.dir(), "left", ca, "ca.crl", startAction);
    }

    /**
     * Office A's site file with A's certificate and key {@code ours}{@code .crt}/{@code .key} in {@code dir}, trusting
     * {@code ca}, with the CRL {@code crl} (none when null).
     */
    private static String site(TwoOffices t, Path dir, String ours, String ca, String crl, String startAction) {
        TwoOffices.Office self = t.a(), remote = t.b();
        return """
                name: %s
                private_key_file: %s
                tunnel:
                  name: %s
                local_subnets: [%s]
                remote_sites:
                  - name: %s
                    protocol: ikev2
                    auth: cert
                    certificate: %s
                    private_key: %s
                    ca: %s
                %s    local_id: %s
                    remote_id: %s
                    endpoint: %s
                    remote_subnets: [%s]
                    ike_proposals: %s
                    esp_proposals: %s
                    start_action: %s
                    dpd_delay: 5s
                """.formatted(self.name(), self.keyFile(), self.iface(), self.lan(), remote.name(), dir.resolve(ours + ".crt"),
                dir.resolve(ours + ".key"), dir.resolve(ca), crl == null ? "" : "    crl: " + dir.resolve(crl) + "\n", OUR_ID, SWAN_ID,
                remote.wanAddress(), remote.lan(), IKE, ESP, startAction);
    }

    /** charon as office B's gateway with {@code cert} as its certificate and {@code id} as its identity. */
    private static Charon charon(TwoOffices t, Pki pki, Map<String, Path> more, String cert, String id) throws IOException {
        t.b().gateway().sysctl("net.ipv4.ip_forward", "1");
        Map<String, Path> files = new HashMap<>(Map.of("x509/right.crt", pki.p("right.crt"), "private/right.key", pki.p("right.key"),
                "x509ca/ca.crt", pki.p("ca.crt")));
        files.putAll(more);
        return Charon.run(t.b().gateway(), conf(t, cert, id), files);
    }

    private static String conf(TwoOffices t, String cert, String id) {
        return Charon.officeConnection(t.b(), t.a(), IKE, "auth = pubkey\n      certs = " + cert + "\n      id = " + id,
                "auth = pubkey\n      id = " + OUR_ID, t.b().lan(), ESP, "");
    }
}
