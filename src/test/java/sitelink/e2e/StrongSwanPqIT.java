package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import sitelink.e2e.tools.IkePeer;
import sitelink.testbed.Namespace;
import sitelink.testbed.Proc;

/**
 * The post-quantum hybrid key exchange (RFC 9370: X25519, then ML-KEM-768 in IKE_INTERMEDIATE, RFC 9242) of our IKEv2
 * engine against strongSwan 6 with its {@code ml} plugin (built by ../shared/tools/strongswan-pq, see
 * {@link Charon#pqPrefix}), and the {@code post_quantum} setting against Debian's strongSwan 5.9.8, which has no ML-KEM.
 * Our side is the {@link IkePeer} tool on real UDP sockets, as in {@link StrongSwanIkeIT}.
 */
class StrongSwanPqIT {
    private static final String SWAN = Charon.SWAN, OURS = Charon.OURS, SWAN_LAN = Charon.SWAN_LAN;
    private static final String PSK = "a pre-shared key of at least 32 characters";
    /** charon 6's side: X25519 then ML-KEM-768, for IKE and (on CHILD SA rekeys) ESP. */
    private static final String SWAN_IKE = "aes256gcm16-prfsha384-x25519-ke1_mlkem768", SWAN_ESP = "aes256gcm16-x25519-ke1_mlkem768";
    /** Ours: the site file's default, post_quantum: preferred, applied to the default IKE proposals and a PFS ESP proposal. */
    private static final String OUR_IKE = "pq:preferred:default", OUR_ESP = "aes256gcm16-x25519";

    @Test
    @DisplayName("sitelink initiates to strongSwan 6: IKE SA hybrid X25519 + ML-KEM-768 (the key fragmented in IKE_INTERMEDIATE), ESP echoes, CHILD SA rekey with the additional exchange")
    void sitelinkInitiatesHybrid() throws IOException {
        hybrid(true);
    }

    @Test
    @DisplayName("strongSwan 6 initiates to sitelink: IKE SA hybrid X25519 + ML-KEM-768, ESP echoes, CHILD SA rekey with the additional exchange")
    void strongSwanInitiatesHybrid() throws IOException {
        hybrid(false);
    }

    private static void hybrid(boolean weInitiate) throws IOException {
        try (Namespace swanNs = E2e.namespace("swan6"); Namespace ours = E2e.namespace("pq")) {
            Charon swan = startCharon6(swanNs, ours);
            Proc peer = ours.start(E2e.java(IkePeer.class, OURS, SWAN, PSK, weInitiate ? "initiate" : "respond", "198.18.1.0/24",
                    "198.18.2.0/24", OUR_IKE, OUR_ESP, "60", "198.18.1.1", SWAN_LAN));
            if (!weInitiate) {
                E2e.await(Duration.ofSeconds(30), "our responder listening", () -> peer.output().contains("listening on"), peer::tail);
                swan.swanctl("--initiate", "--child", "net");
            }
            E2e.await(Duration.ofSeconds(30), "our side ESTABLISHED with the CHILD SA installed",
                    () -> peer.output().contains("INSTALLED CHILD SA"), () -> peer.tail() + "\n" + swan.log());
            assertTrue(peer.output().contains("ke=hybrid (curve25519 + mlkem768)"), peer.output());
            System.out.println("hybrid, " + (weInitiate ? "sitelink" : "strongSwan 6") + " initiating: " + handshake(peer.output()));
            E2e.await(Duration.ofSeconds(20), "an ESP echo reply from " + SWAN_LAN, () -> peer.output().contains("ESP_REPLY from " + SWAN_LAN),
                    () -> peer.tail() + "\n" + swan.log());
            String sas = swan.swanctl("--list-sas");
            System.out.println("swanctl --list-sas (strongSwan 6):\n" + sas);
            assertTrue(sas.contains("ESTABLISHED, IKEv2") && sas.contains("CURVE_25519/KE1_ML_KEM_768"), sas);
            assertTrue(sas.contains("INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256"), sas);
            String log = swan.log();
            assertTrue(log.contains("IKE_INTERMEDIATE request 1 [ KE ]") && log.contains("IKE_INTERMEDIATE response 1 [ KE ]"), log);
            if (weInitiate) {
                // our request carries the 1184-byte key: split to fit 1280-byte packets (charon reassembles it)
                assertTrue(log.contains("received fragment #2 of 2, reassembled fragmented IKE message"), log);
            } else {
                // charon's request carries its key: split by charon at its fragment_size of 1280
                assertTrue(log.contains("generating IKE_INTERMEDIATE request 1 [ KE ]") && log.contains("splitting IKE message (1249 bytes) into 2 fragments"), log);
            }
            assertTrue(!peer.output().contains("FAILED"), peer.output());

            // charon rekeys the CHILD SA with PFS: X25519 in CREATE_CHILD_SA, ML-KEM-768 in IKE_FOLLOWUP_KE (RFC 9370)
            String rekeyed = swan.rekeyChildAndAwait(peer);
            System.out.println("swanctl --list-sas after charon's CHILD SA rekey:\n" + rekeyed);
            assertTrue(swan.log().contains("IKE_FOLLOWUP_KE request") && swan.log().contains("IKE_FOLLOWUP_KE response"), swan.log());
            assertTrue(rekeyed.contains("INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256/CURVE_25519/KE1_ML_KEM_768") && count(rekeyed, "INSTALLED") == 1, rekeyed);
            assertTrue(!peer.output().contains("FAILED"), peer.output());
        }
    }

