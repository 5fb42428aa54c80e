package sitelink.control;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs the site's hook command for each event, like an updown script: no shell, the event in SITELINK_* environment
 * variables, its output in the log, killed if it runs longer than {@link #TIMEOUT_SECONDS}.
 */
public final class EventHook {
    static final int TIMEOUT_SECONDS = 30;
    private static final System.Logger LOG = System.getLogger("sitelink.events");
    private final Path command;

    public EventHook(Path command) {
        this.command = command;
    }

    /** Runs the hook and waits for it (the caller runs events on their own thread). */
    public void run(TunnelEvent e) {
        ProcessBuilder pb = new ProcessBuilder(command.toString()).redirectErrorStream(true);
        pb.environment().putAll(e.variables());
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8).strip();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                LOG.log(Level.WARNING, "event hook {0} ran longer than {1} s for the {2} event; it was killed",
                        command, TIMEOUT_SECONDS, e.kind().word);
                return;
            }
            if (p.exitValue() != 0) {
                LOG.log(Level.WARNING, "event hook {0} exited with {1} for the {2} event{3}", command, p.exitValue(),
                        e.kind().word, out.isEmpty() ? "" : ": " + out);
            }
        } catch (IOException ex) {
            LOG.log(Level.WARNING, "event hook {0} could not run: {1}; check that it exists and is executable",
                    command, ex.getMessage());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
