package sitelink.ipsec;

import java.util.List;
import sitelink.ike.TrafficSelector;
import sitelink.packet.IpHeader;

/**
 * The traffic selectors one CHILD SA negotiated, as the data path checks each packet against them (RFC 4301 section
 * 5.1/5.2): a packet sealed under the SA must come from its local selectors and go to its remote ones, an opened one
 * the other way round. They can be narrower than the site's subnets (the peer narrowed them, RFC 7296 section 2.9),
 * and what is outside them the peer never agreed to. Addresses, the protocol and, for TCP, UDP and SCTP, the ports
 * are compared; where a packet does not show its ports (an IPv4 fragment after the first, an IPv6 packet with
 * extension headers) or they are ICMP's type and code, only the addresses and the protocol count.
 */
final class Selectors {
    private static final int TCP = 6, UDP = 17, SCTP = 132;

    /** One selector: an address range of one family, a protocol (0: any) and a port range. */
    private record Range(int version, byte[] start, byte[] end, int protocol, int startPort, int endPort) {
        boolean anyPort() {
            return startPort == 0 && endPort == 65535;
        }
    }

    private final Range[] local, remote;

    private Selectors(Range[] local, Range[] remote) {
        this.local = local;
        this.remote = remote;
    }

    static Selectors of(List<TrafficSelector> local, List<TrafficSelector> remote) {
        return new Selectors(ranges(local), ranges(remote));
    }

    private static Range[] ranges(List<TrafficSelector> selectors) {
        return selectors.stream().map(t -> new Range(t.isIpv4() ? 4 : 6, t.start().getAddress(), t.end().getAddress(),
                t.protocol(), t.startPort(), t.endPort())).toArray(Range[]::new);
    }

    /** A LAN packet about to be sealed: from the local selectors to the remote ones. */
    boolean outbound(byte[] p, int off, int len) {
        return matches(p, off, len, local, remote);
    }

    /** A packet the SA opened: from the remote selectors to the local ones. */
    boolean inbound(byte[] p, int off, int len) {
        return matches(p, off, len, remote, local);
    }

    private static boolean matches(byte[] p, int off, int len, Range[] from, Range[] to) {
        int version = IpHeader.version(p, off, len);
        if (version == IpHeader.INVALID) {
            return false;
        }
        int protocol, ports; // ports: offset of the transport header's ports, or -1 when the packet does not show them
        if (version == 4) {
            protocol = p[off + 9] & 0xff;
            int headerLength = (p[off] & 0x0f) * 4;
            boolean laterFragment = ((p[off + 6] & 0x1f) << 8 | (p[off + 7] & 0xff)) != 0;
            ports = laterFragment || len < headerLength + 4 ? -1 : off + headerLength;
        } else {
            protocol = p[off + 6] & 0xff; // an extension header's number, if there is one: its ports are not looked for
            ports = len < 44 ? -1 : off + 40;
        }
        if (protocol != TCP && protocol != UDP && protocol != SCTP) {
            ports = -1;
        }
        int sourcePort = ports < 0 ? -1 : (p[ports] & 0xff) << 8 | (p[ports + 1] & 0xff);
        int destinationPort = ports < 0 ? -1 : (p[ports + 2] & 0xff) << 8 | (p[ports + 3] & 0xff);
        return any(from, p, off + IpHeader.sourceOffset(version), version, protocol, sourcePort)
                && any(to, p, off + IpHeader.destinationOffset(version), version, protocol, destinationPort);
    }

    private static boolean any(Range[] ranges, byte[] p, int address, int version, int protocol, int port) {
        for (Range r : ranges) {
            if (r.version == version && (r.protocol == 0 || r.protocol == protocol)
                    && (port < 0 || r.anyPort() || port >= r.startPort && port <= r.endPort)
                    && compare(p, address, r.start) >= 0 && compare(p, address, r.end) <= 0) {
                return true;
            }
        }
        return false;
    }

    /** The packet's address at {@code at} against {@code a} (same length), unsigned, most significant byte first. */
    private static int compare(byte[] p, int at, byte[] a) {
        for (int i = 0; i < a.length; i++) {
            int x = p[at + i] & 0xff, y = a[i] & 0xff;
            if (x != y) {
                return x < y ? -1 : 1;
            }
        }
        return 0;
    }
}
