package sitelink.cli;

import java.lang.System.Logger.Level;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sitelink.device.Device;
import sitelink.os.process.Daemon;
import sitelink.os.process.Signals;
import sitelink.os.tun.Tun;
import sitelink.uapi.UapiServer;
import sitelink.tunnel.Clock;

/**
 * {@code sitelink device [-f] IFACE}: a userspace WireGuard device managed by {@code wg}, a drop-in for
 * {@code wireguard-go [-f] IFACE}. Without -f it detaches once the interface and its UAPI socket are ready.
 */
@Command(name = "device", mixinStandardHelpOptions = true,
        description = {"Create the TUN interface IFACE and serve the WireGuard userspace API on "
                + "/var/run/wireguard/IFACE.sock, like wireguard-go. Configure it with wg(8) or wg-quick(8).",
                "Ends on SIGTERM/SIGINT or when the interface is deleted."})
public final class DeviceCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("sitelink.device");
    /** wireguard-go's default MTU for a new interface; wg-quick sets its own. */
    static final int DEFAULT_MTU = 1420;

    @Option(names = {"-f", "--foreground"}, description = "Stay in the foreground (do not detach).")
    boolean foreground;

    @Mixin
    LogOptions log;

    @Parameters(paramLabel = "IFACE", description = "Interface name (at most 15 characters).")
    String iface;

    @Override
    public Integer call() throws Exception {
        if (!Daemon.foreground(foreground)) {
            return Daemon.detachSelf(UapiServer.DEFAULT_DIRECTORY.resolve(iface + ".sock"), System.err);
        }
        log.configure(iface);
        Thread preload = NativePreload.start(); // the FFM bindings on the second core, beside the warm-up
        WarmStart.run(LOG); // before the interface and its UAPI socket exist: wg configures a warm device
        NativePreload.await(preload);
        Tun tun;
        try {
            tun = Tun.open(iface);
            tun.setMtu(DEFAULT_MTU);
        } catch (java.io.IOException e) {
            System.err.println("sitelink: cannot create interface " + iface + ": " + e.getMessage());
            return 1;
        }
        Device device = new Device(tun.name(), tun, Clock.SYSTEM);
        device.setDiagnosticListener(new sitelink.control.DiagnosticLog(Clock.SYSTEM, k -> "",
                () -> device.status().publicKey()));
        UapiServer uapi;
        try {
            uapi = new UapiServer(tun.name(), device);
            uapi.start();
        } catch (java.io.IOException e) {
            device.close();
            System.err.println("sitelink: cannot serve the UAPI socket for " + tun.name() + ": " + e.getMessage());
            return 1;
        }
        Thread hook = new Thread(() -> {
            LOG.log(Level.INFO, "Shutting down");
            uapi.close();
            device.close();
        }, "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        // The JVM's own SIGTERM/SIGINT handling (run the hook, exit 128+N), also when started with them ignored.
        Signals.handle("TERM", () -> System.exit(128 + 15));
        Signals.handle("INT", () -> System.exit(128 + 2));
        device.start();
        device.lowerCompilersWhenQuiet(); // after the warm-up, for this process's life
        device.awaitStop();
        uapi.close();
        return 0;
    }
}
