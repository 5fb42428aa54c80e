package sitelink.os.tun;

import sitelink.os.ffm.ErrnoException;
import sitelink.os.ffm.Libc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import sitelink.testbed.Namespace;
import sitelink.testbed.Testbed;

/**
 * Creates real TUN interfaces, always inside a network namespace this test creates and deletes: a dedicated
 * platform thread joins the namespace with setns(2) before opening /dev/net/tun, so the interface is born there
 * and nothing in the root namespace changes.
 */
class TunTest {
    private Namespace ns;
    private Tun tun;
    private Process ping;

    @BeforeEach
    void createNamespace() throws Exception {
        Assumptions.assumeTrue(!"false".equals(System.getProperty("sitelink.e2e")), "e2e disabled");
        ns = Testbed.unique("sl-os").namespace("tun");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (ping != null) {
            ping.destroyForcibly();
        }
        if (tun != null) {
            tun.close();
        }
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void createsInterfaceSetsMtuAndCarriesPingBothWays() throws Exception {
        tun = ns.call(() -> {
            Tun t = Tun.open("sl%d", false);
            t.setMtu(1380);
            assertEquals(1380, t.mtu());
            return t;
        });
        assertEquals("sl0", tun.name());
        assertTrue(ns.ip("link", "show", "sl0").contains("mtu 1380"));

        ns.ip("addr", "add", "198.18.0.1/30", "dev", "sl0");
        ns.ip("link", "set", "sl0", "up");
        ping = new ProcessBuilder("ip", "netns", "exec", ns.name(), "ping", "-n", "-c", "1", "-W", "10", "198.18.0.2")
                .redirectErrorStream(true).start();

        byte[] buf = new byte[2048];
        int n = readEchoRequestTo(buf, new byte[] {(byte) 198, 18, 0, 2});
        byte[] reply = echoReply(buf, n);
        tun.write(reply, 0, reply.length);

        assertTrue(ping.waitFor(15, TimeUnit.SECONDS), "ping finished");
        String out = new String(ping.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, ping.exitValue(), "ping got our reply: " + out);
    }

    @Test
    void readerEndsWithInterfaceGoneWhenLinkIsDeleted() throws Exception {
        tun = ns.call(() -> Tun.open("slgone", false));
        CompletableFuture<Throwable> reader = blockedReader();
        ns.ip("link", "del", "slgone");
        Throwable t = reader.get(5, TimeUnit.SECONDS);
        TunClosedException closed = assertInstanceOf(TunClosedException.class, t);
        assertTrue(closed.interfaceGone(), closed.getMessage());
    }

    @Test
    void closeWakesBlockedReader() throws Exception {
        tun = ns.call(() -> Tun.open("slclose", false));
        CompletableFuture<Throwable> reader = blockedReader();
        tun.close();
        Throwable t = reader.get(5, TimeUnit.SECONDS);
        assertFalse(assertInstanceOf(TunClosedException.class, t).interfaceGone());
        assertThrows(TunClosedException.class, () -> tun.read(new byte[100], 0, 100));
        // the interface disappears with its last fd (it was not persistent)
        assertFalse(ns.ip("link", "show").contains("slclose"));
    }

    @Test
    void refusesNamesTheKernelWouldTruncate() {
        IOException e = assertThrows(IOException.class, () -> Tun.open("a-name-too-long-x"));
        assertTrue(e.getMessage().contains("15 bytes"), e.getMessage());
    }

    @Test
    void namesTheErrnoWhenTheNameBelongsToAnotherDevice() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> ns.call(() -> Tun.open("lo")));
        assertEquals(Libc.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("EINVAL"), e.getMessage());
    }

    /** A reader thread, returned once it is blocked in poll on the TUN device with nothing to read. */
    private CompletableFuture<Throwable> blockedReader() throws Exception {
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        CompletableFuture<Integer> tid = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            tid.complete(BlockedThread.gettid());
            try {
                byte[] b = new byte[2048];
                while (true) {
                    tun.read(b, 0, b.length); // drop whatever IPv6 chatter arrives
                }
            } catch (Throwable t) {
                result.complete(t);
            }
        });
        BlockedThread.await(tid.get(5, TimeUnit.SECONDS), tun.readPollAddress(), Duration.ofSeconds(5));
        return result;
    }

    /** Reads packets until an ICMPv4 echo request to {@code dst} arrives; gives up after 10 s. */
    private int readEchoRequestTo(byte[] buf, byte[] dst) throws Exception {
        Tun t = tun;
        Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(10_000);
                t.close();
            } catch (InterruptedException e) {
                // done in time
            }
        });
        try {
            while (true) {
                int n = tun.read(buf, 0, buf.length);
                boolean v4 = n >= 28 && (buf[0] >> 4) == 4;
                if (v4 && buf[9] == 1 && buf[20] == 8 && java.util.Arrays.equals(buf, 16, 20, dst, 0, 4)) {
                    return n;
                }
            }
        } finally {
            watchdog.interrupt();
        }
    }

    /** Turns an IPv4 echo request into the matching reply: swap addresses, type 0, fresh checksums. */
    private static byte[] echoReply(byte[] req, int n) {
        byte[] p = java.util.Arrays.copyOf(req, n);
        int ihl = (p[0] & 0xf) * 4;
        for (int i = 0; i < 4; i++) {
            byte s = p[12 + i];
            p[12 + i] = p[16 + i];
            p[16 + i] = s;
        }
        p[8] = 64;
        p[10] = p[11] = 0;
        int c = checksum(p, 0, ihl);
        p[10] = (byte) (c >> 8);
        p[11] = (byte) c;
        p[ihl] = 0;
        p[ihl + 2] = p[ihl + 3] = 0;
        c = checksum(p, ihl, n - ihl);
        p[ihl + 2] = (byte) (c >> 8);
        p[ihl + 3] = (byte) c;
        return p;
    }

    private static int checksum(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (b[off + len - 1] & 0xff) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
