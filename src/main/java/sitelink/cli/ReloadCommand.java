package sitelink.cli;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import sitelink.config.SiteFile;
import sitelink.gateway.Gateway;
import sitelink.os.Libc;

/** {@code sitelink reload FILE}: validates the changed file, then asks the running gateway to apply it (SIGHUP). */
@Command(name = "reload", mixinStandardHelpOptions = true,
        description = {"Check FILE, then tell the gateway running it ('sitelink up FILE') to apply it: remote sites that "
                + "did not change keep their tunnels. Same as sending the gateway SIGHUP (systemctl reload)."})
public final class ReloadCommand implements Callable<Integer> {
    private static final int SIGHUP = 1;
    private static final MethodHandle KILL = Libc.function("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    @Parameters(paramLabel = "FILE", description = "The site file the gateway runs.")
    Path file;

    @Override
    public Integer call() {
        SiteFile sf = SiteFile.load(file);
        sf.problems().forEach(System.err::println);
        if (sf.config().isEmpty()) {
            System.err.println("sitelink: " + file + " has errors; the running gateway was not changed");
            return 1;
        }
        String iface = sf.config().get().tunnel().name();
        Path pidFile = Gateway.pidFile(iface);
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).strip());
        } catch (NoSuchFileException e) {
            System.err.println("sitelink: no gateway is running for " + iface + " (no " + pidFile + "); start it with "
                    + "'sitelink up " + file + "'");
            return 1;
        } catch (IOException | NumberFormatException e) {
            System.err.println("sitelink: cannot read " + pidFile + ": " + e.getMessage());
            return 1;
        }
        int rc;
        try {
            rc = (int) KILL.invokeExact(Libc.errnoState(), (int) pid, SIGHUP);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc != 0) {
            System.err.println("sitelink: cannot signal the gateway (pid " + pid + "): "
                    + Libc.errnoName(Libc.errno(Libc.errnoState())) + "; is it still running?");
            return 1;
        }
        System.out.println("sitelink: asked the gateway for " + iface + " (pid " + pid + ") to reload " + file
                + "; its log says what changed");
        return 0;
    }
}
