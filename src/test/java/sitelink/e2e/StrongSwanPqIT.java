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
                assertTrue(log.contains("splitting IKE message") || log.contains("generating IKE_INTERMEDIATE request 1 [ KE ]"), log);
            }
            assertTrue(!peer.output().contains("FAILED"), peer.output());

            // charon rekeys the CHILD SA with PFS: X25519 in CREATE_CHILD_SA, ML-KEM-768 in IKE_FOLLOWUP_KE (RFC 9370)
            swan.swanctl("--rekey", "--child", "net");
            E2e.await(Duration.ofSeconds(20), "the rekeyed CHILD SA installed, the old one deleted, echoes through the new one",
                    () -> count(peer.output(), "INSTALLED CHILD SA") == 2 && peer.output().contains("CHILD_DELETED")
                            && peer.output().indexOf("ESP_REPLY", peer.output().lastIndexOf("INSTALLED CHILD SA")) > 0,
                    () -> peer.tail() + "\n" + swan.log());
            String rekeyed = swan.swanctl("--list-sas");
            System.out.println("swanctl --list-sas after charon's CHILD SA rekey:\n" + rekeyed);
            assertTrue(swan.log().contains("IKE_FOLLOWUP_KE request") && swan.log().contains("IKE_FOLLOWUP_KE response"), swan.log());
            assertTrue(rekeyed.contains("INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-256/CURVE_25519/KE1_ML_KEM_768") && count(rekeyed, "INSTALLED") == 1, rekeyed);
            assertTrue(!peer.output().contains("FAILED"), peer.output());
        }
    }

    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
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
