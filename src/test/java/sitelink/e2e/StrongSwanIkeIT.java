package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import sitelink.e2e.tools.IkePeer;
import sitelink.testbed.Namespace;
import sitelink.testbed.Proc;

/**
 * Our IKEv2 engine (sitelink.ike, driven over real UDP sockets by the {@link IkePeer} tool) against strongSwan 5.9.8's
 * charon with kernel-libipsec, in two namespaces joined by a veth. In each role: both ends ESTABLISHED, charon's
 * {@code swanctl --list-sas} shows the CHILD SA INSTALLED (TUNNEL-in-UDP), and ICMP echoes sealed by our ESP SA reach
 * charon's LAN address and the replies open with our keys. See ../shared/strongswan-notes.md for what charon needs here.
 */
class StrongSwanIkeIT {
    private static final String SWAN = Charon.SWAN, OURS = Charon.OURS, SWAN_LAN = Charon.SWAN_LAN;
    private static final String PSK = "a pre-shared key of at least 32 characters";
    private static final String IKE = "aes256gcm16-prfsha256-modp2048", ESP = "aes256gcm16", ESP_PFS = "aes256gcm16-modp2048";
    /** sitelink's default proposals (sitelink.ike.Proposals.DEFAULT_IKE / DEFAULT_ESP) as one string each. */
    private static final String DEFAULT_IKE = sitelink.ike.Proposals.DEFAULT_IKE.get(0), DEFAULT_ESP = sitelink.ike.Proposals.DEFAULT_ESP.get(0);

    @Test
    @DisplayName("sitelink initiates to strongSwan: ESTABLISHED and INSTALLED on both ends, ESP echoes answered")
    void sitelinkInitiates() throws IOException {
        tunnel(true, Suite.GCM_MODP);
    }

    @Test
    @DisplayName("strongSwan initiates to sitelink: ESTABLISHED and INSTALLED on both ends, ESP echoes answered")
    void strongSwanInitiates() throws IOException {
        tunnel(false, Suite.GCM_MODP);
    }

    @Test
    @DisplayName("ChaCha20-Poly1305 with X25519 (charon allows only that; sitelink offers its defaults, X25519 first)")
    void chachaWithX25519() throws IOException {
        tunnel(true, Suite.CHACHA_X25519);
    }

    @Test
    @DisplayName("AES-GCM with P-384 after an INVALID_KE_PAYLOAD round (sitelink leads with X25519, charon wants ecp384)")
    void ecp384AfterInvalidKe() throws IOException {
        tunnel(true, Suite.GCM_ECP384);
    }

    @Test
    @DisplayName("AES-CBC with HMAC-SHA2-256-128 for IKE and ESP (aes256-sha256-curve25519 / aes256-sha256), charon initiating")
    void aesCbcWithHmac() throws IOException {
        tunnel(false, Suite.CBC_SHA256);
    }

    @Test
    @DisplayName("sitelink's own timer rekeys the CHILD SA (20 s lifetime, PFS with MODP 2048): charon lists the new one INSTALLED, the old one gone, echoes through the new one")
    void ourTimerRekeysTheChildSa() throws IOException {
        try (Namespace swanNs = E2e.namespace("swan"); Namespace ours = E2e.namespace("ike")) {
            Charon swan = startCharon(swanNs, ours, Suite.GCM_MODP);
            Proc peer = initiateWithLifetimes(ours, swan, "20", "14400");
            String[] first = childSpis(peer.output(), 0);
            // our timer fires between 18 and 20 s after the CHILD SA was installed: the new one, then the old one deleted
            E2e.await(Duration.ofSeconds(40), "our rekey: a second CHILD SA installed, the first deleted, echoes through the new one",
                    () -> count(peer.output(), "INSTALLED CHILD SA") >= 2 && peer.output().contains("CHILD_DELETED " + Integer.toHexString(Integer.parseUnsignedInt(first[0], 16)))
                            && peer.output().indexOf("ESP_REPLY", peer.output().lastIndexOf("INSTALLED CHILD SA")) > 0,
                    () -> peer.tail() + "\n" + swan.log());
            String[] second = childSpis(peer.output(), 1);
            // charon lists the old one as DELETED for a moment after our delete; then only the new one is left
            E2e.await(Duration.ofSeconds(10), "charon forgets the old CHILD SA", () -> {
                String listed = swan.swanctl("--list-sas");
                return !listed.contains(first[0]) && !listed.contains(first[1]);
            }, () -> swan.swanctl("--list-sas"));
            String sas = swan.swanctl("--list-sas");
            System.out.println("swanctl --list-sas after our rekey:\n" + sas);
            assertTrue(swan.log().contains("parsed CREATE_CHILD_SA request") && swan.log().contains("N(REKEY_SA) SA No KE TSi TSr"), swan.log());
            assertTrue(count(sas, "INSTALLED") == 1 && sas.contains("INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256/MODP_2048"), sas);
            // charon's inbound SPI is our outbound and the other way round
            assertTrue(sas.contains("in  " + second[1]) && sas.contains("out " + second[0]), "the new CHILD SA's SPIs " + String.join("/", second) + ":\n" + sas);
            assertTrue(!sas.contains(first[0]) && !sas.contains(first[1]), "the old CHILD SA " + String.join("/", first) + " is gone:\n" + sas);
            assertTrue(sas.contains("ESTABLISHED, IKEv2"), sas);
            assertTrue(!peer.output().contains("FAILED"), peer.output());
        }
    }

