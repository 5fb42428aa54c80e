package sitelink.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.security.SecureRandom;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import sitelink.tunnel.Clock;

class WarmUpTest {
    @Test
    void eachRoundCompletesAHandshakeAndARekeyAndDeliversEveryPacket() {
        WarmUp.Report r = WarmUp.run(3, Long.MAX_VALUE, new FakeClock(), new SecureRandom());
        assertEquals(3, r.rounds());
        assertEquals(6, r.handshakes(), "the first handshake and the rekey of each round complete");
        // per round: 1 + 16 * 4 + 1 + 2 packets sent, all delivered (keepalives are not packets)
        assertEquals(3 * 68, r.packets());
    }

    @Test
    void startsNoRoundOnceItsBudgetIsSpent() {
        // A clock a second further on at every reading: the budget of 1.5 s is spent after the first round.
        Clock ticking = new Clock() {
            long t;

            @Override
            public long nanoTime() {
                return t += 1_000_000_000L;
            }

            @Override
            public Instant now() {
                return Instant.parse("2026-01-01T00:00:00Z");
            }
        };
        assertEquals(1, WarmUp.run(1_000, 1_500_000_000L, ticking, new SecureRandom()).rounds());
        assertEquals(0, WarmUp.run(1_000, 0, new FakeClock(), new SecureRandom()).rounds());
    }
}
