package sitelink.os.host;

import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import sitelink.testbed.Namespace;
import sitelink.testbed.Testbed;

/** {@link Netns}: code submitted to it runs in the named namespace, and only there. */
class NetnsTest {
    private static Object inode(Path p) throws Exception {
        return Files.getAttribute(p, "unix:ino");
    }

    @Test
    void runsCodeInTheNamedNamespaceAndLeavesTheCallerWhereItWas() throws Exception {
        Assumptions.assumeTrue(!"false".equals(System.getProperty("sitelink.e2e")), "e2e disabled");
        try (Namespace made = Testbed.unique("sl-nl").namespace("os"); Netns ns = Netns.enter(made.name())) {
            Object target = inode(Netns.DIRECTORY.resolve(made.name()));
            assertEquals(target, ns.call(() -> inode(Path.of("/proc/thread-self/ns/net")), Duration.ofSeconds(5)));
            assertNotEquals(target, inode(Path.of("/proc/thread-self/ns/net")), "the calling thread did not move");

            // A socket made there has the namespace's addresses: 198.18.0.1 exists only inside it.
            made.ip("addr", "add", "198.18.0.1/32", "dev", "lo");
            InetSocketAddress at = new InetSocketAddress(InetAddress.getByName("198.18.0.1"), 0);
            int port = ns.call(() -> {
                try (DatagramChannel ch = DatagramChannel.open().bind(at)) {
                    return ((InetSocketAddress) ch.getLocalAddress()).getPort();
                }
            }, Duration.ofSeconds(5));
            assertNotEquals(0, port);
        }
    }

    @Test
    void aMissingNamespaceIsAnErrnoException() {
        Assumptions.assumeTrue(!"false".equals(System.getProperty("sitelink.e2e")), "e2e disabled");
        ErrnoException e = assertThrows(ErrnoException.class, () -> Netns.enter("sl-no-such-ns-" + ProcessHandle.current().pid()));
        assertEquals(Libc.ENOENT, e.errno());
    }
}
