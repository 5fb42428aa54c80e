package sitelink.control;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import sitelink.device.DeviceStatus;
import sitelink.device.PeerStatus;
import sitelink.ipsec.IpsecSiteStatus;
import sitelink.wireguard.Constants;

/** Renders device statuses as {@code sitelink status} shows them: an aligned table, or the JSON of docs/status.md. */
public final class StatusReport {
    /** SPIs as fixed-width lowercase hex (16 digits for a long, 8 for an int), with no Formatter to start. */
    private static final HexFormat HEX = HexFormat.of();
    /** Bump when a field changes meaning or disappears; adding fields keeps the version. */
    public static final int SCHEMA_VERSION = 1;

    private StatusReport() {
    }

    public static String json(List<DeviceStatus> devices) {
        return json(devices, View.DEFAULT);
    }

    /**
     * The JSON of docs/status.md: {@code summary}, one object per gateway with its remote sites counted by state, then
     * the tunnels {@code view}'s site patterns and states select (JSON is never collapsed: a program asked for it).
     */
    public static String json(List<DeviceStatus> all, View view) {
        // A tree built from the node factory, not an ObjectMapper: making a mapper cost `sitelink status` (the table, which
        // needs no JSON) about 0.1 s of a cold JVM's time as a static field (issue 15).
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("version", SCHEMA_VERSION);
        ArrayNode summaries = root.putArray("summary");
        for (DeviceStatus d : all) {
            ObjectNode x = summaries.addObject();
            x.put("site", d.site());
            x.put("interface", d.interfaceName());
            x.put("remote_sites", d.peers().size() + d.ikeSites().size());
            java.util.Map<String, Integer> byState = new java.util.TreeMap<>();
            d.peers().forEach(p -> byState.merge(Assessment.of(p, d.at(), d.publicKey()).state().name(), 1, Integer::sum));
            d.ikeSites().forEach(i -> byState.merge(i.state(), 1, Integer::sum));
            ObjectNode states = x.putObject("states");
            for (TunnelState t : TunnelState.values()) {
                states.put(t.name(), byState.getOrDefault(t.name(), 0));
            }
            byState.forEach((k, v) -> {
                if (!states.has(k)) {
                    states.put(k, v);
                }
            });
        }
        // --summary: the counts alone, the tunnel arrays empty
        View shown = view.summaryOnly() ? new View(view.sites(), java.util.Set.of("-"), true, true) : view;
        List<DeviceStatus> devices = all.stream().map(d -> new DeviceStatus(d.interfaceName(), d.site(), d.publicKey(),
                d.listenPort(), d.at(), d.counters(),
                d.peers().stream().filter(p -> shown.shows(p.name(), Assessment.of(p, d.at(), d.publicKey()).state().name()))
                        .toList(),
                d.ikeSites().stream().filter(i -> shown.shows(i.name(), i.state())).toList())).toList();
        ArrayNode tunnels = root.putArray("tunnels");
        for (DeviceStatus d : devices) {
            for (PeerStatus p : d.peers()) {
                Assessment a = Assessment.of(p, d.at(), d.publicKey());
                ObjectNode t = tunnels.addObject();
                t.put("site", d.site());
                t.put("interface", d.interfaceName());
                t.put("peer", p.name());
                t.put("public_key", p.publicKey().toBase64());
                t.put("state", a.state().name());
                t.put("reason", a.reason());
                t.put("local_port", d.listenPort());
                t.put("endpoint", p.endpoint().map(Explain::endpoint).orElse(null));
                t.put("latest_handshake", p.lastHandshake().map(Instant::toString).orElse(null));
                t.put("latest_handshake_age_seconds", p.lastHandshake().map(h -> seconds(h, d.at())).orElse(null));
                Optional<Long> rekey = rekeyIn(p, d.at(), a.state());
                t.put("key_age_seconds", p.hasSession() ? p.lastHandshake().map(h -> seconds(h, d.at())).orElse(null) : null);
                t.put("rekey_in_seconds", rekey.orElse(null));
                t.put("handshake_attempts", p.handshakeAttempts());
                t.put("rx_bytes", p.rxBytes());
                t.put("tx_bytes", p.txBytes());
                t.put("rx_packets", p.rxPackets());
                t.put("tx_packets", p.txPackets());
                t.put("persistent_keepalive", p.persistentKeepalive());
                t.put("roaming_events", p.roamingEvents());
                ObjectNode drops = t.putObject("drops");
                p.drops().forEach(drops::put);
                ArrayNode subnets = t.putArray("remote_subnets");
                p.allowedIps().forEach(x -> subnets.add(x.toString()));
                t.put("post_quantum", p.postQuantum().orElse(null));
            }
        }
        ArrayNode ike = root.putArray("ike_sites");
        for (DeviceStatus d : devices) {
            for (IpsecSiteStatus i : d.ikeSites()) {
                ObjectNode t = ike.addObject();
                t.put("site", d.site());
                t.put("interface", d.interfaceName());
                t.put("peer", i.name());
                t.put("protocol", "ikev2");
                t.put("state", i.state());
                t.put("reason", ikeReason(i, d.at()));
                t.put("endpoint", i.peer().map(Explain::endpoint).orElse(null));
                t.put("ike_proposal", i.ikeProposal().orElse(null));
                t.put("key_exchange", i.keyExchange().orElse(null));
                t.put("ike_spi_i", HEX.toHexDigits(i.spiI()));
                t.put("ike_spi_r", HEX.toHexDigits(i.spiR()));
                t.put("nat_traversal", i.natTraversal());
                t.put("established", i.establishedAt().map(Instant::toString).orElse(null));
                t.put("established_age_seconds", i.establishedAt().map(e -> seconds(e, d.at())).orElse(null));
                t.put("last_failure", i.lastFailure().orElse(null));
                t.put("last_failure_at", i.lastFailureAt().map(Instant::toString).orElse(null));
                t.put("next_attempt", i.nextAttempt().map(Instant::toString).orElse(null));
                t.put("certificate_expires", i.certificateExpires().map(Instant::toString).orElse(null));
                t.put("peer_certificate_expires", i.peerCertificateExpires().map(Instant::toString).orElse(null));
                ArrayNode warnings = t.putArray("certificate_warnings");
                i.expiryWarnings(d.at()).forEach(warnings::add);
                t.put("psk_changed", i.pskChanged().map(Instant::toString).orElse(null));
                t.put("psk_age_days", i.pskAgeDays(d.at()).orElse(null));
                t.put("psk_warning", i.pskWarning(d.at()).orElse(null));
                t.put("awaited_id", i.awaitedId().orElse(null));
                ArrayNode children = t.putArray("child_sas");
                for (IpsecSiteStatus.Child c : i.children()) {
                    ObjectNode x = children.addObject();
                    x.put("spi_in", HEX.toHexDigits(c.inboundSpi()));
                    x.put("spi_out", HEX.toHexDigits(c.outboundSpi()));
                    x.put("state", "INSTALLED");
                    x.put("cipher", c.cipher());
                    x.put("local_ts", c.localSelectors());
                    x.put("remote_ts", c.remoteSelectors());
                    x.put("installed", c.installedAt().toString());
                    x.put("outbound", c.outbound());
                }
                t.put("rx_bytes", i.rxBytes());
                t.put("tx_bytes", i.txBytes());
                t.put("rx_packets", i.rxPackets());
                t.put("tx_packets", i.txPackets());
            }
        }
        root.set("summary", root.remove("summary")); // added within version 1: after the fields it had before
        return root.toPrettyString();
    }

