package sitelink.agent;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What the {@link Agent} needs from etcd: read everything under {@link Etcd#PREFIX}, hold its site's record under a
 * lease, and hear of changes. {@link Etcd} is the real one; the agent's tests use one in memory. Every call either
 * answers or fails with an {@link IOException} within a bounded time; the agent takes a failure as "etcd is
 * unreachable" (it keeps what runs and retries). A call is interrupted when the agent stops.
 */
public interface Store extends AutoCloseable {
    /** Everything under {@link Etcd#PREFIX} at one revision: the topology, if published, and the records by site. */
    record Snapshot(long revision, Optional<String> topology, Map<String, String> sites) {
        public Snapshot {
            sites = Map.copyOf(sites);
        }
    }

    Snapshot read() throws IOException;

    /** A new lease of {@code ttl}: its keys go when it is neither kept alive nor renewed for that long. */
    long grant(Duration ttl) throws IOException;

    /** Writes {@code value} at {@code key}, attached to {@code lease} (0: none, the key stays until overwritten). */
    void put(String key, String value, long lease) throws IOException;

    /** Renews {@code lease}; false when etcd no longer has it (it expired while etcd could not be reached). */
    boolean keepAlive(long lease) throws IOException;

    /** Ends {@code lease} and with it the keys attached to it, waiting at most {@code timeout} for the answer. */
    void revoke(long lease, Duration timeout) throws IOException;

    /**
     * Calls {@code onChange} for every change under {@link Etcd#PREFIX} after {@code revision}, and {@code onError}
     * when the watch ends (its revision compacted away, or the watch cancelled): then the caller reads everything
     * again. Closing the result ends the watch.
     */
    AutoCloseable watch(long revision, Runnable onChange, Consumer<Throwable> onError) throws IOException;

    @Override
    void close();
}
