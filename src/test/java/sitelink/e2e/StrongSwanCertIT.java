package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sitelink.e2e.tools.IkePeer;
import sitelink.testbed.Namespace;
import sitelink.testbed.Proc;

/**
 * Certificate authentication against strongSwan 5.9.8 (charon with {@code auth = pubkey}): a CA and both gateways'
 * certificates made by {@code sitelink pki}, our engine on real sockets ({@link IkePeer}) in one namespace, charon in
 * the other. In each role and with RSA 3072 and ECDSA P-256: both ends ESTABLISHED, charon verified our signature
 * (RFC 7427) and our certificate, the CHILD SA INSTALLED and ESP echoes answered; with RSA 3072 the IKE_AUTH messages
 * travel as RFC 7383 fragments both ways, every datagram within a 1280-byte packet. And the refusals named on our side:
 * charon's certificate revoked by our CRL, charon's CA unknown to us, and charon refusing our revoked certificate.
 */
class StrongSwanCertIT {
    private static final String IKE = "aes256gcm16-prfsha256-ecp256", ESP = "aes256gcm16";
    private static final String OUR_ID = "left.example", SWAN_ID = "right.example";

    /** The certificates, keys and CRLs of one test, made by {@code sitelink pki} in {@code dir}. */
    private record Pki(Path dir) {
        Path p(String name) {
            return dir.resolve(name);
        }

        void pki(String... args) throws IOException {
            PkiCli.run(dir, args);
        }

        static Pki make(Path dir, String keyType) throws IOException {
            Files.createDirectories(dir);
            Pki k = new Pki(dir);
            k.pki("ca", "--name", "Example CA", "--key-type", keyType, "--out-cert", "ca.crt", "--out-key", "ca.key");
            k.issue("left", OUR_ID, Charon.OURS, keyType);
            k.issue("right", SWAN_ID, Charon.SWAN, keyType);
            return k;
        }

        void issue(String file, String name, String ip, String keyType) throws IOException {
            pki("issue", "--ca-cert", "ca.crt", "--ca-key", "ca.key", "--name", name, "--san", "dns:" + name, "--san", "ip:" + ip,
                    "--key-type", keyType, "--out-cert", file + ".crt", "--out-key", file + ".key");
        }

        /** IkePeer's AUTH argument: our certificate, key, CA and CRL (if any). */
        String auth(String cert, String ca, String crl) {
            return "cert:" + p(cert + ".crt") + "," + p(cert + ".key") + "," + p(ca) + (crl == null ? "" : "," + p(crl))
                    + ":" + OUR_ID + ":" + SWAN_ID;
        }
    }

    @ParameterizedTest(name = "{0}, sitelink initiates: {1}")
    @CsvSource({"rsa3072, true", "rsa3072, false", "ecdsa-p256, true", "ecdsa-p256, false"})
    @DisplayName("certificates made by sitelink pki: ESTABLISHED and INSTALLED with charon (auth = pubkey) in both roles, ESP echoes answered")
    void establishes(String keyType, boolean weInitiate) throws IOException {
        try (Namespace swanNs = E2e.namespace("swan"); Namespace ours = E2e.namespace("ike")) {
            Pki pki = Pki.make(ours.logDir().resolve("pki"), keyType);
            tunnel(swanNs, ours, pki, weInitiate, keyType.startsWith("rsa"), keyType.equals("rsa3072"));
        }
    }

