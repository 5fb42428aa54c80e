package sitelink.control;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;
import sitelink.config.TunnelInterface;
import sitelink.crypto.Key;
import sitelink.device.DeviceStatus;
import sitelink.device.PeerStatus;
import sitelink.os.host.Netlink;
import sitelink.os.host.PathMtu;
import sitelink.os.host.Sysctl;
import sitelink.route.Prefix;

/**
 * The troubleshooting checklist of docs/status.md, run against a running gateway and its site file: one
 * {@link Check} per line, PASS, WARN or FAIL with the remedy.
 */
public final class Diagnose {
    public enum Outcome { PASS, WARN, FAIL }

    public record Check(Outcome outcome, String name, String detail) {
        @Override
        public String toString() {
            return String.format("%-4s  %-28s %s", outcome, name, detail);
        }
    }

    /** WireGuard's outer headers: IPv4 (20) or IPv6 (40), UDP (8), the data message header (16) and tag (16). */
    static final int OVERHEAD_V4 = 60, OVERHEAD_V6 = 80;
    /** How long the path-MTU probe waits for a router's "fragmentation needed". */
    static final Duration PROBE_WAIT = Duration.ofSeconds(1);

    /** TAI64N timestamps only increase if the clock is sane; no real clock says it is before sitelink existed. */
    static final Instant EARLIEST_SANE = Instant.parse("2024-01-01T00:00:00Z");
    static final Duration HANDSHAKE_WAIT = Duration.ofSeconds(7);

    /** Asks the gateway to start a handshake with a peer now ({@link Gateways#initiateHandshake}). */
    public interface HandshakeTrigger {
        void start(Key peer) throws IOException;
    }

    private final Path file;
    private final SiteConfig config;
    private final Function<String, DeviceStatus> status;
    private final HandshakeTrigger trigger;
    private final Netlink netlink;
    private final Sysctl sysctl;

    public Diagnose(Path file, SiteConfig config, Function<String, DeviceStatus> status, HandshakeTrigger trigger,
                    Netlink netlink, Sysctl sysctl) {
        this.file = file;
        this.config = config;
        this.status = status;
        this.trigger = trigger;
        this.netlink = netlink;
        this.sysctl = sysctl;
    }

    public List<Check> run() {
        List<Check> checks = new ArrayList<>();
        checks.add(clock(Instant.now()));
        String iface = config.tunnel().name();
        DeviceStatus s;
        try {
            s = status.apply(iface);
        } catch (RuntimeException e) {
            checks.add(new Check(Outcome.FAIL, "gateway running", "no sitelink device answers on " + iface + " ("
                    + e.getMessage() + "); start it with 'sitelink up " + config.name() + "'s site file"));
            return checks;
        }
        checks.add(new Check(Outcome.PASS, "gateway running", iface + " answers, listening on UDP port " + s.listenPort()));
        boolean keyOk = s.publicKey().map(k -> k.equals(config.publicKey())).orElse(false);
        checks.add(keyOk ? new Check(Outcome.PASS, "key pair", "the running device's public key is the file's ("
                + config.publicKey().toBase64() + ")")
                : new Check(Outcome.FAIL, "key pair", "the running device's public key "
                + s.publicKey().map(k -> k.toBase64()).orElse("(none)") + " is not the file's "
                + config.publicKey().toBase64() + "; run 'sitelink reload' with this file, or restart the gateway"));
        // Routes, forwarding, addresses and the paths to the endpoints belong to a network namespace: seen from
        // another one (the socket is in the file system, shared), they would all be someone else's.
        Optional<Check> elsewhere = otherNamespace(iface);
        elsewhere.ifPresent(checks::add);
        for (RemoteSite r : config.remoteSites()) {
            checks.add(handshake(r, s, elsewhere.isEmpty()));
        }
        for (sitelink.config.IkeSite r : config.ikeSites()) {
            checks.addAll(ikeSite(r, s));
        }
        if (elsewhere.isPresent()) {
            return checks;
        }
        checks.addAll(routes());
        checks.add(forwarding());
        checks.add(overlaps());
        for (RemoteSite r : config.remoteSites()) {
            mtu(r, s).ifPresent(checks::add);
        }
        return checks;
    }

