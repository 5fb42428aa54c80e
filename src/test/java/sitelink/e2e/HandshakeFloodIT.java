package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;
import sitelink.e2e.TwoPeers.Endpoints;
import sitelink.e2e.tools.FloodSender;
import sitelink.wireguard.Clock;
import sitelink.wireguard.CookieGenerator;
import sitelink.wireguard.WireGuardCore;

/**
 * A handshake flood against gateway B from an attacker namespace: thousands of initiations per second from 200 source
 * addresses, each with a correct MAC1 for B's public key (so each costs B a Diffie-Hellman until it demands cookies).
 * Whitepaper 5.3: above {@link WireGuardCore#DEFAULT_UNDER_LOAD_RATE} handshake messages per second B answers with
 * cookie replies instead of computing, and the established tunnel to A keeps carrying traffic.
 */
class HandshakeFloodIT {
    private static final int RATE = 4000, SOURCES = 200, FLOOD_SECONDS = 40;
    private static final String VICTIM_SIDE = "198.18.4.1";

    @Test
    @DisplayName("under a handshake flood B answers with cookie replies and the tunnel keeps carrying traffic")
    void survivesHandshakeFlood() throws IOException {
        try (TwoPeers peers = TwoPeers.start(WireGuardNode.SITELINK, WireGuardNode.SITELINK, Endpoints.BOTH);
             Netns attacker = Netns.create("atk")) {
            SitelinkNode victim = (SitelinkNode) peers.b();
            attacker.ip("link", "add", "atk0", "type", "veth", "peer", "name", "atk1", "netns", peers.nsB().name());
            List<String> sources = new ArrayList<>();
            for (int i = 0; i < SOURCES; i++) {
                String addr = "198.18.4." + (10 + i);
                attacker.ip("addr", "add", addr + "/24", "dev", "atk0");
                sources.add(addr);
            }
            peers.nsB().ip("addr", "add", VICTIM_SIDE + "/24", "dev", "atk1");
            attacker.ip("link", "set", "atk0", "up");
            peers.nsB().ip("link", "set", "atk1", "up");
            Path flood = writeInitiations(attacker.logDir().resolve("initiations"), Key.fromBase64(victim.publicKey()));

            Traffic.awaitPing(peers.nsA(), TwoPeers.B_TUNNEL, Duration.ofSeconds(20));
            long bytes = 32 * TcpTransfer.MIB;
            double before = transferMiBPerSecond(peers, bytes);
            Map<String, Long> countersBefore = victim.counters();

            Proc sender = attacker.start(E2e.java(FloodSender.class, VICTIM_SIDE, Integer.toString(TwoPeers.PORT),
                    flood.toString(), Integer.toString(RATE), Integer.toString(FLOOD_SECONDS), String.join(",", sources)));
            try {
                E2e.await(Duration.ofSeconds(20), "B to demand cookies (drop_cookie_required to rise)",
                        () -> victim.counters().get("drop_cookie_required") > 1000, () -> victim.counters() + "\n" + sender.tail());
                long floodStart = System.nanoTime();
                Map<String, Long> atStart = victim.counters();
                double during = transferMiBPerSecond(peers, bytes);
                Traffic.Ping ping = Traffic.ping(peers.nsA(), TwoPeers.B_TUNNEL, 10, 0.1);
                Map<String, Long> atEnd = victim.counters();
                double floodSeconds = (System.nanoTime() - floodStart) / 1e9;
                assertTrue(sender.isAlive(), "the flood lasted the whole measurement\n" + sender.tail());

                long cookies = atEnd.get("drop_cookie_required") - atStart.get("drop_cookie_required");
                long dh = atEnd.get("drop_handshake_decrypt_failed") - countersBefore.get("drop_handshake_decrypt_failed");
                ImpairedWanIT.report("handshake flood", String.format("%d initiations/s from %d sources; throughput "
                        + "before %.1f MiB/s, during %.1f MiB/s (%.0f%%); cookie replies during the %.1f s measured: %d "
                        + "(%.0f/s); initiations B opened (a DH each) since the flood began: %d; ping during flood: %d/%d",
                        RATE, SOURCES, before, during, 100 * during / before, floodSeconds, cookies,
                        cookies / floodSeconds, dh, ping.received(), ping.transmitted()));
                assertTrue(cookies > 0.5 * RATE * floodSeconds,
                        "most flood initiations must be answered with a cookie reply, not a DH: " + cookies);
                assertTrue(ping.received() >= 9, "the tunnel carries pings during the flood:\n" + ping.output());
                assertTrue(during > 0.1 * before, "throughput during the flood " + during + " vs before " + before);
                assertEquals(0, atEnd.get("drop_unknown_peer") - countersBefore.get("drop_unknown_peer"),
                        "no forged initiation decrypted to a static key");
            } finally {
                sender.close();
            }
        }
    }

    /** 64 distinct initiations with random contents and a correct MAC1 for the victim's public key. */
    private static Path writeInitiations(Path dir, Key victimPublic) throws IOException {
        Files.createDirectories(dir);
        Random random = new Random(5);
        for (int i = 0; i < 64; i++) {
            byte[] msg = new byte[148];
            random.nextBytes(msg);
            msg[0] = 1;
            msg[1] = msg[2] = msg[3] = 0;
            new CookieGenerator(victimPublic, Clock.SYSTEM).addMacs(msg);
            Files.write(dir.resolve(String.format("%02d.bin", i)), msg);
        }
        return dir;
    }

    private static double transferMiBPerSecond(TwoPeers peers, long bytes) {
        long start = System.nanoTime();
        TcpTransfer.Result r = TcpTransfer.start(peers.nsA(), peers.nsB(), TwoPeers.B_TUNNEL, bytes, 0)
                .await(Duration.ofMinutes(2));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(bytes, r.received(), "bytes received");
        assertEquals(r.sentSha256(), r.receivedSha256(), "SHA-256 of what B received vs what A sent");
        return bytes / (double) TcpTransfer.MIB / seconds;
    }
}
