package sitelink.os.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * wireguard-go-style detaching for {@code sitelink device IFACE} without {@code -f}: the command re-executes itself
 * in a new session ({@code setsid}) with {@code WG_PROCESS_FOREGROUND=1}, waits until the child's UAPI socket
 * answers, and exits 0 — or prints what the child said and exits 1. wg-quick relies on exactly this: when the
 * command returns, the interface exists and {@code wg setconf} can talk to it.
 *
 * <p>Like wireguard-go, the child's output is discarded unless {@code LOG_LEVEL} is set (and not "silent"), in
 * which case it keeps the parent's stdout and stderr. Until it is ready, its output also flows to the parent,
 * so a start-up error reaches the user.
 */
public final class Daemon {
    /** Set to 1 in the child; wireguard-go reads the same variable. */
    public static final String FOREGROUND_ENV = "WG_PROCESS_FOREGROUND";
    /** How long a failed child's last output may take to arrive: its pipe closes at its exit, unless it left heirs. */
    private static final Duration OUTPUT_END = Duration.ofSeconds(2);

    private Daemon() {
    }

    /** How the detach went. {@code pid} is the child's (also when it failed), {@code message} is for the user. */
    public record Outcome(boolean ready, long pid, String message) {
        public int exitCode() {
            return ready ? 0 : 1;
        }
    }

    /** True when this process should stay in the foreground: {@code -f} was given, or it is the detached child. */
    public static boolean foreground(boolean foregroundFlag) {
        return foregroundFlag || "1".equals(System.getenv(FOREGROUND_ENV));
    }

    /** This JVM's command line (the java executable and every argument after it), to run again. */
    public static List<String> selfCommand() {
        ProcessHandle.Info info = ProcessHandle.current().info();
        String java = info.command().orElseThrow(() -> new IllegalStateException("cannot tell which java runs us"));
        String[] args = info.arguments().orElseThrow(() -> new IllegalStateException("cannot read our arguments"));
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Detaches a copy of this process, prints the outcome's message to {@code err} and returns the exit code. */
    public static int detachSelf(Path uapiSocket, PrintStream err) {
        Outcome o = detach(selfCommand(), uapiSocket, Duration.ofSeconds(30));
        if (!o.message().isEmpty()) {
            err.println(o.message());
        }
        return o.exitCode();
    }

    /**
     * Starts {@code command} in its own session and waits until a UAPI server answers {@code get=1} on
     * {@code uapiSocket}, the child exits, or {@code timeout} passes (then the child is sent SIGTERM).
     */
    public static Outcome detach(List<String> command, Path uapiSocket, Duration timeout) {
        String level = System.getenv("LOG_LEVEL");
        boolean inheritOutput = level != null && !level.isEmpty() && !level.equals("silent");
        List<String> cmd = new ArrayList<>(List.of("setsid"));
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put(FOREGROUND_ENV, "1");
        if (inheritOutput) {
            pb.redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT);
        } else {
            // A pipe we read until the child is ready; afterwards its writes fail quietly (EPIPE), like /dev/null.
            pb.redirectErrorStream(true);
        }
        Process child;
        try {
            child = pb.start();
        } catch (IOException e) {
            return new Outcome(false, -1, "cannot start the background process: " + e.getMessage());
        }
        ByteArrayOutputStream early = new ByteArrayOutputStream();
        Thread drainer = inheritOutput ? null
                : Thread.ofPlatform().daemon().name("daemon-output").start(() -> drain(child.getInputStream(), early));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (answers(uapiSocket)) {
                return new Outcome(true, child.pid(), "");
            }
            try {
                if (child.waitFor(100, TimeUnit.MILLISECONDS)) {
                    return new Outcome(false, child.pid(),
                            failure(early, drainer, "exited with status " + child.exitValue()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                child.destroy();
                return new Outcome(false, child.pid(), "interrupted while waiting for the background process");
            }
        }
        child.destroy();
        return new Outcome(false, child.pid(),
                failure(early, drainer,
                        "did not answer on " + uapiSocket + " within " + timeout.toSeconds() + " s; stopped it"));
    }

    /** The message for a child that failed, with what it printed: its last lines are read once its output ends. */
    private static String failure(ByteArrayOutputStream early, Thread drainer, String what) {
        try {
            if (drainer != null) {
                drainer.join(OUTPUT_END); // ends when the child's end of the pipe closes: at its exit
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String out;
        synchronized (early) {
            out = early.toString(StandardCharsets.UTF_8).strip();
        }
        return "the background process " + what + (out.isEmpty() ? "" : ":\n" + out);
    }

    private static void drain(InputStream in, ByteArrayOutputStream sink) {
        byte[] buf = new byte[4096];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (sink) {
                    if (sink.size() < 64 * 1024) {
                        sink.write(buf, 0, n);
                    }
                }
            }
        } catch (IOException e) {
            // the child closed its end
        }
    }

    /** True when a server on {@code socket} answers {@code get=1} with {@code errno=0} within a second. */
    static boolean answers(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        CompletableFuture<Boolean> probe = new CompletableFuture<>();
        java.util.concurrent.atomic.AtomicReference<SocketChannel> holder = new java.util.concurrent.atomic.AtomicReference<>();
        Thread.ofVirtual().start(() -> {
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                holder.set(c);
                c.connect(UnixDomainSocketAddress.of(socket));
                ByteBuffer req = ByteBuffer.wrap("get=1\n\n".getBytes(StandardCharsets.US_ASCII));
                while (req.hasRemaining()) {
                    c.write(req);
                }
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(4096);
                while (c.read(buf) > 0) {
                    got.write(buf.array(), 0, buf.position());
                    buf.clear();
                    String s = got.toString(StandardCharsets.US_ASCII);
                    if (s.endsWith("\n\n")) {
                        probe.complete(s.endsWith("errno=0\n\n"));
                        return;
                    }
                }
                probe.complete(false);
            } catch (IOException e) {
                probe.complete(false);
            }
        });
        try {
            return probe.get(1, TimeUnit.SECONDS);
        } catch (Exception e) {
            SocketChannel c = holder.get();
            if (c != null) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // closing only to unblock the probe
                }
            }
            return false;
        }
    }
}
