package sitelink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** One test per validation rule: the exact message a user sees (file:line:col, what is wrong, how to fix it). */
class SiteFileTest {
    static final String ALICE_PRIVATE = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
    static final String ALICE_PUBLIC = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
    static final String BOB_PUBLIC = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=";

    static final String GOOD = """
            name: office-a
            private_key: %s
            listen_port: 51820
            tunnel:
              name: sl-b
              addresses: [198.19.0.1/30]
            local_subnets: [198.18.1.0/24]
            remote_sites:
              - name: office-b
                public_key: %s
                endpoint: 198.18.0.2:51820
                remote_subnets: [198.18.2.0/24]
            """.formatted(ALICE_PRIVATE, BOB_PUBLIC);

    static SiteFile parse(String yaml) {
        return SiteFile.parse("office-a.yaml", yaml, Path.of("/nonexistent"), SiteFile.Format.YAML);
    }

    static List<String> errors(String yaml) {
        return parse(yaml).errors().stream().map(ConfigProblem::toString).toList();
    }

    static void assertOnlyError(String expected, String yaml) {
        assertEquals(List.of(expected), errors(yaml));
    }

    @Test
    void telemetryIsReadIntoTheConfig() {
        SiteFile f = parse(GOOD + "metrics: {listen: 9100}\nevents: {syslog: \"tcp://198.18.0.9\", hook: /etc/sitelink/event}\n");
        assertEquals(List.of(), f.problems());
        Telemetry t = f.config().get().telemetry();
        assertEquals("127.0.0.1:9100", t.metricsListen().get().getAddress().getHostAddress() + ":" + t.metricsListen().get().getPort());
        assertEquals("tcp://198.18.0.9:514", t.syslog().get().toString(), "syslog's port defaults to 514");
        assertEquals(Path.of("/etc/sitelink/event"), t.hook().get());
        assertEquals(Optional.of(new SiteFile.Hook(Path.of("/etc/sitelink/event"), f.hook().get().location())), f.hook());
        assertEquals(14, f.hook().get().location().line());
        assertEquals(Telemetry.NONE, parse(GOOD).config().get().telemetry(), "metrics and events are off unless asked for");
    }

    @Test
    void badMetricsListenAddress() {
        assertOnlyError("office-a.yaml:13:19: metrics listen '127.0.0.1:99999' is not ADDRESS:PORT (port 99999 is outside "
                        + "1..65535); write e.g. listen: 127.0.0.1:9586 (the address defaults to 127.0.0.1, the port to 9586)",
                GOOD + "metrics: {listen: \"127.0.0.1:99999\"}\n");
        assertEquals(1, errors(GOOD + "metrics: {listen: localhost:9586}\n").size(), "a name is refused, not resolved");
    }

    @Test
    void metricsPerSiteIsAutoUnlessGiven() {
        assertEquals(Telemetry.PerSite.AUTO, parse(GOOD + "metrics: {listen: 9100}\n").config().get().telemetry()
                .metricsPerSite());
        assertEquals(Telemetry.PerSite.BASIC, parse(GOOD + "metrics: {listen: 9100, per_site: basic}\n").config().get()
                .telemetry().metricsPerSite());
        assertOnlyError("office-a.yaml:13:35: metrics per_site 'some' is not one of auto, all, basic, none; write "
                        + "per_site: auto (every series up to 100 remote sites, four per site above)",
                GOOD + "metrics: {listen: 9100, per_site: some}\n");
        assertEquals(Telemetry.PerSite.ALL, Telemetry.PerSite.AUTO.at(100));
        assertEquals(Telemetry.PerSite.BASIC, Telemetry.PerSite.AUTO.at(101));
        assertEquals(Telemetry.PerSite.NONE, Telemetry.PerSite.NONE.at(3));
    }

    @Test
    void badSyslogUrl() {
        assertOnlyError("office-a.yaml:13:18: events syslog 'http://198.18.0.9:514' is not a syslog collector; write "
                        + "udp://HOST:PORT or tcp://HOST:PORT, e.g. udp://198.18.0.9:514",
                GOOD + "events: {syslog: \"http://198.18.0.9:514\"}\n");
        assertEquals(1, errors(GOOD + "events: {syslog: \"udp://\"}\n").size(), "no host");
    }

    @Test
    void relativeHookPath() {
        assertOnlyError("office-a.yaml:13:16: events hook 'event.sh' is not an absolute path; give the full path of the script",
                GOOD + "events: {hook: event.sh}\n");
    }