    @Test
    @DisplayName("certificates made by strongSwan's pki (an ECDSA CA, RSA 3072 for us, ECDSA P-256 for charon; SEC1 and PKCS#1 keys) also work")
    void certificatesOfStrongSwansPki() throws IOException {
        try (Namespace swanNs = E2e.namespace("swan"); Namespace ours = E2e.namespace("ike")) {
            Path dir = ours.logDir().resolve("swan-pki");
            Files.createDirectories(dir);
            E2e.require(E2e.onPath("pki").isPresent(), "strongSwan's pki (apt-get install --no-install-recommends strongswan-pki)");
            String script = """
                    set -e
                    pki --gen --type ecdsa --size 256 --outform pem > ca.key
                    pki --self --ca --lifetime 3650 --in ca.key --dn "CN=Swan CA" --outform pem > ca.crt
                    pki --gen --type rsa --size 3072 --outform pem > left.key
                    pki --pub --in left.key | pki --issue --cacert ca.crt --cakey ca.key --dn "CN=%s" --san %s --san %s --outform pem > left.crt
                    pki --gen --type ecdsa --size 256 --outform pem > right.key
                    pki --pub --in right.key | pki --issue --cacert ca.crt --cakey ca.key --dn "CN=%s" --san %s --san %s --outform pem > right.crt
                    """.formatted(OUR_ID, OUR_ID, Charon.OURS, SWAN_ID, SWAN_ID, Charon.SWAN);
            Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            try {
                assertEquals(0, p.waitFor(), out);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            tunnel(swanNs, ours, new Pki(dir), true, true, false);
        }
    }

    private static void tunnel(Namespace swanNs, Namespace ours, Pki pki, boolean weInitiate, boolean ourKeyRsa, boolean fragmented)
            throws IOException {
        Charon swan = startCharon(swanNs, ours, pki, Map.of());
        Proc peer = ours.start(E2e.java(IkePeer.class, Charon.OURS, Charon.SWAN, pki.auth("left", "ca.crt", null),
                weInitiate ? "initiate" : "respond", "198.18.1.0/24", "198.18.2.0/24", IKE, ESP, "60", "198.18.1.1", Charon.SWAN_LAN));
        if (!weInitiate) {
            E2e.await(Duration.ofSeconds(30), "our responder listening", () -> peer.output().contains("listening on"), peer::tail);
            swan.swanctl("--initiate", "--child", "net");
        }
        E2e.await(Duration.ofSeconds(30), "our side ESTABLISHED with the CHILD SA installed",
                () -> peer.output().contains("INSTALLED CHILD SA"), () -> peer.tail() + "\n" + swan.log());
        E2e.await(Duration.ofSeconds(20), "an ESP echo reply from " + Charon.SWAN_LAN + " opened with our CHILD SA's keys",
                () -> peer.output().contains("ESP_REPLY from " + Charon.SWAN_LAN), () -> peer.tail() + "\n" + swan.log());
        String sas = swan.swanctl("--list-sas");
        System.out.println("swanctl --list-sas:\n" + sas);
        assertTrue(sas.contains("ESTABLISHED, IKEv2") && sas.contains("local  '" + SWAN_ID + "'")
                && sas.contains("remote '" + OUR_ID + "'") && sas.contains("INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256"), sas);
        String log = swan.log();
        // charon checked our chain and our RFC 7427 signature (its scheme named: RSA_EMSA_PKCS1_SHA2_256 or ECDSA_WITH_SHA256_DER)
        String verified = line(log, "authentication of '" + OUR_ID + "' with ");
        System.out.println("charon: " + verified);
        assertTrue(verified.contains(ourKeyRsa ? "RSA_EMSA_PKCS1_SHA2_256" : "ECDSA_WITH_SHA256_DER")
                && verified.endsWith("successful"), verified);
        assertTrue(log.contains("reached self-signed root ca"), log);
        assertTrue(!peer.output().contains("FAILED"), peer.output());
        int largest = largestIkeAuth(log);
        System.out.println("largest IKE datagram charon sent or received: " + largest + " bytes");
        assertTrue(largest <= 1280 - 28, "every IKE datagram fits a 1280-byte packet: " + largest);
        if (fragmented) {
            // an RSA 3072 IKE_AUTH does not: both ends announced RFC 7383 and each sends and reassembles fragments
            System.out.println("charon: " + line(log, "reassembled fragmented IKE message") + "\ncharon: " + line(log, "splitting IKE message"));
            assertTrue(log.contains("reassembled fragmented IKE message") && log.contains("splitting IKE message"), log);
            assertTrue(peer.output().contains("ESTABLISHED") && log.contains("EF(1/"), log);
        }
    }

    @Test
    @DisplayName("refusals named: charon's certificate revoked by our CRL, charon's CA unknown to us, our revoked certificate refused by charon")
    void refusalsAreNamed() throws IOException {
        try (Namespace swanNs = E2e.namespace("swan"); Namespace ours = E2e.namespace("ike")) {
            Pki pki = Pki.make(ours.logDir().resolve("pki"), "ecdsa-p256");
            // a second certificate of ours, revoked: charon loads that CRL; then charon's own is revoked in our copy only
            pki.issue("left-revoked", OUR_ID, Charon.OURS, "ecdsa-p256");
            pki.pki("revoke", "--ca-cert", "ca.crt", "--ca-key", "ca.key", "--crl", "ca.crl", "--cert", "left-revoked.crt",
                    "--reason", "key-compromise");
            Files.copy(pki.p("ca.crl"), pki.p("swan.crl"));
            pki.pki("revoke", "--ca-cert", "ca.crt", "--ca-key", "ca.key", "--crl", "ca.crl", "--cert", "right.crt");
            pki.pki("ca", "--name", "Other CA", "--out-cert", "other.crt", "--out-key", "other.key");
            Charon swan = startCharon(swanNs, ours, pki, Map.of("x509crl/ca.crl", pki.p("swan.crl")));

            String serial = PkiCli.serial(pki.p("right.crt"));
            expectFailure(ours, swan, pki.auth("left", "ca.crt", "ca.crl"),
                    "FAILED CERTIFICATE_REVOKED: certificate of " + SWAN_ID + " revoked (serial " + serial + ", CRL of Example CA updated ");
            expectFailure(ours, swan, pki.auth("left", "other.crt", null),
                    "FAILED CERTIFICATE_UNTRUSTED: unknown CA: certificate of " + SWAN_ID + " chains to CN=Example CA, which is none of this site's CAs [Other CA]");
            expectFailure(ours, swan, pki.auth("left-revoked", "ca.crt", null),
                    "FAILED AUTHENTICATION_FAILED: the peer refused our authentication: it does not accept our certificate");
            assertTrue(swan.log().contains("certificate was revoked"), swan.log());
            String sas = swan.swanctl("--list-sas");
            assertTrue(!sas.contains("INSTALLED"), sas);
        }
    }

    private static void expectFailure(Namespace ours, Charon swan, String auth, String line) {
        try (Proc peer = ours.start(E2e.java(IkePeer.class, Charon.OURS, Charon.SWAN, auth, "initiate", "198.18.1.0/24",
                "198.18.2.0/24", IKE, ESP, "30"))) {
            E2e.await(Duration.ofSeconds(30), line, () -> peer.output().contains(line), () -> peer.tail() + "\n" + swan.log());
            System.out.println("ours: " + line(peer.output(), "FAILED "));
            assertTrue(!peer.output().contains("INSTALLED"), peer.output());
        }
    }

    private static String line(String text, String containing) {
        return text.lines().filter(l -> l.contains(containing)).findFirst().orElse("(no line with '" + containing + "')");
    }

    /** The largest IKE datagram in charon's log ("received packet: ... (1876 bytes)", "sending packet: ..."). */
    private static int largestIkeAuth(String log) {
        Matcher m = Pattern.compile("(?:received|sending) packet: from .* \\((\\d+) bytes\\)").matcher(log);
        int max = 0;
        while (m.find()) {
            max = Math.max(max, Integer.parseInt(m.group(1)));
        }
        return max;
    }

    private static Charon startCharon(Namespace swan, Namespace ours, Pki pki, Map<String, Path> more) throws IOException {
        Map<String, Path> files = new java.util.HashMap<>(Map.of("x509/right.crt", pki.p("right.crt"),
                "private/right.key", pki.p("right.key"), "x509ca/ca.crt", pki.p("ca.crt")));
        files.putAll(more);
        return Charon.start(swan, ours, Charon.connection(IKE, ESP, "auth = pubkey\n certs = right.crt\n id = " + SWAN_ID,
                "auth = pubkey\n id = " + OUR_ID, ""), files);
    }
}