    @Test
    @DisplayName("sitelink's own timers rekey the CHILD SA and then the IKE SA with ML-KEM-768 in IKE_FOLLOWUP_KE; charon keeps one hybrid IKE SA with our new SPIs")
    void ourTimersRekeyWithTheAdditionalExchange() throws IOException {
        try (Namespace swanNs = E2e.namespace("swan6"); Namespace ours = E2e.namespace("pq")) {
            Charon swan = startCharon6(swanNs, ours);
            Proc peer = ours.start(E2e.java(IkePeer.class, OURS, SWAN, PSK, "initiate", "198.18.1.0/24", "198.18.2.0/24",
                    OUR_IKE, OUR_ESP, "90", "198.18.1.1", SWAN_LAN, "20", "32"));
            E2e.await(Duration.ofSeconds(30), "the first CHILD SA installed and an echo answered through it",
                    () -> peer.output().contains("ESP_REPLY from " + SWAN_LAN), () -> peer.tail() + "\n" + swan.log());
            // the CHILD SA's timer (18-20 s), then the IKE SA's (28.8-32 s)
            E2e.await(Duration.ofSeconds(45), "our CHILD SA rekey and IKE SA rekey done, echoes through the new CHILD SA",
                    () -> count(peer.output(), "INSTALLED CHILD SA") >= 2 && peer.output().contains("IKE_REKEYED")
                            && peer.output().indexOf("ESP_REPLY", peer.output().lastIndexOf("INSTALLED CHILD SA")) > 0,
                    () -> peer.tail() + "\n" + swan.log());
            String[] ike = Charon.ikeSpis(peer.output(), 0);
            E2e.await(Duration.ofSeconds(10), "charon keeps only the new IKE SA", () -> {
                String listed = swan.swanctl("--list-sas");
                return listed.contains(ike[0] + "_i") && listed.contains(ike[1] + "_r") && count(listed, "ESTABLISHED, IKEv2") == 1;
            }, () -> swan.swanctl("--list-sas") + "\n" + swan.log());
            String sas = swan.swanctl("--list-sas");
            System.out.println("swanctl --list-sas after our CHILD SA and IKE SA rekeys (strongSwan 6):\n" + sas);
            String log = swan.log();
            // ours: CREATE_CHILD_SA for the CHILD SA, answered with ADDITIONAL_KEY_EXCHANGE, then our IKE_FOLLOWUP_KE with
            // ML-KEM-768; the same for the IKE SA
            java.util.regex.Pattern exchanges = java.util.regex.Pattern.compile("parsed (CREATE_CHILD_SA|IKE_FOLLOWUP_KE) request \\d+ (\\[ [^\\]]*\\])");
            java.util.regex.Matcher m = exchanges.matcher(log);
            java.util.List<String> seen = new java.util.ArrayList<>();
            while (m.find()) {
                seen.add(m.group(1) + " " + m.group(2));
            }
            assertTrue(seen.containsAll(java.util.List.of("CREATE_CHILD_SA [ N(REKEY_SA) SA No KE TSi TSr ]", "IKE_FOLLOWUP_KE [ KE N(ADD_KE) ]",
                    "CREATE_CHILD_SA [ SA No KE ]")) && count(log, "generating CREATE_CHILD_SA response") == 2
                    && count(log, "N(ADD_KE) ]") >= 4 && seen.stream().filter(x -> x.startsWith("IKE_FOLLOWUP_KE [ KE")).count() == 2, seen + "\n" + log);
            assertTrue(sas.contains("AES_GCM_16-256/PRF_HMAC_SHA2_384/CURVE_25519/KE1_ML_KEM_768")
                    && sas.contains("INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256/CURVE_25519/KE1_ML_KEM_768"), sas);
            assertTrue(!peer.output().contains("FAILED"), peer.output());
        }
    }

