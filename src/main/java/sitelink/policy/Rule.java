package sitelink.policy;

import java.util.List;
import java.util.Optional;
import sitelink.route.Prefix;

/**
 * One allow rule of a site: packets going {@code direction}, of {@code protocol}, from {@code source} to
 * {@code destination} (empty: any address), to one of {@code ports} (TCP/UDP destination port; empty: any) or of one
 * of {@code icmpTypes} (ICMP/ICMPv6; empty: any). Source and destination are those of the packet that opens the flow;
 * replies are allowed by connection tracking, not by a rule. The text form is in docs/policy.md and {@link Rules}.
 */
public record Rule(Scope direction, Protocol protocol, Optional<Prefix> source, Optional<Prefix> destination,
        List<PortRange> ports, List<Integer> icmpTypes) {

    /** The directions a rule covers. */
    public enum Scope {
        /** Flows opened from the local site towards the remote one. */
        TO,
        /** Flows opened by the remote site towards us. */
        FROM,
        BOTH;

        public boolean covers(Direction d) {
            return this == BOTH || (this == TO) == (d == Direction.TO_REMOTE);
        }
    }

    public enum Protocol {
        TCP(6), UDP(17), ICMP(1), ICMPV6(58), ANY(-1);

        /** The IP protocol number, -1 for ANY. */
        public final int number;

        Protocol(int number) {
            this.number = number;
        }
    }

    /** Ports {@code from..to} inclusive. */
    public record PortRange(int from, int to) {
        public PortRange {
            if (from < 0 || to > 65535 || from > to) {
                throw new IllegalArgumentException("bad port range " + from + "-" + to);
            }
        }

        public static PortRange of(int port) {
            return new PortRange(port, port);
        }

        @Override
        public String toString() {
            return from == to ? Integer.toString(from) : from + "-" + to;
        }
    }

    public Rule {
        ports = List.copyOf(ports);
        icmpTypes = List.copyOf(icmpTypes);
        if (!ports.isEmpty() && protocol != Protocol.TCP && protocol != Protocol.UDP) {
            throw new IllegalArgumentException("ports need protocol tcp or udp, not " + name(protocol));
        }
        if (!icmpTypes.isEmpty() && protocol != Protocol.ICMP && protocol != Protocol.ICMPV6) {
            throw new IllegalArgumentException("ICMP types need protocol icmp or icmpv6, not " + name(protocol));
        }
        for (int t : icmpTypes) {
            if (t < 0 || t > 255) {
                throw new IllegalArgumentException("ICMP type " + t + " is outside 0..255");
            }
        }
        if (source.isPresent() && destination.isPresent() && source.get().isIpv4() != destination.get().isIpv4()) {
            throw new IllegalArgumentException("source " + source.get() + " and destination " + destination.get()
                    + " are of different IP versions");
        }
        int family = family(source, destination);
        if (protocol == Protocol.ICMP && family == 6 || protocol == Protocol.ICMPV6 && family == 4) {
            throw new IllegalArgumentException(name(protocol) + " does not go with IPv" + family + " addresses");
        }
    }

    /** 4 or 6 when the rule only matches one IP version, else 0. */
    public int family() {
        if (protocol == Protocol.ICMP) {
            return 4;
        }
        if (protocol == Protocol.ICMPV6) {
            return 6;
        }
        return family(source, destination);
    }

    private static int family(Optional<Prefix> s, Optional<Prefix> d) {
        Optional<Prefix> p = s.or(() -> d);
        return p.map(x -> x.isIpv4() ? 4 : 6).orElse(0);
    }

    private static String name(Protocol p) {
        return p.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The rule in the text form {@link Rules#parse} reads. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("allow ").append(direction.name().toLowerCase(java.util.Locale.ROOT))
                .append(' ').append(name(protocol));
        source.ifPresent(p -> s.append(" src ").append(p));
        destination.ifPresent(p -> s.append(" dst ").append(p));
        if (!ports.isEmpty()) {
            s.append(" port ").append(String.join(",", ports.stream().map(PortRange::toString).toList()));
        }
        if (!icmpTypes.isEmpty()) {
            s.append(" type ").append(String.join(",", icmpTypes.stream().map(String::valueOf).toList()));
        }
        return s.toString();
    }
}