    /**
     * Which remote sites {@code sitelink status} lists (docs/status.md, "A hub's status"): {@code sites}, glob
     * patterns on the remote site's name ({@code *} and {@code ?}), any of which may match (none: every site);
     * {@code states}, the states to list (none: every state); {@code all}, every matching site even on a gateway with
     * more than {@link #COLLAPSE_ABOVE} remote sites, where the table otherwise lists only those not ESTABLISHED;
     * {@code summaryOnly}, the summary lines alone.
     */
    public record View(List<String> sites, java.util.Set<String> states, boolean all, boolean summaryOnly) {
        public static final View DEFAULT = new View(List.of(), java.util.Set.of(), false, false);

        public View {
            sites = List.copyOf(sites);
            states = java.util.Set.copyOf(states);
        }

        boolean filtered() {
            return !sites.isEmpty() || !states.isEmpty();
        }

        boolean shows(String name, String state) {
            return (states.isEmpty() || states.contains(state))
                    && (sites.isEmpty() || sites.stream().anyMatch(g -> globMatches(g, name)));
        }
    }

    /**
     * Past this many remote sites on one gateway (a hub), the table opens with a summary line per gateway and, without
     * a filter or {@code --all}, lists only the sites that are not ESTABLISHED: the ones that need a look.
     */
    public static final int COLLAPSE_ABOVE = 20;