    static Check clock(Instant now) {
        return now.isBefore(EARLIEST_SANE)
                ? new Check(Outcome.FAIL, "clock", "the clock says " + now + ", before 2024: handshakes carry TAI64N "
                + "timestamps that must only increase; set the time (NTP) before the tunnel starts")
                : new Check(Outcome.PASS, "clock", "the clock says " + now);
    }

    /**
     * A FAIL when the gateway's interface is not in this network namespace, naming the namespace (ip netns) it is
     * in when the gateway's PID file and /run/netns tell.
     */
    private Optional<Check> otherNamespace(String iface) {
        try {
            if (netlink.link(iface).isPresent()) {
                return Optional.empty();
            }
        } catch (IOException e) {
            return Optional.empty(); // cannot tell; the checks below say what they see
        }
        Optional<String> ns = namespaceOf(iface);
        String run = ns.map(n -> "sudo ip netns exec " + n + " sitelink diagnose " + file).orElse("sitelink diagnose "
                + file + " in the gateway's network namespace (e.g. sudo ip netns exec NAME ..., or nsenter --net)");
        return Optional.of(new Check(Outcome.FAIL, "network namespace", "the gateway answers on its socket, but its "
                + "interface " + iface + " is not in this network namespace: it runs in "
                + ns.map(n -> "namespace " + n).orElse("another one") + ". Routes, forwarding, addresses and path MTU "
                + "were not checked (they would be this namespace's); run: " + run));
    }

