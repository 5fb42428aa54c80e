package sitelink.demo;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import sitelink.os.Netns;

/**
 * The two offices, each a network namespace pair: a LAN host and its gateway, and a WAN link between the gateways.
 * Addresses are from the documentation and benchmarking ranges only (RFC 5737, RFC 2544), and every interface is
 * created directly inside its namespace ({@code ip -n}), so the machine's own network is never touched.
 *
 * <pre>
 *  sl-demo-hosta          sl-demo-gwa                       sl-demo-gwb          sl-demo-hostb
 *  eth0 198.18.1.10 ── lan 198.18.1.1 | wan 203.0.113.1 ── wan 203.0.113.2 | lan 198.18.2.1 ── eth0 198.18.2.10
 * </pre>
 */
public final class Topology {
    public static final String HOST_A = "sl-demo-hosta", GATEWAY_A = "sl-demo-gwa", GATEWAY_B = "sl-demo-gwb",
            HOST_B = "sl-demo-hostb";
    public static final List<String> NAMESPACES = List.of(HOST_A, GATEWAY_A, GATEWAY_B, HOST_B);

    public static final String LAN_A = "198.18.1.0/24", LAN_B = "198.18.2.0/24", WAN = "203.0.113.0/24";
    public static final String HOST_A_ADDRESS = "198.18.1.10", HOST_B_ADDRESS = "198.18.2.10";
    public static final String GATEWAY_A_LAN = "198.18.1.1", GATEWAY_B_LAN = "198.18.2.1";
    public static final String GATEWAY_A_WAN = "203.0.113.1", GATEWAY_B_WAN = "203.0.113.2";
    public static final String TUNNEL_A = "198.19.0.1", TUNNEL_B = "198.19.0.2";
    /** The tunnel interfaces; unique machine-wide because their UAPI sockets share /var/run/wireguard. */
    public static final String TUNNEL_IFACE_A = "sl-demo-a", TUNNEL_IFACE_B = "sl-demo-b";

    private Topology() {
    }

    /** The demo namespaces that exist now (a demo is running, or one was left behind). */
    public static List<String> existing() {
        return NAMESPACES.stream().filter(Netns::exists).toList();
    }

    /** Builds the four namespaces and their links; on failure deletes what it created and rethrows. */
    public static void create() throws IOException {
        List<String> created = new ArrayList<>();
        try {
            for (String ns : NAMESPACES) {
                Commands.run("ip", "netns", "add", ns);
                created.add(ns);
                Commands.ipIn(ns, "link", "set", "lo", "up");
            }
            // Office A's LAN, office B's LAN, and the WAN: each veth pair born with its ends in their namespaces.
            Commands.ipIn(HOST_A, "link", "add", "eth0", "type", "veth", "peer", "name", "lan", "netns", GATEWAY_A);
            Commands.ipIn(HOST_B, "link", "add", "eth0", "type", "veth", "peer", "name", "lan", "netns", GATEWAY_B);
            Commands.ipIn(GATEWAY_A, "link", "add", "wan", "type", "veth", "peer", "name", "wan", "netns", GATEWAY_B);

            address(HOST_A, "eth0", HOST_A_ADDRESS + "/24");
            address(GATEWAY_A, "lan", GATEWAY_A_LAN + "/24");
            address(GATEWAY_A, "wan", GATEWAY_A_WAN + "/24");
            address(GATEWAY_B, "wan", GATEWAY_B_WAN + "/24");
            address(GATEWAY_B, "lan", GATEWAY_B_LAN + "/24");
            address(HOST_B, "eth0", HOST_B_ADDRESS + "/24");
            Commands.ipIn(HOST_A, "route", "add", "default", "via", GATEWAY_A_LAN);
            Commands.ipIn(HOST_B, "route", "add", "default", "via", GATEWAY_B_LAN);
        } catch (IOException e) {
            for (String ns : created) {
                deleteQuietly(ns);
            }
            throw e;
        }
    }

    private static void address(String ns, String dev, String cidr) throws IOException {
        Commands.ipIn(ns, "addr", "add", cidr, "dev", dev);
        Commands.ipIn(ns, "link", "set", dev, "up");
    }

    /** Deletes every demo namespace that exists (and with it every interface inside); returns what it could not. */
    public static List<String> delete() {
        List<String> failures = new ArrayList<>();
        for (String ns : NAMESPACES) {
            if (Netns.exists(ns)) {
                try {
                    Commands.run("ip", "netns", "del", ns);
                } catch (IOException e) {
                    failures.add(e.getMessage());
                }
            }
        }
        return failures;
    }

    private static void deleteQuietly(String ns) {
        try {
            Commands.run("ip", "netns", "del", ns);
        } catch (IOException ignored) {
            // best effort while undoing a failed build; the caller reports the original failure
        }
    }
}
