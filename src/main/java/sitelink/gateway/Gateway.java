package sitelink.gateway;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import sitelink.config.ConfigProblem;
import sitelink.config.IkeSite;
import sitelink.config.InterfaceAddress;
import sitelink.config.RemoteSite;
import sitelink.config.SiteConfig;
import sitelink.config.SiteFile;
import sitelink.config.SystemChecks;
import sitelink.config.TunnelInterface;
import sitelink.control.Observer;
import sitelink.crypto.Key;
import sitelink.device.Device;
import sitelink.device.DeviceException;
import sitelink.device.DeviceUpdate;
import sitelink.device.PeerSnapshot;
import sitelink.device.PeerUpdate;
import sitelink.ipsec.IpsecSite;
import sitelink.ipsec.IpsecTunnel;
import sitelink.os.ffm.ErrnoException;
import sitelink.os.host.Netlink;
import sitelink.os.host.Sysctl;
import sitelink.os.host.SystemChanges;
import sitelink.os.tun.Tun;
import sitelink.policy.SiteFilter;
import sitelink.route.Prefix;
import sitelink.uapi.UapiServer;
import sitelink.tunnel.Clock;

/**
 * One site's gateway, built from its site file: the device, its tunnel addresses, a static route into the tunnel for
 * every remote subnet, forwarding on. Everything it adds to the system goes through a {@link SystemChanges} ledger,
 * so {@link #close()} removes exactly that, in reverse order, and a failed start leaves nothing behind.
 */
