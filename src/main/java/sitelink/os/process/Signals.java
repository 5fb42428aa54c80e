package sitelink.os.process;

import sitelink.os.ffm.Libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import sun.misc.Signal;

/**
 * The signals a gateway obeys (HUP, INT, TERM), obeyed however it was started.
 *
 * <p>A process inherits ignored signals: {@code nohup} ignores SIGHUP, a non-interactive shell's {@code cmd &} ignores
 * SIGINT. The JVM then silently skips its own handler for them and {@link Signal#handle} registers a handler that is
 * never called, so {@code sitelink reload} would do nothing. Like Go's {@code signal.Notify} (which wireguard-go
 * uses), {@link #handle} first puts an ignored signal back to its default disposition, then installs the handler.
 */
public final class Signals {
    /** Linux signal numbers (the same on x86-64 and arm64). */
    private static final Map<String, Integer> NUMBERS = Map.of("HUP", 1, "INT", 2, "TERM", 15);
    /** struct sigaction: sa_handler first; 152 bytes on x86-64 and arm64 glibc, allocated with room to spare. */
    private static final int SIGACTION_SIZE = 256;
    private static final long SIG_DFL = 0, SIG_IGN = 1;
    private static final MethodHandle SIGACTION = Libc.function("sigaction",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

    private Signals() {
    }

    /** Runs {@code handler} (on the JVM's signal thread: keep it short) for each SIG{@code name}, even if inherited ignored. */
    public static void handle(String name, Runnable handler) {
        unignore(name);
        Signal.handle(new Signal(name), s -> handler.run());
    }

    /** True when SIG{@code name} is ignored in this process (the disposition, as /proc/PID/status SigIgn shows it). */
    public static boolean ignored(String name) {
        int signal = number(name);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(SIGACTION_SIZE, 8);
            int r = (int) SIGACTION.invokeExact(Libc.errnoState(), signal, MemorySegment.NULL, old);
            return r == 0 && old.get(JAVA_LONG, 0) == SIG_IGN;
        } catch (Throwable t) {
            throw new IllegalStateException("sigaction failed", t);
        }
    }

    /** Puts SIG{@code name} back to its default disposition if it is ignored; leaves any other disposition alone. */
    static void unignore(String name) {
        if (!ignored(name)) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dfl = arena.allocate(SIGACTION_SIZE, 8); // zeroed: SIG_DFL, empty mask, no flags
            dfl.set(JAVA_LONG, 0, SIG_DFL);
            int r = (int) SIGACTION.invokeExact(Libc.errnoState(), number(name), dfl, MemorySegment.NULL);
            if (r != 0) {
                throw new IllegalStateException("cannot reset SIG" + name + ": " + Libc.errnoName(Libc.errno(Libc.errnoState())));
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("sigaction failed", t);
        }
    }

    private static int number(String name) {
        Integer n = NUMBERS.get(name);
        if (n == null) {
            throw new IllegalArgumentException("not a signal sitelink handles: " + name);
        }
        return n;
    }
}
