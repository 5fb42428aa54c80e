package sitelink.os.tun;

import sitelink.os.ffm.Libc;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Whether a thread of this process is blocked in a system call, as the kernel reports it: /proc/self/task/TID/syscall
 * holds the call's number and arguments while the thread sleeps in one ("running" otherwise). A test waits for it
 * before it acts on a reader (closes its socket, deletes its link), so the test is about a blocked reader, not about
 * one that may not have started reading yet.
 */
final class BlockedThread {
    private BlockedThread() {
    }

    /** The kernel's id of the calling thread (for {@link #await}); a platform thread keeps it for its life. */
    static int gettid() {
        return Libc.gettid();
    }

    /** Waits until thread {@code tid} sleeps in a system call whose first argument is {@code firstArgument}. */
    static void await(int tid, long firstArgument, Duration timeout) throws IOException {
        Path task = Path.of("/proc/self/task", Integer.toString(tid));
        long deadline = System.nanoTime() + timeout.toNanos();
        String syscall = "";
        while (System.nanoTime() < deadline) {
            syscall = Files.readString(task.resolve("syscall")).strip();
            String[] f = syscall.split(" ");
            if (f.length > 2 && !f[0].equals("-1") && Long.parseUnsignedLong(f[1].substring(2), 16) == firstArgument
                    && sleeping(task)) {
                return;
            }
            try {
                Thread.sleep(1); // the pause between two looks, not the wait itself
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        fail("thread " + tid + " did not block in a system call whose first argument is " + firstArgument
                + " within " + timeout.toMillis() + " ms; last seen: " + syscall);
    }

    /** State S in /proc/.../stat: an interruptible sleep, as a blocking read or poll waits. */
    private static boolean sleeping(Path task) throws IOException {
        String stat = Files.readString(task.resolve("stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2) == 'S';
    }
}