    @Test
    @DisplayName("the IKE SA rekeyed by sitelink's timer (20 s) and then by charon: one IKE SA with the new SPIs, the CHILD SA kept, a CHILD SA rekey through it")
    void ikeSaRekeyedByUsAndByCharon() throws IOException {
        try (Namespace swanNs = E2e.namespace("swan"); Namespace ours = E2e.namespace("ike")) {
            Charon swan = startCharon(swanNs, ours, Suite.GCM_MODP);
            Proc peer = initiateWithLifetimes(ours, swan, "3600", "20");
            String[] child = childSpis(peer.output(), 0);
            // our timer: between 18 and 20 s after IKE_AUTH, CREATE_CHILD_SA [ SA No KE ]; then our Delete of the old IKE SA
            E2e.await(Duration.ofSeconds(40), "our IKE SA rekey", () -> peer.output().contains("IKE_REKEYED"), () -> peer.tail() + "\n" + swan.log());
            String[] ike = ikeSpis(peer.output(), 0);
            E2e.await(Duration.ofSeconds(10), "charon keeps only the new IKE SA", () -> {
                String listed = swan.swanctl("--list-sas");
                return listed.contains(ike[0] + "_i") && listed.contains(ike[1] + "_r") && count(listed, "ESTABLISHED, IKEv2") == 1; // charon stars its own SPI
            }, () -> swan.swanctl("--list-sas") + "\n" + swan.log());
            String sas = swan.swanctl("--list-sas");
            System.out.println("swanctl --list-sas after our IKE SA rekey:\n" + sas);
            assertTrue(swan.log().contains("parsed CREATE_CHILD_SA request 2 [ SA No KE ]") && swan.log().contains("rekeyed between")
                    && swan.log().contains("received DELETE for IKE_SA site[1]"), swan.log());
            assertTrue(sas.contains("INSTALLED, TUNNEL-in-UDP") && sas.contains("in  " + child[1]), "the CHILD SA moved along:\n" + sas);
            // charon rekeys the IKE SA: we answer; then a CHILD SA rekey through the newest IKE SA (keys from its SK_d)
            swan.swanctl("--rekey", "--ike", "site");
            E2e.await(Duration.ofSeconds(15), "charon's IKE SA rekey answered", () -> count(peer.output(), "IKE_REKEYED") >= 2,
                    () -> peer.tail() + "\n" + swan.log());
            String[] ike2 = ikeSpis(peer.output(), 1);
            E2e.await(Duration.ofSeconds(10), "charon keeps only its new IKE SA", () -> {
                String listed = swan.swanctl("--list-sas");
                return listed.contains(ike2[0] + "_i") && listed.contains(ike2[1] + "_r") && count(listed, "ESTABLISHED, IKEv2") == 1; // charon stars its own SPI
            }, () -> swan.swanctl("--list-sas") + "\n" + swan.log());
            swan.swanctl("--rekey", "--child", "net");
            E2e.await(Duration.ofSeconds(20), "a CHILD SA rekey under the new IKE SA, echoes through the new CHILD SA",
                    () -> count(peer.output(), "INSTALLED CHILD SA") == 2 && peer.output().contains("CHILD_DELETED")
                            && peer.output().indexOf("ESP_REPLY", peer.output().lastIndexOf("INSTALLED CHILD SA")) > 0,
                    () -> peer.tail() + "\n" + swan.log());
            String end = swan.swanctl("--list-sas");
            System.out.println("swanctl --list-sas after charon's IKE SA and CHILD SA rekeys:\n" + end);
            assertTrue(count(end, "ESTABLISHED, IKEv2") == 1 && end.contains("ESP:AES_GCM_16-256/MODP_2048"), end);
            assertTrue(!peer.output().contains("FAILED"), peer.output());
        }
    }

