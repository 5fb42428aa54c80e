package sitelink.e2e;

import java.util.List;
import java.util.Optional;

/** {@code wg show IFACE dump}, parsed: the interface line, then one line per peer (tab-separated). */
public record WgDump(String publicKey, int listenPort, List<Peer> peers) {
    /** One peer line; {@code latestHandshake} is in seconds since the epoch, 0 when there was none. */
    public record Peer(String publicKey, String endpoint, String allowedIps, long latestHandshake, long rxBytes,
                       long txBytes) {}

    public static WgDump parse(String dump) {
        List<String> lines = dump.lines().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) throw new IllegalArgumentException("empty wg dump");
        String[] itf = lines.getFirst().split("\t");
        List<Peer> peers = lines.subList(1, lines.size()).stream().map(l -> l.split("\t"))
                .map(f -> new Peer(f[0], f[2], f[3], Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6])))
                .toList();
        return new WgDump(itf[1], Integer.parseInt(itf[2]), peers);
    }

    public Optional<Peer> peer(String publicKey) {
        return peers.stream().filter(p -> p.publicKey().equals(publicKey)).findFirst();
    }
}
