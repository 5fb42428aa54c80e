package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code sitelink reload} of a gateway with IKEv2 sites (docs/ikev2.md): office A's sitelink links to B and C, both
 * sitelink over IKEv2. A reload applies the IKEv2 sites by difference, as it does WireGuard's: a site removed from
 * the file has its IKE SA deleted (its peer learns at once) while the untouched site keeps its IKE SA and loses no
 * ping; a site edited gets a new IKE SA with what the file now says; a site added comes up.
 */
class IkeReloadIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @DisplayName("reload with IKEv2 sites: C removed (its IKE SA deleted, B untouched, no ping to B lost), then B edited (a new IKE SA) and C added back")
    void ikeSitesAreReloadedByDifference() {
        try (TwoOffices t = TwoOffices.create()) {
            TwoOffices.Office a = t.a(), b = t.b(), c = t.addOffice();
            String both = GatewayIkeIT.ikeSite(t, a, b, "start", GatewayIkeIT.psk(a))
                    + GatewayIkeIT.ikeRemote(c, "start", GatewayIkeIT.psk(a));
            t.writeSiteFile(a, both);
            t.writeSiteFile(b, GatewayIkeIT.ikeSite(t, b, a, "start", GatewayIkeIT.psk(b)));
            t.writeSiteFile(c, GatewayIkeIT.ikeSite(t, c, a, "none", GatewayIkeIT.psk(c)));
            t.up(a);
            t.up(b);
            t.up(c);
            Traffic.awaitPing(a.host(), b.hostAddress(), Duration.ofSeconds(30));
            Traffic.awaitPing(a.host(), c.hostAddress(), Duration.ofSeconds(30));
            long bSpi = ikeSpi(a, b.name()).orElseThrow();
            assertTrue(ikeSpi(c, a.name()).isPresent(), "C is up with A");

            // C removed: its IKE SA is deleted (C sees it at once), B's stays, pings to B flow throughout
            sitelink.testbed.Proc ping = Traffic.startEndlessPing(a.host(), b.hostAddress(), 0.01);
            E2e.await(Duration.ofSeconds(10), "pings to B", () -> ping.output().contains("bytes from"), ping::tail);
            t.writeSiteFile(a, GatewayIkeIT.ikeSite(t, a, b, "start", GatewayIkeIT.psk(a)));
            String out = t.reload(a);
            assertTrue(out.contains("IKEv2 sites: added none; removed " + c.name() + "; changed none; unchanged " + b.name()), out);
            E2e.await(Duration.ofSeconds(10), "C to learn that its IKE SA with A was deleted",
                    () -> ikeSpi(c, a.name()).isEmpty(), () -> status(c));
            assertEquals(Optional.of(bSpi), ikeSpi(a, b.name()), "B's IKE SA untouched:\n" + status(a));
            int before = count(ping.output());
            E2e.await(Duration.ofSeconds(10), "100 more replies from B", () -> count(ping.output()) > before + 100, ping::tail);
            Traffic.Lost lost = Traffic.stopPing(ping);
            assertEquals(List.of(), lost.sequences(), "pings to B lost while C was removed (of " + lost.counted() + ")");
            assertFalse(a.host().exec(Duration.ofSeconds(10), "ping", "-c", "1", "-W", "1", c.hostAddress()).ok(),
                    "C's LAN is no longer routed into the tunnel");

            // B edited (a shorter DPD delay: a new IKE SA negotiates it) and C added back
            t.writeSiteFile(a, GatewayIkeIT.ikeSite(t, a, b, "start", GatewayIkeIT.psk(a)).replace("dpd_delay: 5s", "dpd_delay: 4s")
                    + GatewayIkeIT.ikeRemote(c, "start", GatewayIkeIT.psk(a)));
            out = t.reload(a);
            assertTrue(out.contains("IKEv2 sites: added " + c.name() + "; removed none; changed " + b.name() + "; unchanged none"), out);
            Traffic.awaitPing(a.host(), c.hostAddress(), Duration.ofSeconds(30));
            Traffic.awaitPing(a.host(), b.hostAddress(), Duration.ofSeconds(30));
            long newSpi = ikeSpi(a, b.name()).orElseThrow();
            assertNotEquals(bSpi, newSpi, "B has a new IKE SA:\n" + status(a));
            assertEquals(Optional.of(newSpi), ikeSpi(b, a.name()), "and B agrees:\n" + status(b));
        }
    }

    @Test
    @DisplayName("reload adds the first IKEv2 site to a gateway that had only WireGuard: UDP 500 and 4500 open then, the site comes up, WireGuard's keeps flowing")
    void reloadAddsTheFirstIkeSite() {
        try (TwoOffices t = TwoOffices.create()) {
            TwoOffices.Office a = t.a(), b = t.b(), c = t.addOffice();
            t.writeSiteFile(a, b);
            t.writeSiteFile(b, a);
            t.writeSiteFile(c, GatewayIkeIT.ikeSite(t, c, a, "none", GatewayIkeIT.psk(c)));
            t.up(a);
            t.up(b);
            t.up(c);
            Traffic.awaitPing(a.host(), b.hostAddress(), Duration.ofSeconds(30));
            assertFalse(a.gateway().exec(Duration.ofSeconds(10), "ss", "-Hlun", "sport = :500").stdout().contains(":500"),
                    "no IKEv2 site yet: UDP 500 is not open");

            sitelink.testbed.Proc ping = Traffic.startEndlessPing(a.host(), b.hostAddress(), 0.01);
            E2e.await(Duration.ofSeconds(10), "pings to B", () -> ping.output().contains("bytes from"), ping::tail);
            t.writeSiteFile(a, t.writeSiteFileText(a, b) + GatewayIkeIT.ikeRemote(c, "start", GatewayIkeIT.psk(a)));
            String out = t.reload(a);
            assertTrue(out.contains("IKEv2 sites: added " + c.name() + "; removed none; changed none; unchanged none"), out);
            Traffic.awaitPing(a.host(), c.hostAddress(), Duration.ofSeconds(30));
            assertTrue(ikeSpi(a, c.name()).isPresent(), "A holds an IKE SA with C:\n" + status(a));
            assertTrue(ikeSpi(c, a.name()).isPresent(), "and C with A:\n" + status(c));
            int before = count(ping.output());
            E2e.await(Duration.ofSeconds(10), "100 more replies from B", () -> count(ping.output()) > before + 100, ping::tail);
            Traffic.Lost lost = Traffic.stopPing(ping);
            assertEquals(List.of(), lost.sequences(), "pings to B (WireGuard) lost across the reload (of " + lost.counted() + ")");
        }
    }

    private static String status(TwoOffices.Office o) {
        return o.gateway().execOk(E2e.home().resolve("sitelink").toString(), "status", o.iface());
    }

    /** The initiator SPI of the established IKE SA {@code self}'s gateway holds with its IKEv2 site {@code peer}. */
    private static Optional<Long> ikeSpi(TwoOffices.Office self, String peer) {
        String json = self.gateway().execOk(E2e.home().resolve("sitelink").toString(), "status", "--json", self.iface());
        try {
            for (JsonNode sites : JSON.readTree(json).findValues("ike_sites")) {
                for (JsonNode s : sites) {
                    if (s.path("peer").asText().equals(peer) && s.path("state").asText().equals("ESTABLISHED")) {
                        return Optional.of(Long.parseUnsignedLong(s.path("ike_spi_i").asText(), 16));
                    }
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(json, e);
        }
    }

    private static int count(String pingOutput) {
        return (int) pingOutput.lines().filter(l -> l.contains("bytes from")).count();
    }
}
