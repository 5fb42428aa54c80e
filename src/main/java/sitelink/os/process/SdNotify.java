package sitelink.os.process;

import sitelink.os.ffm.Libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * systemd's readiness protocol (sd_notify(3)): a datagram such as {@code READY=1} to the AF_UNIX socket named in
 * NOTIFY_SOCKET. The JDK has no Unix datagram sockets, so this goes through FFM. Without NOTIFY_SOCKET it does nothing.
 */
public final class SdNotify {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SUN_PATH = 108;
    private static final MethodHandle SENDTO = Libc.function("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));

    private SdNotify() {
    }

    /** Sends {@code state} (e.g. "READY=1", "STOPPING=1", "RELOADING=1") when run under systemd; true if sent. */
    public static boolean notify(String state) {
        String path = System.getenv("NOTIFY_SOCKET");
        return path != null && !path.isEmpty() && notify(path, state);
    }

    /** Sends {@code state} to the notification socket at {@code path} ('@' first: abstract namespace). */
    public static boolean notify(String path, String state) {
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH) {
            return false;
        }
        boolean abstractName = name[0] == '@';
        if (abstractName) {
            name[0] = 0; // Linux abstract namespace: a leading NUL instead of '@'
        }
        int fd = Libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment addr = arena.allocate(2 + SUN_PATH);
            addr.set(JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(name, 0, addr, JAVA_BYTE, 2, name.length);
            int addrLen = 2 + name.length + (abstractName ? 0 : 1);
            MemorySegment msg = arena.allocateFrom(state, StandardCharsets.UTF_8);
            long sent = (long) SENDTO.invokeExact(Libc.errnoState(), fd, msg, msg.byteSize() - 1, 0, addr, addrLen);
            return sent >= 0;
        } catch (Throwable t) {
            return false;
        } finally {
            Libc.close(fd);
        }
    }
}
