package sitelink.route;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 prefix such as 198.18.0.0/15 or 2001:db8::/32, always stored with the host bits cleared
 * (as wg and the kernel report allowed IPs).
 */
public record Prefix(InetAddress address, int length) {
    public Prefix {
        int max = address.getAddress().length * 8;
        if (length < 0 || length > max) {
            throw new IllegalArgumentException("prefix length " + length + " is outside 0.." + max);
        }
        address = mask(address, length);
    }

    /** Parses "ADDR/LEN" or a bare address (a host prefix). Numeric addresses only: no DNS lookups. */
    public static Prefix parse(String text) {
        String t = text.strip();
        int slash = t.indexOf('/');
        String addr = slash < 0 ? t : t.substring(0, slash);
        InetAddress a = parseAddress(addr);
        int max = a.getAddress().length * 8;
        int len = max;
        if (slash >= 0) {
            String l = t.substring(slash + 1);
            if (l.isEmpty() || l.length() > 3 || !l.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("bad prefix length in '" + text + "'");
            }
            len = Integer.parseInt(l);
        }
        if (len > max) {
            throw new IllegalArgumentException("prefix length " + len + " is too long for " + addr + " (max " + max + ")");
        }
        return new Prefix(a, len);
    }

    /** Parses a numeric IPv4 or IPv6 address literal; never resolves names. */
    public static InetAddress parseAddress(String text) {
        String t = text.strip();
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
        }
        boolean v4 = t.chars().allMatch(c -> c == '.' || Character.isDigit(c)) && t.chars().filter(c -> c == '.').count() == 3;
        boolean v6 = t.indexOf(':') >= 0 && t.chars().allMatch(c -> c == ':' || c == '.' || c == '%' || Character.digit(c, 16) >= 0);
        if (!v4 && !v6) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address");
        }
        if (v4) {
            for (String part : t.split("\\.", -1)) {
                if (part.isEmpty() || part.length() > 3 || Integer.parseInt(part) > 255) {
                    throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
                }
            }
        }
        try {
            // ofLiteral, not getByName: text such as "beef:cafe" passes the checks above, and getByName resolves it
            return InetAddress.ofLiteral(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address");
        }
    }

    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    /** True when {@code a} (same family) lies inside this prefix. */
    public boolean contains(InetAddress a) {
        byte[] p = address.getAddress();
        byte[] x = a.getAddress();
        return p.length == x.length && Arrays.equals(maskBytes(x, length), p);
    }

    /** True when the two prefixes share at least one address. */
    public boolean overlaps(Prefix o) {
        if (isIpv4() != o.isIpv4()) {
            return false;
        }
        int l = Math.min(length, o.length);
        return Arrays.equals(maskBytes(address.getAddress(), l), maskBytes(o.address.getAddress(), l));
    }

    private static InetAddress mask(InetAddress a, int len) {
        try {
            return InetAddress.getByAddress(maskBytes(a.getAddress(), len));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] maskBytes(byte[] raw, int len) {
        byte[] b = raw.clone();
        for (int i = 0; i < b.length; i++) {
            int bits = Math.max(0, Math.min(8, len - 8 * i));
            b[i] &= (byte) (0xff << (8 - bits));
        }
        return b;
    }

    /** IPv4 dotted quad, or IPv6 in RFC 5952 form (lowercase, longest run of two or more zero groups as "::"). */
    public static String formatAddress(InetAddress a) {
        if (a instanceof Inet4Address) {
            return a.getHostAddress();
        }
        byte[] r = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((r[2 * i] & 0xff) << 8) | (r[2 * i + 1] & 0xff);
        }
        int bestStart = -1, bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder b = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                b.append("::");
                i += bestLen - 1;
                continue;
            }
            if (b.length() > 0 && b.charAt(b.length() - 1) != ':') {
                b.append(':');
            }
            b.append(Integer.toHexString(g[i]));
        }
        if (a instanceof Inet6Address v6 && v6.getScopeId() != 0) {
            b.append('%').append(v6.getScopeId());
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return formatAddress(address) + "/" + length;
    }
}
