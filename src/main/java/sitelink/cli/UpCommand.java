package sitelink.cli;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import sitelink.config.ConfigProblem;
import sitelink.config.SiteConfig;
import sitelink.config.SiteFile;
import sitelink.config.SystemChecks;
import sitelink.gateway.Gateway;
import sitelink.gateway.GatewayException;
import sitelink.os.process.SdNotify;
import sitelink.os.process.Signals;

/**
 * {@code sitelink up FILE}: the site's gateway in the foreground, ready for systemd (Type=notify). SIGHUP or
 * {@code sitelink reload} applies a changed file; SIGTERM/SIGINT remove everything it added.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Run the site's gateway from its site file (YAML, or a wg-quick .conf) in the foreground.",
                "Creates the tunnel interface, assigns its addresses, routes every remote subnet into it and turns on "
                        + "forwarding; on SIGTERM/SIGINT removes exactly what it added. SIGHUP reloads the file.",
                "Validates the file and this machine first (as 'sitelink check'): a bad file changes nothing."})
public final class UpCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("sitelink.gateway");

    @Mixin
    LogOptions log;

    @Parameters(paramLabel = "FILE", description = "The site file.")
    Path file;

    @Override
    public Integer call() throws Exception {
        Optional<SiteConfig> config = checked(file);
        if (config.isEmpty()) {
            return 1;
        }
        log.configure(config.get().name());
        return serve(file, config.get(), Companion.NONE);
    }

    /**
     * The file's configuration when it and this machine pass the checks of {@code sitelink check}; every problem is
     * printed on stderr, and with an error "nothing was changed".
     */
    static Optional<SiteConfig> checked(Path file) {
        SiteFile sf = SiteFile.load(file);
        List<ConfigProblem> problems = new ArrayList<>(sf.problems());
        problems.addAll(SystemChecks.run(sf));
        problems.forEach(p -> System.err.println(p));
        if (problems.stream().anyMatch(ConfigProblem::isError) || sf.config().isEmpty()) {
            System.err.println("sitelink: " + file + " has errors; nothing was changed");
            return Optional.empty();
        }
        return sf.config();
    }

    /** What a command that runs a gateway does beside it ({@code sitelink agent}: follow etcd). */
    interface Companion {
        Companion NONE = new Companion() {
        };

        /** The gateway is up. */
        default void started(Gateway gateway) {
        }

        /** SIGHUP (systemctl reload). */
        default void reload(Gateway gateway) {
            gateway.reload();
        }

        /** The gateway is about to close. */
        default void stopping() {
        }
    }

    /**
     * Runs the gateway for {@code file} until SIGTERM/SIGINT (exit 0) or until its interface goes away (exit 1), as
     * systemd's Type=notify service; {@code companion} is told when it started, reloads and stops.
     */
    static int serve(Path file, SiteConfig config, Companion companion) throws InterruptedException {
        // SIGTERM (systemctl stop) and SIGINT (Ctrl-C) are ours, not the JVM's: its default runs shutdown hooks
        // concurrently with java.util.logging's own, which drops the teardown's log lines (a route that could not be
        // removed would go unreported), and ends with exit status 143, which systemd counts as a failure. Installed
        // before the first change, so a signal during start still tears down what start added.
        CountDownLatch stop = new CountDownLatch(1);
        AtomicReference<String> stoppedBy = new AtomicReference<>();
        for (String name : List.of("TERM", "INT")) {
            Signals.handle(name, () -> {
                stoppedBy.compareAndSet(null, "SIG" + name);
                stop.countDown();
            });
        }
        Thread preload = NativePreload.start(); // the FFM bindings on the second core, beside the warm-up
        WarmStart.run(LOG); // before the tunnel exists and READY=1: its first packets meet compiled code
        NativePreload.await(preload);
        Gateway gateway;
        try {
            gateway = Gateway.start(file, config);
        } catch (GatewayException e) {
            System.err.println("sitelink: site " + config.name() + " did not start: " + e.getMessage()
                    + "; nothing was left changed");
            return 1;
        }
        Signals.handle("HUP", () -> Thread.ofPlatform().name("reload").start(() -> {
            SdNotify.notify("RELOADING=1");
            companion.reload(gateway);
            SdNotify.notify("READY=1");
        }));
        // A safety net for any other way the JVM exits (System.exit elsewhere); close() runs once.
        Runtime.getRuntime().addShutdownHook(new Thread(gateway::close, "shutdown"));
        Thread.ofPlatform().name("device-watch").daemon(true).start(() -> {
            try {
                gateway.awaitStop();
            } catch (InterruptedException e) {
                return;
            }
            stop.countDown();
        });
        companion.started(gateway);
        SdNotify.notify("READY=1\nSTATUS=site " + config.name() + " up on " + config.tunnel().name());
        stop.await();
        SdNotify.notify("STOPPING=1");
        String signal = stoppedBy.get();
        LOG.log(Level.INFO, "stopping site {0} ({1})", config.name(),
                signal != null ? signal : "the tunnel interface went away");
        companion.stopping();
        gateway.close();
        // Stopped by a signal: a clean exit. The device died under us (interface deleted): a failure, so that
        // systemd's Restart=on-failure brings the site back.
        return signal != null ? 0 : 1;
    }
}
