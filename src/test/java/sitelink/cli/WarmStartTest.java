package sitelink.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WarmStartTest {
    @Test
    void runsUnlessTheEnvironmentTurnsItOff() {
        assertTrue(WarmStart.enabled(null));
        assertTrue(WarmStart.enabled("on"));
        for (String off : new String[] {"off", "OFF", "0", "false", "no"}) {
            assertFalse(WarmStart.enabled(off), off);
        }
    }
}
