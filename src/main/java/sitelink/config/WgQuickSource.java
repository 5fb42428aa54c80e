package sitelink.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a wg-quick(8) .conf file, unchanged, into the same located {@link Node} tree a YAML site file becomes, so
 * both get one validator. The site and tunnel interface are named after the file (as wg-quick names the interface);
 * a wg-quick file knows nothing of local subnets, so that list stays empty. Keys are matched case-insensitively, as
 * wg(8) does; messages show them as the user wrote them.
 */
final class WgQuickSource {
    private static final Map<String, String> INTERFACE_KEYS = Map.of(
            "privatekey", "private_key", "listenport", "listen_port", "fwmark", "fwmark",
            "address", "addresses", "mtu", "mtu", "table", "route_table");
    private static final Map<String, String> PEER_KEYS = Map.of(
            "publickey", "public_key", "presharedkey", "preshared_key", "endpoint", "endpoint",
            "allowedips", "remote_subnets", "persistentkeepalive", "persistent_keepalive");
    /** Keys that may appear several times, their values adding up (wg-quick allows this for lists). */
    private static final List<String> LIST_KEYS = List.of("addresses", "remote_subnets");
    private static final List<String> TUNNEL_KEYS = List.of("addresses", "mtu", "route_table");
    private static final List<String> HOOKS = List.of("preup", "postup", "predown", "postdown");
    /** Written the way wg-quick's documentation spells them, for "did you mean" suggestions. */
    static final List<String> INTERFACE_LABELS = List.of("PrivateKey", "ListenPort", "FwMark", "Address", "MTU", "Table",
            "DNS", "SaveConfig", "PreUp", "PostUp", "PreDown", "PostDown");
    static final List<String> PEER_LABELS = List.of("PublicKey", "PresharedKey", "Endpoint", "AllowedIPs", "PersistentKeepalive");
    private static final Pattern NAME_COMMENT = Pattern.compile("#\\s*Name\\s*=\\s*(\\S.*?)\\s*$", Pattern.CASE_INSENSITIVE);
    private static final Pattern LINE_BREAK = Pattern.compile("\r?\n");

    private WgQuickSource() {
    }

    /** A section being read: its fields by key, in file order. */
    private record Section(Location at, Map<String, Node.Field> fields, List<Node> listItems, String[] name) {
    }

