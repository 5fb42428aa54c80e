package sitelink.testbed;

import java.util.ArrayList;
import java.util.List;

/**
 * The two-office topology that {@code sitelink demo} and the site-to-site tests share, one namespace per machine:
 * <pre>
 *   host A ── gateway A ─┐                        ┌─ gateway B ── host B
 *   198.18.1.10   .1     │   WAN 203.0.113.0/24   │     .1   198.18.2.10
 *                 203.0.113.1 ── [wan: br0 .254] ── 203.0.113.2
 *                                  lo 198.51.100.1 ("the internet")
 * </pre>
 * Namespaces (roles of the {@link Testbed}): {@code wan}, {@code gwa}, {@code hosta}, {@code gwb}, {@code hostb}.
 * Each gateway has {@code wan} (on the WAN router's bridge) and {@code lan}; each host has {@code lan0}, default
 * route via its gateway. Gateways send what they have no better route for to the WAN router, which routes each
 * office's LAN back to its gateway: traffic that does not belong in a tunnel visibly leaves in the clear. The WAN is
 * IPv4 only (IPv6 off on its links), so a capture there shows exactly what the gateways send. {@link #addOffice()}
 * adds office C (198.18.3.0/24, WAN 203.0.113.3) on the same WAN. Tunnel addresses (for the site files): A
 * 198.19.0.1/30, B 198.19.0.2/30, C 198.19.0.6/30. No process runs here until the caller starts its gateways.
 */
public final class Offices implements AutoCloseable {
    public static final String WAN = "203.0.113.0/24";
    public static final String WAN_ROUTER = "203.0.113.254";
    /** An address beyond the WAN router (on its loopback: no dummy interfaces here), outside every office. */
    public static final String INTERNET_HOST = "198.51.100.1";
    /** A host's interface toward its gateway. */
    public static final String HOST_IFACE = "lan0";
    /** The namespaces of A and B in the order they are built. */
    public static final List<String> ROLES = List.of("wan", "gwa", "hosta", "gwb", "hostb");
    private static final String[] TUNNEL_HOST = {"", "198.19.0.1", "198.19.0.2", "198.19.0.6"};

    /** One office: number (1 = A), its gateway's and LAN host's namespaces, and its addresses. */
    public record Office(int number, Namespace gateway, Namespace host) {
        /** "a", "b", "c". */
        public String letter() {
            return String.valueOf((char) ('a' + number - 1));
        }

        /** "office-a", "office-b", "office-c". */
        public String name() {
            return "office-" + letter();
        }

        public String lan() {
            return "198.18." + number + ".0/24";
        }

        public String gatewayLanAddress() {
            return "198.18." + number + ".1";
        }

        public String hostAddress() {
            return "198.18." + number + ".10";
        }

        public String wanAddress() {
            return "203.0.113." + number;
        }

        /** The gateway's tunnel address (a /30 with the other office's). */
        public String tunnelAddress() {
            return TUNNEL_HOST[number];
        }
    }

    private final Testbed bed;
    private final Namespace wan;
    private final List<Office> offices = new ArrayList<>();

    private Offices(Testbed bed, Namespace wan) {
        this.bed = bed;
        this.wan = wan;
    }

    /** Builds the WAN and offices A and B; on failure removes what it made and rethrows. */
    public static Offices create(Testbed bed) {
        Offices t = new Offices(bed, bed.namespace("wan"));
        try {
            t.wan.ip("link", "add", "br0", "type", "bridge");
            t.wan.sysctl("net.ipv6.conf.br0.disable_ipv6", "1");
            t.wan.address("br0", WAN_ROUTER + "/24");
            t.wan.ip("addr", "add", INTERNET_HOST + "/32", "dev", "lo");
            t.addOffice();
            t.addOffice();
            return t;
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
    }

    public Office a() {
        return offices.get(0);
    }

    public Office b() {
        return offices.get(1);
    }

    public List<Office> offices() {
        return List.copyOf(offices);
    }

    /** The WAN router. */
    public Namespace wan() {
        return wan;
    }

    /** Adds the next office (C after A and B) on the same WAN: its gateway, its host, their links and routes. */
    public Office addOffice() {
        int n = offices.size() + 1;
        String letter = String.valueOf((char) ('a' + n - 1));
        Namespace gw = bed.namespace("gw" + letter);
        Namespace host;
        try {
            host = bed.namespace("host" + letter);
        } catch (RuntimeException | Error e) {
            gw.close();
            throw e;
        }
        Office o = new Office(n, gw, host);
        offices.add(o);
        String port = "wp" + n;
        Veth.create(gw, "wan", wan, port);
        gw.sysctl("net.ipv6.conf.wan.disable_ipv6", "1");
        wan.sysctl("net.ipv6.conf." + port + ".disable_ipv6", "1");
        wan.ip("link", "set", port, "master", "br0");
        wan.ip("link", "set", port, "up");
        gw.address("wan", o.wanAddress() + "/24");
        gw.ip("route", "add", "default", "via", WAN_ROUTER);
        wan.ip("route", "add", o.lan(), "via", o.wanAddress());

        Veth.link(gw, "lan", o.gatewayLanAddress() + "/24", host, HOST_IFACE, o.hostAddress() + "/24");
        host.ip("route", "add", "default", "via", o.gatewayLanAddress());
        return o;
    }

    /** Deletes every namespace (hosts and gateways newest first, then the WAN), ending what runs in them by PID. */
    @Override
    public void close() {
        try {
            for (Office o : offices.reversed()) {
                try {
                    o.host().close();
                } finally {
                    o.gateway().close();
                }
            }
        } finally {
            wan.close();
        }
    }
}
