package sitelink.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;

/** The test bed itself: names, logs, processes ended by PID, namespaces deleted, and the two offices wired as drawn. */
class TestbedTest {
    @TempDir
    Path logs;

    @BeforeEach
    void enabled() {
        Assumptions.assumeTrue(!"false".equals(System.getProperty("sitelink.e2e")), "e2e disabled");
    }

    @Test
    void closeEndsWhatRunsInsideByPidAndDeletesTheNamespace() {
        Namespace ns = Testbed.unique("sl-tb", logs, null).namespace("x");
        assertTrue(ns.name().matches("sl-tb-" + ProcessHandle.current().pid() + "-\\d+-x"), ns.name());
        assertTrue(Namespace.exists(ns.name()));
        Proc sleeper = ns.start("sleep", "600");
        // a process the namespace did not start itself (a daemon that forked away) ends too
        ns.execOk("sh", "-c", "setsid sleep 600 >/dev/null 2>&1 < /dev/null &");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (Namespace.pids(ns.name()).size() < 2 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        List<Long> inside = Namespace.pids(ns.name());
        assertEquals(2, inside.size(), "both sleeps run inside");

        ns.close();
        assertFalse(sleeper.isAlive());
        assertTrue(inside.stream().noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)),
                "nothing that ran inside is left: " + inside);
        assertFalse(Namespace.exists(ns.name()));
        assertTrue(Files.exists(logs.resolve(ns.name()).resolve("commands.log")), "commands were logged");
        ns.close(); // twice is harmless
    }

    @Test
    void failuresNameTheCommandAndWhatItPrinted() {
        try (Namespace ns = Testbed.unique("sl-tb").namespace("y")) {
            Command.Failed e = assertThrows(Command.Failed.class, () -> ns.ip("link", "set", "nothere", "up"));
            assertTrue(e.getMessage().contains("ip -n " + ns.name() + " link set nothere up") && e.getMessage().contains("nothere"),
                    e.getMessage());
            assertEquals(1, ns.exec("false").exitCode());
        }
    }

    @Test
    void fixedNamesAreNotNumbered() {
        assertEquals("sl-demo-gwa", Testbed.fixed("sl-demo").name("gwa"));
    }

    @Test
    void twoOfficesAreWiredAsDrawn() throws Exception {
        try (Offices t = Offices.create(Testbed.unique("sl-tb"))) {
            Offices.Office a = t.a(), b = t.b();
            assertEquals(List.of("office-a", "office-b"), t.offices().stream().map(Offices.Office::name).toList());
            // host ↔ gateway on the LAN, gateway ↔ gateway across the WAN's bridge, gateway → "the internet"
            assertTrue(a.host().exec("ping", "-c", "1", "-W", "5", a.gatewayLanAddress()).ok());
            assertTrue(a.gateway().exec("ping", "-c", "1", "-W", "5", b.wanAddress()).ok());
            assertTrue(b.gateway().exec("ping", "-c", "1", "-W", "5", Offices.INTERNET_HOST).ok());
            assertTrue(a.host().ip("route", "show").contains("default via " + a.gatewayLanAddress() + " dev lan0"));
            assertTrue(t.wan().ip("route", "show").contains(b.lan() + " via " + b.wanAddress()));
            assertEquals("1", a.gateway().call(() -> new sitelink.os.host.Sysctl().get("net.ipv6.conf.wan.disable_ipv6")));

            Offices.Office c = t.addOffice();
            assertEquals("203.0.113.3", c.wanAddress());
            assertTrue(c.gateway().exec("ping", "-c", "1", "-W", "5", a.wanAddress()).ok());
            List<String> names = List.of(t.wan().name(), c.gateway().name(), c.host().name());
            t.close();
            assertTrue(names.stream().noneMatch(Namespace::exists), "every namespace is deleted");
        }
    }
}
