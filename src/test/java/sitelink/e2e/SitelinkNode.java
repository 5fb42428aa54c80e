package sitelink.e2e;

import java.util.List;
import java.util.Map;
import sitelink.testbed.Namespace;

/** sitelink's WireGuard device, started as a user would from the repository: {@code ./sitelink device -f IFACE}. */
public final class SitelinkNode extends WireGuardNode {
    SitelinkNode(Namespace ns, String iface) {
        super(ns, iface);
    }

    @Override
    protected List<String> command() {
        return List.of(E2e.home().resolve("sitelink").toString(), "device", "-f", iface);
    }

    @Override
    public String label() {
        return "sitelink device";
    }

    /** sitelink's own UAPI request {@code get_counters=1}: every counter by name (drop reasons among them). */
    public Map<String, Long> counters() {
        Uapi.Response r = uapi("get_counters=1\n\n");
        if (r.errno() != 0) throw new AssertionError("get_counters answered " + r.lines());
        return r.numbers();
    }

    /** Drop counters for packets going out (from the LAN side or the device itself), not datagrams coming in. */
    private static final java.util.Set<String> OUTBOUND_DROPS = java.util.Set.of("drop_no_route", "drop_no_endpoint",
            "drop_staged_queue_full", "drop_handshake_timeout", "drop_send_failed");

    /** The sum of the drop_* counters for datagrams that arrived on the UDP port: each one refused, once. */
    public long inboundDrops() {
        return counters().entrySet().stream().filter(e -> e.getKey().startsWith("drop_"))
                .filter(e -> !OUTBOUND_DROPS.contains(e.getKey())).mapToLong(Map.Entry::getValue).sum();
    }
}
