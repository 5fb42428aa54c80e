package sitelink.testbed;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where namespaces come from, and how they are named and cleaned up. Two kinds:
 * <ul>
 * <li>{@link #unique}: for tests. Every namespace is named {@code PREFIX-PID-N-ROLE} (this JVM's PID and a counter), so
 * test runs on one machine never meet; each logs its commands and its processes' output under
 * {@code LOGROOT/NAME/}; a JVM shutdown hook closes whatever a crashed test left open.</li>
 * <li>{@link #fixed}: for {@code sitelink demo}. Names are {@code PREFIX-ROLE}, so another run (or {@code --down})
 * finds them; nothing is logged and nothing is closed at exit (a kept demo outlives the JVM).</li>
 * </ul>
 * The topologies built on it ({@link Offices}, {@link PointToPoint}) and {@link Veth} use only addresses from
 * 198.18.0.0/15, 198.51.100.0/24 and 203.0.113.0/24, and create every interface inside a namespace: the root
 * namespace is never changed.
 */
public final class Testbed {
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final Set<Namespace> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(Namespace::close), "testbed-cleanup"));
    }

    private final String prefix;
    private final boolean unique;
    private final Path logRoot;
    private final Path directory;

    private Testbed(String prefix, boolean unique, Path logRoot, Path directory) {
        this.prefix = prefix;
        this.unique = unique;
        this.logRoot = logRoot;
        this.directory = directory;
    }

    /**
     * Unique names {@code PREFIX-PID-N-ROLE}; commands and process output logged under {@code logRoot} (null: not
     * logged, and {@link Namespace#start(String...)} is unavailable); processes run in {@code directory} (null: ours).
     */
    public static Testbed unique(String prefix, Path logRoot, Path directory) {
        return new Testbed(prefix, true, logRoot, directory);
    }

    /** Unique names {@code PREFIX-PID-N-ROLE}, nothing logged (the os tests: only {@code ip} and {@link Namespace#call}). */
    public static Testbed unique(String prefix) {
        return unique(prefix, null, null);
    }

    /** Fixed names {@code PREFIX-ROLE}, nothing logged, nothing removed at exit. */
    public static Testbed fixed(String prefix) {
        return new Testbed(prefix, false, null, null);
    }

    /** The name {@link #namespace} gives a role now (for a unique test bed, the next one). */
    public String name(String role) {
        return unique ? prefix + "-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet() + "-" + role
                : prefix + "-" + role;
    }

    /** Creates a namespace for {@code role} ("a", "gwa", "wan"...), loopback up; {@link Command.Failed} if it cannot. */
    public Namespace namespace(String role) {
        String name = name(role);
        Namespace ns = new Namespace(name, logRoot == null ? null : logRoot.resolve(name), directory,
                unique ? OPEN::remove : closed -> { });
        ns.create();
        if (unique) {
            OPEN.add(ns);
        }
        return ns;
    }
}
