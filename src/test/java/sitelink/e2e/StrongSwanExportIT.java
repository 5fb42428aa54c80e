package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import sitelink.e2e.tools.IkePeer;
import sitelink.testbed.Namespace;
import sitelink.testbed.Proc;

/**
 * {@code sitelink export --for strongswan} loaded as it is into a real charon (strongSwan 5.9.8), against our engine
 * configured from the same site file ({@link IkePeer} {@code --site}, SiteConfig.ikeConfig as the gateway will): with
 * sitelink's defaults and with each vendor profile (docs/ikev2.md#vendor-profiles), charon then holding exactly the
 * profile's proposals and lifetimes. One charon for all: each case writes the export as swanctl.conf and reloads it.
 * Per case both ends reach ESTABLISHED with the expected algorithms, the CHILD SA is INSTALLED with the mirrored
 * selectors, and ESP echoes to charon's LAN are answered; in the last case our site only answers and the exported
 * {@code start_action = start} makes charon initiate.
 */
class StrongSwanExportIT {
    private static final String SWAN = Charon.SWAN, OURS = Charon.OURS, SWAN_LAN = Charon.SWAN_LAN;
    private static final String CONN = "sitelink-office-a";

    /** A site file line (or none), what charon must then list for the IKE SA and the CHILD SA, and its rekey times. */
    private record Case(String extra, String listedIke, String listedEsp, String ikeRekey, String childRekey) {
    }

    private static final List<Case> CASES = List.of(
            new Case("", "AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519", "ESP:AES_GCM_16-256", "14400s", "3600s"),
            new Case("profile: cisco-ios-xe", "AES_CBC-256/HMAC_SHA2_512_256/PRF_HMAC_SHA2_512/ECP_256", "ESP:AES_GCM_16-256",
                    "86400s", "3600s"),
            new Case("profile: pan-os-suite-b-gcm-128", "AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256",
                    "ESP:AES_GCM_16-128", "28800s", "3600s"),
            new Case("profile: pan-os-suite-b-gcm-256", "AES_CBC-256/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/ECP_384",
                    "ESP:AES_GCM_16-256", "28800s", "3600s"),
            new Case("profile: aws", "AES_GCM_16-256/PRF_HMAC_SHA2_512/ECP_384", "ESP:AES_GCM_16-256", "28800s", "3600s"),
            new Case("profile: azure\n    start_action: none", "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384", "ESP:AES_GCM_16-256",
                    "28800s", "27000s"));

    @Test
    @DisplayName("export --for strongswan, loaded unedited into charon, brings the tunnel up with the defaults and with every vendor profile")
    void exportedConfigurationEstablishesForEveryProfile() throws IOException {
        try (Namespace swanNs = E2e.namespace("swan"); Namespace ours = E2e.namespace("ike")) {
            Path dir = ours.logDir();
            Path psk = dir.resolve("office-a-branch.psk");
            TwoOffices.writeSecret(psk, ours.execOk(sitelink(), "genpsk"));
            TwoOffices.writeSecret(dir.resolve("office-a.key"), ours.execOk(sitelink(), "genkey"));
            Charon swan = null;
            for (Case c : CASES) {
                Path site = dir.resolve("office-a.yaml");
                Files.writeString(site, """
                        name: office-a
                        private_key_file: office-a.key
                        tunnel: {name: sl-x}
                        local_subnets: [198.18.1.0/24]
                        remote_sites:
                          - name: branch
                            protocol: ikev2
                            psk_file: office-a-branch.psk
                            endpoint: %s
                            remote_subnets: [198.18.2.0/24]
                            %s
                        """.formatted(SWAN, c.extra()));
                String exported = ours.execOk(sitelink(), "export", "--for", "strongswan", "--include-secrets", "--address", OURS,
                        site.toString(), "branch");
                System.out.println("export --for strongswan (" + (c.extra().isEmpty() ? "defaults" : c.extra()) + "):\n"
                        + exported.replaceAll("secret = \".*\"", "secret = (not shown)"));
                boolean charonInitiates = c.extra().contains("start_action: none");
                Proc peer = null;
                try {
                    if (charonInitiates) {
                        peer = ours.start(E2e.java(IkePeer.class, "--site", site.toString(), "branch", OURS, "respond", "60",
                                "198.18.1.1", SWAN_LAN));
                        Proc p = peer;
                        E2e.await(Duration.ofSeconds(30), "our responder listening", () -> p.output().contains("listening on"), p::tail);
                    }
                    if (swan == null) {
                        swan = Charon.start(swanNs, ours, exported, Map.of());
                    } else {
                        Files.writeString(swan.dir().resolve("swanctl/swanctl.conf"), exported);
                        swan.swanctl("--load-all");
                    }
                    if (!charonInitiates) {
                        peer = ours.start(E2e.java(IkePeer.class, "--site", site.toString(), "branch", OURS, "initiate", "60",
                                "198.18.1.1", SWAN_LAN));
                    }
                    prove(swan, peer, c);
                } finally {
                    if (peer != null) {
                        peer.close();
                    }
                }
            }
        }
    }

    private static void prove(Charon swan, Proc peer, Case c) {
        E2e.await(Duration.ofSeconds(30), "ESTABLISHED, the CHILD SA installed and an ESP echo answered (" + c.extra() + ")",
                () -> peer.output().contains("ESP_REPLY from " + SWAN_LAN), () -> peer.tail() + "\n" + swan.log());
        String sas = swan.swanctl("--list-sas");
        System.out.println("swanctl --list-sas (" + c.extra() + "):\n" + sas);
        assertTrue(sas.contains(CONN + ": #") && sas.contains("ESTABLISHED, IKEv2"), sas);
        assertTrue(sas.contains(c.listedIke()), "IKE SA with " + c.listedIke() + ":\n" + sas);
        assertTrue(sas.contains("INSTALLED, TUNNEL-in-UDP, " + c.listedEsp()), sas);
        assertTrue(sas.contains("local  198.18.2.0/24") && sas.contains("remote 198.18.1.0/24"), sas);
        String conns = swan.swanctl("--list-conns");
        assertTrue(conns.contains("rekeying every " + c.ikeRekey()) && conns.contains("rekeying every " + c.childRekey()),
                "charon's lifetimes are the site's:\n" + conns);
        assertTrue(!peer.output().contains("FAILED"), peer.output());
        swan.swanctl("--terminate", "--ike", CONN);
        E2e.await(Duration.ofSeconds(20), "our side closed by charon's delete", () -> peer.output().contains("CLOSED"), peer::tail);
    }

    private static String sitelink() {
        return E2e.home().resolve("sitelink").toString();
    }
}
