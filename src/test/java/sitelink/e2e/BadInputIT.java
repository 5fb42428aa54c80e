package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import sitelink.e2e.TwoPeers.Endpoints;
import sitelink.e2e.tools.DatagramSender;
import sitelink.testbed.Proc;
import sitelink.testbed.Namespace;

/**
 * Garbage on sitelink's UDP port (from the peer's own network) and garbage on its UAPI socket: sitelink drops and
 * counts it, refuses it, and keeps the tunnel working.
 */
class BadInputIT {
    private static final int INITIATION = 1, RESPONSE = 2, COOKIE_REPLY = 3, DATA = 4;

    @Test
    @DisplayName("malformed datagrams are dropped and counted, and the tunnel still carries a ping")
    void survivesMalformedDatagrams() throws IOException {
        try (TwoPeers peers = TwoPeers.start(WireGuardNode.SITELINK, WireGuardNode.WIREGUARD_GO, Endpoints.BOTH)) {
            SitelinkNode sitelink = (SitelinkNode) peers.a();
            Traffic.awaitPing(peers.nsA(), TwoPeers.B_TUNNEL, Duration.ofSeconds(20));
            Map<String, Long> before = sitelink.counters();

            Map<String, byte[]> invalid = new LinkedHashMap<>();
            invalid.put("empty", new byte[0]);
            invalid.put("one byte", new byte[] {INITIATION});
            invalid.put("truncated initiation", message(INITIATION, 147));
            invalid.put("truncated response", message(RESPONSE, 91));
            invalid.put("truncated cookie reply", message(COOKIE_REPLY, 63));
            invalid.put("truncated data", message(DATA, 31));
            invalid.put("oversized initiation", message(INITIATION, 149));
            invalid.put("oversized response", message(RESPONSE, 93));
            invalid.put("oversized cookie reply", message(COOKIE_REPLY, 65));
            invalid.put("huge initiation", message(INITIATION, 4000));
            invalid.put("maximal initiation", message(INITIATION, 65_000));
            invalid.put("unknown type 0", message(0, 148));
            invalid.put("unknown type 5", message(5, 148));
            invalid.put("unknown type 255", message(255, 64));
            Map<String, byte[]> unknownIndex = new LinkedHashMap<>();
            for (int i = 0; i < 20; i++) unknownIndex.put("data to unknown index " + i, message(DATA, 32 + 16 * i));
            Map<String, byte[]> other = new LinkedHashMap<>();
            other.put("forged initiation", message(INITIATION, 148));
            other.put("forged response", message(RESPONSE, 92));
            other.put("forged cookie reply", message(COOKIE_REPLY, 64));
            Random random = new Random(42);
            for (int i = 0; i < 200; i++) {
                byte[] b = new byte[1 + random.nextInt(1500)];
                random.nextBytes(b);
                other.put("random " + i, b);
            }
            int total = invalid.size() + unknownIndex.size() + other.size();
            send(peers.nsB(), peers.nsB().logDir().resolve("bad-datagrams"), invalid, unknownIndex, other);

            E2e.await(Duration.ofSeconds(10), "sitelink to count all " + total + " datagrams as drops",
                    () -> drops(sitelink.counters()) - drops(before) >= total,
                    () -> "before " + before + "\nnow " + sitelink.counters());
            Map<String, Long> after = sitelink.counters();
            assertTrue(rise(before, after, "drop_invalid_message") >= invalid.size(),
                    "drop_invalid_message: " + before + " → " + after);
            assertTrue(rise(before, after, "drop_unknown_index") >= unknownIndex.size(),
                    "drop_unknown_index: " + before + " → " + after);
            assertTrue(sitelink.isRunning(), "sitelink device still runs");
            Traffic.Ping ping = Traffic.ping(peers.nsA(), TwoPeers.B_TUNNEL, 5, 0.2);
            assertTrue(ping.lossless(), "tunnel after the garbage:\n" + ping.output());
        }
    }

    @Test
    @DisplayName("a UAPI set with a malformed key is refused with errno=-22 and changes nothing")
    void refusesGarbageKey() {
        try (TwoPeers peers = TwoPeers.start(WireGuardNode.SITELINK, WireGuardNode.WIREGUARD_GO, Endpoints.BOTH)) {
            TunnelChecks.assertRejectsGarbageKey(peers.a());
            assertTrue(peers.a().isRunning(), "sitelink device still runs");
        }
    }

    /** A message of {@code length} bytes: the little-endian type (reserved bytes zero), then random bytes. */
    private static byte[] message(int type, int length) {
        byte[] b = new byte[length];
        new Random(type * 100_003L + length).nextBytes(b);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (length >= 4) buf.putInt(0, type);
        return b;
    }

    @SafeVarargs
    private static void send(Namespace from, Path dir, Map<String, byte[]>... groups) throws IOException {
        Files.createDirectories(dir);
        int n = 0;
        for (Map<String, byte[]> group : groups) {
            for (byte[] datagram : group.values()) Files.write(dir.resolve(String.format("%04d.bin", n++)), datagram);
        }
        Proc sender = from.start(E2e.java(DatagramSender.class, TwoPeers.A_OUTER, Integer.toString(TwoPeers.PORT),
                dir.toString()));
        assertEquals(0, sender.waitFor(Duration.ofSeconds(30)), sender.tail());
    }

    private static long drops(Map<String, Long> counters) {
        return counters.entrySet().stream().filter(e -> e.getKey().startsWith("drop_")).mapToLong(Map.Entry::getValue)
                .sum();
    }

    private static long rise(Map<String, Long> before, Map<String, Long> after, String name) {
        return after.getOrDefault(name, 0L) - before.getOrDefault(name, 0L);
    }
}
