package sitelink.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import sitelink.testbed.Proc;
import sitelink.testbed.Namespace;

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
    public static Capture start(Namespace ns, String iface, String... filter) {
        return start(ns, iface, List.of("-q"), filter);
    }

    /**
     * A capture that shows each packet's headers in full (tcpdump without {@code -q}): TCP flags and options, e.g.
     * {@code IP 198.18.1.10.40000 > 198.18.2.10.8443: Flags [S], seq 1, win 64240, options [mss 1460,...], length 0}.
     */
    public static Capture startDetailed(Namespace ns, String iface, String... filter) {
        return start(ns, iface, List.of(), filter);
    }

    private static Capture start(Namespace ns, String iface, List<String> options, String... filter) {
        E2e.require(E2e.onPath("tcpdump").isPresent(), "tcpdump (apt-get install tcpdump)");
        List<String> command = new java.util.ArrayList<>(List.of("tcpdump", "-i", iface, "-nn", "-t", "-l"));
        command.addAll(options);
        command.addAll(List.of(filter));
        Proc p = ns.start(command.toArray(String[]::new));
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
