package sitelink.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.config.ConfigProblem;
import sitelink.config.Endpoint;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;
import sitelink.config.SiteFile;
import sitelink.crypto.Key;
import sitelink.crypto.X25519;
import sitelink.route.Prefix;

/**
 * What a site's remote sites become from the topology in etcd and the records the sites published, and that a change
 * touches only the links it concerns (the gateway's reload leaves equal remote sites, and their sessions, alone).
 */
class AgentFileTest {
    private static final String HQ = "9OOlwgoGrtwIuiHn3D1IqH+UNyJuZTk9k6xYgSDxt3Y=";
    private static final String SHOP_3 = "83pRxMcJYL+4MhMoJyO7/r0tjdCoQ6dsSnliQ5kQj18=";

    @TempDir
    Path dir;
    private String topology;
    private String hqFile;
    private String shop2File;

    @BeforeEach
    void files() throws IOException {
        topology = Files.readString(Path.of("src/test/resources/plan/hub-and-spoke/topology.yaml"));
        Path key = dir.resolve("site.key");
        Files.writeString(key, X25519.generatePrivate(new SecureRandom()).toBase64() + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        hqFile = siteFile("hq", "198.19.0.1", "198.18.1.0/24", key);
        shop2File = siteFile("shop-2", "198.19.0.3", "198.18.12.0/24", key);
    }

    private static String siteFile(String name, String tunnelAddress, String subnet, Path key) {
        return """
                name: %s
                private_key_file: %s
                listen_port: 51820
                tunnel:
                  name: sl-small
                  addresses: [%s/29]
                local_subnets:
                  - %s
                """.formatted(name, key, tunnelAddress, subnet);
    }

    private SiteConfig load(AgentFile.Result r) {
        assertEquals(List.of(), r.problems());
        SiteFile f = SiteFile.parse("composed.yaml", r.text().orElseThrow(), dir, SiteFile.Format.YAML);
        assertEquals(List.of(), f.problems().stream().filter(ConfigProblem::isError).toList(), r.text().get());
        return f.config().orElseThrow();
    }

    private static RemoteSite remote(SiteConfig c, String name) {
        return c.remoteSites().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aSpokeLinksToItsHubAndReachesEveryOtherSiteThroughIt() {
        SiteConfig c = load(AgentFile.compose("shop-2", shop2File, Optional.of(topology), Map.of()));
        assertEquals(List.of("hq"), c.remoteSites().stream().map(RemoteSite::name).toList());
        assertEquals(Optional.of(Endpoint.parse("203.0.113.1:51820")), remote(c, "hq").endpoint());
        assertTrue(remote(c, "hq").remoteSubnets().containsAll(List.of(Prefix.parse("198.18.1.0/24"),
                Prefix.parse("198.18.11.0/24"), Prefix.parse("198.18.13.0/24"))), remote(c, "hq").remoteSubnets()::toString);
        assertEquals(List.of(Prefix.parse("198.18.12.0/24")), c.localSubnets(), "the site's own part stays its own");
    }

    @Test
    void aRecordsEndpointReplacesTheTopologysAndChangesOnlyThatLink() {
        SiteConfig before = load(AgentFile.compose("hq", hqFile, Optional.of(topology), Map.of()));
        String moved = new SiteRecord(Key.fromBase64(SHOP_3), Optional.of(Endpoint.parse("203.0.113.113:51820")),
                List.of()).format();
        SiteConfig after = load(AgentFile.compose("hq", hqFile, Optional.of(topology), Map.of("shop-3", moved)));
        assertEquals(Optional.of(Endpoint.parse("203.0.113.113:51820")), remote(after, "shop-3").endpoint());
        for (String unchanged : List.of("shop-1", "shop-2")) {
            assertEquals(remote(before, unchanged), remote(after, unchanged), unchanged + " is left alone");
        }
        assertNotEquals(remote(before, "shop-3"), remote(after, "shop-3"));
    }

    @Test
    void aRecordsSubnetsReachEveryOtherSitesRoutes() {
        String more = new SiteRecord(Key.fromBase64(SHOP_3), Optional.empty(),
                List.of(Prefix.parse("198.18.13.0/24"), Prefix.parse("198.18.14.0/24"))).format();
        SiteConfig c = load(AgentFile.compose("shop-2", shop2File, Optional.of(topology), Map.of("shop-3", more)));
        assertTrue(remote(c, "hq").remoteSubnets().contains(Prefix.parse("198.18.14.0/24")));
    }

    @Test
    void aRecordWhoseKeyIsNotTheTopologysIsNotUsed() {
        Key other = X25519.publicKey(X25519.generatePrivate(new SecureRandom()));
        String forged = new SiteRecord(other, Optional.of(Endpoint.parse("198.51.100.66:51820")), List.of()).format();
        AgentFile.Result r = AgentFile.compose("shop-2", shop2File, Optional.of(topology), Map.of("hq", forged));
        assertEquals(Optional.of(Endpoint.parse("203.0.113.1:51820")), remote(load(r), "hq").endpoint());
        assertEquals(List.of("the record of site hq in etcd is not used: its public key is not the topology's (a "
                + "site's key changes in the topology)"), r.notes());
    }

    @Test
    void aRecordThatBreaksTheNetworkChangesNothing() {
        String overlapping = new SiteRecord(Key.fromBase64(SHOP_3), Optional.empty(),
                List.of(Prefix.parse("198.18.1.128/25"))).format();
        AgentFile.Result r = AgentFile.compose("shop-2", shop2File, Optional.of(topology), Map.of("shop-3", overlapping));
        assertTrue(r.text().isEmpty());
        assertTrue(r.problems().stream().anyMatch(p -> p.contains("overlaps")), r.problems()::toString);
    }

    @Test
    void noTopologyOrASiteNotInItChangesNothing() {
        AgentFile.Result none = AgentFile.compose("shop-2", shop2File, Optional.empty(), Map.of());
        assertTrue(none.text().isEmpty());
        assertTrue(none.problems().getFirst().startsWith("no topology in etcd yet"));
        AgentFile.Result stranger = AgentFile.compose("shop-9", shop2File, Optional.of(topology), Map.of());
        assertEquals(List.of("site shop-9 is not in the topology in etcd; add it there (and publish), or check the "
                + "name in the site file"), stranger.problems());
    }

    @Test
    void theSameInputsGiveTheSameText() {
        assertEquals(AgentFile.compose("hq", hqFile, Optional.of(topology), Map.of()).text(),
                AgentFile.compose("hq", hqFile, Optional.of(topology), Map.of()).text());
    }

    @Test
    void aRecordReadsBackAsWritten() {
        SiteRecord r = new SiteRecord(Key.fromBase64(HQ), Optional.of(Endpoint.parse("[2001:db8::1]:51820")),
                List.of(Prefix.parse("198.18.1.0/24"), Prefix.parse("2001:db8:1::/64")));
        assertEquals(new SiteRecord.Parsed.Ok(r), SiteRecord.parse(r.format()));
        assertEquals(new SiteRecord.Parsed.Bad("no public_key"), SiteRecord.parse("subnets: 198.18.1.0/24\n"));
        assertTrue(SiteRecord.parse("public_key: " + HQ + "\nsubnets: 198.18.1.0/33\n") instanceof SiteRecord.Parsed.Bad);
    }
}
