package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A hub with 64 spokes in one {@link sitelink.e2e.tools.SpokeSimulator} (the small version of bench/hub's 1,000):
 * every spoke establishes, each one's echo requests through its tunnel to the hub's LAN come back intact, and after
 * the hub restarts every spoke is back. The spokes send from 4 addresses, 16 each, as real spokes would from their
 * own addresses.
 */
@Tag(E2e.ALONE)
class HubScaleIT {
    private static final int SPOKES = 64, SOURCES = 4;
    private static final double ECHO_SECONDS = 2;

    @BeforeAll
    static void environment() {
        E2e.requireEnvironment();
    }

    @Test
    @DisplayName("a hub with 64 spokes: all ESTABLISHED, echoes through every tunnel intact, all back after a hub restart")
    void everySpokeEstablishesCarriesTrafficAndReturnsAfterAHubRestart() throws IOException {
        try (HubAndSpokes net = HubAndSpokes.create(SPOKES, SOURCES)) {
            long started = net.startHub();
            net.startSpokes(SOURCES, ECHO_SECONDS, 0);
            long up = net.awaitAllEstablished(Duration.ofSeconds(120)); // the simulator JVM's start included
            // Every spoke's echo requests reach the LAN host through the hub and come back with their payload.
            E2e.await(Duration.ofSeconds(30), "an intact echo reply for every spoke",
                    () -> net.report().replied() == SPOKES, () -> net.report().toString());
            HubAndSpokes.Report first = net.report();
            assertEquals(0, first.echoBad(), "echo replies that were not what was sent: " + first);

            String status = net.status().stdout();
            assertTrue(status.startsWith("hub (" + net.iface() + "): " + SPOKES + " remote sites: " + SPOKES
                    + " ESTABLISHED\n"), "the summary line first:\n" + status);
            assertTrue(status.contains("(" + SPOKES + " ESTABLISHED not listed; --all lists every remote site)"),
                    "a hub's table lists only the sites that need a look:\n" + status);
            String one = net.status("--remote", "spoke-0007").stdout();
            assertTrue(one.lines().anyMatch(l -> l.contains("spoke-0007") && l.contains("ESTABLISHED")),
                    "--remote selects one site:\n" + one);
            String all = net.status("--all").stdout();
            assertEquals(SPOKES, all.lines().filter(l -> l.contains(" spoke-") && l.contains("ESTABLISHED")).count(),
                    "--all lists every spoke:\n" + all);

            net.stopHub();
            long restarted = net.startHub();
            long back = net.awaitAllEstablished(Duration.ofSeconds(90)); // 15 s until the spokes notice, then a cookie round
            E2e.await(Duration.ofSeconds(30), "an intact echo reply for every spoke after the restart",
                    () -> net.report().replied() == SPOKES && net.report().echoOk() > first.echoOk() + SPOKES,
                    () -> net.report().toString());
            assertEquals(0, net.report().echoBad(), "echo replies that were not what was sent: " + net.report());
            ImpairedWanIT.report("hub with " + SPOKES + " spokes", String.format("all ESTABLISHED %.1f s after the hub "
                    + "started, %.1f s after it restarted; RSS %d MiB, %d threads", (up - started) / 1e9,
                    (back - restarted) / 1e9, net.rssKib() / 1024, net.threads()));
        }
    }
}
