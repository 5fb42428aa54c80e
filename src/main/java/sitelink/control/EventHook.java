package sitelink.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import sitelink.os.process.FileTrust;

/**
 * Runs the site's hook command for each event, like an updown script: no shell, the event in SITELINK_* environment
 * variables, its output in the log, killed if it runs longer than {@link #TIMEOUT}. It runs as root, so before each
 * run the hook must still be a file only root or we can change ({@link FileTrust}): {@code up} checked it at start,
 * but the gateway runs for months and the file may be handed to someone else or made writable meanwhile.
 */
public final class EventHook {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** How much of the hook's output the log keeps; the rest is read and dropped so the hook never blocks on it. */
    private static final int KEEP_OUTPUT = 4096;
    private static final System.Logger LOG = System.getLogger("sitelink.events");
    private final Path command;
    private final Duration timeout;

    public EventHook(Path command) {
        this(command, TIMEOUT);
    }

    EventHook(Path command, Duration timeout) {
        this.command = command;
        this.timeout = timeout;
    }

    /**
     * Runs the hook and waits for it, at most the timeout (the caller runs events on their own thread). The output
     * is read on its own thread: reading it here would wait for the end of the output, which a hanging hook (or a
     * child it left running) never writes, and the timeout would never apply.
     */
    public void run(TunnelEvent e) {
        Optional<String> distrust = distrust(command);
        if (distrust.isPresent()) {
            LOG.log(Level.WARNING, "event hook not run for the {0} event: {1}", e.kind().word, distrust.get());
            return;
        }
        ProcessBuilder pb = new ProcessBuilder(command.toString()).redirectErrorStream(true);
        // The SITELINK_* names are the event's alone: none inherited from whoever started the gateway.
        pb.environment().keySet().removeIf(k -> k.startsWith("SITELINK_"));
        pb.environment().putAll(e.variables());
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = Thread.ofVirtual().start(() -> drain(p.getInputStream(), out));
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                LOG.log(Level.WARNING, "event hook {0} ran longer than {1} s for the {2} event; it was killed",
                        command, timeout.toSeconds(), e.kind().word);
                return;
            }
            reader.join(1000);
            String text;
            synchronized (out) {
                text = out.toString(StandardCharsets.UTF_8).strip();
            }
            if (p.exitValue() != 0) {
                LOG.log(Level.WARNING, "event hook {0} exited with {1} for the {2} event{3}", command, p.exitValue(),
                        e.kind().word, text.isEmpty() ? "" : ": " + text);
            }
        } catch (IOException ex) {
            LOG.log(Level.WARNING, "event hook {0} could not run: {1}; check that it exists and is executable",
                    command, ex.getMessage());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /** Why {@code command} must not run as root now, if it must not. */
    static Optional<String> distrust(Path command) {
        try {
            return FileTrust.examine(command).doubts(FileTrust.currentUid()).stream().findFirst().map(FileTrust.Doubt::text);
        } catch (NoSuchFileException ex) {
            return Optional.of(command + " does not exist");
        } catch (IOException ex) {
            return Optional.of(command + ": cannot read its owner and mode (" + ex.getMessage() + ")");
        }
    }

    private static void drain(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[8192];
        try (in) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                synchronized (out) {
                    out.write(buf, 0, Math.max(0, Math.min(n, KEEP_OUTPUT - out.size())));
                }
            }
        } catch (IOException ignored) {
            // the hook was killed: its output ends here
        }
    }
}
