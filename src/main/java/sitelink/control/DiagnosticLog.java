package sitelink.control;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import sitelink.crypto.Key;
import sitelink.device.Diagnostic;
import sitelink.tunnel.Drop;
import sitelink.tunnel.Clock;

/**
 * Logs each failure class at most once per interval per peer (or per source address when no peer is known), in
 * plain words with cause and remedy, and says how many were left out. A flood of bad datagrams thus costs a map
 * lookup each, not a log line each.
 */
public final class DiagnosticLog implements Diagnostic.Listener {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(60);
    private static final System.Logger LOG = System.getLogger("sitelink.diagnose");
    /** Bounds the memory a spoofed-source flood can take; past it, new keys share one slot. */
    private static final int MAX_KEYS = 4096;

    /** Where the lines go; the default is the logger, tests collect them. */
    @FunctionalInterface
    public interface Sink {
        void write(Level level, String line);
    }

    private record Slot(long lastNanos, long suppressed) {
    }

    private final Clock clock;
    private final long intervalNanos;
    private final Function<Key, String> names;
    private final Supplier<Optional<Key>> ourPublicKey;
    private final Sink sink;
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();

    public DiagnosticLog(Clock clock, Duration interval, Function<Key, String> names, Supplier<Optional<Key>> ourPublicKey,
                         Sink sink) {
        this.clock = clock;
        this.intervalNanos = interval.toNanos();
        this.names = names;
        this.ourPublicKey = ourPublicKey;
        this.sink = sink;
    }

    /** Writes to the {@code sitelink.diagnose} logger. */
    public DiagnosticLog(Clock clock, Function<Key, String> names, Supplier<Optional<Key>> ourPublicKey) {
        this(clock, DEFAULT_INTERVAL, names, ourPublicKey, (level, line) -> LOG.log(level, line));
    }

    @Override
    public void diagnose(Diagnostic d) {
        String who = d.peer().map(Key::toBase64)
                .orElseGet(() -> d.source().map(s -> s.getAddress().getHostAddress()).orElse("?"));
        String key = slots.size() >= MAX_KEYS ? d.reason().reasonName() : d.reason().reasonName() + "|" + who;
        long now = clock.nanoTime();
        long[] suppressed = {-1};
        slots.compute(key, (k, s) -> {
            if (s == null || now - s.lastNanos() >= intervalNanos) {
                suppressed[0] = s == null ? 0 : s.suppressed();
                return new Slot(now, 0);
            }
            return new Slot(s.lastNanos(), s.suppressed() + 1);
        });
        if (suppressed[0] < 0) {
            return;
        }
        String name = d.peer().map(names).orElse("");
        String line = Explain.sentence(d, name, ourPublicKey.get());
        if (suppressed[0] > 0) {
            line += " (" + suppressed[0] + " more like it since the last report)";
        }
        sink.write(level(d.reason()), line);
    }

    private static Level level(Drop reason) {
        return switch (reason) {
            case REPLAY, KEYPAIR_EXPIRED, UNKNOWN_INDEX, FILTERED -> Level.INFO;
            default -> Level.WARNING;
        };
    }
}