    @Test
    void goodFileHasNoProblemsAndAConfig() {
        SiteFile f = parse(GOOD);
        assertEquals(List.of(), f.problems());
        assertTrue(f.config().isPresent());
        assertEquals("office-b", f.config().get().remoteSites().get(0).name());
        assertEquals(1420, f.config().get().tunnel().mtu());
    }

    @Test
    void malformedBase64Key() {
        assertOnlyError("office-a.yaml:10:17: public_key is not valid base64 (a WireGuard key is 44 characters ending in '='); "
                        + "ask that site for its public key ('sitelink pubkey < its.key' there)",
                GOOD.replace(BOB_PUBLIC, "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hb*GdNrfx+FG+IK08="));
    }

    @Test
    void keyOfTheWrongLength() {
        assertOnlyError("office-a.yaml:2:14: private_key is 24 bytes long, but a WireGuard key is 32 bytes (44 base64 "
                        + "characters ending in '='); generate one with 'sitelink genkey'",
                GOOD.replace(ALICE_PRIVATE, ALICE_PRIVATE.substring(0, 32)));
    }

    @Test
    void peerPublicKeyEqualToOurOwn() {
        assertOnlyError("office-a.yaml:10:17: public_key of office-b is this site's own public key (derived from the "
                        + "private key); use office-b's public key: run 'sitelink pubkey' on office-b's private key",
                GOOD.replace(BOB_PUBLIC, ALICE_PUBLIC));
    }

    @Test
    void unknownFieldWithDidYouMean() {
        assertOnlyError("office-a.yaml:3:1: unknown field 'listen_prot' in the site; did you mean 'listen_port'?",
                GOOD.replace("listen_port", "listen_prot"));
    }

    @Test
    void unknownFieldFarFromAnyKnownNameListsTheKnownOnes() {
        assertOnlyError("office-a.yaml:13:5: unknown field 'colour' in remote site office-b; remove it (known fields: "
                        + "name, protocol, public_key, preshared_key, preshared_key_file, endpoint, remote_subnets, route_from, dscp, persistent_keepalive, policy, post_quantum)",
                GOOD + "    colour: blue\n");
    }

    @Test
    void remoteSubnetOverlappingALocalSubnet() {
        assertOnlyError("office-a.yaml:12:37: remote subnet 198.18.1.128/25 of office-b overlaps local subnet 198.18.1.0/24 "
                        + "(line 7); traffic for those addresses would go into the tunnel instead of the LAN: make the subnets disjoint",
                GOOD.replace("[198.18.2.0/24]", "[198.18.2.0/24, 198.18.1.128/25]"));
    }

    @Test
    void aRemoteSubnetWiderThanALocalOneSuggestsRouteFrom() {
        assertEquals(List.of("office-a.yaml:12:22: remote subnet 0.0.0.0/0 of office-b overlaps local subnet 198.18.1.0/24 "
                        + "(line 7); traffic for those addresses would go into the tunnel instead of the LAN: make the subnets "
                        + "disjoint; or, to send only some local subnets' traffic for 0.0.0.0/0 to office-b, add route_from: with them",
                "office-a.yaml:12:22: remote subnet 0.0.0.0/0 of office-b contains 198.18.0.2, the endpoint of office-b (line "
                        + "11): the tunnel's own packets would be routed into the tunnel (a routing loop); narrow the subnet so "
                        + "that it leaves 198.18.0.2 out"),
                errors(GOOD.replace("[198.18.2.0/24]", "[0.0.0.0/0]")));
    }

    @Test
    void routeFromSendsOneLocalSubnetsTrafficForEverywhereToASite() {
        SiteFile f = parse(GOOD.replace("[198.18.2.0/24]", "[0.0.0.0/0]") + "    route_from: [198.18.1.128/25]\n");
        assertEquals(List.of(), f.problems(), "0.0.0.0/0 overlaps the LAN and contains the endpoint: both fine when only "
                + "the LAN's traffic is routed by its source, the gateway's own packets never");
        SiteConfig c = f.config().orElseThrow();
        assertEquals(List.of(sitelink.route.Prefix.parse("198.18.1.128/25")), c.remoteSites().getFirst().routeFrom());
        assertEquals(List.of(new SiteConfig.SourceRoute("office-b", List.of(sitelink.route.Prefix.parse("198.18.1.128/25")),
                List.of(sitelink.route.Prefix.parse("0.0.0.0/0")))), c.sourceRoutes());
        assertEquals(List.of(), c.mainRoutedSubnets(), "no route in the main table for it");
        assertEquals(List.of(sitelink.route.Prefix.parse("198.18.2.0/24")), parse(GOOD).config().orElseThrow().mainRoutedSubnets());
    }

