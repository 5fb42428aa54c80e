package sitelink.ike;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A traffic selector (RFC 7296 section 3.13.1): an address range of one family, an IP protocol (0: any) and a port
 * range. Subnets become ranges; the responder narrows what the initiator proposed to the intersection with its own
 * (section 2.9), and an empty intersection is TS_UNACCEPTABLE.
 */
public record TrafficSelector(int protocol, int startPort, int endPort, InetAddress start, InetAddress end) {
    public TrafficSelector {
        if (start.getAddress().length != end.getAddress().length) {
            throw new IllegalArgumentException("a traffic selector's range must be of one address family");
        }
    }

    static TrafficSelector of(int protocol, int startPort, int endPort, byte[] start, byte[] end) {
        try {
            return new TrafficSelector(protocol, startPort, endPort, InetAddress.getByAddress(start), InetAddress.getByAddress(end));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e); // cannot happen for 4 or 16 bytes
        }
    }

    /** All addresses of a subnet such as {@code 198.51.100.0/24}, any protocol and port. */
    public static TrafficSelector subnet(String cidr) {
        int slash = cidr.indexOf('/');
        byte[] address = parseLiteral(slash < 0 ? cidr : cidr.substring(0, slash));
        int bits = address.length * 8;
        int prefix = slash < 0 ? bits : Integer.parseInt(cidr.substring(slash + 1));
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("prefix length out of range: " + cidr);
        }
        byte[] lo = address.clone(), hi = address.clone();
        for (int i = prefix; i < bits; i++) {
            lo[i / 8] &= (byte) ~(0x80 >>> (i % 8));
            hi[i / 8] |= (byte) (0x80 >>> (i % 8));
        }
        return of(0, 0, 65535, lo, hi);
    }

    private static byte[] parseLiteral(String s) {
        if (!s.matches("[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException("not an IP address: " + s); // never a name lookup
        }
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + s, e);
        }
    }

    public boolean isIpv4() {
        return start.getAddress().length == 4;
    }

    /** The intersection of two selectors (narrowing), empty when they share no address, protocol or port. */
    public Optional<TrafficSelector> intersect(TrafficSelector o) {
        if (isIpv4() != o.isIpv4()) {
            return Optional.empty();
        }
        if (protocol != 0 && o.protocol != 0 && protocol != o.protocol) {
            return Optional.empty();
        }
        int proto = protocol == 0 ? o.protocol : protocol;
        int sp = Math.max(startPort, o.startPort), ep = Math.min(endPort, o.endPort);
        BigInteger s = max(num(start), num(o.start)), e = min(num(end), num(o.end));
        if (sp > ep || s.compareTo(e) > 0) {
            return Optional.empty();
        }
        int len = start.getAddress().length;
        return Optional.of(of(proto, sp, ep, bytes(s, len), bytes(e, len)));
    }

    /** Whether every packet this selector matches is matched by {@code o}. */
    public boolean within(TrafficSelector o) {
        return intersect(o).map(this::equals).orElse(false);
    }

    /** Every non-empty intersection of a proposed list with an allowed list, in proposed order. */
    public static List<TrafficSelector> narrow(List<TrafficSelector> proposed, List<TrafficSelector> allowed) {
        List<TrafficSelector> out = new ArrayList<>();
        for (TrafficSelector p : proposed) {
            for (TrafficSelector a : allowed) {
                p.intersect(a).filter(t -> !out.contains(t)).ifPresent(out::add);
            }
        }
        return out;
    }

    /** Whether each selector of {@code narrowed} lies within one of {@code allowed} (a responder may only narrow). */
    public static boolean allWithin(List<TrafficSelector> narrowed, List<TrafficSelector> allowed) {
        return !narrowed.isEmpty() && narrowed.stream().allMatch(n -> allowed.stream().anyMatch(n::within));
    }

    private static BigInteger num(InetAddress a) {
        return new BigInteger(1, a.getAddress());
    }

    private static BigInteger max(BigInteger a, BigInteger b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static BigInteger min(BigInteger a, BigInteger b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static byte[] bytes(BigInteger v, int len) {
        byte[] raw = v.toByteArray(), out = new byte[len];
        int n = Math.min(raw.length, len);
        System.arraycopy(raw, raw.length - n, out, len - n, n);
        return out;
    }

    /** As strongSwan logs it: {@code 198.51.100.0/24} for a subnet, else {@code start..end}, with protocol/ports if set. */
    @Override
    public String toString() {
        String range = start.getHostAddress() + ".." + end.getHostAddress();
        BigInteger size = num(end).subtract(num(start)).add(BigInteger.ONE);
        if (size.bitCount() == 1 && num(start).mod(size).signum() == 0) {
            int bits = start.getAddress().length * 8 - (size.bitLength() - 1);
            range = start.getHostAddress() + "/" + bits;
        }
        boolean anyPort = startPort == 0 && endPort == 65535;
        if (protocol == 0 && anyPort) {
            return range;
        }
        return range + "[" + protocol + (anyPort ? "" : "/" + (startPort == endPort ? "" + startPort : startPort + "-" + endPort)) + "]";
    }
}
