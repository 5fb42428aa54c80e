package sitelink.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import sitelink.device.DeviceStatus;
import sitelink.device.PeerStatus;
import sitelink.wireguard.Constants;

/** Renders device statuses as {@code sitelink status} shows them: an aligned table, or the JSON of docs/status.md. */
public final class StatusReport {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Bump when a field changes meaning or disappears; adding fields keeps the version. */
    public static final int SCHEMA_VERSION = 1;

    private StatusReport() {
    }

    public static String json(List<DeviceStatus> devices) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", SCHEMA_VERSION);
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
            }
        }
        return root.toPrettyString();
    }

    public static String table(List<DeviceStatus> devices) {
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
            }
        }
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(i == r.length - 1 ? r[i] : String.format("%-" + w[i] + "s  ", r[i]));
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
        if (!reasons.isEmpty()) {
            b.append('\n');
            reasons.forEach(r -> b.append(r).append('\n'));
        }
        return b.toString();
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
        return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