    @Test
    void postQuantumIsOffByDefaultForAWireGuardSiteAndReadsOnOrOff() {
        assertFalse(parse(GOOD).config().orElseThrow().remoteSites().getFirst().postQuantum());
        assertTrue(parse(GOOD + "    post_quantum: on\n").config().orElseThrow().remoteSites().getFirst().postQuantum());
        assertFalse(parse(GOOD + "    post_quantum: off\n").config().orElseThrow().remoteSites().getFirst().postQuantum());
        assertOnlyError("office-a.yaml:13:19: post_quantum 'required' is not known for a WireGuard site; write on (a "
                + "post-quantum preshared key with the peer's sitelink, which must say on too) or off (the default)",
                GOOD + "    post_quantum: required\n");
    }

    @Test
    void dscpIsCopiedByDefaultOrFixed() {
        assertEquals(sitelink.packet.OuterTos.COPY, parse(GOOD).config().orElseThrow().remoteSites().getFirst().dscp());
        assertEquals(sitelink.packet.OuterTos.COPY, parse(GOOD + "    dscp: copy\n").config().orElseThrow()
                .remoteSites().getFirst().dscp());
        assertEquals(46, parse(GOOD + "    dscp: 46\n").config().orElseThrow().remoteSites().getFirst().dscp());
        assertEquals(0, parse(GOOD + "    dscp: 0\n").config().orElseThrow().remoteSites().getFirst().dscp());
        assertOnlyError("office-a.yaml:13:11: dscp 64 is out of range; write copy (the inner packet's DSCP, the default) "
                + "or a DSCP 0..63, e.g. 46 for EF; 0 hides the class", GOOD + "    dscp: 64\n");
        assertEquals(1, errors(GOOD + "    dscp: ef\n").size(), "names are not taken: the number is unambiguous");
    }

    @Test
    void routeFromOutsideTheLocalSubnets() {
        assertOnlyError("office-a.yaml:13:18: route_from 198.18.2.0/25 of remote site office-b is not within the site's "
                        + "local_subnets (198.18.1.0/24): only traffic from the LAN behind this gateway can be routed by its "
                        + "source; write a local subnet or a part of one",
                GOOD.replace("[198.18.2.0/24]", "[198.51.100.0/24]") + "    route_from: [198.18.2.0/25]\n");
        assertOnlyError("office-a.yaml:13:18: route_from 198.18.0.0/16 of remote site office-b is not within the site's "
                        + "local_subnets (198.18.1.0/24): only traffic from the LAN behind this gateway can be routed by its "
                        + "source; write a local subnet or a part of one",
                GOOD.replace("[198.18.2.0/24]", "[198.51.100.0/24]") + "    route_from: [198.18.0.0/16]\n");
    }

    @Test
    void routeFromEmptyOrWithoutRoutes() {
        assertOnlyError("office-a.yaml:13:5: route_from of remote site office-b lists no subnet; name the local subnets "
                        + "whose traffic goes to this site, e.g. [198.18.1.128/25], or remove the line",
                GOOD + "    route_from: []\n");
        assertOnlyError("office-a.yaml:14:18: route_from of office-b needs the gateway's routes, but route_table is off: "
                        + "set route_table: main, or route by source yourself and remove route_from",
                GOOD.replace("addresses: [198.19.0.1/30]", "addresses: [198.19.0.1/30]\n  route_table: off")
                        + "    route_from: [198.18.1.0/25]\n");
    }

    @Test
    void remoteSubnetContainingThePeersEndpointIsARoutingLoop() {
        assertOnlyError("office-a.yaml:12:37: remote subnet 198.18.0.0/24 of office-b contains 198.18.0.2, the endpoint of "
                        + "office-b (line 11): the tunnel's own packets would be routed into the tunnel (a routing loop); "
                        + "narrow the subnet so that it leaves 198.18.0.2 out",
                GOOD.replace("[198.18.2.0/24]", "[198.18.2.0/24, 198.18.0.0/24]"));
    }

    @Test
    void routingLoopIsNoConcernWhenSitelinkInstallsNoRoutes() {
        String yaml = GOOD.replace("[198.18.2.0/24]", "[198.18.2.0/24, 198.18.0.0/24]")
                .replace("  name: sl-b\n", "  name: sl-b\n  route_table: off\n");
        assertEquals(List.of(), errors(yaml));
    }

