package sitelink.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sitelink.demo.Demo;
import sitelink.demo.Teardown;

/**
 * {@code sitelink demo}: the main job on an embedded default. Two offices in network namespaces, two site files, two
 * gateways, a ping and a transfer through the tunnel, the gateways' status, and everything removed again.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Show sitelink's main job on this machine (as root): builds Office A and Office B in network "
                + "namespaces (a LAN host and a gateway each, a WAN link between the gateways), writes their site files, "
                + "starts both gateways, pings and sends 32 MiB from host A to host B through the tunnel, prints both "
                + "gateways' status and removes everything. Nothing outside the namespaces sl-demo-* is changed."})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true)
    Mode mode = new Mode();

    static final class Mode {
        @Option(names = "--keep", description = "Leave the demo running and print how to look around and remove it.")
        boolean keep;

        @Option(names = "--down", description = "Remove a demo left running with --keep (or by a crash).")
        boolean down;
    }

    @Override
    public Integer call() {
        if (!isRoot()) {
            System.err.println("sitelink demo needs root (it creates network namespaces): run it with sudo");
            return 1;
        }
        if (mode.down) {
            return down();
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            System.err.println("sitelink demo: this machine has no /dev/net/tun; load the tun module (modprobe tun)");
            return 1;
        }
        try {
            Demo.checkNoneRunning();
        } catch (Demo.Failure e) {
            System.err.println("sitelink demo: " + e.getMessage());
            return 1;
        }
        Demo demo = new Demo(System.out, spec.root().commandLine().getParseResult().originalArgs());
        AtomicBoolean finished = new AtomicBoolean();
        CountDownLatch cleaned = new CountDownLatch(1);
        // Ctrl-C or SIGTERM: remove what exists; if the normal teardown is already under way, let it finish first.
        Thread hook = new Thread(() -> {
            if (finished.compareAndSet(false, true)) {
                System.out.println();
                demo.abort();
            } else {
                try {
                    cleaned.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException ignored) {
                    // exiting anyway
                }
            }
        }, "demo-interrupted");
        Runtime.getRuntime().addShutdownHook(hook);
        boolean kept = false;
        try {
            demo.run();
            if (mode.keep) {
                kept = true;
                demo.printKeepHints();
            }
            return 0;
        } catch (Demo.Failure e) {
            if (finished.get()) {
                return 130; // Ctrl-C: the hook cleans up and reports
            }
            System.out.flush();
            System.err.println("sitelink demo: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        } finally {
            if (finished.compareAndSet(false, true)) {
                if (!kept) {
                    demo.tearDown();
                }
                cleaned.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook waits for cleaned, which is now set
                }
            }
        }
    }

    private static int down() {
        if (!Teardown.anythingPresent()) {
            System.out.println("sitelink demo: no demo is running; nothing to remove");
            return 0;
        }
        Teardown.Report r = Teardown.run();
        r.done().forEach(d -> System.out.println("sitelink demo: " + d));
        r.problems().forEach(p -> System.err.println("sitelink demo: warning: " + p));
        return r.problems().isEmpty() ? 0 : 1;
    }

    private static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                    .anyMatch(l -> l.split("\\s+")[2].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }
}
