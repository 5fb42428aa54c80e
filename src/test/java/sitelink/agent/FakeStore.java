package sitelink.agent;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * etcd in memory, on a {@link FakeAgentClock}: keys with revisions, leases that expire when not renewed, watches, and
 * an etcd that cannot be reached ({@link #reachable}) or does not answer at all ({@link #hang()}). It notes every call
 * with its time, for tests to check what the agent asked and when.
 */
final class FakeStore implements Store {
    /** One call from the agent: what, and when (time since the clock was made). */
    record Call(String what, Duration at, boolean answered) {
    }

    private record Watcher(Runnable onChange, Consumer<Throwable> onError) {
    }

    private final FakeAgentClock clock;
    private final Map<String, String> values = new TreeMap<>();
    private final Map<String, Long> leaseOf = new HashMap<>();
    private final Map<Long, Long> expiresAt = new HashMap<>();
    private final List<Watcher> watchers = new ArrayList<>();
    private final List<Call> calls = new ArrayList<>();
    private final List<Duration> revokeTimeouts = new ArrayList<>();
    private long revision = 1;
    private long nextLease = 0x7a00;
    private boolean reachable = true;
    private boolean hanging;
    private int waiting;
    private int interrupted;
    private Thread caller;

    FakeStore(FakeAgentClock clock) {
        this.clock = clock;
    }

    // What the tests do (as another etcd client, or as the network).

    /** Writes {@code key} as another client would (no lease); the agent's watch hears of it when it is connected. */
    void put(String key, String value) {
        List<Watcher> told;
        synchronized (this) {
            values.put(key, value);
            leaseOf.remove(key);
            revision++;
            told = reachable ? List.copyOf(watchers) : List.of();
        }
        told.forEach(w -> w.onChange().run());
    }

    /** etcd (or the path to it) goes away or comes back: while away, every call fails at once. */
    synchronized void reachable(boolean r) {
        reachable = r;
    }

    /** From now on a call waits until it is interrupted, as one to an address that drops everything does. */
    synchronized void hang() {
        hanging = true;
    }

    /** Ends every watch, as when the member serving them goes away. */
    void endWatches(Throwable why) {
        List<Watcher> ended;
        synchronized (this) {
            ended = List.copyOf(watchers);
            watchers.clear();
        }
        ended.forEach(w -> w.onError().accept(why));
    }

    synchronized Optional<String> get(String key) {
        expire();
        return Optional.ofNullable(values.get(key));
    }

    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    synchronized List<Call> calls(String what) {
        return calls.stream().filter(c -> c.what().equals(what)).toList();
    }

    synchronized int watchers() {
        return watchers.size();
    }

    synchronized List<Duration> revokeTimeouts() {
        return List.copyOf(revokeTimeouts);
    }

    /** Waits (real time, bounded) until a call hangs. */
    synchronized void awaitHangingCall() throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (waiting == 0) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no call hangs");
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** etcd forgets every lease, and the keys attached to them go (a restore from a backup, say). */
    synchronized void revokeAll() {
        List.copyOf(expiresAt.keySet()).forEach(l -> {
            expiresAt.remove(l);
            dropKeysOf(l);
        });
    }

    /** The thread of the last call is still running. */
    synchronized boolean callerAlive() {
        return caller != null && caller.isAlive();
    }

    synchronized int interrupted() {
        return interrupted;
    }

    // The Store, as the agent sees it.

    @Override
    public synchronized Snapshot read() throws IOException {
        answer("read");
        Optional<String> topology = Optional.ofNullable(values.get(Etcd.TOPOLOGY_KEY));
        Map<String, String> sites = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(Etcd.SITES)) {
                sites.put(k.substring(Etcd.SITES.length()), v);
            }
        });
        return new Snapshot(revision, topology, sites);
    }

    @Override
    public synchronized long grant(Duration ttl) throws IOException {
        answer("grant");
        long id = nextLease++;
        expiresAt.put(id, clock.nanoTime() + ttl.toNanos());
        return id;
    }

    @Override
    public void put(String key, String value, long lease) throws IOException {
        List<Watcher> told;
        synchronized (this) {
            answer("put");
            if (!expiresAt.containsKey(lease)) {
                throw new IOException("etcdserver: requested lease not found");
            }
            values.put(key, value);
            leaseOf.put(key, lease);
            revision++;
            told = List.copyOf(watchers);
        }
        told.forEach(w -> w.onChange().run());
    }

    @Override
    public synchronized boolean keepAlive(long lease) throws IOException {
        answer("keepAlive");
        if (!expiresAt.containsKey(lease)) {
            return false;
        }
        expiresAt.put(lease, clock.nanoTime() + Agent.LEASE_TTL.toNanos());
        return true;
    }

    @Override
    public synchronized void revoke(long lease, Duration timeout) throws IOException {
        revokeTimeouts.add(timeout);
        answer("revoke");
        expiresAt.remove(lease);
        dropKeysOf(lease);
    }

    @Override
    public synchronized AutoCloseable watch(long rev, Runnable onChange, Consumer<Throwable> onError) throws IOException {
        answer("watch");
        Watcher w = new Watcher(onChange, onError);
        watchers.add(w);
        return () -> {
            synchronized (FakeStore.this) {
                watchers.remove(w);
            }
        };
    }

    @Override
    public void close() {
    }

    /** Notes the call; fails it when etcd cannot be reached, or holds it until interrupted. Holds the lock. */
    private void answer(String what) throws IOException {
        caller = Thread.currentThread();
        expire();
        if (hanging) {
            calls.add(new Call(what, clock.elapsed(), false));
            waiting++;
            notifyAll();
            try {
                while (true) {
                    wait();
                }
            } catch (InterruptedException e) {
                interrupted++;
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            } finally {
                waiting--;
            }
        }
        calls.add(new Call(what, clock.elapsed(), reachable));
        if (!reachable) {
            throw new IOException("UNAVAILABLE: io exception");
        }
    }

    /** Leases not renewed within their time end, and their keys with them. */
    private void expire() {
        long now = clock.nanoTime();
        List<Long> ended = expiresAt.entrySet().stream().filter(e -> e.getValue() - now <= 0).map(Map.Entry::getKey)
                .toList();
        ended.forEach(l -> {
            expiresAt.remove(l);
            dropKeysOf(l);
        });
    }

    private void dropKeysOf(long lease) {
        List<String> keys = leaseOf.entrySet().stream().filter(e -> e.getValue() == lease).map(Map.Entry::getKey).toList();
        keys.forEach(k -> {
            values.remove(k);
            leaseOf.remove(k);
            revision++;
        });
    }
}