    /** Our side initiating with these CHILD SA and IKE SA lifetimes (seconds), once an echo came back through the first CHILD SA. */
    private static Proc initiateWithLifetimes(Namespace ours, Charon swan, String child, String ike) {
        Proc peer = ours.start(E2e.java(IkePeer.class, OURS, SWAN, PSK, "initiate", "198.18.1.0/24", "198.18.2.0/24",
                IKE, ESP_PFS, "90", "198.18.1.1", SWAN_LAN, child, ike));
        E2e.await(Duration.ofSeconds(30), "the first CHILD SA installed and an echo answered through it",
                () -> peer.output().contains("ESP_REPLY from " + SWAN_LAN), () -> peer.tail() + "\n" + swan.log());
        return peer;
    }

    private static String[] ikeSpis(String output, int n) {
        return Charon.ikeSpis(output, n);
    }

    /** The inbound and outbound SPIs (8 hex digits) of the {@code n}th CHILD SA our side installed. */
    private static String[] childSpis(String output, int n) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("INSTALLED CHILD SA ([0-9a-f]{8})_i ([0-9a-f]{8})_o").matcher(output);
        for (int i = 0; i < n; i++) {
            assertTrue(m.find(), output);
        }
        assertTrue(m.find(), output);
        return new String[] {m.group(1), m.group(2)};
    }

    @Test
    @DisplayName("against charon, a PSK mismatch, a proposal mismatch and disjoint selectors each fail with the reason named")
    void mismatchesAreNamed() throws IOException {
        try (Namespace swanNs = E2e.namespace("swan"); Namespace ours = E2e.namespace("ike")) {
            Charon swan = startCharon(swanNs, ours, Suite.GCM_MODP);
            expectFailure(ours, swan, List.of(OURS, SWAN, "another pre-shared key, also 32+ characters", "initiate",
                    "198.18.1.0/24", "198.18.2.0/24", IKE, ESP), "FAILED AUTHENTICATION_FAILED: the peer refused our authentication");
            expectFailure(ours, swan, List.of(OURS, SWAN, PSK, "initiate", "198.18.1.0/24", "198.18.2.0/24",
                    "aes256gcm16-prfsha256-ecp384", ESP), "FAILED NO_PROPOSAL_CHOSEN: the peer accepts none of this site's IKE proposals");
            expectFailure(ours, swan, List.of(OURS, SWAN, PSK, "initiate", "198.18.9.0/24", "198.18.2.0/24", IKE, ESP),
                    "FAILED TS_UNACCEPTABLE: the peer accepts none of this site's traffic selectors [198.18.9.0/24] === [198.18.2.0/24]");
            String sas = swan.swanctl("--list-sas");
            assertTrue(!sas.contains("INSTALLED"), sas);
        }
    }

    private static void expectFailure(Namespace ours, Charon swan, List<String> args, String line) {
        List<String> all = new ArrayList<>(args);
        all.add("30");
        try (Proc peer = ours.start(E2e.java(IkePeer.class, all.toArray(String[]::new)))) {
            E2e.await(Duration.ofSeconds(30), line, () -> peer.output().contains(line), () -> peer.tail() + "\n" + swan.log());
            assertTrue(!peer.output().contains("INSTALLED"), peer.output());
        }
    }

    /** What each side allows, and what charon's --list-sas must then show. */
    private enum Suite {
        GCM_MODP(IKE, ESP_PFS, IKE, ESP_PFS, "AES_GCM_16-256/PRF_HMAC_SHA2_256/MODP_2048", "ESP:AES_GCM_16-256"),
        CHACHA_X25519(DEFAULT_IKE, DEFAULT_ESP, "chacha20poly1305-prfsha256-x25519", "chacha20poly1305",
                "CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE_25519", "ESP:CHACHA20_POLY1305"),
        GCM_ECP384(DEFAULT_IKE, DEFAULT_ESP, "aes256gcm16-prfsha384-ecp384", "aes256gcm16",
                "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384", "ESP:AES_GCM_16-256"),
        CBC_SHA256("aes256-sha256-curve25519", "aes256-sha256", "aes256-sha256-curve25519", "aes256-sha256",
                "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519", "ESP:AES_CBC-256/HMAC_SHA2_256_128");

        final String ike, esp, swanIke, swanEsp, listedIke, listedEsp;

        Suite(String ike, String esp, String swanIke, String swanEsp, String listedIke, String listedEsp) {
            this.ike = ike;
            this.esp = esp;
            this.swanIke = swanIke;
            this.swanEsp = swanEsp;
            this.listedIke = listedIke;
            this.listedEsp = listedEsp;
        }
    }

    private static void tunnel(boolean weInitiate, Suite suite) throws IOException {
        try (Namespace swanNs = E2e.namespace("swan"); Namespace ours = E2e.namespace("ike")) {
            Charon swan = startCharon(swanNs, ours, suite);
            Proc peer = ours.start(E2e.java(IkePeer.class, OURS, SWAN, PSK, weInitiate ? "initiate" : "respond", "198.18.1.0/24",
                    "198.18.2.0/24", suite.ike, suite.esp, "60", "198.18.1.1", SWAN_LAN));
            if (!weInitiate) {
                E2e.await(Duration.ofSeconds(30), "our responder listening", () -> peer.output().contains("listening on"), peer::tail);
                swan.swanctl("--initiate", "--child", "net");
            }
            proveTunnel(swan, peer, suite);
        }
    }

    private static void proveTunnel(Charon swan, Proc peer, Suite suite) {
        E2e.await(Duration.ofSeconds(30), "our side ESTABLISHED with the CHILD SA installed",
                () -> peer.output().contains("INSTALLED CHILD SA"), () -> peer.tail() + "\n" + swan.log());
        assertTrue(peer.output().contains("ESTABLISHED IKE:") && peer.output().contains(" nat_t=true"), peer.output());
        E2e.await(Duration.ofSeconds(20), "an ESP echo reply from " + SWAN_LAN + " opened with our CHILD SA's keys",
                () -> peer.output().contains("ESP_REPLY from " + SWAN_LAN), () -> peer.tail() + "\n" + swan.log());
        String sas = swan.swanctl("--list-sas");
        System.out.println("swanctl --list-sas:\n" + sas);
        assertTrue(sas.contains("ESTABLISHED, IKEv2"), sas);
        assertTrue(sas.contains(suite.listedIke), sas);
        if (suite == Suite.GCM_ECP384) {
            assertTrue(swan.log().contains("DH group CURVE_25519 unacceptable, requesting ECP_384"), swan.log());
        }
        assertTrue(sas.contains("INSTALLED, TUNNEL-in-UDP, " + suite.listedEsp), sas);
        assertTrue(sas.contains("local  198.18.2.0/24") && sas.contains("remote 198.18.1.0/24"), sas);
        assertTrue(!peer.output().contains("FAILED"), peer.output());

        // charon rekeys the CHILD SA (with PFS where its proposal names a group): we answer, install the new one,
        // delete the old one when charon does, and echoes flow through the new one
        String rekeyed = swan.rekeyChildAndAwait(peer);
        assertTrue(rekeyed.contains("INSTALLED, TUNNEL-in-UDP, " + suite.listedEsp) && count(rekeyed, "INSTALLED") == 1, rekeyed);
        if (suite == Suite.GCM_MODP) {
            assertTrue(swan.log().contains("CREATE_CHILD_SA request") && rekeyed.contains("ESP:AES_GCM_16-256/MODP_2048"), rekeyed);
        }

        // charon's liveness checks (dpd_delay 1 s) are answered, so it keeps the SA; then its delete closes ours
        E2e.await(Duration.ofSeconds(20), "two liveness checks from charon answered", () -> count(swan.log(),
                "parsed INFORMATIONAL response") >= 2, swan::log);
        assertTrue(swan.swanctl("--list-sas").contains("ESTABLISHED, IKEv2"));
        swan.swanctl("--terminate", "--ike", "site");
        E2e.await(Duration.ofSeconds(20), "our side closed by charon's delete", () -> peer.output().contains("CLOSED deleted by the peer"),
                peer::tail);
        assertTrue(count(peer.output(), "CHILD_DELETED") == 2, peer.output());
    }

    private static int count(String text, String what) {
        return Charon.count(text, what);
    }

    private static Charon startCharon(Namespace swan, Namespace ours, Suite suite) throws IOException {
        return Charon.start(swan, ours, Charon.connection(suite.swanIke, suite.swanEsp, "auth = psk\n id = " + SWAN,
                "auth = psk\n id = " + OURS, "dpd_delay = 1s") + """
                secrets {
                  ike-site {
                    id-1 = %s
                    id-2 = %s
                    secret = "%s"
                  }
                }
                """.formatted(SWAN, OURS, PSK), java.util.Map.of());
    }
}
