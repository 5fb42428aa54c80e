package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * A packet capture with tcpdump on one interface of a namespace, as an operator would check what crosses a link.
 * Each packet is one line ({@code -nn -q -t}: numeric, brief, no timestamps), e.g.
 * {@code IP 198.51.100.1.51820 > 198.51.100.2.51820: UDP, length 148}.
 */
public final class Capture implements AutoCloseable {
    /** tcpdump's own status lines, which are not packets. */
    private static final Set<String> STATUS = Set.of("listening on", "packets captured", "packets received by filter",
            "packets dropped by kernel", "tcpdump:", "dropped privs");

    private final Proc tcpdump;

    private Capture(Proc tcpdump) {
        this.tcpdump = tcpdump;
    }

    /** Starts capturing on {@code iface} with a pcap {@code filter}, and waits until tcpdump listens. */
    public static Capture start(Netns ns, String iface, String... filter) {
        E2e.require(E2e.onPath("tcpdump").isPresent(), "tcpdump (apt-get install tcpdump)");
        String[] command = new String[7 + filter.length];
        System.arraycopy(new String[] {"tcpdump", "-i", iface, "-nn", "-q", "-t", "-l"}, 0, command, 0, 7);
        System.arraycopy(filter, 0, command, 7, filter.length);
        Proc p = ns.start(command);
        E2e.await(Duration.ofSeconds(20), "tcpdump to listen on " + iface,
                () -> p.output().contains("listening on") || !p.isAlive(), p::tail);
        if (!p.isAlive()) fail("tcpdump exited\n" + p.tail());
        return new Capture(p);
    }

    /** Stops the capture (SIGTERM, by PID) and returns one line per captured packet. */
    public List<String> stop() {
        tcpdump.close();
        return tcpdump.lines().stream().filter(l -> !l.isBlank())
                .filter(l -> STATUS.stream().noneMatch(l::contains)).toList();
    }

    /** The packets captured so far, without stopping. */
    public List<String> soFar() {
        return tcpdump.lines().stream().filter(l -> !l.isBlank())
                .filter(l -> STATUS.stream().noneMatch(l::contains)).toList();
    }

    @Override
    public void close() {
        tcpdump.close();
    }
}