    public static String table(List<DeviceStatus> devices) {
        return table(devices, View.DEFAULT);
    }

    /** One line per gateway: its remote sites by state, e.g. {@code hub (sl-hub): 1000 remote sites: 998 ESTABLISHED, 2 DOWN}. */
    public static String summary(DeviceStatus d) {
        java.util.Map<String, Integer> byState = new java.util.LinkedHashMap<>();
        for (TunnelState t : TunnelState.values()) {
            byState.put(t.name(), 0);
        }
        for (PeerStatus p : d.peers()) {
            byState.merge(Assessment.of(p, d.at(), d.publicKey()).state().name(), 1, Integer::sum);
        }
        for (IpsecSiteStatus i : d.ikeSites()) {
            byState.merge(i.state(), 1, Integer::sum);
        }
        int total = d.peers().size() + d.ikeSites().size();
        StringBuilder b = new StringBuilder(siteLabel(d)).append(": ").append(total)
                .append(total == 1 ? " remote site: " : " remote sites: ").append(byState.get("ESTABLISHED"))
                .append(" ESTABLISHED");
        byState.forEach((state, n) -> {
            if (n > 0 && !state.equals("ESTABLISHED")) {
                b.append(", ").append(n).append(' ').append(state);
            }
        });
        return b.toString();
    }

    /** The table as {@code view} selects it; the summary lines first whenever a gateway is a hub or a filter is set. */
    public static String table(List<DeviceStatus> devices, View view) {
        boolean summarize = view.summaryOnly() || view.filtered()
                || devices.stream().anyMatch(d -> d.peers().size() + d.ikeSites().size() > COLLAPSE_ABOVE);
        StringBuilder head = new StringBuilder();
        if (summarize) {
            devices.forEach(d -> head.append(summary(d)).append('\n'));
        }
        if (view.summaryOnly()) {
            return head.toString();
        }
        List<DeviceStatus> selected = new ArrayList<>();
        int hidden = 0;
        for (DeviceStatus d : devices) {
            boolean collapse = !view.all() && !view.filtered()
                    && d.peers().size() + d.ikeSites().size() > COLLAPSE_ABOVE;
            View v = collapse ? new View(List.of(), java.util.Set.of("CONNECTING", "IDLE", "DOWN", "WAITING"), false,
                    false) : view;
            List<PeerStatus> peers = d.peers().stream()
                    .filter(p -> v.shows(p.name(), Assessment.of(p, d.at(), d.publicKey()).state().name())).toList();
            List<IpsecSiteStatus> ike = d.ikeSites().stream().filter(i -> v.shows(i.name(), i.state())).toList();
            if (collapse) {
                hidden += d.peers().size() - peers.size() + d.ikeSites().size() - ike.size();
            }
            if (!peers.isEmpty() || !ike.isEmpty()) {
                selected.add(new DeviceStatus(d.interfaceName(), d.site(), d.publicKey(), d.listenPort(), d.at(),
                        d.counters(), peers, ike));
            }
        }
        if (selected.isEmpty()) {
            return head + (hidden > 0 ? "(" + hidden + " ESTABLISHED not listed; --all lists every remote site)\n"
                    : view.filtered() ? "(no remote site matches)\n" : "");
        }
        String body = rows(selected);
        return head + (summarize ? "\n" : "") + body
                + (hidden > 0 ? "\n(" + hidden + " ESTABLISHED not listed; --all lists every remote site)\n" : "");
    }

