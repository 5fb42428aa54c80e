package sitelink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;
import sitelink.device.DeviceUpdate;
import sitelink.device.PeerUpdate;
import sitelink.route.Prefix;

/** wg-quick .conf files are accepted as they are and map to the same model as a YAML site file. */
class WgQuickSourceTest {
    static final String TYPICAL = """
            [Interface]
            # office A's gateway
            PrivateKey = %s
            Address = 198.19.0.1/30, 2001:db8:19::1/64
            ListenPort = 51820
            MTU = 1400
            FwMark = 0x1234

            [Peer]
            # Name = office-b
            PublicKey = %s
            AllowedIPs = 198.18.2.0/24, 198.19.0.2/32
            AllowedIPs = 2001:db8:2::/64
            Endpoint = 198.18.0.2:51821
            PersistentKeepalive = 25
            """.formatted(SiteFileTest.ALICE_PRIVATE, SiteFileTest.BOB_PUBLIC);

    static SiteFile parse(String text) {
        return SiteFile.parse("sl-b.conf", text, Path.of("/nonexistent"), SiteFile.Format.WG_QUICK);
    }

    static List<String> errors(String text) {
        return parse(text).errors().stream().map(ConfigProblem::toString).toList();
    }

    @Test
    void typicalFileMapsToTheModel() {
        SiteFile f = parse(TYPICAL);
        assertEquals(List.of(), f.problems());
        SiteConfig c = f.config().orElseThrow();
        assertEquals("sl-b", c.name());
        assertEquals(Key.fromBase64(SiteFileTest.ALICE_PRIVATE), c.privateKey());
        assertEquals(51820, c.listenPort());
        assertEquals(0x1234, c.fwmark());
        assertEquals("sl-b", c.tunnel().name());
        assertEquals(List.of(InterfaceAddress.parse("198.19.0.1/30"), InterfaceAddress.parse("2001:db8:19::1/64")),
                c.tunnel().addresses());
        assertEquals(1400, c.tunnel().mtu());
        assertEquals(TunnelInterface.MAIN_TABLE, c.tunnel().routeTable());
        assertEquals(List.of(), c.localSubnets());
        RemoteSite b = c.remoteSites().get(0);
        assertEquals(new RemoteSite("office-b", Key.fromBase64(SiteFileTest.BOB_PUBLIC), Optional.empty(),
                Optional.of(new Endpoint("198.18.0.2", 51821)),
                List.of(Prefix.parse("198.18.2.0/24"), Prefix.parse("198.19.0.2/32"), Prefix.parse("2001:db8:2::/64")), 25), b);

        DeviceUpdate u = c.toDeviceUpdate(Map.of(b, new InetSocketAddress("198.18.0.2", 51821)));
        assertEquals(new DeviceUpdate(Optional.of(c.privateKey()), OptionalInt.of(51820), OptionalInt.of(0x1234), true,
                List.of(new PeerUpdate(b.publicKey(), false, false, Optional.empty(),
                        Optional.of(new InetSocketAddress("198.18.0.2", 51821)), OptionalInt.of(25), true, b.remoteSubnets()))), u);
    }

    @Test
    void unnamedPeersAreNumberedAndTableOffMeansNoRoutes() {
        SiteConfig c = parse(TYPICAL.replace("# Name = office-b\n", "").replace("MTU = 1400", "Table = off")).config().orElseThrow();
        assertEquals("peer-1", c.remoteSites().get(0).name());
        assertEquals(TunnelInterface.NO_ROUTES, c.tunnel().routeTable());
        assertEquals(TunnelInterface.DEFAULT_MTU, c.tunnel().mtu());
    }

    @Test
    void postUpIsRefusedWithFileAndLine() {
        assertEquals(List.of("sl-b.conf:6:1: PostUp is refused: sitelink does not run hook commands; describe routes with "
                        + "local_subnets/remote_subnets (AllowedIPs) and run other commands from the service manager around "
                        + "sitelink (e.g. systemd ExecStartPre=/ExecStartPost=), then remove this line"),
                errors(TYPICAL.replace("MTU = 1400", "PostUp = iptables -A FORWARD -i %i -j ACCEPT")));
    }

    @Test
    void dnsAndSaveConfigAreWarningsAndIgnored() {
        SiteFile f = parse(TYPICAL.replace("MTU = 1400", "DNS = 198.18.1.53\nSaveConfig = true"));
        assertTrue(f.config().isPresent());
        assertEquals(List.of("sl-b.conf:6:1: warning: DNS is ignored: a site gateway does not change this host's resolvers; "
                        + "configure them in the system (resolv.conf or systemd-resolved) and remove this line",
                "sl-b.conf:7:1: warning: SaveConfig is ignored: sitelink never rewrites its configuration file"),
                f.problems().stream().map(ConfigProblem::toString).toList());
    }

    @Test
    void errorsUseWgQuickNamesAndPointIntoTheLine() {
        assertEquals(List.of("sl-b.conf:11:13: PublicKey is not valid base64 (a WireGuard key is 44 characters ending in '='); "
                        + "ask that site for its public key ('sitelink pubkey < its.key' there)",
                "sl-b.conf:12:29: '198.19.0.2/33' is not a subnet (prefix length 33 is too long for 198.19.0.2 (max 32)); "
                        + "write ADDRESS/LENGTH, e.g. 198.18.1.0/24 or 2001:db8:1::/64",
                "sl-b.conf:15:1: unknown field 'PersistentKeepAlivee' in [Peer]; did you mean 'PersistentKeepalive'?"),
                errors(TYPICAL.replace(SiteFileTest.BOB_PUBLIC, "not-base64!")
                        .replace("198.19.0.2/32", "198.19.0.2/33").replace("PersistentKeepalive", "PersistentKeepAlivee")));
    }

    @Test
    void contentDecidesTheFormatWhenTheExtensionDoesNot() {
        assertEquals(SiteFile.Format.WG_QUICK, SiteFile.Format.detect("office", "# comment\n[Interface]\n"));
        assertEquals(SiteFile.Format.YAML, SiteFile.Format.detect("office", "name: office-a\n"));
        assertEquals(SiteFile.Format.WG_QUICK, SiteFile.Format.detect("x.conf", "name: x\n"));
    }
}
