package sitelink.policy;

import java.time.Duration;

/**
 * Connection-tracking idle timeouts (a flow expires this long after its last packet). TCP opening 5 s: any TCP flow
 * not yet assured (no reply, or a reply the opener never acknowledged), far below Linux's 120 s syn_sent, so that
 * unanswered SYNs leave the table quickly; a SYN retransmitted later simply opens the flow again. The others follow
 * Linux conntrack and the NAT behaviour RFCs: established 7440 s (RFC 5382 REQ-5: at least 2 h 4 min; Linux's 5 days
 * would let dead flows hog a bounded table), closing after FIN 120 s (time_wait), after RST 10 s (close), UDP without
 * reply 30 s and with replies 180 s (Linux 30/120; RFC 4787 REQ-5 wants at least 2 min), ICMP echo 30 s.
 */
public record Timeouts(Duration tcpOpening, Duration tcpEstablished, Duration tcpClosing, Duration tcpReset,
        Duration udpUnreplied, Duration udpReplied, Duration icmp) {
    public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(7440),
            Duration.ofSeconds(120), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(180),
            Duration.ofSeconds(30));
}
