package sitelink.os.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.testbed.Namespace;
import sitelink.testbed.Testbed;

/** Forwarding switched on and back off inside a namespace of our own, while the root namespace's value stays put. */
class SysctlTest {
    private final Sysctl sysctl = new Sysctl();

    @Test
    void setsAndRestoresForwardingInsideANamespaceOnly() throws Exception {
        Assumptions.assumeTrue(!"false".equals(System.getProperty("sitelink.e2e")), "e2e disabled");
        // read on this (root-namespace) thread: it must not change while we work in the namespace
        String root4 = sysctl.get(Sysctl.IPV4_FORWARDING);
        String root6 = sysctl.get(Sysctl.IPV6_FORWARDING);
        try (Namespace ns = Testbed.unique("sl-nl").namespace("os")) {
            for (String key : new String[] {Sysctl.IPV4_FORWARDING, Sysctl.IPV6_FORWARDING}) {
                String before = ns.execOk("sysctl", "-n", key).strip();
                String wanted = before.equals("1") ? "0" : "1";

                String previous = ns.call(() -> sysctl.set(key, wanted));
                assertEquals(before, previous, key);
                assertEquals(wanted, ns.execOk("sysctl", "-n", key).strip(), key);
                assertEquals(wanted, ns.call(() -> sysctl.get(key)), key);

                ns.call(() -> sysctl.set(key, previous));
                assertEquals(before, ns.execOk("sysctl", "-n", key).strip(), key);
            }
        }
        assertEquals(root4, sysctl.get(Sysctl.IPV4_FORWARDING));
        assertEquals(root6, sysctl.get(Sysctl.IPV6_FORWARDING));
    }

    @Test
    void returnsThePreviousValueFromAnyTree(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("net/ipv4/ip_forward");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "0\n");
        Sysctl fake = new Sysctl(dir);
        assertEquals("0", fake.set("net.ipv4.ip_forward", "1"));
        assertEquals("1\n", Files.readString(file));
        assertEquals("1", fake.get("net/ipv4/ip_forward"));
    }

    @Test
    void explainsAMissingKeyAndRefusesPathsOutsideTheTree(@TempDir Path dir) {
        Sysctl fake = new Sysctl(dir);
        IOException e = assertThrows(IOException.class, () -> fake.get("net.ipv4.nothing_here"));
        assertTrue(e.getMessage().contains("sysctl net.ipv4.nothing_here does not exist"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> fake.get("net/../../etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> fake.get("/etc/passwd"));
    }
}