    @Test
    void twoRemoteSitesClaimingOverlappingSubnets() {
        String yaml = GOOD + """
                  - name: office-c
                    public_key: %s
                    remote_subnets: [198.18.2.0/23]
                """.formatted(ALICE_PUBLIC.replace("hSDw", "hSDx"));
        assertOnlyError("office-a.yaml:15:22: remote subnet 198.18.2.0/23 of office-c overlaps remote subnet 198.18.2.0/24 of "
                + "office-b (line 12); an address can belong to one remote site only: make the subnets disjoint", yaml);
    }

    @Test
    void missingRequiredField() {
        assertOnlyError("office-a.yaml:9:5: remote site office-b has no public_key; add one, e.g. public_key: <the output of "
                        + "'sitelink pubkey' on that site's private key>",
                GOOD.replace("    public_key: " + BOB_PUBLIC + "\n", ""));
    }

    @Test
    void missingPrivateKeySuggestsAKeyFile() {
        assertOnlyError("office-a.yaml:1:1: the site has no private_key_file; add one, e.g. private_key_file: "
                        + "/etc/sitelink/office-a.key (create it with: umask 077; sitelink genkey > /etc/sitelink/office-a.key)",
                GOOD.replace("private_key: " + ALICE_PRIVATE + "\n", ""));
    }

    @Test
    void badPort() {
        assertOnlyError("office-a.yaml:3:14: listen_port 70000 is out of range; use 1..65535 (51820 is WireGuard's usual port) "
                + "or 0 to let the system pick one", GOOD.replace("51820\ntunnel", "70000\ntunnel"));
        assertOnlyError("office-a.yaml:11:15: endpoint '198.18.0.2:0' is not host:port (port 0 is outside 1..65535); "
                        + "e.g. 198.18.0.2:51820, [2001:db8::2]:51820 or gw.example.net:51820",
                GOOD.replace("198.18.0.2:51820", "198.18.0.2:0"));
    }

    @Test
    void badPrefix() {
        assertOnlyError("office-a.yaml:7:17: '198.18.1.0/33' is not a subnet (prefix length 33 is too long for 198.18.1.0 "
                        + "(max 32)); write ADDRESS/LENGTH, e.g. 198.18.1.0/24 or 2001:db8:1::/64",
                GOOD.replace("[198.18.1.0/24]", "[198.18.1.0/33]"));
    }

    @Test
    void hostBitsInASubnetAreAWarningNotAnError() {
        SiteFile f = parse(GOOD.replace("[198.18.1.0/24]", "[198.18.1.7/24]"));
        assertTrue(f.config().isPresent());
        assertEquals(List.of("office-a.yaml:7:17: warning: 198.18.1.7/24 has host bits set, so it means 198.18.1.0/24; "
                + "write 198.18.1.0/24"), f.problems().stream().map(ConfigProblem::toString).toList());
    }

    @Test
    void mtuRangeDependsOnWhetherTheTunnelCarriesIpv6() {
        assertOnlyError("office-a.yaml:7:8: mtu 500 is out of range; use 576..9000 (1420 suits a 1500-byte link)",
                GOOD.replace("local_subnets", "  mtu: 500\nlocal_subnets"));
        assertEquals(List.of(), errors(GOOD.replace("local_subnets", "  mtu: 1000\nlocal_subnets")));
        assertOnlyError("office-a.yaml:7:8: mtu 1000 is out of range; use 1280..9000; the tunnel carries IPv6 "
                        + "(2001:db8::1/64 at line 6), which needs at least 1280 (1420 suits a 1500-byte link)",
                GOOD.replace("[198.19.0.1/30]", "[198.19.0.1/30, 2001:db8::1/64]")
                        .replace("local_subnets", "  mtu: 1000\nlocal_subnets"));
        assertOnlyError("office-a.yaml:7:8: mtu 9001 is out of range; use 576..9000 (1420 suits a 1500-byte link)",
                GOOD.replace("local_subnets", "  mtu: 9001\nlocal_subnets"));
    }

    @Test
    void duplicateSiteNames() {
        String yaml = GOOD + """
                  - name: office-b
                    public_key: %s
                    remote_subnets: [198.18.3.0/24]
                """.formatted(ALICE_PUBLIC.replace("hSDw", "hSDx"));
        assertOnlyError("office-a.yaml:13:11: remote site name 'office-b' is already used at line 9; give each site its own name", yaml);
        assertOnlyError("office-a.yaml:9:11: remote site name 'office-a' is this site's own name; give each site its own name",
                GOOD.replace("- name: office-b", "- name: office-a"));
    }