    /** The ip-netns name of the namespace the gateway on {@code iface} runs in, from its PID file. */
    private static Optional<String> namespaceOf(String iface) {
        try {
            String pid = Files.readString(Gateways.RUN_DIRECTORY.resolve(iface + ".pid")).strip();
            String link = Files.readSymbolicLink(Path.of("/proc", pid, "ns", "net")).toString(); // net:[INODE]
            long inode = Long.parseLong(link.replaceAll("\\D", ""));
            try (Stream<Path> names = Files.list(Path.of("/run/netns"))) {
                return names.filter(n -> {
                    try {
                        return ((Number) Files.getAttribute(n, "unix:ino")).longValue() == inode;
                    } catch (IOException | RuntimeException e) {
                        return false;
                    }
                }).map(n -> n.getFileName().toString()).findFirst();
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private Check handshake(RemoteSite r, DeviceStatus s, boolean here) {
        String name = "handshake with " + r.name();
        Optional<PeerStatus> peer = find(s, r);
        if (peer.isEmpty()) {
            return new Check(Outcome.FAIL, name, "the running device has no peer with " + r.name()
                    + "'s public key; run 'sitelink reload' with this file");
        }
        if (up(peer.get(), s)) {
            return new Check(Outcome.PASS, name, "latest handshake " + age(peer.get(), s.at()) + " s ago");
        }
        // Asked of the gateway over its socket, not by a packet into the tunnel: the site's own policy may not allow
        // any packet diagnose could send, and a probe packet would count as a user drop on one side or the other.
        try {
            trigger.start(r.publicKey());
        } catch (IOException e) {
            return new Check(Outcome.FAIL, name, "the gateway did not start a handshake (" + e.getMessage() + ")"
                    + (e.getMessage() != null && e.getMessage().endsWith("errno=-89") ? ": " + r.name() + " has no "
                    + "endpoint and has not connected; give it an endpoint, or start " + r.name() + " so it connects here"
                    : "; run 'sitelink reload' with this file"));
        }
        long deadline = System.nanoTime() + HANDSHAKE_WAIT.toNanos();
        DeviceStatus now = s;
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            now = status.apply(config.tunnel().name());
            Optional<PeerStatus> p = find(now, r);
            if (p.isPresent() && up(p.get(), now)) {
                return new Check(Outcome.PASS, name, "a handshake completed just now");
            }
        }
        Optional<PeerStatus> p = find(now, r);
        Assessment a = Assessment.of(p.orElse(peer.get()), now.at(), now.publicKey());
        String why = a.reason().isEmpty() ? a.state().name() : a.reason();
        if (a.state() == TunnelState.CONNECTING || a.state() == TunnelState.IDLE) {
            PeerStatus last = p.orElse(peer.get());
            boolean reachable = here && last.endpoint().map(e -> answersOnUdp(e.getAddress())).orElse(false);
            why = "no answer to a handshake within " + HANDSHAKE_WAIT.toSeconds() + " s"
                    + (reachable ? Explain.unansweredThoughReachable(last, config.publicKey())
                    : Explain.unansweredRemedy(last));
        }
        return new Check(Outcome.FAIL, name, why);
    }

    /**
     * Status's own rule, not just "a recent handshake": a session whose handshakes have gone unanswered for
     * {@link Assessment#STALL} (the peer stopped) is DOWN even though its keys are still young.
     */
    private static boolean up(PeerStatus p, DeviceStatus s) {
        return Assessment.of(p, s.at(), s.publicKey()).state() == TunnelState.ESTABLISHED;
    }

    private static long age(PeerStatus p, Instant now) {
        return Duration.between(p.lastHandshake().orElseThrow(), now).getSeconds();
    }

    /**
     * True when the endpoint's host answers a one-byte datagram to its discard port (9), with ICMP port unreachable as
     * a host without that service does: UDP reaches the host, so a silent peer is not a blocked path.
     */
    static boolean answersOnUdp(InetAddress host) {
        try (DatagramChannel ch = DatagramChannel.open(); Selector selector = Selector.open()) {
            ch.connect(new InetSocketAddress(host, 9));
            ch.write(ByteBuffer.allocate(1));
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_READ);
            // The ICMP error arrives as the socket's pending error: it wakes the selector, and the read reports it.
            if (selector.select(PROBE_WAIT.toMillis()) == 0) {
                return false; // no answer (a firewall may drop the probe or its ICMP): nothing can be concluded
            }
            ch.read(ByteBuffer.allocate(1));
            return true; // it even answered
        } catch (PortUnreachableException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Optional<PeerStatus> find(DeviceStatus s, RemoteSite r) {
        return s.peers().stream().filter(p -> p.publicKey().equals(r.publicKey())).findFirst();
    }

    /**
     * An IKEv2 site through the IPsec checklist: phase 1 (the IKE SA and its proposal), phase 2 (the CHILD SA and its
     * selectors), NAT-T and liveness when it is up; otherwise the phase that failed, what differs, and the fix. Also
     * the PSK's age.
     */
    List<Check> ikeSite(sitelink.config.IkeSite r, DeviceStatus s) {
        String name = "IKEv2 " + r.name();
        List<Check> out = new ArrayList<>();
        Optional<sitelink.ipsec.IpsecSiteStatus> found = s.ikeSites().stream().filter(i -> i.name().equals(r.name())).findFirst();
        if (found.isEmpty()) {
            out.add(new Check(Outcome.FAIL, name, "the running gateway has no IKEv2 site " + r.name()
                    + "; restart the gateway with this file"));
            return out;
        }
        sitelink.ipsec.IpsecSiteStatus i = found.get();
        boolean certificates = r.auth() instanceof sitelink.config.IkeAuth.Cert;
        String peer = i.peer().map(Explain::endpoint).orElse("the peer");
        if (i.isEstablished()) {
            boolean classical = i.keyExchange().map(k -> k.startsWith("classical")).orElse(false);
            out.add(new Check(classical && r.postQuantum() != sitelink.ike.PostQuantum.OFF ? Outcome.WARN : Outcome.PASS,
                    name + ": phase 1", "IKE SA ESTABLISHED with " + peer + " (" + i.ikeProposal().orElse("?")
                    + i.keyExchange().map(k -> ", " + k).orElse("") + (classical && r.postQuantum() != sitelink.ike.PostQuantum.OFF
                    ? ": the peer has no ML-KEM (strongSwan 6 or newer has); recorded traffic is not protected against a future "
                    + "quantum computer" : "") + ", up " + i.establishedAt().map(t -> Duration.between(t, s.at()).getSeconds())
                    .orElse(0L) + " s)"));
            Optional<sitelink.ipsec.IpsecSiteStatus.Child> child = i.children().stream()
                    .filter(sitelink.ipsec.IpsecSiteStatus.Child::outbound).findFirst();
            out.add(child.map(c -> new Check(Outcome.PASS, name + ": phase 2", String.format("CHILD SA %08x_i %08x_o %s "
                    + "INSTALLED, %s === %s", c.inboundSpi(), c.outboundSpi(), c.cipher(), c.localSelectors(), c.remoteSelectors())))
                    .orElseGet(() -> new Check(Outcome.FAIL, name + ": phase 2", "no CHILD SA installed"
                            + i.lastFailure().map(f -> ": " + sitelink.ipsec.IkeAdvice.explain(f, certificates)).orElse(""))));
            out.add(new Check(i.natTraversal() ? Outcome.PASS : Outcome.WARN, name + ": NAT-T", i.natTraversal()
                    ? "IKE and ESP in UDP 4500 (RFC 3948), as the peer expects with encap or behind NAT"
                    : "ESP is not UDP-encapsulated: this gateway sends ESP only in UDP 4500; set encap = yes on the peer"));
            out.add(new Check(Outcome.PASS, name + ": liveness", r.dpdDelay().isZero() ? "dpd_delay off: a dead peer "
                    + "is noticed only when a rekey goes unanswered"
                    : "a liveness check after " + r.dpdDelay().toSeconds() + " s without traffic from the peer; a dead "
                    + "peer shows DOWN within " + 3 * r.dpdDelay().toSeconds() + " s"));
        } else {
            String what = switch (i.state()) {
                case "CONNECTING" -> "an IKE exchange with " + peer + " is under way";
                case "WAITING" -> i.lastFailure().isPresent()
                        ? "start_action none: " + peer + " initiated, and no IKE SA came of it"
                        : "start_action none: waiting for " + peer + " to initiate; it has not";
                default -> "no IKE SA with " + peer;
            };
            out.add(new Check(i.state().equals("CONNECTING") ? Outcome.WARN : Outcome.FAIL, name, what
                    + i.lastFailure().map(f -> "; last failure, " + sitelink.ipsec.IkeAdvice.explain(f, certificates)).orElse("")
                    + i.nextAttempt().map(t -> "; trying again in " + Math.max(0, Duration.between(s.at(), t).getSeconds()) + " s")
                    .orElse("")));
        }
        sitelink.config.SystemChecks.pskRotation(r, Instant.now())
                .ifPresent(m -> out.add(new Check(Outcome.WARN, name + ": pre-shared key", m)));
        for (String w : i.expiryWarnings(s.at())) {
            out.add(new Check(Outcome.WARN, name + ": certificates", w));
        }
        return out;
    }

    private List<Check> routes() {
        List<Check> out = new ArrayList<>();
        if (config.tunnel().routeTable() == TunnelInterface.NO_ROUTES) {
            out.add(new Check(Outcome.WARN, "routes", "route_table is off: sitelink adds no routes; make sure your "
                    + "own routing sends the remote subnets into " + config.tunnel().name()));
            return out;
        }
        for (Prefix p : config.mainRoutedSubnets()) { // route_from sites' routes are in their own tables
            String name = "route to " + p;
            try {
                Optional<Netlink.Route> route = netlink.routeTo(p.address());
                String dev = route.flatMap(Netlink.Route::interfaceName).orElse("");
                out.add(dev.equals(config.tunnel().name())
                        ? new Check(Outcome.PASS, name, "goes into " + dev)
                        : new Check(Outcome.FAIL, name, route.map(x -> "goes " + x).orElse("no route")
                        + ", not into " + config.tunnel().name() + "; a more specific or other route wins: remove it,"
                        + " or restart the gateway to add its routes"));
            } catch (IOException e) {
                out.add(new Check(Outcome.FAIL, name, "cannot look it up: " + e.getMessage()));
            }
        }
        return out;
    }

    private Check forwarding() {
        List<Prefix> all = new ArrayList<>(config.localSubnets());
        config.remoteSites().forEach(r -> all.addAll(r.remoteSubnets()));
        List<String> off = new ArrayList<>();
        try {
            if (all.stream().anyMatch(Prefix::isIpv4) && !sysctl.get(Sysctl.IPV4_FORWARDING).equals("1")) {
                off.add(Sysctl.IPV4_FORWARDING);
            }
            if (all.stream().anyMatch(p -> !p.isIpv4()) && !sysctl.get(Sysctl.IPV6_FORWARDING).equals("1")) {
                off.add(Sysctl.IPV6_FORWARDING);
            }
        } catch (IOException e) {
            return new Check(Outcome.WARN, "forwarding", "cannot read it: " + e.getMessage());
        }
        return off.isEmpty() ? new Check(Outcome.PASS, "forwarding", "on")
                : new Check(Outcome.FAIL, "forwarding", String.join(" and ", off) + " is 0: this host does not "
                + "route between the LAN and the tunnel; restart the gateway (it turns forwarding on) or set it to 1");
    }

    /** A remote subnet that contains an address of this host's other interfaces would capture local traffic. */
    private Check overlaps() {
        List<String> found = new ArrayList<>();
        try {
            for (Map.Entry<Integer, Netlink.Link> l : netlink.links().entrySet()) {
                String n = l.getValue().name();
                if (n.equals(config.tunnel().name()) || n.equals("lo")) {
                    continue;
                }
                for (Netlink.Address a : netlink.addresses(n)) {
                    for (RemoteSite r : config.remoteSites()) {
                        for (Prefix p : r.remoteSubnets()) {
                            if (p.overlaps(a.prefix())) {
                                found.add(r.name() + "'s remote subnet " + p + " overlaps " + a + " on " + n);
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            return new Check(Outcome.WARN, "subnets do not overlap", "cannot list addresses: " + e.getMessage());
        }
        return found.isEmpty() ? new Check(Outcome.PASS, "subnets do not overlap", "no remote subnet overlaps a local one")
                : new Check(Outcome.FAIL, "subnets do not overlap", String.join("; ", found)
                + "; renumber one side, or narrow remote_subnets");
    }

    private Optional<Check> mtu(RemoteSite r, DeviceStatus s) {
        Optional<InetSocketAddress> ep = find(s, r).flatMap(PeerStatus::endpoint);
        if (ep.isEmpty()) {
            return Optional.empty();
        }
        String name = "path MTU to " + r.name();
        try {
            Optional<Netlink.Route> route = netlink.routeTo(ep.get().getAddress());
            Optional<Netlink.Link> link = route.flatMap(Netlink.Route::interfaceName).flatMap(n -> {
                try {
                    return netlink.link(n);
                } catch (IOException e) {
                    return Optional.empty();
                }
            });
            if (link.isEmpty()) {
                return Optional.of(new Check(Outcome.FAIL, name, "no route to the endpoint " + Explain.endpoint(ep.get())
                        + "; add a route to it"));
            }
            InetAddress to = ep.get().getAddress();
            int overhead = to instanceof java.net.Inet4Address ? OVERHEAD_V4 : OVERHEAD_V6;
            int mtu = config.tunnel().mtu();
            int need = mtu + overhead;
            int linkMtu = link.get().mtu();
            if (linkMtu < need) {
                return Optional.of(new Check(Outcome.WARN, name, link.get().name() + " carries " + linkMtu
                        + " bytes but the tunnel's mtu " + mtu + " needs " + need + "; set tunnel mtu to "
                        + (linkMtu - overhead) + " or less"));
            }
            String onLink = link.get().name() + " carries " + linkMtu + " bytes, the tunnel needs " + need;
            int path;
            try {
                path = PathMtu.probe(to, need, PROBE_WAIT);
            } catch (IOException e) {
                return Optional.of(new Check(Outcome.PASS, name, onLink + " (the path beyond was not measured: "
                        + e.getMessage() + ")"));
            }
            if (path < need) {
                return Optional.of(new Check(Outcome.WARN, name, "the path to " + Explain.endpoint(ep.get())
                        + " carries " + path + "-byte packets (a router on the way said so), but the tunnel's mtu "
                        + mtu + " makes " + need + "-byte datagrams, which are fragmented on the way (slower, and lost "
                        + "whole if a fragment is lost); set tunnel mtu to " + (path - overhead)
                        + " or less on both sites"));
            }
            return Optional.of(new Check(Outcome.PASS, name, onLink + "; no router toward "
                    + Explain.endpoint(ep.get()) + " reported a smaller MTU for a " + need + "-byte probe"));
        } catch (IOException e) {
            return Optional.of(new Check(Outcome.WARN, name, "cannot look it up: " + e.getMessage()));
        }
    }
}
