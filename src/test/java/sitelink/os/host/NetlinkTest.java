package sitelink.os.host;

import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;
import sitelink.os.tun.Tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import sitelink.os.host.Netlink.Address;
import sitelink.os.host.Netlink.Route;
import sitelink.route.Prefix;
import sitelink.testbed.Namespace;
import sitelink.testbed.Testbed;
import sitelink.testbed.Veth;

/**
 * Drives rtnetlink inside a namespace this test creates (a veth pair sl-a/sl-b and, once, a TUN) and checks every
 * change with iproute2, the tool an operator would use to look.
 */
class NetlinkTest {
    private Namespace ns;
    private Netlink nl;

    @BeforeEach
    void setUp() throws Exception {
        Assumptions.assumeTrue(!"false".equals(System.getProperty("sitelink.e2e")), "e2e disabled");
        ns = Testbed.unique("sl-nl").namespace("os");
        Veth.inside(ns, "sl-a", "sl-b");
        nl = ns.call(Netlink::open); // the socket stays in the namespace whichever thread uses it
    }

    @AfterEach
    void tearDown() throws Exception {
        if (nl != null) {
            nl.close();
        }
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void findsLinksAndSetsThemUpAndTheirMtu() throws Exception {
        assertTrue(nl.linkExists("sl-a"));
        assertFalse(nl.linkExists("sl-none"));
        assertEquals(Optional.empty(), nl.link("sl-none"));
        assertEquals(1, nl.linkIndex("lo"));

        nl.setMtu("sl-a", 1380);
        nl.setLinkUp("sl-a", true);
        String shown = ns.ip("link", "show", "sl-a");
        assertTrue(shown.contains("mtu 1380") && shown.contains("<") && shown.contains(",UP"), shown);
        Netlink.Link link = nl.link("sl-a").orElseThrow();
        assertEquals(1380, link.mtu());
        assertTrue(link.up());
        assertEquals(link, nl.links().get(link.index()));

        nl.setLinkUp("sl-a", false);
        assertFalse(ns.ip("link", "show", "sl-a").contains(",UP"));
        assertFalse(nl.link("sl-a").orElseThrow().up());
    }

    @Test
    void addsListsAndDeletesIpv4AndIpv6Addresses() throws Exception {
        InetAddress v4 = Prefix.parseAddress("198.18.0.1");
        InetAddress v6 = Prefix.parseAddress("2001:db8::1");
        nl.addAddress("sl-a", v4, 30);
        nl.addAddress("sl-a", v6, 64);

        String shown = ns.ip("addr", "show", "dev", "sl-a");
        assertTrue(shown.contains("inet 198.18.0.1/30 scope global sl-a"), shown);
        assertTrue(shown.contains("inet6 2001:db8::1/64 scope global"), shown);
        assertTrue(nl.addresses("sl-a").containsAll(List.of(new Address(v4, 30), new Address(v6, 64))));
        assertEquals(List.of(), nl.addresses("sl-b"), "only the asked interface's addresses");

        nl.deleteAddress("sl-a", v4, 30);
        nl.deleteAddress("sl-a", v6, 64);
        shown = ns.ip("addr", "show", "dev", "sl-a");
        assertFalse(shown.contains("198.18.0.1") || shown.contains("2001:db8::1"), shown);
        assertEquals(List.of(), nl.addresses("sl-a"));
    }

    @Test
    void saysPlainlyWhyAnAddressChangeWasRefused() throws Exception {
        InetAddress v4 = Prefix.parseAddress("198.18.0.1");
        nl.addAddress("sl-a", v4, 30);

        ErrnoException twice = assertThrows(ErrnoException.class, () -> nl.addAddress("sl-a", v4, 30));
        assertEquals(Libc.EEXIST, twice.errno());
        assertEquals("add address 198.18.0.1/30 to sl-a: address already assigned (EEXIST)", twice.getMessage());

        ErrnoException noDevice = assertThrows(ErrnoException.class, () -> nl.addAddress("sl-none", v4, 30));
        assertEquals(Libc.ENODEV, noDevice.errno());
        assertTrue(noDevice.getMessage().contains("no such interface"), noDevice.getMessage());

        ErrnoException notThere = assertThrows(ErrnoException.class,
                () -> nl.deleteAddress("sl-b", Prefix.parseAddress("2001:db8::9"), 64));
        assertEquals(Libc.EADDRNOTAVAIL, notThere.errno());
        assertTrue(notThere.getMessage().contains("address not assigned"), notThere.getMessage());
    }

    @Test
    void assignsAddressesToATunLikeWgQuick() throws Exception {
        try (Tun tun = ns.call(() -> Tun.open("sl-tun"))) {
            nl.addAddress("sl-tun", Prefix.parseAddress("198.19.0.1"), 30);
            nl.addAddress("sl-tun", Prefix.parseAddress("2001:db8:19::1"), 64);
            nl.setLinkUp("sl-tun", true);
            String shown = ns.ip("addr", "show", "dev", "sl-tun");
            assertTrue(shown.contains("inet 198.19.0.1/30"), shown);
            assertTrue(shown.contains("inet6 2001:db8:19::1/64"), shown);
            // with an address and the link up the kernel routes the subnet into the tunnel
            assertEquals(Optional.of("sl-tun"),
                    nl.routeTo(Prefix.parseAddress("198.19.0.2")).flatMap(Route::interfaceName));
        }
    }

    @Test
    void addsListsAndDeletesRoutesThroughAnInterface() throws Exception {
        nl.setLinkUp("sl-a", true);
        Prefix v4 = Prefix.parse("198.18.2.0/24");
        Prefix v6 = Prefix.parse("2001:db8:2::/48");
        nl.addRoute(v4, "sl-a");
        nl.addRoute(v6, "sl-a");

        String shown4 = ns.ip("route", "show");
        String shown6 = ns.ip("-6", "route", "show");
        assertTrue(shown4.contains("198.18.2.0/24 dev sl-a proto static scope link"), shown4);
        assertTrue(shown6.contains("2001:db8:2::/48 dev sl-a proto static"), shown6);
        int index = nl.linkIndex("sl-a");
        List<Route> routes = nl.routes();
        for (Prefix p : List.of(v4, v6)) {
            Route r = routes.stream().filter(x -> x.destination().equals(p)).findFirst().orElseThrow(() -> new AssertionError(p + " in " + routes));
            assertEquals(Optional.of("sl-a"), r.interfaceName());
            assertEquals(index, r.interfaceIndex());
            assertEquals(Netlink.RT_TABLE_MAIN, r.table());
            assertEquals(Netlink.RTPROT_STATIC, r.protocol());
            assertEquals(Optional.empty(), r.gateway());
        }

        ErrnoException twice = assertThrows(ErrnoException.class, () -> nl.addRoute(v4, "sl-a"));
        assertEquals(Libc.EEXIST, twice.errno());
        assertTrue(twice.getMessage().contains("route already exists"), twice.getMessage());

        nl.deleteRoute(v4, "sl-a");
        nl.deleteRoute(v6, "sl-a");
        assertFalse(ns.ip("route", "show").contains("198.18.2.0"));
        assertFalse(ns.ip("-6", "route", "show").contains("2001:db8:2::"));
        assertTrue(nl.routes().stream().noneMatch(r -> r.destination().equals(v4) || r.destination().equals(v6)));

        ErrnoException gone = assertThrows(ErrnoException.class, () -> nl.deleteRoute(v4, "sl-a"));
        assertEquals(Libc.ESRCH, gone.errno());
        assertTrue(gone.getMessage().contains("no such route"), gone.getMessage());
    }

    @Test
    void addsListsAndDeletesRulesAndRoutesInATableOfTheirOwn() throws Exception {
        nl.setLinkUp("sl-a", true);
        int table = 51000;
        Prefix from4 = Prefix.parse("198.18.1.128/25");
        Prefix from6 = Prefix.parse("2001:db8:1:8000::/49");
        nl.addRoute(Prefix.parse("0.0.0.0/0"), "sl-a", table);
        nl.addThrowRoute(Prefix.parse("198.18.1.0/24"), table);
        nl.addRule(from4, table);
        nl.addRule(from6, table);

        String routes = ns.ip("route", "show", "table", "51000");
        assertTrue(routes.contains("default dev sl-a proto static scope link"), routes);
        assertTrue(routes.contains("throw 198.18.1.0/24 proto static"), routes);
        assertFalse(ns.ip("route", "show").contains("default"), "nothing in the main table");
        assertTrue(ns.ip("rule", "show").contains("from 198.18.1.128/25 lookup 51000"), ns.ip("rule", "show"));
        assertTrue(ns.ip("-6", "rule", "show").contains("from 2001:db8:1:8000::/49 lookup 51000"));
        assertEquals(List.of(from4, from6), nl.rules().stream().filter(r -> r.table() == table).map(Netlink.Rule::source).toList());
        assertEquals(List.of(Prefix.parse("0.0.0.0/0"), Prefix.parse("198.18.1.0/24")),
                nl.routes(table).stream().map(Route::destination).toList());

        ErrnoException twice = assertThrows(ErrnoException.class, () -> nl.addRule(from4, table));
        assertEquals(Libc.EEXIST, twice.errno());
        assertEquals("add rule from 198.18.1.128/25 lookup 51000: rule already exists (EEXIST)", twice.getMessage());

        nl.deleteRule(from4, table);
        nl.deleteRule(from6, table);
        nl.deleteThrowRoute(Prefix.parse("198.18.1.0/24"), table);
        nl.deleteRoute(Prefix.parse("0.0.0.0/0"), "sl-a", table);
        assertTrue(nl.rules().stream().noneMatch(r -> r.table() == table));
        assertEquals(List.of(), nl.routes(table));
        ErrnoException gone = assertThrows(ErrnoException.class, () -> nl.deleteRule(from4, table));
        assertEquals(Libc.ENOENT, gone.errno());
        assertTrue(gone.getMessage().contains("no such rule"), gone.getMessage());
    }

    @Test
    void refusesARouteThroughADownInterface() throws Exception {
        ErrnoException e = assertThrows(ErrnoException.class, () -> nl.addRoute(Prefix.parse("198.18.2.0/24"), "sl-a"));
        assertEquals(Libc.ENETDOWN, e.errno());
        assertTrue(e.getMessage().startsWith("add route 198.18.2.0/24 via sl-a: interface is down"), e.getMessage());
    }

    @Test
    void routeToPicksTheLongestMatchingPrefix() throws Exception {
        nl.setLinkUp("sl-a", true);
        nl.setLinkUp("sl-b", true);
        nl.addRoute(Prefix.parse("198.18.0.0/16"), "sl-a");
        nl.addRoute(Prefix.parse("198.18.2.0/24"), "sl-b");
        nl.addRoute(Prefix.parse("2001:db8::/32"), "sl-a");
        nl.addRoute(Prefix.parse("2001:db8:2::/48"), "sl-b");

        assertRouteTo("198.18.2.7", "198.18.2.0/24", "sl-b");
        assertRouteTo("198.18.9.1", "198.18.0.0/16", "sl-a");
        assertRouteTo("2001:db8:2::7", "2001:db8:2::/48", "sl-b");
        assertRouteTo("2001:db8:9::1", "2001:db8::/32", "sl-a");
        // no default route in a fresh namespace
        assertEquals(Optional.empty(), nl.routeTo(Prefix.parseAddress("203.0.113.1")));
        assertEquals(Optional.empty(), nl.routeTo(Prefix.parseAddress("2001:db9::1")));
    }

    private void assertRouteTo(String address, String prefix, String ifname) throws Exception {
        Route r = nl.routeTo(Prefix.parseAddress(address)).orElseThrow(() -> new AssertionError("no route to " + address));
        assertEquals(Prefix.parse(prefix), r.destination(), address);
        assertEquals(Optional.of(ifname), r.interfaceName(), address);
        assertEquals(Netlink.RT_TABLE_MAIN, r.table(), address);
    }
}
