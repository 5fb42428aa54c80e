package sitelink.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import sitelink.device.DeviceStatus;

/** The table lines up under its header; the JSON is exactly docs/status.md's schema version 1. */
class StatusReportTest {
    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

    private static DeviceStatus twoTunnels() {
        PeerFacts b = new PeerFacts().session(NOW.minusSeconds(30), true);
        b.rxBytes = 1536;
        b.txBytes = 100;
        b.rxPackets = 12;
        b.txPackets = 1;
        b.persistentKeepalive = 25;
        b.drops.put("source_not_allowed", 3L);
        b.drops.put("replay", 1L);
        PeerFacts c = new PeerFacts().unanswered(NOW.minusSeconds(2), NOW.minusSeconds(2), 1);
        c.publicKey = PeerFacts.key(3);
        c.name = "office-c-with-a-long-name";
        c.roamingEvents = 2;
        return PeerFacts.device(NOW, b.build(), c.build());
    }

    /** The sizes read as they did with String.format("%.1f"): half-up on the shortest decimal form, no locale. */
    @Test
    void sizesMatchTheFormatterTheyReplace() {
        java.util.Random r = new java.util.Random(15);
        List<Long> sizes = new ArrayList<>(List.of(0L, 1023L, 1024L, 1075L, 1076L, 1177L, 1587L, 1024L * 1024 - 1,
                1024L * 1024, 5L * 1024 * 1024 * 1024 * 1024 * 1024, Long.MAX_VALUE));
        for (int i = 0; i < 100_000; i++) {
            sizes.add(r.nextLong(1L << r.nextInt(1, 63)));
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        for (long n : sizes) {
            String expected = n + " B";
            if (n >= 1024) {
                double v = n;
                int u = -1;
                while (v >= 1024 && u < units.length - 1) {
                    v /= 1024;
                    u++;
                }
                expected = String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
            }
            assertEquals(expected, StatusReport.bytes(n), "size " + n);
        }
    }

    @Test
    void everyCellStartsUnderItsHeader() {
        String[] lines = StatusReport.table(List.of(twoTunnels())).split("\n");
        String header = lines[0];
        List<Integer> starts = new ArrayList<>();
        for (String h : List.of("SITE", "PEER", "STATE", "ENDPOINT", "HANDSHAKE", "REKEY IN", "RX", "TX", "KEEPALIVE",
                "ROAMED", "DROPS")) {
            starts.add(header.indexOf(h, starts.isEmpty() ? 0 : starts.get(starts.size() - 1) + 1));
        }
        for (int row = 1; row <= 2; row++) {
            String line = lines[row];
            for (int i = 1; i < starts.size(); i++) {
                int at = starts.get(i);
                assertTrue(line.charAt(at - 1) == ' ' && line.charAt(at - 2) == ' ' && line.charAt(at) != ' ',
                        "column " + i + " of row " + row + " starts at " + at + ":\n" + String.join("\n", lines));
            }
        }
        String b = lines[1];
        assertEquals("office-a (sl-a)", b.substring(starts.get(0), starts.get(1)).strip());
        assertEquals("ESTABLISHED", b.substring(starts.get(2), starts.get(3)).strip());
        assertEquals(":51820 -> 198.18.0.2:51820", b.substring(starts.get(3), starts.get(4)).strip());
        assertEquals("30 s ago", b.substring(starts.get(4), starts.get(5)).strip());
        assertEquals("90 s", b.substring(starts.get(5), starts.get(6)).strip(), "the initiator rekeys at 120 s");
        assertEquals("1.5 KiB/12p", b.substring(starts.get(6), starts.get(7)).strip());
        assertEquals("replay=1,source_not_allowed=3", b.substring(starts.get(10)));
        String c = lines[2];
        assertEquals("CONNECTING", c.substring(starts.get(2), starts.get(3)).strip());
        assertEquals("never", c.substring(starts.get(4), starts.get(5)).strip());
        assertEquals("", lines[3], "the reasons follow after a blank line");
        assertEquals("  office-a (sl-a) -> office-c-with-a-long-name: handshake sent at "
                + Assessment.time(NOW.minusSeconds(2)) + ", waiting for the answer", lines[4]);
        assertEquals(5, lines.length, "an ESTABLISHED tunnel has no reason line");
    }

    @Test
    void jsonHasTheDocumentedFieldsInOrderWithTheirTypes() throws Exception {
        JsonNode root = new ObjectMapper().readTree(StatusReport.json(List.of(twoTunnels())));
        assertEquals(List.of("version", "tunnels", "ike_sites", "summary"), names(root));
        assertEquals(0, root.get("ike_sites").size(), "no IKEv2 sites on this device");
        assertEquals(1, root.get("version").asInt());
        JsonNode b = root.get("tunnels").get(0);
        assertEquals(List.of("site", "interface", "peer", "public_key", "state", "reason", "local_port", "endpoint",
                "latest_handshake", "latest_handshake_age_seconds", "key_age_seconds", "rekey_in_seconds",
                "handshake_attempts", "rx_bytes", "tx_bytes", "rx_packets", "tx_packets", "persistent_keepalive",
                "roaming_events", "drops", "remote_subnets", "post_quantum"), names(b));
        assertEquals("office-a", b.get("site").asText());
        assertEquals(PeerFacts.THEIRS.toBase64(), b.get("public_key").asText());
        assertEquals("ESTABLISHED", b.get("state").asText());
        assertEquals("", b.get("reason").asText());
        assertEquals(51820, b.get("local_port").asInt());
        assertEquals("198.18.0.2:51820", b.get("endpoint").asText());
        assertEquals("2025-03-01T11:59:30Z", b.get("latest_handshake").asText());
        assertEquals(30, b.get("latest_handshake_age_seconds").asLong());
        assertEquals(30, b.get("key_age_seconds").asLong());
        assertEquals(90, b.get("rekey_in_seconds").asLong());
        assertEquals(1536, b.get("rx_bytes").asLong());
        assertEquals(3, b.get("drops").get("source_not_allowed").asLong());
        assertTrue(b.get("remote_subnets").isArray());
        assertEquals("198.19.2.0/24", b.get("remote_subnets").get(0).asText());

        JsonNode c = root.get("tunnels").get(1);
        assertEquals(names(b), names(c), "absent values are null, never left out");
        assertTrue(c.get("latest_handshake").isNull() && c.get("latest_handshake_age_seconds").isNull()
                && c.get("key_age_seconds").isNull() && c.get("rekey_in_seconds").isNull(), c.toString());
        assertEquals("CONNECTING", c.get("state").asText());
        assertEquals(2, c.get("roaming_events").asLong());
        assertTrue(c.get("drops").isObject() && c.get("drops").isEmpty());

        PeerFacts noEndpoint = new PeerFacts();
        noEndpoint.endpoint = Optional.empty();
        JsonNode n = new ObjectMapper().readTree(StatusReport.json(List.of(PeerFacts.device(NOW, noEndpoint.build()))));
        assertTrue(n.get("tunnels").get(0).get("endpoint").isNull());
    }

    @Test
    void aResponderRekeysOnlyWhenTheSessionIsRejected() throws Exception {
        PeerFacts r = new PeerFacts().session(NOW.minusSeconds(30), false);
        assertEquals(Optional.of(150L), StatusReport.rekeyIn(r.build(), NOW, TunnelState.ESTABLISHED));
        assertEquals(Optional.of(0L), StatusReport.rekeyIn(r.session(NOW.minusSeconds(179), false).build(), NOW.plusSeconds(1),
                TunnelState.ESTABLISHED));
        assertEquals(Optional.empty(), StatusReport.rekeyIn(new PeerFacts().build(), NOW, TunnelState.IDLE));
    }

    /** The peer stopped 20 s ago: the keys are 30 s old, but a DOWN tunnel shows no countdown to a rekey. */
    @Test
    void aDownTunnelShowsNoRekeyCountdown() throws Exception {
        PeerFacts down = new PeerFacts().session(NOW.minusSeconds(30), true).unanswered(NOW.minusSeconds(20),
                NOW.minusSeconds(5), 4);
        DeviceStatus d = PeerFacts.device(NOW, down.build());
        String[] lines = StatusReport.table(List.of(d)).split("\n");
        int at = lines[0].indexOf("REKEY IN");
        assertTrue(lines[1].contains("DOWN"), lines[1]);
        assertEquals("-", lines[1].substring(at).split("\\s+")[0], String.join("\n", lines));
        assertTrue(new ObjectMapper().readTree(StatusReport.json(List.of(d))).get("tunnels").get(0)
                .get("rekey_in_seconds").isNull());
    }

    private static List<String> names(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** IKEv2 sites: a second table under the WireGuard one, the down site's reason after them, and their JSON. */
    @Test
    void ikeSitesHaveATableAndJsonOfTheirOwn() throws Exception {
        Instant at = NOW;
        sitelink.ipsec.IpsecSiteStatus up = new sitelink.ipsec.IpsecSiteStatus("branch", sitelink.ipsec.IpsecSite.idOf("branch"),
                "ESTABLISHED", Optional.of(new java.net.InetSocketAddress("198.51.100.2", 4500)),
                Optional.of("aes256gcm16-prfsha256-modp2048"), 0x1122334455667788L, 0x99L, true, Optional.of(at.minusSeconds(40)),
                List.of(new sitelink.ipsec.IpsecSiteStatus.Child(0xc1c2c3c4, 0x0a0b0c0d, "aes256gcm16", "[198.18.1.0/24]",
                        "[198.18.3.0/24]", at.minusSeconds(40), true)), Optional.empty(), Optional.empty(), Optional.empty(),
                2048, 4096, 2, 4, Optional.of("hybrid (curve25519 + mlkem768)"));
        sitelink.ipsec.IpsecSiteStatus down = new sitelink.ipsec.IpsecSiteStatus("cloud", sitelink.ipsec.IpsecSite.idOf("cloud"),
                "DOWN", Optional.of(new java.net.InetSocketAddress("198.51.100.3", 500)), Optional.empty(), 0, 0, false,
                Optional.empty(), List.of(), Optional.of("AUTHENTICATION_FAILED: the pre-shared keys differ"),
                Optional.of(at.minusSeconds(1)), Optional.of(at.plusSeconds(8)), 0, 0, 0, 0, Optional.empty());
        DeviceStatus d = new DeviceStatus("sl-a", "office-a", Optional.empty(), 51820, at, new java.util.TreeMap<>(), List.of(),
                List.of(up, down));
        String[] lines = StatusReport.table(List.of(d)).split("\n");
        assertTrue(lines[0].startsWith("SITE") && lines[0].contains("PEER (IKEv2)"), lines[0]);
        assertTrue(lines[1].contains("branch") && lines[1].contains("ESTABLISHED") && lines[1].contains("198.51.100.2:4500")
                && lines[1].contains("aes256gcm16-prfsha256-modp2048, hybrid (curve25519 + mlkem768), up 40 s") && lines[1].contains("c1c2c3c4_i 0a0b0c0d_o aes256gcm16")
                && lines[1].contains("2.0 KiB/2p"), lines[1]);
        assertTrue(lines[2].contains("cloud") && lines[2].contains("DOWN"), lines[2]);
        assertEquals("", lines[3]);
        assertEquals("  office-a (sl-a) -> cloud: AUTHENTICATION_FAILED: the pre-shared keys differ; trying again in 8 s", lines[4]);
        JsonNode ike = new ObjectMapper().readTree(StatusReport.json(List.of(d))).get("ike_sites");
        assertEquals(2, ike.size());
        assertEquals("ESTABLISHED", ike.get(0).get("state").asText());
        assertEquals("1122334455667788", ike.get(0).get("ike_spi_i").asText());
        assertEquals("c1c2c3c4", ike.get(0).get("child_sas").get(0).get("spi_in").asText());
        assertTrue(ike.get(0).get("child_sas").get(0).get("outbound").asBoolean());
        assertEquals("AUTHENTICATION_FAILED: the pre-shared keys differ; trying again in 8 s", ike.get(1).get("reason").asText());
    }

    /** Certificates within 30 days of expiry: a reason line each, and in the JSON; none when far off. */
    @Test
    void certificateExpiryWarningsInTableAndJson() throws Exception {
        Instant at = NOW;
        sitelink.ipsec.IpsecSiteStatus site = new sitelink.ipsec.IpsecSiteStatus("branch", sitelink.ipsec.IpsecSite.idOf("branch"),
                "ESTABLISHED", Optional.of(new java.net.InetSocketAddress("198.51.100.2", 4500)),
                Optional.of("aes256gcm16-prfsha256-ecp256"), 1, 2, true, Optional.of(at.minusSeconds(5)), List.of(),
                Optional.empty(), Optional.empty(), Optional.empty(), 0, 0, 0, 0, Optional.empty(),
                Optional.of(at.plus(java.time.Duration.ofDays(400))), Optional.of(at.plus(java.time.Duration.ofDays(9)).plusSeconds(60)));
        DeviceStatus d = new DeviceStatus("sl-a", "office-a", Optional.empty(), 51820, at, new java.util.TreeMap<>(), List.of(),
                List.of(site));
        String day = at.plus(java.time.Duration.ofDays(9)).atZone(java.time.ZoneOffset.UTC).toLocalDate().toString();
        String table = StatusReport.table(List.of(d));
        assertTrue(table.endsWith("\n  office-a (sl-a) -> branch: the peer's certificate expires in 9 days (" + day
                + "); the peer's operator must renew it\n"), table);
        assertTrue(!table.contains("this site's certificate"), "ours is 400 days away: " + table);
        JsonNode j = new ObjectMapper().readTree(StatusReport.json(List.of(d))).get("ike_sites").get(0);
        assertEquals(at.plus(java.time.Duration.ofDays(400)).toString(), j.get("certificate_expires").asText());
        assertEquals(1, j.get("certificate_warnings").size());
        assertEquals("the peer's certificate expires in 9 days (" + day + "); the peer's operator must renew it",
                j.get("certificate_warnings").get(0).asText());
    }

    /** A site without an endpoint that waits for its peer names the ID that peer must present (table and JSON). */
    @Test
    void aWaitingSiteWithoutAnEndpointNamesTheIdItWaitsFor() throws Exception {
        sitelink.ipsec.IpsecSiteStatus site = new sitelink.ipsec.IpsecSiteStatus("kiosk-1", sitelink.ipsec.IpsecSite.idOf("kiosk-1"),
                "WAITING", Optional.empty(), Optional.empty(), 0, 0, false, Optional.empty(), List.of(), Optional.empty(),
                Optional.empty(), Optional.empty(), 0, 0, 0, 0, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.of("kiosk-1.example.org"));
        DeviceStatus d = new DeviceStatus("sl-hub", "hub", Optional.empty(), 51820, NOW, new java.util.TreeMap<>(), List.of(),
                List.of(site));
        String table = StatusReport.table(List.of(d));
        assertTrue(table.contains("start_action none: waiting for the peer to initiate, presenting the ID kiosk-1.example.org"),
                table);
        JsonNode j = new ObjectMapper().readTree(StatusReport.json(List.of(d))).get("ike_sites").get(0);
        assertEquals("kiosk-1.example.org", j.get("awaited_id").asText());
    }

    /** A pre-shared key file unchanged for 97 days: its age in the JSON, and a line saying to rotate it; none at 90. */
    @Test
    void aPreSharedKeyOlderThanNinetyDaysIsToBeRotated() throws Exception {
        Instant at = NOW;
        java.util.function.Function<Integer, sitelink.ipsec.IpsecSiteStatus> aged = days -> new sitelink.ipsec.IpsecSiteStatus(
                "branch", sitelink.ipsec.IpsecSite.idOf("branch"), "ESTABLISHED",
                Optional.of(new java.net.InetSocketAddress("198.51.100.2", 4500)), Optional.of("aes256gcm16-prfsha256-ecp256"),
                1, 2, true, Optional.of(at.minusSeconds(5)), List.of(), Optional.empty(), Optional.empty(), Optional.empty(),
                0, 0, 0, 0, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(at.minus(java.time.Duration.ofDays(days)).minusSeconds(60)));
        DeviceStatus old = new DeviceStatus("sl-a", "office-a", Optional.empty(), 51820, at, new java.util.TreeMap<>(),
                List.of(), List.of(aged.apply(97)));
        String day = at.minus(java.time.Duration.ofDays(97)).minusSeconds(60).atZone(java.time.ZoneOffset.UTC).toLocalDate().toString();
        String table = StatusReport.table(List.of(old));
        assertTrue(table.endsWith("\n  office-a (sl-a) -> branch: rotate the PSK: 97 days old (its psk_file last changed " + day
                + "); make a new key with sitelink genpsk, and give the other gateway the same key\n"), table);
        JsonNode j = new ObjectMapper().readTree(StatusReport.json(List.of(old))).get("ike_sites").get(0);
        assertEquals(97, j.get("psk_age_days").asInt());
        assertTrue(j.get("psk_warning").asText().startsWith("rotate the PSK: 97 days old"), j.toString());

        DeviceStatus recent = new DeviceStatus("sl-a", "office-a", Optional.empty(), 51820, at, new java.util.TreeMap<>(),
                List.of(), List.of(aged.apply(90)));
        assertTrue(!StatusReport.table(List.of(recent)).contains("rotate"), StatusReport.table(List.of(recent)));
        JsonNode r = new ObjectMapper().readTree(StatusReport.json(List.of(recent))).get("ike_sites").get(0);
        assertEquals(90, r.get("psk_age_days").asInt());
        assertTrue(r.get("psk_warning").isNull());
    }

    /** A hub: 30 remote sites, two of them not ESTABLISHED. */
    private static DeviceStatus hub() {
        List<sitelink.device.PeerStatus> peers = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            PeerFacts p = i == 7 ? new PeerFacts().unanswered(NOW.minusSeconds(2), NOW.minusSeconds(2), 1)
                    : i == 12 ? new PeerFacts() : new PeerFacts().session(NOW.minusSeconds(30), false);
            p.publicKey = PeerFacts.key(10 + i);
            p.name = String.format("spoke-%02d", i);
            peers.add(p.build());
        }
        return new DeviceStatus("sl-hub", "hub", Optional.of(PeerFacts.OURS), 51820, NOW, new java.util.TreeMap<>(),
                peers);
    }

    @Test
    void aHubsTableOpensWithTheSummaryAndListsOnlyTheSitesThatNeedALook() {
        String t = StatusReport.table(List.of(hub()));
        List<String> lines = t.lines().toList();
        assertEquals("hub (sl-hub): 30 remote sites: 28 ESTABLISHED, 1 CONNECTING, 1 IDLE", lines.get(0));
        assertEquals(2, lines.stream().filter(l -> l.startsWith("hub (sl-hub)  spoke-")).count(), t);
        assertTrue(lines.stream().anyMatch(l -> l.contains("spoke-07") && l.contains("CONNECTING")), t);
        assertTrue(lines.stream().anyMatch(l -> l.contains("spoke-12") && l.contains("IDLE")), t);
        assertEquals("(28 ESTABLISHED not listed; --all lists every remote site)", lines.get(lines.size() - 1));

        String all = StatusReport.table(List.of(hub()), new StatusReport.View(List.of(), java.util.Set.of(), true, false));
        assertEquals(30, all.lines().filter(l -> l.startsWith("hub (sl-hub)  spoke-")).count(), all);
        assertEquals(List.of("hub (sl-hub): 30 remote sites: 28 ESTABLISHED, 1 CONNECTING, 1 IDLE"),
                StatusReport.table(List.of(hub()), new StatusReport.View(List.of(), java.util.Set.of(), false, true))
                        .lines().toList());
        // A gateway with a few sites keeps its plain table, without a summary.
        assertTrue(StatusReport.table(List.of(twoTunnels())).startsWith("SITE"));
    }

    @Test
    void remoteSitesAreSelectedByNamePatternAndState() throws Exception {
        String one = StatusReport.table(List.of(hub()), new StatusReport.View(List.of("spoke-2?", "spoke-03"),
                java.util.Set.of(), false, false));
        assertEquals(11, one.lines().filter(l -> l.startsWith("hub (sl-hub)  spoke-")).count(), one);
        assertTrue(one.lines().noneMatch(l -> l.contains("spoke-04")), one);
        String connecting = StatusReport.table(List.of(hub()), new StatusReport.View(List.of(),
                java.util.Set.of("CONNECTING"), false, false));
        assertEquals(List.of("spoke-07"), connecting.lines().filter(l -> l.startsWith("hub (sl-hub)  spoke-"))
                .map(l -> l.split("\\s+")[2]).toList(), connecting);
        assertTrue(StatusReport.table(List.of(hub()), new StatusReport.View(List.of("nothing-*"), java.util.Set.of(),
                false, false)).endsWith("(no remote site matches)\n"));

        JsonNode root = new ObjectMapper().readTree(StatusReport.json(List.of(hub()), new StatusReport.View(List.of(),
                java.util.Set.of("IDLE"), false, false)));
        assertEquals(1, root.get("tunnels").size());
        assertEquals("spoke-12", root.get("tunnels").get(0).get("peer").asText());
        JsonNode summary = root.get("summary").get(0);
        assertEquals(30, summary.get("remote_sites").asInt());
        assertEquals(28, summary.get("states").get("ESTABLISHED").asInt());
        assertEquals(1, summary.get("states").get("IDLE").asInt());
        assertEquals(0, summary.get("states").get("DOWN").asInt());
    }
}