    @Test
    @DisplayName("strongSwan 5.9.8 (no ML-KEM) against post_quantum: required is refused with the reason, either role; against preferred it establishes, reported classical only")
    void strongSwan5AgainstRequiredAndPreferred() throws IOException {
        try (Namespace swanNs = E2e.namespace("swan5"); Namespace ours = E2e.namespace("pq")) {
            Charon swan = Charon.start(swanNs, ours, Charon.connection("aes256gcm16-prfsha256-x25519", "aes256gcm16",
                    "auth = psk\n id = " + SWAN, "auth = psk\n id = " + OURS, "") + secrets(), Map.of());
            String refusal = "FAILED NO_PROPOSAL_CHOSEN: ";
            String why = "this site requires a post-quantum hybrid key exchange (post_quantum: required), and the peer does not offer ML-KEM";
            try (Proc peer = ours.start(E2e.java(IkePeer.class, OURS, SWAN, PSK, "initiate", "198.18.1.0/24", "198.18.2.0/24",
                    "pq:required:default", "default", "20"))) {
                E2e.await(Duration.ofSeconds(30), "our initiator refused", () -> peer.output().contains(refusal), () -> peer.tail() + "\n" + swan.log());
                String line = peer.output().lines().filter(l -> l.startsWith(refusal)).findFirst().orElseThrow();
                System.out.println("required, sitelink initiating to strongSwan 5.9.8: " + line);
                assertTrue(line.contains(why), line);
                assertTrue(!peer.output().contains("ESTABLISHED"), peer.output());
            }
            try (Proc peer = ours.start(E2e.java(IkePeer.class, OURS, SWAN, PSK, "respond", "198.18.1.0/24", "198.18.2.0/24",
                    "pq:required:default", "default", "20"))) {
                E2e.await(Duration.ofSeconds(30), "our responder listening", () -> peer.output().contains("listening on"), peer::tail);
                swan.swanctlMayFail("--initiate", "--child", "net", "--timeout", "5");
                E2e.await(Duration.ofSeconds(30), "our responder refused", () -> peer.output().contains(refusal), () -> peer.tail() + "\n" + swan.log());
                String line = peer.output().lines().filter(l -> l.startsWith(refusal)).findFirst().orElseThrow();
                System.out.println("required, strongSwan 5.9.8 initiating to sitelink: " + line);
                assertTrue(line.contains(why), line);
                assertTrue(swan.log().contains("received NO_PROPOSAL_CHOSEN notify error"), swan.log());
            }
            try (Proc peer = ours.start(E2e.java(IkePeer.class, OURS, SWAN, PSK, "initiate", "198.18.1.0/24", "198.18.2.0/24",
                    "pq:preferred:default", "default", "30", "198.18.1.1", SWAN_LAN))) {
                E2e.await(Duration.ofSeconds(30), "established classical only, an echo answered", () -> peer.output().contains("ESP_REPLY from " + SWAN_LAN),
                        () -> peer.tail() + "\n" + swan.log());
                String line = peer.output().lines().filter(l -> l.startsWith("ESTABLISHED")).findFirst().orElseThrow();
                System.out.println("preferred against strongSwan 5.9.8: " + line + "; " + handshake(peer.output()));
                assertTrue(line.endsWith("ke=classical only (curve25519)"), line);
                assertTrue(swan.swanctl("--list-sas").contains("AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519"), swan.swanctl("--list-sas"));
                assertTrue(!peer.output().contains("FAILED"), peer.output());
            }
        }
    }

    /** IkePeer's HANDSHAKE line: time to ESTABLISHED and IKE bytes each way (for docs/post-quantum.md's cost). */
    private static String handshake(String output) {
        return output.lines().filter(l -> l.startsWith("HANDSHAKE")).findFirst().orElse("(no HANDSHAKE line)");
    }

    private static int count(String text, String what) {
        return Charon.count(text, what);
    }

    private static Charon startCharon6(Namespace swan, Namespace ours) throws IOException {
        Path prefix = Charon.pqPrefix();
        return Charon.start(swan, ours, Charon.connection(SWAN_IKE, SWAN_ESP, "auth = psk\n id = " + SWAN,
                "auth = psk\n id = " + OURS, "dpd_delay = 5s") + secrets(), Map.of(), prefix, "fragment_size = 1280");
    }

    static String secrets() {
        return """
                secrets {
                  ike-site {
                    id-1 = %s
                    id-2 = %s
                    secret = "%s"
                  }
                }
                """.formatted(SWAN, OURS, PSK);
    }
}
