package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code sitelink up} with IKEv2 remote sites (issue 11): office A's gateway is sitelink, office B's is strongSwan's
 * charon (kernel-libipsec, in B's gateway namespace) or a second sitelink; host A and host B talk through the tunnel.
 */
class GatewayIkeIT {
    private static final String PSK = "the pre-shared key of office A and office B, 44 chars";
    private static final long TRANSFER = 64 * TcpTransfer.MIB;
    private static final java.util.regex.Pattern CHILD = java.util.regex.Pattern.compile("([0-9a-f]{8})_i ([0-9a-f]{8})_o");

    /**
     * charon's whole configuration is what {@code sitelink export --for strongswan} prints for office A's site file,
     * loaded unedited (issue 12): the proposals, lifetimes, DPD, identities, mirrored selectors and the secret.
     */
    @Test
    @DisplayName("sitelink initiates to strongSwan configured by 'sitelink export --for strongswan': ESTABLISHED and INSTALLED on both ends, ping, 64 MiB intact")
    void sitelinkInitiatesToStrongSwan() throws IOException {
        try (TwoOffices t = TwoOffices.create()) {
            t.writeSiteFile(t.a(), ikeSite(t, t.a(), t.b(), "start", psk(t.a())));
            String exported = t.a().gateway().execOk(E2e.home().resolve("sitelink").toString(), "export", "--for", "strongswan",
                    "--include-secrets", "--address", t.a().wanAddress(), t.a().siteFile().toString(), t.b().name());
            System.out.println(exported.replaceAll("secret = \".*\"", "secret = (not shown)"));
            t.b().gateway().sysctl("net.ipv4.ip_forward", "1");
            Charon swan = Charon.run(t.b().gateway(), exported, Map.of());
            t.up(t.a());
            Traffic.awaitPing(t.a().host(), t.b().hostAddress(), Duration.ofSeconds(30));
            provenBothWays(t, swan);
        }
    }

    @Test
    @DisplayName("strongSwan initiates to sitelink (start_action none): ESTABLISHED and INSTALLED, ping, 64 MiB intact")
    void strongSwanInitiatesToSitelink() throws IOException {
        try (TwoOffices t = TwoOffices.create()) {
            t.writeSiteFile(t.a(), ikeSite(t, t.a(), t.b(), "none", psk(t.a())));
            t.up(t.a());
            Charon swan = charon(t, "none");
            swan.swanctl("--initiate", "--child", "net");
            Traffic.awaitPing(t.a().host(), t.b().hostAddress(), Duration.ofSeconds(30));
            assertTrue(swan.log().contains("IKE_SA_INIT request") || swan.log().contains("initiating IKE_SA"), swan.log());
            provenBothWays(t, swan);
        }
    }

    @Test
    @DisplayName("sitelink to sitelink over IKEv2, both initiating at start: one tunnel, ping, 64 MiB intact; the CHILD SA rekeyed by sitelink's own timer (2 min lifetime) loses no ping at 100/s")
    void sitelinkToSitelink() {
        try (TwoOffices t = TwoOffices.create()) {
            t.writeSiteFile(t.a(), ikeSite(t, t.a(), t.b(), "start", psk(t.a())) + "    child_lifetime: 2m\n");
            t.writeSiteFile(t.b(), ikeSite(t, t.b(), t.a(), "start", psk(t.b())) + "    child_lifetime: 2m\n");
            t.up(t.a());
            t.up(t.b());
            Traffic.awaitPing(t.a().host(), t.b().hostAddress(), Duration.ofSeconds(30));
            transfer(t);
            // one IKE SA and one CHILD SA on both ends, the same SPIs seen from either side
            String a = status(t.a()), b = status(t.b());
            System.out.println(a + b);
            java.util.regex.Matcher ma = CHILD.matcher(a), mb = CHILD.matcher(b);
            assertTrue(ma.find() && mb.find(), a + b);
            assertTrue(a.contains("ESTABLISHED") && b.contains("ESTABLISHED"), a + b);
            assertTrue(a.contains("hybrid (curve25519 + mlkem768)"), "two sitelinks agree on ML-KEM by default:\n" + a);
            assertEquals(ma.group(1) + ma.group(2), mb.group(2) + mb.group(1), "A's inbound SPI is B's outbound:\n" + a + b);

            // the CHILD SA's lifetime runs out (rekey 108-120 s after it was installed): a new one, with PFS, no ping lost
            String first = ma.group(1);
            sitelink.testbed.Proc ping = Traffic.startEndlessPing(t.a().host(), t.b().hostAddress(), 0.01);
            E2e.await(Duration.ofSeconds(150), "the CHILD SA rekeyed by a timer", () -> {
                java.util.regex.Matcher m = CHILD.matcher(status(t.a()));
                return m.find() && !m.group(1).equals(first) && !status(t.a()).contains(first);
            }, () -> status(t.a()) + t.a().sitelink().tail());
            int after = count(ping.output(), "bytes from");
            E2e.await(Duration.ofSeconds(10), "200 more replies after the rekey", () -> count(ping.output(), "bytes from") > after + 200,
                    ping::tail);
            Traffic.Lost lost = Traffic.stopPing(ping);
            assertEquals(List.of(), lost.sequences(), "pings lost across the rekey (of " + lost.counted() + ")");
            assertTrue(t.a().sitelink().output().contains("installed") && status(t.b()).contains("ESTABLISHED"), status(t.b()));
        }
    }

    private static String status(TwoOffices.Office o) {
        return o.gateway().execOk(E2e.home().resolve("sitelink").toString(), "status", o.iface());
    }

    @Test
    @DisplayName("one gateway, one remote site over WireGuard (sitelink) and one over IKEv2 (strongSwan): both carry traffic")
    void wireGuardAndIkeSitesTogether() throws IOException {
        try (TwoOffices t = TwoOffices.create()) {
            TwoOffices.Office c = t.addOffice();
            // A: office-b over WireGuard, office-c over IKEv2; B runs sitelink (WireGuard), C runs charon
            t.writeSiteFile(t.b(), t.a());
            String wg = t.writeSiteFileText(t.a(), t.b());
            t.writeSiteFile(t.a(), wg + ikeRemote(c, "start", psk(t.a())));
            Charon swan = charon(t, c, t.a(), "none");
            t.up(t.a());
            t.up(t.b());
            bothReached(t, c, "over WireGuard", "over IKEv2");
            assertTrue(swan.swanctl("--list-sas").contains("INSTALLED"), swan.swanctl("--list-sas"));
        }
    }

    @Test
    @DisplayName("rekeys by charon (CHILD SA with PFS, then the IKE SA) lose no ping at 100/s; charon stopped: DOWN within three DPD intervals with an event, and back when it returns")
    void rekeysLoseNothingAndDpdNoticesAPeerThatIsGone() throws IOException {
        try (TwoOffices t = TwoOffices.create()) {
            Charon swan = charon(t, "none");
            t.writeSiteFile(t.a(), ikeSite(t, t.a(), t.b(), "start", psk(t.a())));
            t.up(t.a());
            Traffic.awaitPing(t.a().host(), t.b().hostAddress(), Duration.ofSeconds(30));
            String first = swan.swanctl("--list-sas");
            sitelink.testbed.Proc ping = Traffic.startEndlessPing(t.a().host(), t.b().hostAddress(), 0.01);
            E2e.await(Duration.ofSeconds(10), "the first 100 replies", () -> count(ping.output(), "bytes from") > 100, ping::tail);
            swan.swanctl("--rekey", "--child", "net");
            E2e.await(Duration.ofSeconds(20), "the rekeyed CHILD SA on charon's side", () -> {
                String sas = swan.swanctl("--list-sas");
                return sas.contains("INSTALLED") && !sas.equals(first) && count(sas, "INSTALLED") == 1;
            }, () -> swan.swanctl("--list-sas"));
            swan.swanctl("--rekey", "--ike", "office-a");
            E2e.await(Duration.ofSeconds(20), "charon's IKE SA rekeyed", () -> swan.log().contains("IKE_SA office-a[")
                    && swan.log().contains("rekeyed"), swan::log);
            int afterRekeys = count(ping.output(), "bytes from");
            E2e.await(Duration.ofSeconds(10), "200 more replies after the rekeys",
                    () -> count(ping.output(), "bytes from") > afterRekeys + 200, ping::tail);
            Traffic.Lost lost = Traffic.stopPing(ping);
            assertEquals(List.of(), lost.sequences(), "pings lost across the rekeys (of " + lost.counted() + ")");
            String status = sitelinkStatus(t);
            assertTrue(status.contains("ESTABLISHED"), status);

            // charon gone without a word (SIGKILL: no Delete): our liveness check (dpd_delay 5s) goes unanswered; DOWN
            // within 3 x 5 s, and an event says so
            long stoppedAt = System.nanoTime();
            swan.process().signal("KILL");
            swan.process().close();
            E2e.await(Duration.ofSeconds(20), "sitelink reports office-b DOWN", () -> sitelinkStatus(t).contains("DOWN"),
                    () -> sitelinkStatus(t) + t.a().sitelink().tail());
            double seconds = (System.nanoTime() - stoppedAt) / 1e9;
            System.out.printf("DOWN %.1f s after charon stopped (dpd_delay 5s)%n", seconds);
            assertTrue(seconds <= 15 + 1, "down within three DPD intervals: " + seconds + " s");
            E2e.await(Duration.ofSeconds(5), "the down event", () -> t.a().sitelink().output()
                    .contains("tunnel office-a -> office-b (203.0.113.2:4500) is down: TIMEOUT: no answer from"), t.a().sitelink()::tail);

            // charon back (answering only): sitelink's retries bring the site back
            Charon again = charon(t, "none");
            Traffic.awaitPing(t.a().host(), t.b().hostAddress(), Duration.ofSeconds(90));
            assertTrue(again.swanctl("--list-sas").contains("ESTABLISHED"), again.swanctl("--list-sas"));
            assertTrue(sitelinkStatus(t).contains("ESTABLISHED"), sitelinkStatus(t));
        }
    }

    @Test
    @DisplayName("sitelink under load (forced here) asks for a cookie: charon's IKE_SA_INIT answered with N(COOKIE) alone, sent again with it, ESTABLISHED, ping")
    void strongSwanEchoesTheCookieSitelinkAsksForUnderLoad() throws IOException {
        try (TwoOffices t = TwoOffices.create()) {
            t.writeSiteFile(t.a(), ikeSite(t, t.a(), t.b(), "none", psk(t.a())));
            t.up(t.a(), "-Dsitelink.ike.cookies_above=0");
            Charon swan = charon(t, "none");
            swan.swanctl("--initiate", "--child", "net");
            Traffic.awaitPing(t.a().host(), t.b().hostAddress(), Duration.ofSeconds(30));
            String log = swan.log();
            assertTrue(log.contains("parsed IKE_SA_INIT response 0 [ N(COOKIE) ]"), "sitelink's first answer is the cookie:\n" + log);
            assertTrue(log.matches("(?s).*generating IKE_SA_INIT request 0 \\[ N\\(COOKIE\\) SA KE No .*"),
                    "charon sends its request again with the cookie first:\n" + log);
            assertTrue(sitelinkStatus(t).contains("ESTABLISHED"), sitelinkStatus(t));
            String json = sitelinkStatusJson(t);
            assertTrue(json.matches("(?s).*\"psk_age_days\"\\s*:\\s*0\\b.*"), "the PSK file written just now: " + json);
        }
    }

    @Test
    @DisplayName("strongSwan restarted (killed, then initiating anew with INITIAL_CONTACT): sitelink drops the old IKE SA at once instead of at a failed liveness check; one IKE SA, one CHILD SA, ping")
    void aRestartedStrongSwanReplacesItsOldIkeSaAtOnce() throws IOException {
        try (TwoOffices t = TwoOffices.create()) {
            t.writeSiteFile(t.a(), ikeSite(t, t.a(), t.b(), "none", psk(t.a())));
            t.up(t.a());
            Charon swan = charonUniqueReplace(t);
            Traffic.awaitPing(t.a().host(), t.b().hostAddress(), Duration.ofSeconds(30));
            String before = sitelinkStatusJson(t);
            assertEquals(1, count(before, "\"spi_in\""), before);

            swan.process().signal("KILL"); // no Delete: sitelink still holds the IKE SA charon forgot
            swan.process().close();
            long killedAt = System.nanoTime();
            Charon again = charonUniqueReplace(t);
            E2e.await(Duration.ofSeconds(20), "sitelink holding only charon's new IKE SA", () -> {
                String now = sitelinkStatusJson(t);
                return now.contains("ESTABLISHED") && count(now, "\"spi_in\"") == 1 && !ikeSpi(now).equals(ikeSpi(before));
            }, () -> sitelinkStatusJson(t) + t.a().sitelink().tail() + again.log());
            double seconds = (System.nanoTime() - killedAt) / 1e9;
            System.out.printf("one IKE SA again %.1f s after charon was killed (dpd_delay 5s)%n", seconds);
            assertTrue(again.log().contains("N(INIT_CONTACT)"), "charon's IKE_AUTH says INITIAL_CONTACT:\n" + again.log());
            String log = t.a().sitelink().output();
            assertTrue(log.contains("the peer restarted (INITIAL_CONTACT): its old IKE SA (SPI " + ikeSpi(before) + "_i)"), log);
            assertTrue(!log.contains("is down"), "the old IKE SA went without a failed liveness check or a down event:\n" + log);
            Traffic.awaitPing(t.a().host(), t.b().hostAddress(), Duration.ofSeconds(5));
        }
    }

    /**
     * charon initiating at start with {@code unique = replace} and our identity as its {@code remote.id}: only then
     * does its IKE_AUTH say INITIAL_CONTACT (when it holds no other IKE SA with us); with swanctl's defaults
     * ({@code unique = no}, no remote id) it never does.
     */
    private static Charon charonUniqueReplace(TwoOffices t) throws IOException {
        t.b().gateway().sysctl("net.ipv4.ip_forward", "1");
        String conf = conf(t.b(), t.a(), "start", PSK, "aes256gcm16-prfsha256-modp2048", t.b().lan())
                .replaceFirst("(?m)^(\\s*)dpd_delay = 5s$", "$1dpd_delay = 5s\n$1unique = replace")
                .replaceFirst("(?m)^(\\s*)remote \\{\\s*\n(\\s*)auth = psk$", "$1remote {\n$2auth = psk\n$2id = " + t.a().wanAddress());
        assertTrue(conf.contains("unique = replace") && conf.contains("id = " + t.a().wanAddress()), conf);
        return Charon.run(t.b().gateway(), conf, Map.of());
    }

    private static String sitelinkStatusJson(TwoOffices t) {
        return t.a().gateway().execOk(E2e.home().resolve("sitelink").toString(), "status", "--json", t.a().iface());
    }

    /** The initiator SPI of the one IKEv2 site in a {@code status --json}. */
    private static String ikeSpi(String json) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"ike_spi_i\"\\s*:\\s*\"([0-9a-f]+)\"").matcher(json);
        return m.find() ? m.group(1) : "";
    }

    /**
     * A hub whose IKEv2 sites have no endpoint (branches on dynamic addresses): the first answers every IKE_SA_INIT,
     * and the ID each branch presents in IKE_AUTH picks its site, whose pre-shared key and selectors then apply.
     */
    @Test
    @DisplayName("a hub with two IKEv2 sites without an endpoint: strongSwan (ID its address) and sitelink (ID c.example) each land on their own site by the ID they present, with their own keys: both ESTABLISHED, both carry traffic")
    void sitesWithoutAnEndpointArePickedByThePeersId() throws IOException {
        try (TwoOffices t = TwoOffices.create()) {
            TwoOffices.Office c = t.addOffice();
            String keyC = "office-c's own pre-shared key, not office-b's one at all";
            Path pskAc = t.a().gateway().logDir().resolve("office-c.psk"), pskC = c.gateway().logDir().resolve("office-c.psk");
            TwoOffices.writeSecret(pskAc, keyC + "\n");
            TwoOffices.writeSecret(pskC, keyC + "\n");
            String hub = ikeSite(t, t.a(), t.b(), "none", psk(t.a()))
                    .replace("    endpoint: " + t.b().wanAddress() + "\n", "    remote_id: " + t.b().wanAddress() + "\n")
                    + """
                      - name: %s
                        protocol: ikev2
                        psk_file: %s
                        remote_id: c.example
                        remote_subnets: [%s]
                        esp_proposals: aes256gcm16-modp2048
                        dpd_delay: 5s
                    """.formatted(c.name(), pskAc, c.lan());
            t.writeSiteFile(t.a(), hub);
            t.writeSiteFile(c, ikeSite(t, c, t.a(), "start", pskC) + "    local_id: c.example\n");
            Charon swan = charon(t, "none");
            t.up(t.a());
            swan.swanctl("--initiate", "--child", "net");
            t.up(c);
            bothReached(t, c, "to strongSwan's office", "to sitelink's office");
            String status = sitelinkStatus(t);
            System.out.println(status);
            assertEquals(2, count(status, "ESTABLISHED"), status);
            assertTrue(swan.swanctl("--list-sas").contains("INSTALLED"), swan.swanctl("--list-sas"));
            assertTrue(!t.a().sitelink().output().contains("ID_MISMATCH"), t.a().sitelink().tail());
        }
    }

    /**
     * A peer that makes a CHILD SA per subnet pair (strongSwan with two children, as a policy-based gateway does per
     * ACL entry): each carries its own pair's packets both ways, the older one as well after the newer came.
     */
    @Test
    @DisplayName("strongSwan with two children (two subnet pairs, two CHILD SAs in one IKE SA) initiates both: each carries its own pair's traffic, the first too once the second is up")
    void aChildSaPerSubnetPairEachCarriesItsOwn() throws IOException {
        try (TwoOffices t = TwoOffices.create()) {
            Charon swan = twoPairs(t, "none");
            swan.swanctl("--initiate", "--child", "net");
            Traffic.awaitPing(t.a().host(), t.b().hostAddress(), Duration.ofSeconds(30));
            swan.swanctl("--initiate", "--child", "net2");
            bothPairsCarry(t, swan);
        }
    }

    /**
     * sitelink initiates with both of office B's subnets in one CHILD SA; strongSwan with a child per subnet narrows it
     * to the first, and sitelink asks for the second pair's CHILD SA itself.
     */
    @Test
    @DisplayName("sitelink initiates to strongSwan with a child per subnet: narrowed to the first pair, it asks for a CHILD SA for the second itself; both pairs carry traffic")
    void aPairThePeerLeftOutGetsItsOwnChildSa() throws IOException {
        try (TwoOffices t = TwoOffices.create()) {
            Charon swan = twoPairs(t, "start");
            E2e.await(Duration.ofSeconds(30), "sitelink asking for the second pair", () -> t.a().sitelink().output()
                    .contains("asking the peer for a CHILD SA for"), t.a().sitelink()::tail);
            Traffic.awaitPing(t.a().host(), t.b().hostAddress(), Duration.ofSeconds(30));
            bothPairsCarry(t, swan);
        }
    }

    /**
     * Office A's site for office B with B's LAN and 198.18.9.0/24 (198.18.9.1 on B's gateway), with {@code startAction};
     * office B's charon with a child for each (net, net2), answering only. A is up when this returns.
     */
    private static Charon twoPairs(TwoOffices t, String startAction) throws IOException {
        String second = "198.18.9.0/24";
        t.writeSiteFile(t.a(), ikeSite(t, t.a(), t.b(), startAction, psk(t.a()))
                .replace("remote_subnets: [" + t.b().lan() + "]", "remote_subnets: [" + t.b().lan() + ", " + second + "]"));
        t.b().gateway().execOk("ip", "addr", "add", "198.18.9.1/32", "dev", "lo"); // an address of the second subnet
        t.b().gateway().sysctl("net.ipv4.ip_forward", "1");
        String twoChildren = conf(t.b(), t.a(), "none", PSK, "aes256gcm16-prfsha256-modp2048", t.b().lan())
                .replace("    children {\n", "    children {\n      net2 {\n        local_ts = " + second + "\n        remote_ts = "
                        + t.a().lan() + "\n        esp_proposals = aes256gcm16-modp2048\n      }\n");
        Charon swan = Charon.run(t.b().gateway(), twoChildren, Map.of());
        t.up(t.a());
        return swan;
    }

    /** Two CHILD SAs at sitelink; host B (first pair) and 198.18.9.1 (second) answer host A; 64 MiB to host B intact. */
    private static void bothPairsCarry(TwoOffices t, Charon swan) {
        Traffic.awaitPing(t.a().host(), "198.18.9.1", Duration.ofSeconds(30));
        String status = sitelinkStatus(t);
        System.out.println(status + swan.swanctl("--list-sas"));
        assertEquals(2, count(status, "_o aes256gcm16"), "two CHILD SAs at sitelink:\n" + status);
        // the first pair's traffic still goes, now that the second pair has its own SA
        Traffic.Ping toB = Traffic.ping(t.a().host(), t.b().hostAddress(), 5, 0.2);
        assertEquals(5, toB.received(), "host A pings host B on the first CHILD SA");
        transfer(t);
        Traffic.Ping toSecond = Traffic.ping(t.a().host(), "198.18.9.1", 5, 0.2);
        assertEquals(5, toSecond.received(), "and 198.18.9.1 on the second");
    }

    @Test
    @DisplayName("PSK mismatch, proposal mismatch, disjoint selectors: not established, and the log, status and diagnose name the mismatch and the fix")
    void mismatchesAreNamed() throws IOException {
        try (TwoOffices t = TwoOffices.create()) {
            Charon swan = charon(t, t.b(), t.a(), "none", "a different pre-shared key on the strongSwan side!!",
                    "aes256gcm16-prfsha256-modp2048", t.b().lan());
            // this site allows only MODP 2048 (group 14)
            t.writeSiteFile(t.a(), ikeSite(t, t.a(), t.b(), "start", psk(t.a())) + "    ike_proposals: aes256gcm16-prfsha256-modp2048\n");
            t.up(t.a());
            E2e.await(Duration.ofSeconds(30), "the PSK mismatch in sitelink's log", () -> t.a().sitelink().output()
                    .contains("office-b: authentication (IKE_AUTH): AUTHENTICATION_FAILED"), t.a().sitelink()::tail);
            assertTrue(t.a().sitelink().output().contains("a space or tab at either end"), t.a().sitelink().tail());
            String diagnose = diagnose(t);
            assertTrue(diagnose.contains("IKEv2 office-b") && diagnose.contains("AUTHENTICATION_FAILED")
                    && diagnose.contains("put the same pre-shared key on both sides"), diagnose);
            assertTrue(sitelinkStatus(t).contains("DOWN"), sitelinkStatus(t));

            // the keys agree now, but charon allows only P-384 (group 20) and this site only MODP 2048
            swan.reload(conf(t.b(), t.a(), "none", PSK, "aes256gcm16-prfsha256-ecp384", t.b().lan()));
            E2e.await(Duration.ofSeconds(30), "the proposal mismatch in sitelink's log", () -> t.a().sitelink().output()
                    .contains("office-b: phase 1 (IKE_SA_INIT): NO_PROPOSAL_CHOSEN"), t.a().sitelink()::tail);

            // proposals agree, but charon's selectors are another subnet: the IKE SA comes up, no CHILD SA
            swan.reload(conf(t.b(), t.a(), "none", PSK, "aes256gcm16-prfsha256-modp2048", "198.18.9.0/24"));
            E2e.await(Duration.ofSeconds(40), "the selector mismatch in sitelink's log", () -> t.a().sitelink().output()
                    .contains("office-b: phase 2 (CHILD SA): TS_UNACCEPTABLE"), t.a().sitelink()::tail);
            String d = diagnose(t);
            assertTrue(d.contains("IKEv2 office-b: phase 2") && d.contains("TS_UNACCEPTABLE") && d.contains("198.18.1.0/24")
                    && d.contains("make the selectors mirror each other"), d);
            assertTrue(!swan.swanctl("--list-sas").contains("INSTALLED"), swan.swanctl("--list-sas"));
        }
    }

    /** Host A pings host B and host C through their tunnels, then sends each 8 MiB: both arrive intact. */
    private static void bothReached(TwoOffices t, TwoOffices.Office c, String overB, String overC) {
        Traffic.awaitPing(t.a().host(), t.b().hostAddress(), Duration.ofSeconds(30));
        Traffic.awaitPing(t.a().host(), c.hostAddress(), Duration.ofSeconds(30));
        TcpTransfer.Result toB = TcpTransfer.start(t.a().host(), t.b().host(), t.b().hostAddress(), 8 * TcpTransfer.MIB, 0)
                .await(Duration.ofSeconds(60));
        TcpTransfer.Result toC = TcpTransfer.start(t.a().host(), c.host(), c.hostAddress(), 8 * TcpTransfer.MIB, 0)
                .await(Duration.ofSeconds(60));
        assertEquals(toB.sentSha256(), toB.receivedSha256(), overB);
        assertEquals(toC.sentSha256(), toC.receivedSha256(), overC);
    }

    private static String diagnose(TwoOffices t) {
        sitelink.testbed.Command.Result r = t.a().gateway().exec(Duration.ofSeconds(60), E2e.home().resolve("sitelink").toString(),
                "diagnose", t.a().siteFile().toString());
        return r.stdout() + r.stderr();
    }

    private static String sitelinkStatus(TwoOffices t) {
        return t.a().gateway().execOk(E2e.home().resolve("sitelink").toString(), "status", t.a().iface());
    }

    private static int count(String s, String what) {
        return s.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }

    /** Charon's SAs as the issue asks, then host A and host B exchange 64 MiB each way through ESP. */
    private static void provenBothWays(TwoOffices t, Charon swan) {
        String sas = swan.swanctl("--list-sas");
        assertTrue(sas.contains("ESTABLISHED") && sas.contains("INSTALLED, TUNNEL-in-UDP"), sas);
        transfer(t);
        Traffic.Ping back = Traffic.ping(t.b().host(), t.a().hostAddress(), 5, 0.2);
        assertEquals(5, back.received(), "host B pings host A through charon and sitelink");
    }

    private static void transfer(TwoOffices t) {
        TcpTransfer.Result r = TcpTransfer.start(t.a().host(), t.b().host(), t.b().hostAddress(), TRANSFER, 0)
                .await(Duration.ofSeconds(120));
        assertEquals(TRANSFER, r.received(), "host B received every byte host A sent");
        assertEquals(r.sentSha256(), r.receivedSha256(), "and the same bytes");
        System.out.printf("64 MiB over IKEv2/ESP in %.2f s%n", r.receiveSeconds());
    }

    /** The PSK file of {@code self}'s gateway (0600). */
    static Path psk(TwoOffices.Office self) {
        Path p = self.gateway().logDir().resolve(self.name() + ".psk");
        TwoOffices.writeSecret(p, PSK + "\n");
        return p;
    }

    static String ikeSite(TwoOffices t, TwoOffices.Office self, TwoOffices.Office remote, String startAction, Path psk) {
        return """
                name: %s
                private_key_file: %s
                tunnel:
                  name: %s
                local_subnets: [%s]
                remote_sites:
                """.formatted(self.name(), self.keyFile(), self.iface(), self.lan()) + ikeRemote(remote, startAction, psk);
    }

    static String ikeRemote(TwoOffices.Office remote, String startAction, Path psk) {
        return """
                  - name: %s
                    protocol: ikev2
                    psk_file: %s
                    endpoint: %s
                    remote_subnets: [%s]
                    esp_proposals: aes256gcm16-modp2048
                    start_action: %s
                    dpd_delay: 5s
                """.formatted(remote.name(), psk, remote.wanAddress(), remote.lan(), startAction);
    }

    private static Charon charon(TwoOffices t, String startAction) throws IOException {
        return charon(t, t.b(), t.a(), startAction);
    }

    /** charon as {@code self}'s gateway, linked to {@code remote}'s sitelink, forwarding for its LAN. */
    private static Charon charon(TwoOffices t, TwoOffices.Office self, TwoOffices.Office remote, String startAction)
            throws IOException {
        return charon(t, self, remote, startAction, PSK, "aes256gcm16-prfsha256-modp2048", self.lan());
    }

    private static Charon charon(TwoOffices t, TwoOffices.Office self, TwoOffices.Office remote, String startAction,
                                 String psk, String proposals, String localTs) throws IOException {
        self.gateway().sysctl("net.ipv4.ip_forward", "1");
        return Charon.run(self.gateway(), conf(self, remote, startAction, psk, proposals, localTs), Map.of());
    }

    private static String conf(TwoOffices.Office self, TwoOffices.Office remote, String startAction, String psk,
                               String proposals, String localTs) {
        return Charon.officeConnection(self, remote, proposals, "auth = psk", "auth = psk", localTs, "aes256gcm16-modp2048",
                "start_action = " + startAction + "\n    dpd_action = restart")
                + "secrets { ike-site { secret = \"" + psk + "\" } }\n";
    }
}