public final class Gateway implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("sitelink.gateway");
    /** Where `up` records its PID, for `sitelink reload`: /run/sitelink/IFACE.pid. */
    public static final Path RUN_DIRECTORY = Path.of("/run/sitelink");
    /**
     * A DNS endpoint is looked up again when its site has had no handshake for this long (wg's reresolve-dns). The
     * system property sitelink.reresolve_after_seconds shortens it for the end-to-end test, which cannot wait 135 s.
     */
    private static final Duration RERESOLVE_AFTER = Duration.ofSeconds(Long.getLong("sitelink.reresolve_after_seconds", 135));
    private static final Duration RERESOLVE_EVERY = Duration.ofSeconds(15);

    private final Path file;
    private final Device device;
    private final UapiServer uapi;
    private final Netlink netlink;
    private final Sysctl sysctl = new Sysctl();
    private final SystemChanges changes;
    private volatile SiteConfig config;
    private final Map<String, InetSocketAddress> resolved = new HashMap<>();
    private final Thread resolver;
    private volatile SiteFilter filter;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Observer observer;
    /** The IKEv2 sites' tunnel, when the file had IKEv2 sites at start (it holds UDP 500 and 4500); else null. */
    /** The IKEv2 sites' tunnel: made at start, or by the reload that adds the first IKEv2 site; null before. */
    private volatile IpsecTunnel ipsec;
    /** How many reloads ran (SIGHUP), for the reload file. */
    private int reloads;

    private Gateway(Path file, SiteConfig config, Device device, UapiServer uapi, Netlink netlink, SystemChanges changes) {
        this.file = file;
        this.config = config;
        this.device = device;
        this.uapi = uapi;
        this.netlink = netlink;
        this.changes = changes;
        this.resolver = Thread.ofPlatform().name("resolver").daemon().unstarted(this::reresolveLoop);
    }

    /**
     * The file where the gateway on {@code iface} reports each reload, for {@code sitelink reload} to wait on: the
     * reload's number (0 when none happened yet), then {@code ok} or {@code error}, then one line per problem, then
     * what changed when the file was applied.
     */
    public static Path reloadFile(String iface) {
        return reloadFile(RUN_DIRECTORY, iface);
    }

    public static Path reloadFile(Path directory, String iface) {
        return directory.resolve(iface + ".reload");
    }

    /** The path of the PID file `up` writes for the interface. */
    public static Path pidFile(String iface) {
        return pidFile(RUN_DIRECTORY, iface);
    }

    public static Path pidFile(Path directory, String iface) {
        return directory.resolve(iface + ".pid");
    }

    /**
     * Brings the site up. On any failure everything done so far is undone and a {@link GatewayException} says what
     * failed and what to do.
     */
    public static Gateway start(Path file, SiteConfig config) throws GatewayException {
        TunnelInterface t = config.tunnel();
        if (t.routeTable() != TunnelInterface.MAIN_TABLE && t.routeTable() != TunnelInterface.NO_ROUTES) {
            throw new GatewayException("route_table " + t.routeTable() + " is not supported yet; use main or off");
        }
        SystemChanges changes = new SystemChanges();
        Netlink netlink = null;
        try {
            netlink = Netlink.open();
            if (netlink.linkExists(t.name())) {
                throw new GatewayException("interface " + t.name() + " already exists: is another sitelink or "
                        + "WireGuard gateway running? Stop it, or choose another tunnel.name");
            }
            Tun tun = Tun.open(t.name());
            Device device = new Device(tun.name(), tun, Clock.SYSTEM);
            changes.record("interface " + t.name(), device::close);
            changes.setMtu(netlink, t.name(), t.mtu());

            Map<String, InetSocketAddress> resolved = new HashMap<>();
            for (RemoteSite r : config.remoteSites()) {
                r.endpoint().ifPresent(e -> resolve(r, e).ifPresent(a -> resolved.put(r.name(), a)));
            }
            device.apply(config.toDeviceUpdate(byRemoteSite(config, resolved)));
            IpsecTunnel ipsec = config.ikeSites().isEmpty() ? null : IkeSites.attach(device, config);

            UapiServer uapi = new UapiServer(t.name(), device);
            uapi.start();
            changes.record("UAPI socket " + uapi.socketPath(), uapi::close);

            for (InterfaceAddress a : t.addresses()) {
                changes.addAddress(netlink, t.name(), a.address(), a.length());
            }
            noLinkLocal(t.name());
            changes.setLinkUp(netlink, t.name());
            if (t.routeTable() == TunnelInterface.MAIN_TABLE) {
                for (Prefix p : config.mainRoutedSubnets()) {
                    changes.addRoute(netlink, p, t.name());
                }
                routeBySource(config, netlink, changes);
            }
            enableForwarding(config, changes);
            writeRunFiles(RUN_DIRECTORY, t.name(), changes);

            Gateway g = new Gateway(file, config, device, uapi, netlink, changes);
            g.resolved.putAll(resolved);
            g.ipsec = ipsec;
            g.filter = siteFilter(config, null);
            device.setPacketFilter(g.filter);
            device.setOuterDscp(outerDscp(config));
            Optional<PostQuantumSites> pq = PostQuantumSites.attach(device, config,
                    sitelink.crypto.X25519.publicKey(config.privateKey()));
            if (pq.isPresent()) {
                changes.record("post-quantum key exchanges", pq.get()::close);
            }
            Observer observer = Observer.start(device, config);
            changes.record("status, metrics and events", observer::close);
            g.observer = observer;
            device.start();
            device.lowerCompilersWhenQuiet(); // after the warm-up, for this process's life
            g.resolver.start();
            LOG.log(Level.INFO, "site {0} is up on {1}: {2} remote site(s), {3} route(s) into the tunnel",
                    config.name(), t.name(), config.remoteSites().size() + config.ikeSites().size(),
                    config.allRemoteSubnets().size());
            return g;
        } catch (GatewayException e) {
            undo(changes, netlink);
            throw e;
        } catch (DeviceException e) {
            undo(changes, netlink);
            throw new GatewayException("the device refused the configuration: " + e.getMessage());
        } catch (IOException e) {
            undo(changes, netlink);
            throw new GatewayException(e.getMessage());
        }
    }

    /**
     * The kernel gives an interface that comes up an IPv6 link-local address and sends router solicitations and MLD
     * reports from it, into the tunnel: no remote subnet takes ff02::/16, so each counted as a no_route drop at every
     * start, noise for whoever alerts on drops. A site tunnel needs no link-local address (its addresses are in the
     * file; WireGuard has no neighbour discovery), so it gets none: {@code ip link set IFACE addrgenmode none}. The
     * setting goes with the interface. Without IPv6 on this host there is nothing to turn off.
     */
    /** The site's rules on the data path, from the site file: each remote site's policy, MSS clamp, path MTU. */
    static SiteFilter siteFilter(SiteConfig c, SiteFilter previous) {
        List<SiteFilter.Remote> remotes = new ArrayList<>(c.remoteSites().stream()
                .map(r -> new SiteFilter.Remote(r.publicKey(), r.name(), r.policy())).toList());
        c.ikeSites().forEach(r -> remotes.add(new SiteFilter.Remote(sitelink.ipsec.IpsecSite.idOf(r.name()), r.name(), r.policy())));
        return new SiteFilter(c.tunnel().mtu(), c.tunnel().mssClamp(), tunnelAddress(c, true), tunnelAddress(c, false),
                remotes, Clock.SYSTEM::nanoTime, previous);
    }

    /** Each remote site's {@code dscp:} that is not {@code copy}, by the id the device knows it by. */
    static Map<Key, Integer> outerDscp(SiteConfig c) {
        Map<Key, Integer> m = new HashMap<>();
        c.remoteSites().stream().filter(r -> r.dscp() != sitelink.packet.OuterTos.COPY)
                .forEach(r -> m.put(r.publicKey(), r.dscp()));
        c.ikeSites().stream().filter(r -> r.dscp() != sitelink.packet.OuterTos.COPY)
                .forEach(r -> m.put(sitelink.ipsec.IpsecSite.idOf(r.name()), r.dscp()));
        return m;
    }

    /** Our tunnel address of that family: the source of the ICMP errors the filter sends. */
    private static Optional<java.net.InetAddress> tunnelAddress(SiteConfig c, boolean v4) {
        return c.tunnel().addresses().stream().filter(a -> a.isIpv4() == v4).map(InterfaceAddress::address).findFirst();
    }

    private static void noLinkLocal(String iface) {
        try {
            new Sysctl().set("net/ipv6/conf/" + iface + "/addr_gen_mode", "1");
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "no IPv6 settings for {0}: {1}", iface, e.getMessage());
        }
    }

    /** The first routing table a source-routed remote site may get; the next free one above it is taken. */
    static final int FIRST_SOURCE_TABLE = 51000;

    /**
     * Source-based routing ({@code route_from}): each such remote site gets a routing table of its own, the first
     * one from {@link #FIRST_SOURCE_TABLE} up that no policy rule uses yet, holding its remote subnets into the
     * tunnel and a throw route per local subnet (so traffic to the LAN itself leaves the table for the main one),
     * and one rule {@code from SUBNET lookup TABLE} per route_from subnet. All through the ledger.
     */
    static void routeBySource(SiteConfig c, Netlink netlink, SystemChanges changes) throws ErrnoException {
        if (c.sourceRoutes().isEmpty()) {
            return;
        }
        Set<Integer> used = new HashSet<>();
        netlink.rules().forEach(r -> used.add(r.table()));
        int table = FIRST_SOURCE_TABLE;
        for (SiteConfig.SourceRoute s : c.sourceRoutes()) {
            while (used.contains(table)) {
                table++;
            }
            used.add(table);
            for (Prefix p : s.to()) {
                changes.addRoute(netlink, p, c.tunnel().name(), table);
            }
            for (Prefix l : c.localSubnets()) {
                changes.addThrowRoute(netlink, l, table);
            }
            for (Prefix f : s.from()) {
                changes.addRule(netlink, f, table);
            }
            LOG.log(Level.INFO, "traffic from {0} to {1} goes to {2} (routing table {3,number,#}); other traffic "
                    + "the normal way", s.from(), s.to(), s.site(), table);
        }
    }

    private static void undo(SystemChanges changes, Netlink netlink) {
        changes.close();
        if (netlink != null) {
            netlink.close();
        }
    }

    private static void enableForwarding(SiteConfig c, SystemChanges changes) throws IOException {
        List<Prefix> all = new ArrayList<>(c.localSubnets());
        all.addAll(c.allRemoteSubnets());
        Sysctl sysctl = new Sysctl();
        if (all.stream().anyMatch(Prefix::isIpv4)) {
            changes.setSysctl(sysctl, Sysctl.IPV4_FORWARDING, "1");
        }
        if (all.stream().anyMatch(p -> !p.isIpv4())) {
            changes.setSysctl(sysctl, Sysctl.IPV6_FORWARDING, "1");
        }
    }

    /**
     * Writes DIR/IFACE.pid and DIR/IFACE.reload (reload number 0); the directory too when it is missing, and then it
     * is removed again on close unless another gateway's files are in it by then.
     */
    static void writeRunFiles(Path directory, String iface, SystemChanges changes) throws IOException {
        if (!Files.isDirectory(directory)) {
            Files.createDirectories(directory);
            changes.record("created directory " + directory, () -> {
                try {
                    Files.deleteIfExists(directory);
                } catch (DirectoryNotEmptyException e) {
                    LOG.log(Level.DEBUG, "{0} is still in use by another gateway; leaving it", directory);
                }
            });
        }
        Path reload = reloadFile(directory, iface);
        Files.writeString(reload, "0\nok\nno reload yet\n");
        changes.createdFile(reload);
        Path pid = pidFile(directory, iface);
        Files.writeString(pid, ProcessHandle.current().pid() + "\n");
        changes.createdFile(pid);
    }

    private static Optional<InetSocketAddress> resolve(RemoteSite r, sitelink.config.Endpoint e) {
        try {
            return Optional.of(e.resolve());
        } catch (UnknownHostException ex) {
            LOG.log(Level.WARNING, "endpoint {0} of {1} does not resolve ({2}); waiting for {1} to connect, "
                    + "and trying the name again every {3} s", e, r.name(), ex.getMessage(), RERESOLVE_EVERY.toSeconds());
            return Optional.empty();
        }
    }

    private static Map<RemoteSite, InetSocketAddress> byRemoteSite(SiteConfig c, Map<String, InetSocketAddress> byName) {
        Map<RemoteSite, InetSocketAddress> m = new HashMap<>();
        for (RemoteSite r : c.remoteSites()) {
            InetSocketAddress a = byName.get(r.name());
            if (a != null) {
                m.put(r, a);
            }
        }
        return m;
    }

    public Device device() {
        return device;
    }

    public SiteConfig config() {
        return config;
    }

    /** Blocks until the device stops (closed, or its interface deleted). */
    public void awaitStop() throws InterruptedException {
        device.awaitStop();
    }

    /**
     * Applies the site file again: remote sites that did not change keep their sessions; added ones are created,
     * removed ones end; routes and addresses follow. A file with errors changes nothing. Returns the problems found
     * (empty on success).
     */
    public synchronized List<String> reload() {
        SiteConfig before = config;
        List<String> problems = applyFile();
        reloads++;
        List<String> report = new ArrayList<>(List.of(Integer.toString(reloads), problems.isEmpty() ? "ok" : "error"));
        report.addAll(problems);
        if (config != before) { // applied, perhaps with problems left over (an address or route that failed)
            // "added office-c; removed none; ...", then "IKEv2 sites: added ..." when there are IKEv2 sites
            List<String> parts = new ArrayList<>();
            if (!before.remoteSites().isEmpty() || !config.remoteSites().isEmpty() || before.ikeSites().isEmpty() && config.ikeSites().isEmpty()) {
                parts.add(SiteChanges.between(before, config).toString());
            }
            if (!before.ikeSites().isEmpty() || !config.ikeSites().isEmpty()) {
                parts.add("IKEv2 sites: " + IkeSites.Changes.between(before, config));
            }
            String summary = String.join("; ", parts);
            LOG.log(Level.INFO, "site {0} reloaded: {1}", config.name(), summary);
            report.add("site " + config.name() + " reloaded from " + file + ": " + summary);
        }
        Path out = reloadFile(config.tunnel().name());
        try {
            Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
            Files.write(tmp, report);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot report the reload in {0}: {1}", out, e.getMessage());
        }
        return problems;
    }

    /** How a reload changes the remote sites, matched by public key; each list in its file's order. */
    record SiteChanges(List<RemoteSite> added, List<RemoteSite> removed, List<RemoteSite> changed,
                       List<RemoteSite> unchanged) {
        static SiteChanges between(SiteConfig old, SiteConfig next) {
            Map<Key, RemoteSite> before = new LinkedHashMap<>();
            old.remoteSites().forEach(r -> before.put(r.publicKey(), r));
            List<RemoteSite> added = new ArrayList<>(), changed = new ArrayList<>(), unchanged = new ArrayList<>();
            for (RemoteSite r : next.remoteSites()) {
                RemoteSite was = before.remove(r.publicKey());
                (was == null ? added : was.equals(r) ? unchanged : changed).add(r);
            }
            return new SiteChanges(added, List.copyOf(before.values()), changed, unchanged);
        }

        /** "added office-c; removed none; changed none; unchanged office-b". */
        @Override
        public String toString() {
            return "added " + names(added) + "; removed " + names(removed) + "; changed " + names(changed)
                    + "; unchanged " + names(unchanged);
        }

        private static String names(List<RemoteSite> sites) {
            return sites.isEmpty() ? "none" : String.join(", ", sites.stream().map(RemoteSite::name).toList());
        }
    }

    private List<String> applyFile() {
        SiteFile sf = SiteFile.load(file);
        // The edited file, its keys and hook are trusted again before anything is applied, as by `up`.
        List<ConfigProblem> errors = new ArrayList<>(sf.errors());
        SystemChecks.files(sf).stream().filter(ConfigProblem::isError).forEach(errors::add);
        if (!errors.isEmpty() || sf.config().isEmpty()) {
            List<String> errs = errors.stream().map(Object::toString).toList();
            errs.forEach(e -> LOG.log(Level.ERROR, "reload refused: {0}", e));
            return errs;
        }
        SiteConfig old = config;
        SiteConfig next = sf.config().get();
        IkeSites.Changes ike = IkeSites.Changes.between(old, next);
        List<IpsecSite.Settings> ikeAdded = new ArrayList<>();
        // The first IKEv2 site (none at start): the tunnel with its ports 500 and 4500 is made below, once every
        // other check has passed, and before anything else is applied, so that ports taken refuse the whole reload.
        boolean firstIke = ipsec == null && !ike.added().isEmpty();
        if (ike.any() && !firstIke) {
            for (IkeSite s : ike.added()) {
                IpsecSite.Settings settings = IkeSites.settings(s, next);
                settings.unresolved().ifPresent(why -> LOG.log(Level.WARNING, "{0}: {1}; the site stays DOWN and the "
                        + "name is tried again every {2} s", s.name(), why, RERESOLVE_EVERY.toSeconds()));
                ikeAdded.add(settings);
            }
        }
        TunnelInterface ot = old.tunnel();
        TunnelInterface nt = next.tunnel();
        if (!ot.name().equals(nt.name()) || ot.mtu() != nt.mtu() || ot.routeTable() != nt.routeTable()) {
            String msg = "reload refused: tunnel name, mtu or route_table changed; restart the gateway to apply that";
            LOG.log(Level.ERROR, msg);
            return List.of(msg);
        }
        if (!old.sourceRoutes().equals(next.sourceRoutes())
                || !old.sourceRoutes().isEmpty() && !old.localSubnets().equals(next.localSubnets())) {
            String msg = "reload refused: route_from (or the remote or local subnets of a site that has it) changed, "
                    + "which a reload does not apply; restart the gateway to apply that";
            LOG.log(Level.ERROR, msg);
            return List.of(msg);
        }
        if (!postQuantumSites(old).equals(postQuantumSites(next))) {
            // Started once (PostQuantumSites): a reload that said it applied post_quantum: on would leave the site
            // without the exchange, and without its hold, that is open where the file says closed.
            String msg = "reload refused: the remote sites with post_quantum: on (or the preshared_key of one) changed, "
                    + "which a reload does not apply; restart the gateway to apply that (docs/post-quantum.md)";
            LOG.log(Level.ERROR, msg);
            return List.of(msg);
        }
        // The metrics listener and event sinks are started once; a reload that kept them as they were while saying
        // it applied the file would leave the operator believing a metrics port or syslog target is live.
        List<String> watch = new ArrayList<>();
        if (!old.telemetry().metricsListen().equals(next.telemetry().metricsListen())) {
            watch.add("metrics");
        }
        if (!old.telemetry().syslog().equals(next.telemetry().syslog())
                || !old.telemetry().hook().equals(next.telemetry().hook())) {
            watch.add("events");
        }
        if (!watch.isEmpty()) {
            String msg = "reload refused: " + String.join(" and ", watch) + " changed; restart the gateway to apply that";
            LOG.log(Level.ERROR, msg);
            return List.of(msg);
        }
        Map<String, InetSocketAddress> nextResolved = new HashMap<>();
        for (RemoteSite r : next.remoteSites()) {
            r.endpoint().ifPresent(e -> resolve(r, e).ifPresent(a -> nextResolved.put(r.name(), a)));
        }
        IpsecTunnel attached = null;
        if (firstIke) {
            try {
                attached = IkeSites.attach(device, next); // its sites, routed; the device's threads take it on
            } catch (GatewayException e) {
                String msg = "reload refused: " + e.getMessage();
                LOG.log(Level.ERROR, msg);
                return List.of(msg);
            }
        }
        try {
            device.apply(diff(old, next, nextResolved));
        } catch (DeviceException e) {
            LOG.log(Level.ERROR, "reload refused by the device: {0}", e.getMessage());
            if (attached != null) { // the IKEv2 sites just added go again; the tunnel stays, empty, its ports open
                IpsecTunnel t = attached;
                t.sites().forEach(device::unroute);
                device.control(t.index(), out -> t.update(ike.added().stream().map(IkeSite::name).toList(),
                        List.of(), out));
                ipsec = t;
            }
            return List.of(e.getMessage());
        }
        if (attached != null) {
            ipsec = attached;
            LOG.log(Level.INFO, "IKEv2 sites: listening on UDP ports 500 and 4500 for {0}", String.join(", ",
                    ike.added().stream().map(IkeSite::name).toList()));
        } else if (ike.any()) { // the IKEv2 sites that changed end and start anew; the others keep their SAs
            for (IpsecSite gone : ipsec.sites()) {
                if (ike.removed().contains(gone.name())) {
                    device.unroute(gone);
                }
            }
            List<IpsecSite> fresh = new ArrayList<>();
            device.control(ipsec.index(),
                    out -> fresh.addAll(ipsec.update(ike.removed(), ikeAdded, out)));
            for (int i = 0; i < fresh.size(); i++) {
                device.route(fresh.get(i), ike.added().get(i).remoteSubnets());
            }
        }
        List<String> problems = new ArrayList<>();
        try {
            syncAddresses(ot.addresses(), nt.addresses(), nt.name());
            if (nt.routeTable() == TunnelInterface.MAIN_TABLE) {
                syncRoutes(subnets(old), subnets(next), nt.name());
            }
        } catch (ErrnoException e) {
            problems.add(e.getMessage());
            LOG.log(Level.ERROR, "reload: {0}", e.getMessage());
        }
        synchronized (resolved) {
            resolved.clear();
            resolved.putAll(nextResolved);
        }
        filter = siteFilter(next, filter);
        device.setPacketFilter(filter);
        device.setOuterDscp(outerDscp(next));
        config = next;
        observer.name(next);
        return problems;
    }

    /** The update from {@code old} to {@code next}: unchanged remote sites are not touched, so their sessions live on. */
    /** The WireGuard sites with {@code post_quantum: on}, by public key, with the preshared key their chain starts from. */
    private static Map<Key, Optional<Key>> postQuantumSites(SiteConfig c) {
        Map<Key, Optional<Key>> m = new HashMap<>();
        c.remoteSites().stream().filter(RemoteSite::postQuantum).forEach(r -> m.put(r.publicKey(), r.presharedKey()));
        return m;
    }

    static DeviceUpdate diff(SiteConfig old, SiteConfig next, Map<String, InetSocketAddress> resolved) {
        SiteChanges changes = SiteChanges.between(old, next);
        List<PeerUpdate> peers = new ArrayList<>();
        for (RemoteSite r : next.remoteSites()) {
            if (changes.unchanged().contains(r)) {
                continue;
            }
            // A post-quantum site's preshared key is the exchange's (PostQuantumSites): a reload leaves it alone.
            peers.add(new PeerUpdate(r.publicKey(), false, false,
                    r.postQuantum() ? Optional.empty() : Optional.of(r.presharedKey().orElse(Key.zero())),
                    Optional.ofNullable(resolved.get(r.name())),
                    OptionalInt.of(r.persistentKeepalive()), true, r.remoteSubnets()));
        }
        for (RemoteSite r : changes.removed()) {
            peers.add(new PeerUpdate(r.publicKey(), true, false, Optional.empty(), Optional.empty(),
                    OptionalInt.empty(), false, List.of()));
        }
        return new DeviceUpdate(
                old.privateKey().equals(next.privateKey()) ? Optional.empty() : Optional.of(next.privateKey()),
                old.listenPort() == next.listenPort() ? OptionalInt.empty() : OptionalInt.of(next.listenPort()),
                old.fwmark() == next.fwmark() ? OptionalInt.empty() : OptionalInt.of(next.fwmark()),
                false, peers);
    }

    private static Set<Prefix> subnets(SiteConfig c) {
        return new HashSet<>(c.mainRoutedSubnets());
    }

    private void syncRoutes(Set<Prefix> before, Set<Prefix> after, String iface) throws ErrnoException {
        for (Prefix p : before) {
            if (!after.contains(p)) {
                netlink.deleteRoute(p, iface);
            }
        }
        for (Prefix p : after) {
            if (!before.contains(p)) {
                changes.addRoute(netlink, p, iface);
            }
        }
    }

    private void syncAddresses(List<InterfaceAddress> before, List<InterfaceAddress> after, String iface)
            throws ErrnoException {
        for (InterfaceAddress a : before) {
            if (!after.contains(a)) {
                netlink.deleteAddress(iface, a.address(), a.length());
            }
        }
        for (InterfaceAddress a : after) {
            if (!before.contains(a)) {
                changes.addAddress(netlink, iface, a.address(), a.length());
            }
        }
    }

    /** Looks DNS endpoints up again while their sites have no recent handshake, as wg's reresolve-dns.sh does. */
    private void reresolveLoop() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(RERESOLVE_EVERY);
            } catch (InterruptedException e) {
                return;
            }
            SiteConfig c = config;
            reresolveIke(c);
            Map<Key, PeerSnapshot> peers = new HashMap<>();
            device.snapshot().peers().forEach(p -> peers.put(p.publicKey(), p));
            for (RemoteSite r : c.remoteSites()) {
                if (r.endpoint().isEmpty() || r.endpoint().get().literalAddress().isPresent()) {
                    continue;
                }
                PeerSnapshot p = peers.get(r.publicKey());
                boolean stale = p == null || p.lastHandshake().map(t -> t.isBefore(Instant.now().minus(RERESOLVE_AFTER)))
                        .orElse(true);
                if (!stale) {
                    continue;
                }
                Optional<InetSocketAddress> a = resolve(r, r.endpoint().get());
                InetSocketAddress old;
                synchronized (resolved) {
                    old = resolved.get(r.name());
                }
                if (a.isPresent() && !a.get().equals(old)) {
                    try {
                        device.apply(new DeviceUpdate(Optional.empty(), OptionalInt.empty(), OptionalInt.empty(), false,
                                List.of(new PeerUpdate(r.publicKey(), false, true, Optional.empty(), a,
                                        OptionalInt.empty(), false, List.of()))));
                        synchronized (resolved) {
                            resolved.put(r.name(), a.get());
                        }
                        LOG.log(Level.INFO, "endpoint of {0} is now {1} ({2})", r.name(), a.get(), r.endpoint().get());
                    } catch (DeviceException e) {
                        LOG.log(Level.WARNING, "could not update the endpoint of {0}: {1}", r.name(), e.getMessage());
                    }
                }
            }
        }
    }

    /**
     * An IKEv2 site whose endpoint is a DNS name and that has had no IKE SA for {@link #RERESOLVE_AFTER} (or never
     * had one) is looked up again; when the name now gives another address, the site is replaced by one with that
     * endpoint (as a reload replaces an edited site), which initiates to the new address.
     */
    private void reresolveIke(SiteConfig c) {
        IpsecTunnel t = ipsec;
        if (t == null) {
            return;
        }
        Map<String, sitelink.ipsec.IpsecSiteStatus> states = new HashMap<>();
        t.status().forEach(st -> states.put(st.name(), st));
        for (IkeSite s : c.ikeSites()) {
            if (s.endpoint().isEmpty() || s.endpoint().get().literalAddress().isPresent()) {
                continue;
            }
            sitelink.ipsec.IpsecSiteStatus st = states.get(s.name());
            if (st == null || st.state().equals("ESTABLISHED") || st.lastFailureAt().isEmpty()) {
                continue; // up, or nothing failed yet
            }
            if (st.establishedAt().isPresent() && st.lastFailureAt().get().isAfter(Instant.now().minus(RERESOLVE_AFTER))) {
                continue; // lost lately: first give it the time a peer needs to come back where it was
            }
            synchronized (this) { // not while a reload changes the sites
                if (config != c) {
                    return;
                }
                IpsecSite running = t.sites().stream().filter(x -> x.name().equals(s.name())).findFirst().orElse(null);
                IpsecSite.Settings fresh = IkeSites.settings(s, c);
                if (running == null || fresh.endpoint().isEmpty() || fresh.endpoint().equals(running.settings().endpoint())) {
                    continue; // still no address, or the same
                }
                device.unroute(running);
                List<IpsecSite> added = new ArrayList<>();
                device.control(t.index(), out -> added.addAll(t.update(List.of(s.name()), List.of(fresh), out)));
                device.route(added.get(0), s.remoteSubnets());
                LOG.log(Level.INFO, "endpoint of {0} is now {1} ({2}); a new IKE SA goes there", s.name(),
                        fresh.endpoint().get(), s.endpoint().get());
            }
        }
    }

    /** Removes everything the gateway added (routes, addresses, forwarding, socket, interface), newest first. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        resolver.interrupt();
        List<String> failures = changes.undoAll();
        failures.forEach(f -> LOG.log(Level.WARNING, "teardown: {0}", f));
        netlink.close();
        LOG.log(Level.INFO, "site {0} is down; everything it added was removed", config.name());
    }
}
