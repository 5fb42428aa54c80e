package sitelink.os.process;

import sitelink.os.ffm.Libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A gateway started with SIGHUP ignored (nohup, some supervisors) must still reload on SIGHUP. The test makes this
 * JVM ignore SIGHUP the way an inherited disposition would, then handles it and sends it to itself.
 */
class SignalsTest {
    private static final MethodHandle SIGACTION = Libc.function("sigaction",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle KILL = Libc.function("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    private static void ignore(int signal) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ign = arena.allocate(256, 8);
            ign.set(JAVA_LONG, 0, 1L); // SIG_IGN
            assertEquals(0, (int) SIGACTION.invokeExact(Libc.errnoState(), signal, ign, MemorySegment.NULL));
        }
    }

    @Test
    void aSignalInheritedIgnoredIsHandledAnyway() throws Throwable {
        ignore(1);
        assertTrue(Signals.ignored("HUP"), "SIGHUP now ignored, as under nohup");
        CountDownLatch got = new CountDownLatch(1);
        Signals.handle("HUP", got::countDown);
        assertFalse(Signals.ignored("HUP"));
        int self = (int) ProcessHandle.current().pid();
        assertEquals(0, (int) KILL.invokeExact(Libc.errnoState(), self, 1));
        assertTrue(got.await(10, TimeUnit.SECONDS), "the handler ran for the SIGHUP");
    }

    @Test
    void onlyTheGatewaysSignalsAreKnown() {
        assertThrows(IllegalArgumentException.class, () -> Signals.handle("KILL", () -> { }));
    }
}