    @Test
    void twoRemoteSitesWithTheSamePublicKey() {
        String yaml = GOOD + """
                  - name: office-c
                    public_key: %s
                    remote_subnets: [198.18.3.0/24]
                """.formatted(BOB_PUBLIC);
        assertOnlyError("office-a.yaml:14:17: public_key of office-c is the same as that of office-b (line 10); each site has "
                + "its own key pair: one of the two is wrong", yaml);
    }

    @Test
    void duplicateKeyInAMapping() {
        assertOnlyError("office-a.yaml:2:1: 'name' appears twice in this mapping (first at line 1); keep only one",
                GOOD.replace("private_key:", "name: office-x\nprivate_key:").replace("listen_port", "listen_port"));
    }

    @Test
    void yamlSyntaxErrorHasALocation() {
        List<String> e = errors("name: office-a\ntunnel:\n  name: [sl-b\n");
        assertEquals(1, e.size(), e.toString());
        assertTrue(e.get(0).startsWith("office-a.yaml:4:1: this is not valid YAML ("), e.get(0));
        assertTrue(e.get(0).contains("; check the indentation (spaces, not tabs) and quote values"), e.get(0));
    }

    @Test
    void aFileWithSeveralErrorsReportsThemAll() {
        String yaml = GOOD.replace("listen_port: 51820", "listen_port: 99999")
                .replace(BOB_PUBLIC, "short=")
                .replace("[198.18.2.0/24]", "[198.18.2.0/40]")
                .replace("  name: sl-b", "  name: a-name-far-too-long");
        assertEquals(List.of(
                "office-a.yaml:3:14: listen_port 99999 is out of range; use 1..65535 (51820 is WireGuard's usual port) or 0 to let the system pick one",
                "office-a.yaml:5:9: interface name 'a-name-far-too-long' is not a Linux interface name (1..15 letters, digits or _=+.-); choose one such as sl-office-b",
                "office-a.yaml:10:17: public_key is not valid base64 (a WireGuard key is 44 characters ending in '='); ask that site for its public key ('sitelink pubkey < its.key' there)",
                "office-a.yaml:12:22: '198.18.2.0/40' is not a subnet (prefix length 40 is too long for 198.18.2.0 (max 32)); write ADDRESS/LENGTH, e.g. 198.18.1.0/24 or 2001:db8:1::/64"),
                errors(yaml));
    }

    @Test
    void ipv6EndpointNeedsBrackets() {
        SiteFile f = parse(GOOD.replace("198.18.0.2:51820", "\"[2001:db8::2]:51820\""));
        assertEquals(List.of(), f.problems());
        assertEquals(new Endpoint("2001:db8::2", 51820), f.config().get().remoteSites().get(0).endpoint().get());
        assertOnlyError("office-a.yaml:11:15: endpoint '2001:db8::2:51820' is not host:port (write an IPv6 endpoint as "
                        + "[address]:port); e.g. 198.18.0.2:51820, [2001:db8::2]:51820 or gw.example.net:51820",
                GOOD.replace("198.18.0.2:51820", "2001:db8::2:51820"));
        assertOnlyError("office-a.yaml:11:28: this is not valid YAML (expected <block end>, but found '<scalar>', while parsing "
                + "a block mapping); check the indentation (spaces, not tabs) and quote values that contain ': ' or '#' or "
                + "start with '[' (an IPv6 endpoint: \"[2001:db8::2]:51820\")", GOOD.replace("198.18.0.2:51820", "[2001:db8::2]:51820"));
        assertOnlyError("office-a.yaml:11:15: endpoint should be a single value, not a list; write an IPv6 endpoint in "
                + "quotes: \"[2001:db8::2]:51820\"", GOOD.replace("198.18.0.2:51820", "[2001:db8::2, 51820]"));
    }

    @Test
    void dnsEndpointStaysUnresolved() {
        SiteFile f = parse(GOOD.replace("198.18.0.2:51820", "gw.office-b.example:51820"));
        Endpoint e = f.config().orElseThrow().remoteSites().get(0).endpoint().orElseThrow();
        assertEquals("gw.office-b.example", e.host());
        assertFalse(e.literalAddress().isPresent());
    }

    @Test
    void keysNeverAppearInTheModelsText() {
        String text = parse(GOOD).config().orElseThrow().toString();
        assertFalse(text.contains(ALICE_PRIVATE) || text.contains(BOB_PUBLIC), text);
        assertFalse(String.join("\n", errors(GOOD.replace(ALICE_PRIVATE, "not-a-key-but-secret"))).contains("not-a-key-but-secret"));
    }
}
