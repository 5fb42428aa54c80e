package sitelink.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import sitelink.crypto.Key;

class StatusFormatTest {
    @Test
    void bytesAsWgShowWritesThem() {
        assertEquals("0 B", StatusFormat.bytes(0));
        assertEquals("1023 B", StatusFormat.bytes(1023));
        assertEquals("1.00 KiB", StatusFormat.bytes(1024));
        assertEquals("32.00 MiB", StatusFormat.bytes(32L << 20));
        assertEquals("1.50 GiB", StatusFormat.bytes(3L << 29));
    }

    @Test
    void agesAsWgShowWritesThem() {
        assertEquals("just now", StatusFormat.ago(Duration.ZERO));
        assertEquals("1 second ago", StatusFormat.ago(Duration.ofSeconds(1)));
        assertEquals("1 minute, 5 seconds ago", StatusFormat.ago(Duration.ofSeconds(65)));
        assertEquals("2 hours, 1 second ago", StatusFormat.ago(Duration.ofSeconds(7201)));
        assertEquals("just now", StatusFormat.ago(Duration.ofSeconds(-3)), "a clock step backwards is not 'in the future'");
    }

    @Test
    void peerLineNamesTheRemoteSite() {
        Instant now = Instant.ofEpochSecond(1_700_000_010);
        PeerStatus p = new PeerStatus(Key.zero(), Optional.of("203.0.113.2:51820"), Optional.of(now.minusSeconds(3)),
                720_000, 32L << 20, 25, List.of());
        assertEquals("office-b: endpoint 203.0.113.2:51820, latest handshake 3 seconds ago, transfer 703.13 KiB received, "
                + "32.00 MiB sent", StatusFormat.peerLine("office-b", p, now));
        PeerStatus fresh = new PeerStatus(Key.zero(), Optional.empty(), Optional.empty(), 0, 0, 0, List.of());
        assertEquals("office-b: endpoint (none yet), latest handshake never, transfer 0 B received, 0 B sent",
                StatusFormat.peerLine("office-b", fresh, now));
    }
}
