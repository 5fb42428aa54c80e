package sitelink.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import sitelink.testbed.Namespace;
import sitelink.testbed.Testbed;

/** The start-up warm-up of the data path: it really carries pings, handshakes and a TCP stream, and leaves nothing. */
class PipelineWarmUpTest {
    @Test
    void carriesPingsHandshakesAndTcpThroughTwoDevicesAndLeavesNoThread() throws Exception {
        Set<String> before = warmThreads();
        PipelineWarmUp.Report r = PipelineWarmUp.run(3, 0, 0, new SecureRandom());
        assertEquals("", r.stopped(), "the warm-up ended early");
        assertEquals(3, r.rounds(), "three rounds (two handshakes after a rejoin): " + r);
        assertEquals(r.rounds(), r.handshakes());
        // ten IPv4 pings a round, and an IPv6 one in the rounds whose peers have IPv6 allowed IPs (first and third);
        // the packets for nowhere sent before them were dropped, else a ping would have met one and ended the warm-up
        assertEquals(r.rounds() * 10 + 2, r.pings(), r.toString());
        assertEquals((long) r.rounds() * 24 * 47 * 1380, r.tcpBytes(), "every byte of every super-segment arrived");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!warmThreads().equals(before) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(before, warmThreads(), "the devices' threads ended with them");
    }

    /** After its budget it goes on while the compilers are busy, and stops at the first round they were quiet in. */
    @Test
    void goesOnWhileTheCompilersAreBusyAndStopsWhenTheyAreQuiet() {
        long[] ran = {0, 10_000_000, 20_000_000, 20_000_000 + PipelineWarmUp.QUIET_ROUND_NANOS - 1, 90_000_000};
        int[] reads = {0};
        PipelineWarmUp.Report r = PipelineWarmUp.run(1, 0, 60_000_000_000L,
                times -> times[0] = ran[Math.min(reads[0]++, ran.length - 1)], new SecureRandom());
        assertEquals("", r.stopped());
        assertEquals(3, r.rounds(), "two busy rounds, then a quiet one: " + r);
        assertTrue(r.quiet());
    }

    /** Compilers that stay busy hold it no longer than the limit; times that cannot be read count as quiet. */
    @Test
    void busyCompilersHoldItOnlyUntilTheLimitAndUnknownTimesDoNotHoldIt() {
        long[] ran = {0};
        PipelineWarmUp.Report busy = PipelineWarmUp.run(1, 0, 300_000_000L, times -> times[0] = ran[0] += 50_000_000,
                new SecureRandom());
        assertEquals("", busy.stopped());
        assertFalse(busy.quiet());
        assertTrue(busy.nanos() >= 300_000_000L && busy.rounds() >= 2, busy.toString());
        PipelineWarmUp.Report unknown = PipelineWarmUp.run(1, 0, 60_000_000_000L, times -> times[0] = -1,
                new SecureRandom());
        assertEquals(1, unknown.rounds(), unknown.toString());
        assertTrue(unknown.quiet());
    }

    /**
     * A namespace without loopback: the warm-up ends at once, saying why, not after its waits. (In one whose lo was
     * never up, as after {@code ip netns add} alone, binding 127.0.0.1 works and sending to it fails: the same message
     * from the devices' send failures, seen with {@code sitelink device} there.)
     */
    @Test
    void withLoopbackDownItEndsAtOnceAndSaysWhy() throws Exception {
        Assumptions.assumeTrue(!"false".equals(System.getProperty("sitelink.e2e")), "e2e disabled");
        try (Namespace ns = Testbed.unique("sl-warm").namespace("gw")) {
            ns.ip("link", "set", "lo", "down");
            ns.ip("addr", "flush", "dev", "lo"); // as in a namespace whose lo was never up: no route to 127.0.0.1
            PipelineWarmUp.Report r = ns.call(() -> PipelineWarmUp.run(1, 0, 0, new SecureRandom()));
            assertTrue(r.stopped().contains("is the loopback interface lo up?"), r.toString());
            assertEquals(0, r.pings());
            assertTrue(r.nanos() < PipelineWarmUp.WAIT_NANOS, "ended before its first wait ran out: " + r);
        }
    }

    @Test
    void superSegmentIsWhatVirtioNetCutsIntoValidSegments() {
        byte[] p = new byte[10 + 65535];
        int len = PipelineWarmUp.superSegment(p, 1000);
        byte[] seg = new byte[65535];
        int[] seen = {0};
        int n = sitelink.os.tun.VirtioNet.segment(p, len, seg, (b, off, l) -> {
            assertEquals(1420, l);
            assertEquals(0, sitelink.packet.Checksum.of(b, off, 20), "IPv4 header checksum");
            long sum = sitelink.packet.Checksum.pseudoHeader(b, off + 12, off + 16, 4, 6, l - 20);
            assertEquals(0, sitelink.packet.Checksum.finish(sitelink.packet.Checksum.add(sum, b, off + 20, l - 20)),
                    "TCP checksum");
            seen[0]++;
        });
        assertEquals(47, n);
        assertEquals(47, seen[0]);
    }

    @Test
    void echo6IsAnIcmpv6EchoRequestWithItsChecksumRight() {
        byte[] p = new byte[10 + 200];
        int len = PipelineWarmUp.echo6(p, 7);
        assertEquals(104, len);
        assertEquals(0x60, p[10] & 0xf0, "IPv6");
        assertEquals(64, ((p[14] & 0xff) << 8) | (p[15] & 0xff), "payload length");
        assertEquals(58, p[16], "next header ICMPv6");
        assertEquals(128, p[50] & 0xff, "echo request");
        long sum = sitelink.packet.Checksum.pseudoHeader(p, 18, 34, 16, 58, len - 40);
        assertEquals(0, sitelink.packet.Checksum.finish(sitelink.packet.Checksum.add(sum, p, 50, len - 40)),
                "ICMPv6 checksum");
    }

    private static Set<String> warmThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).filter(n -> n.startsWith("warm-"))
                .collect(Collectors.toSet());
    }
}
