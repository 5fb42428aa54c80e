package sitelink.cli;

import java.lang.invoke.MethodHandles;
import java.util.List;

/**
 * Initializes the FFM bindings a gateway needs (the TUN device, netlink, UDP sockets, signals, systemd's notify
 * socket) on a thread of its own while {@link WarmStart} runs on the main one (issue 15): their static initializers
 * make the downcall handles, for which the JDK generates a class per call shape, and no JDK 25 ahead-of-time cache holds
 * those; on a started gateway that was about 1.8 s of the launch (at load average 10) after the warm-up, now beside it
 * on the second core. Nothing is called: making a handle touches no file, socket or interface.
 */
final class NativePreload {
    private static final List<Class<?>> BINDINGS = List.of(sitelink.os.ffm.Libc.class, sitelink.os.tun.Tun.class,
            sitelink.os.socket.UdpSocket.class, sitelink.os.host.Netlink.class, sitelink.os.host.PathMtu.class,
            sitelink.os.process.Signals.class, sitelink.os.process.SdNotify.class);

    private NativePreload() {
    }

    /** Starts initializing the bindings; {@link #await} before the first of them is used (it would wait anyway). */
    static Thread start() {
        return Thread.ofPlatform().daemon().name("native-preload").start(() -> {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            for (Class<?> c : BINDINGS) {
                try {
                    lookup.ensureInitialized(c);
                } catch (IllegalAccessException | RuntimeException | LinkageError e) {
                    return; // the class initializes when first used and reports its failure there
                }
            }
        });
    }

    /** Waits for the preload to end. */
    static void await(Thread preload) {
        try {
            preload.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
