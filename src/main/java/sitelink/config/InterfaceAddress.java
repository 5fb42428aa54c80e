package sitelink.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import sitelink.route.Prefix;

/**
 * An address of the tunnel interface with its prefix length, such as 198.19.0.1/30. Unlike {@link Prefix} it keeps
 * the host bits: they are the gateway's own address on the tunnel.
 */
public record InterfaceAddress(InetAddress address, int length) {
    public InterfaceAddress {
        int max = address.getAddress().length * 8;
        if (length < 0 || length > max) {
            throw new IllegalArgumentException("prefix length " + length + " is outside 0.." + max);
        }
    }

    /** Parses ADDR/LEN, or a bare address (a host route: /32 or /128), as wg-quick's Address does. */
    public static InterfaceAddress parse(String text) {
        Prefix p = Prefix.parse(text); // validates syntax and length
        String t = text.strip();
        int slash = t.indexOf('/');
        InetAddress a = Prefix.parseAddress(slash < 0 ? t : t.substring(0, slash));
        return new InterfaceAddress(a, p.length());
    }

    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    /** The subnet the address is in, e.g. 198.19.0.0/30 for 198.19.0.1/30. */
    public Prefix subnet() {
        return new Prefix(address, length);
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + length;
    }
}
