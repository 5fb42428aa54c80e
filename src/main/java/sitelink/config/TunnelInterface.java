package sitelink.config;

import java.util.List;

/**
 * The gateway's tunnel (TUN) interface.
 *
 * @param name       interface name, at most 15 characters (Linux IFNAMSIZ less the terminating NUL)
 * @param addresses  the gateway's own addresses on the tunnel
 * @param mtu        bytes; 1420 by default, which fits WireGuard's 80-byte overhead (IPv6 outer header) into 1500
 * @param routeTable where routes to remote subnets go: {@link #MAIN_TABLE} (wg-quick's "auto"), {@link #NO_ROUTES}
 *                   ("off": the operator routes), or another kernel table id
 * @param mssClamp   lower the MSS of TCP SYNs crossing the tunnel to fit its MTU (on by default)
 */
public record TunnelInterface(String name, List<InterfaceAddress> addresses, int mtu, long routeTable, boolean mssClamp) {
    public static final int DEFAULT_MTU = 1420;
    public static final long MAIN_TABLE = 254;
    public static final long NO_ROUTES = 0;

    public TunnelInterface {
        addresses = List.copyOf(addresses);
    }

    /** A tunnel with MSS clamping on (the default). */
    public TunnelInterface(String name, List<InterfaceAddress> addresses, int mtu, long routeTable) {
        this(name, addresses, mtu, routeTable, true);
    }
}