    private static String siteLabel(DeviceStatus d) {
        return d.site().isEmpty() ? d.interfaceName() : d.site() + " (" + d.interfaceName() + ")";
    }

    /** {@code *} any run of characters, {@code ?} one; everything else literal. */
    static boolean globMatches(String glob, String name) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            re.append(c == '*' ? ".*" : c == '?' ? "." : java.util.regex.Pattern.quote(String.valueOf(c)));
        }
        return name.matches(re.toString());
    }

    private static String rows(List<DeviceStatus> devices) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"SITE", "PEER", "STATE", "ENDPOINT", "HANDSHAKE", "REKEY IN", "RX", "TX", "KEEPALIVE",
                "ROAMED", "DROPS"});
        List<String> reasons = new ArrayList<>();
        for (DeviceStatus d : devices) {
            String site = d.site().isEmpty() ? d.interfaceName() : d.site() + " (" + d.interfaceName() + ")";
            for (PeerStatus p : d.peers()) {
                Assessment a = Assessment.of(p, d.at(), d.publicKey());
                String peer = p.name().isEmpty() ? abbreviate(p.publicKey().toBase64()) : p.name();
                rows.add(new String[] {site, peer, a.state().name(),
                        ":" + d.listenPort() + " -> " + p.endpoint().map(Explain::endpoint).orElse("(none)"),
                        p.lastHandshake().map(h -> seconds(h, d.at()) + " s ago").orElse("never"),
                        rekeyIn(p, d.at(), a.state()).map(s -> s + " s").orElse("-"),
                        bytes(p.rxBytes()) + "/" + p.rxPackets() + "p", bytes(p.txBytes()) + "/" + p.txPackets() + "p",
                        p.persistentKeepalive() == 0 ? "off" : p.persistentKeepalive() + " s",
                        Long.toString(p.roamingEvents()), drops(p)});
                if (!a.reason().isEmpty()) {
                    reasons.add("  " + site + " -> " + peer + ": " + a.reason());
                }
                if (p.postQuantum().isPresent() && a.reason().isEmpty()) {
                    reasons.add("  " + site + " -> " + peer + ": post-quantum " + p.postQuantum().get());
                }
            }
        }
        List<String[]> ike = new ArrayList<>();
        ike.add(new String[] {"SITE", "PEER (IKEv2)", "STATE", "ENDPOINT", "IKE SA", "CHILD SA", "RX", "TX"});
        for (DeviceStatus d : devices) {
            String site = d.site().isEmpty() ? d.interfaceName() : d.site() + " (" + d.interfaceName() + ")";
            for (IpsecSiteStatus i : d.ikeSites()) {
                // the CHILD SAs outgoing packets use: one, or one per subnet pair when the peer made several
                String child = i.children().stream().filter(IpsecSiteStatus.Child::outbound)
                        .map(c -> HEX.toHexDigits(c.inboundSpi()) + "_i " + HEX.toHexDigits(c.outboundSpi()) + "_o "
                                + c.cipher())
                        .collect(java.util.stream.Collectors.joining(", "));
                child = child.isEmpty() ? "-" : child;
                ike.add(new String[] {site, i.name(), i.state(), i.peer().map(Explain::endpoint).orElse("(none)"),
                        i.ikeProposal().map(x -> x + i.keyExchange().map(k -> ", " + k).orElse("") + ", up "
                                        + i.establishedAt().map(e -> seconds(e, d.at())).orElse(0L) + " s")
                                .orElse("-"),
                        child, bytes(i.rxBytes()) + "/" + i.rxPackets() + "p", bytes(i.txBytes()) + "/" + i.txPackets() + "p"});
                String why = ikeReason(i, d.at());
                if (!why.isEmpty()) {
                    reasons.add("  " + site + " -> " + i.name() + ": " + why);
                }
                for (String w : i.expiryWarnings(d.at())) {
                    reasons.add("  " + site + " -> " + i.name() + ": " + w);
                }
                i.pskWarning(d.at()).ifPresent(w -> reasons.add("  " + site + " -> " + i.name() + ": " + w));
            }
        }
        StringBuilder b = new StringBuilder();
        if (rows.size() > 1 || ike.size() == 1) {
            align(rows, b);
        }
        if (ike.size() > 1) {
            if (!b.isEmpty()) {
                b.append('\n');
            }
            align(ike, b);
        }
        if (!reasons.isEmpty()) {
            b.append('\n');
            reasons.forEach(r -> b.append(r).append('\n'));
        }
        return b.toString();
    }

    private static void align(List<String[]> rows, StringBuilder b) {
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(r[i]);
                if (i < r.length - 1) {
                    line.repeat(' ', w[i] - r[i].length() + 2);
                }
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
    }

    /** Why an IKEv2 site is not ESTABLISHED (empty when it is): its last failure and when this side tries again. */
    static String ikeReason(IpsecSiteStatus i, Instant now) {
        if (i.isEstablished()) {
            return "";
        }
        String retry = i.nextAttempt().map(t -> t.isAfter(now)
                ? "; trying again in " + Math.max(0, Duration.between(now, t).getSeconds()) + " s" : "; trying again now")
                .orElse("");
        return switch (i.state()) {
            case "CONNECTING" -> "IKE exchange with " + i.peer().map(Explain::endpoint).orElse("the peer") + " under way"
                    + i.lastFailure().map(f -> " (last failure: " + f + ")").orElse("");
            case "WAITING" -> "start_action none: waiting for the peer to initiate"
                    + i.awaitedId().map(x -> ", presenting the ID " + x).orElse("")
                    + i.lastFailure().map(f -> " (last failure: " + f + ")").orElse("");
            default -> i.lastFailure().map(f -> f + retry).orElse("no IKE SA yet" + retry);
        };
    }

    /**
     * Seconds until this side rekeys the current session: only the initiator rekeys on time (whitepaper 6.2). None
     * unless the tunnel is ESTABLISHED: a DOWN tunnel's young keys are not counting down to anything it will do.
     */
    static Optional<Long> rekeyIn(PeerStatus p, Instant now, TunnelState state) {
        if (state != TunnelState.ESTABLISHED || !p.hasSession() || p.lastHandshake().isEmpty()) {
            return Optional.empty();
        }
        Duration after = p.sessionInitiator() ? Constants.REKEY_AFTER_TIME : Constants.REJECT_AFTER_TIME;
        return Optional.of(Math.max(0, after.getSeconds() - seconds(p.lastHandshake().get(), now)));
    }

    private static long seconds(Instant from, Instant to) {
        return Math.max(0, Duration.between(from, to).getSeconds());
    }

    private static String drops(PeerStatus p) {
        if (p.drops().isEmpty()) {
            return "-";
        }
        StringBuilder b = new StringBuilder();
        p.drops().forEach((k, v) -> b.append(b.isEmpty() ? "" : ",").append(k).append('=').append(v));
        return b.toString();
    }

    private static String abbreviate(String b64) {
        return b64.substring(0, 4) + "…" + b64.substring(39, 43);
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        // What String.format("%.1f") prints (half-up on the shortest decimal form), without a Formatter: the first
        // floating-point format of a JVM loads its locale data, about 0.1 s of a short command's time (issue 15).
        return BigDecimal.valueOf(v).setScale(1, RoundingMode.HALF_UP).toPlainString() + " " + units[u];
    }
}
