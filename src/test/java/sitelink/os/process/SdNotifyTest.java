package sitelink.os.process;

import sitelink.os.ffm.Libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** READY=1 reaches a Unix datagram socket the way systemd's NOTIFY_SOCKET receives it. */
class SdNotifyTest {
    private static final MethodHandle BIND = Libc.function("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECV = Libc.function("recv", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    @Test
    void sendsStateToNotifySocket(@TempDir Path dir) throws Throwable {
        Path sock = dir.resolve("notify");
        int fd = Libc.socket(1, 2, 0);
        assertTrue(fd >= 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment addr = arena.allocate(110);
            addr.set(JAVA_SHORT, 0, (short) 1);
            byte[] name = sock.toString().getBytes(StandardCharsets.UTF_8);
            MemorySegment.copy(name, 0, addr, JAVA_BYTE, 2, name.length);
            assertEquals(0, (int) BIND.invokeExact(Libc.errnoState(), fd, addr, 2 + name.length + 1));

            assertTrue(SdNotify.notify(sock.toString(), "READY=1"));

            MemorySegment buf = arena.allocate(64);
            long n = (long) RECV.invokeExact(Libc.errnoState(), fd, buf, 64L, 0x40 /* MSG_DONTWAIT */);
            assertEquals("READY=1", new String(buf.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8));
        } finally {
            Libc.close(fd);
            Files.deleteIfExists(sock);
        }
    }

    @Test
    void nothingToDoWithoutASocket(@TempDir Path dir) {
        assertFalse(SdNotify.notify(dir.resolve("absent").toString(), "READY=1"));
    }
}