    static Node read(String file, String baseName, String text, List<ConfigProblem> problems) {
        Location top = new Location(file, 1, 1);
        Section iface = null;
        List<Section> peers = new ArrayList<>();
        Section current = null;
        String[] lines = LINE_BREAK.split(text, -1);
        for (int i = 0; i < lines.length; i++) {
            String raw = lines[i];
            int lineNo = i + 1;
            Matcher nameComment = NAME_COMMENT.matcher(raw.strip());
            if (current != null && current != iface && nameComment.matches()) {
                current.name()[0] = nameComment.group(1);
                continue;
            }
            int hash = raw.indexOf('#');
            String line = hash < 0 ? raw : raw.substring(0, hash);
            if (line.isBlank()) {
                continue;
            }
            int indent = line.length() - line.stripLeading().length();
            Location at = new Location(file, lineNo, indent + 1);
            String s = line.strip();
            if (s.startsWith("[")) {
                String section = s.toLowerCase(Locale.ROOT);
                if (section.equals("[interface]")) {
                    if (iface != null) {
                        problems.add(ConfigProblem.error(at, "a second [Interface] section (the first is at line "
                                + iface.at().line() + "); a file describes one interface: merge them"));
                    }
                    iface = current = new Section(at, new LinkedHashMap<>(), new ArrayList<>(), new String[1]);
                } else if (section.equals("[peer]")) {
                    current = new Section(at, new LinkedHashMap<>(), new ArrayList<>(), new String[1]);
                    peers.add(current);
                } else {
                    problems.add(ConfigProblem.error(at, "unknown section " + s + "; a wg-quick file has [Interface] and [Peer] sections"));
                    current = null;
                }
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                problems.add(ConfigProblem.error(at, "expected 'Key = Value'; fix or remove this line"));
                continue;
            }
            String label = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            int valueColumn = eq + 1 + (line.length() - eq - 1 - line.substring(eq + 1).stripLeading().length()) + 1;
            Location valueAt = new Location(file, lineNo, valueColumn);
            if (current == null) {
                problems.add(ConfigProblem.error(at, label + " is outside any section; put it under [Interface] or [Peer]"));
                continue;
            }
            String lower = label.toLowerCase(Locale.ROOT);
            boolean inInterface = current == iface;
            if (inInterface && HOOKS.contains(lower)) {
                problems.add(ConfigProblem.error(at, label + " is refused: sitelink does not run hook commands; "
                        + "describe routes with local_subnets/remote_subnets (AllowedIPs) and run other commands "
                        + "from the service manager around sitelink (e.g. systemd ExecStartPre=/ExecStartPost=), then remove this line"));
                continue;
            }
            if (inInterface && lower.equals("dns")) {
                problems.add(ConfigProblem.warning(at, "DNS is ignored: a site gateway does not change this host's "
                        + "resolvers; configure them in the system (resolv.conf or systemd-resolved) and remove this line"));
                continue;
            }
            if (inInterface && lower.equals("saveconfig")) {
                problems.add(ConfigProblem.warning(at, "SaveConfig is ignored: sitelink never rewrites its configuration file"));
                continue;
            }
            String key = (inInterface ? INTERFACE_KEYS : PEER_KEYS).get(lower);
            if (key == null) {
                List<String> known = inInterface ? INTERFACE_LABELS : PEER_LABELS;
                problems.add(ConfigProblem.error(at, Suggest.unknownField(label, known, inInterface ? "[Interface]" : "[Peer]")));
                continue;
            }
            if (LIST_KEYS.contains(key)) {
                Node.Field f = current.fields().get(key);
                List<Node> items = new ArrayList<>(f == null ? List.of() : ((Node.Sequence) f.value()).items());
                int offset = 0;
                for (String part : value.split(",", -1)) {
                    int lead = part.length() - part.stripLeading().length();
                    items.add(new Node.Scalar(part.strip(), false, new Location(file, lineNo, valueColumn + offset + lead)));
                    offset += part.length() + 1;
                }
                Location seqAt = f == null ? valueAt : f.value().location();
                current.fields().put(key, new Node.Field(key, f == null ? label : f.label(), f == null ? at : f.keyLocation(),
                        new Node.Sequence(items, seqAt)));
                continue;
            }
            Node.Field previous = current.fields().get(key);
            if (previous != null) {
                problems.add(ConfigProblem.error(at, label + " appears twice in this section (first at line "
                        + previous.keyLocation().line() + "); keep only one"));
                continue;
            }
            current.fields().put(key, new Node.Field(key, label, at, new Node.Scalar(value, value.isEmpty(), valueAt)));
        }

        List<Node.Field> root = new ArrayList<>();
        root.add(new Node.Field("name", "name", top, new Node.Scalar(baseName, false, top)));
        List<Node.Field> tunnel = new ArrayList<>();
        Location ifaceAt = iface == null ? top : iface.at();
        tunnel.add(new Node.Field("name", "interface name", ifaceAt, new Node.Scalar(baseName, false, top)));
        if (iface == null) {
            problems.add(ConfigProblem.error(top, "there is no [Interface] section; add one with PrivateKey = <key from 'sitelink genkey'>"));
        } else {
            for (Node.Field f : iface.fields().values()) {
                (TUNNEL_KEYS.contains(f.key()) ? tunnel : root).add(f);
            }
        }
        root.add(new Node.Field("tunnel", "[Interface]", ifaceAt, new Node.Mapping(tunnel, ifaceAt)));
        List<Node> sites = new ArrayList<>();
        for (int n = 0; n < peers.size(); n++) {
            Section p = peers.get(n);
            List<Node.Field> fields = new ArrayList<>();
            String name = p.name()[0] == null ? "peer-" + (n + 1) : p.name()[0];
            fields.add(new Node.Field("name", "name", p.at(), new Node.Scalar(name, false, p.at())));
            fields.addAll(p.fields().values());
            sites.add(new Node.Mapping(fields, p.at()));
        }
        root.add(new Node.Field("remote_sites", "[Peer]", top, new Node.Sequence(sites, top)));
        return new Node.Mapping(root, top);
    }
}
