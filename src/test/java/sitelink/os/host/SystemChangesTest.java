package sitelink.os.host;

import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.route.Prefix;
import sitelink.testbed.Namespace;
import sitelink.testbed.Testbed;
import sitelink.testbed.Veth;

/**
 * The ledger in the order {@code sitelink up} uses it, inside a namespace with a veth pair sl-a/sl-b: after
 * {@code close()} the namespace must look exactly as before, and what was there before must still be there.
 */
class SystemChangesTest {
    private static final InetAddress V4 = Prefix.parseAddress("198.19.0.1");
    private static final InetAddress V6 = Prefix.parseAddress("2001:db8:19::1");
    private static final Prefix REMOTE4 = Prefix.parse("198.18.2.0/24");
    private static final Prefix REMOTE6 = Prefix.parse("2001:db8:2::/48");

    private Namespace ns;
    private Netlink nl;
    private final Sysctl sysctl = new Sysctl();
    private final SystemChanges changes = new SystemChanges();

    @BeforeEach
    void setUp() throws Exception {
        Assumptions.assumeTrue(!"false".equals(System.getProperty("sitelink.e2e")), "e2e disabled");
        ns = Testbed.unique("sl-nl").namespace("os");
        Veth.inside(ns, "sl-a", "sl-b");
        nl = ns.call(Netlink::open);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (ns != null) {
            ns.call(changes::undoAll); // sysctl undos must run in the namespace
            nl.close();
            ns.close();
        }
    }

    @Test
    void closeLeavesTheNamespaceExactlyAsItFoundIt(@TempDir Path dir) throws Exception {
        // sl-a is up before we start, so undoing our routes and addresses cannot lean on a link going down
        // (the kernel flushes a down link's routes by itself); sl-c is the link the ledger sets up.
        ns.ip("link", "set", "sl-a", "up");
        Veth.inside(ns, "sl-c", "sl-d");
        String before = snapshot();
        Path socket = dir.resolve("sl-a.sock");

        ns.call(() -> {
            changes.setMtu(nl, "sl-a", 1420);
            changes.setLinkUp(nl, "sl-c");
            changes.addAddress(nl, "sl-a", V4, 30);
            changes.addAddress(nl, "sl-a", V6, 64);
            changes.addRoute(nl, REMOTE4, "sl-a");
            changes.addRoute(nl, REMOTE6, "sl-a");
            changes.setSysctl(sysctl, Sysctl.IPV4_FORWARDING, "1");
            changes.setSysctl(sysctl, Sysctl.IPV6_FORWARDING, "1");
            Files.writeString(socket, "");
            changes.createdFile(socket);
            return null;
        });
        String during = snapshot();
        assertNotEquals(before, during);
        assertTrue(during.contains("198.18.2.0/24 dev sl-a proto static") && during.contains("inet6 2001:db8:19::1/64"), during);
        assertEquals(9, changes.describe().size(), changes.describe().toString());
        assertEquals("created " + socket, changes.describe().getFirst(), "newest first");

        List<String> failures = ns.call(changes::undoAll);
        assertEquals(List.of(), failures);
        assertEquals(before, snapshot());
        assertFalse(Files.exists(socket));

        ns.call(() -> {
            changes.close(); // a second close finds nothing to do
            return null;
        });
        assertEquals(List.of(), changes.describe());
        assertEquals(before, snapshot());
    }

    @Test
    void leavesAloneWhatWasThereBefore() throws Exception {
        ns.ip("link", "set", "sl-a", "up");
        ns.ip("addr", "add", "198.19.0.1/30", "dev", "sl-a");
        ns.ip("route", "add", "198.18.2.0/24", "dev", "sl-a");
        String forwarding = ns.execOk("sysctl", "-n", Sysctl.IPV4_FORWARDING).strip();
        String before = snapshot();

        boolean[] made = ns.call(() -> new boolean[] {
            changes.setLinkUp(nl, "sl-a"),
            changes.addAddress(nl, "sl-a", V4, 30),
            changes.addRoute(nl, REMOTE4, "sl-a"),
            changes.setSysctl(sysctl, Sysctl.IPV4_FORWARDING, forwarding),
            changes.addAddress(nl, "sl-a", V6, 64), // the one thing that is ours
        });
        assertEquals(List.of(false, false, false, false, true), List.of(made[0], made[1], made[2], made[3], made[4]));
        assertEquals(List.of("added address " + V6.getHostAddress() + "/64 to sl-a"), changes.describe());

        assertEquals(List.of(), ns.call(changes::undoAll));
        assertEquals(before, snapshot());
        String addr = ns.ip("addr", "show", "dev", "sl-a");
        assertTrue(addr.contains("inet 198.19.0.1/30") && !addr.contains("2001:db8:19::1"), addr);
    }

    @Test
    void refusesToTakeOverADestinationRoutedElsewhere() throws Exception {
        ns.ip("link", "set", "sl-a", "up");
        ns.ip("link", "set", "sl-b", "up");
        ns.ip("route", "add", "198.18.2.0/24", "dev", "sl-b");

        ErrnoException e = assertThrows(ErrnoException.class, () -> ns.call(() -> changes.addRoute(nl, REMOTE4, "sl-a")));
        assertEquals(Libc.EEXIST, e.errno());
        assertTrue(e.getMessage().contains("already routed") && e.getMessage().contains("dev sl-b"), e.getMessage());
        assertEquals(List.of(), changes.describe());
    }

    @Test
    void aFailingUndoDoesNotStopTheOthers() throws Exception {
        ns.call(() -> {
            changes.setLinkUp(nl, "sl-a");
            changes.addAddress(nl, "sl-a", V4, 30);
            changes.record("pretend change", () -> {
                throw new IOException("disk on fire");
            });
            changes.addAddress(nl, "sl-a", V6, 64);
            return null;
        });
        List<String> failures = ns.call(changes::undoAll);
        assertEquals(List.of("Could not undo 'pretend change': disk on fire"), failures);
        String addr = ns.ip("addr", "show", "dev", "sl-a");
        assertFalse(addr.contains("198.19.0.1") || addr.contains("2001:db8:19::1") || addr.contains(",UP"), addr);
    }

    @Test
    void aChangeThatVanishedOnItsOwnCountsAsUndone() throws Exception {
        ns.call(() -> {
            changes.setLinkUp(nl, "sl-a");
            changes.addAddress(nl, "sl-a", V4, 30);
            changes.addRoute(nl, REMOTE4, "sl-a");
            return null;
        });
        ns.ip("link", "del", "sl-a"); // like a TUN disappearing with its process
        assertEquals(List.of(), ns.call(changes::undoAll));
    }

    /**
     * Everything the ledger may touch, as iproute2 and sysctl print it. Except the queueing discipline: the kernel
     * attaches the default one the first time a link goes up and keeps it when it goes down (noop becomes noqueue
     * after any {@code ip link set up; ip link set down}); that is not a change of ours to undo.
     */
    private String snapshot() throws Exception {
        String addr = ns.ip("addr").replaceAll(" qdisc \\S+", "");
        return addr + ns.ip("route") + ns.ip("-6", "route")
                + ns.execOk("sysctl", Sysctl.IPV4_FORWARDING, Sysctl.IPV6_FORWARDING);
    }
}
