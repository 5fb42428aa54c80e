package sitelink.agent;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import sitelink.files.AtomicFiles;

/**
 * {@code sitelink agent}: keeps one site's gateway in step with etcd. It publishes the site's {@link SiteRecord} under
 * a lease it keeps alive, watches everything under {@link Etcd#PREFIX}, and on every change reads it all again,
 * composes the site's file ({@link AgentFile}) and, when the text changed, writes it and has the gateway apply it by
 * difference ({@link sitelink.gateway.Gateway#reload()}, as {@code sitelink reload} does): links that did not
 * change keep their sessions. When etcd cannot be reached, nothing changes here (the tunnels carry on with what was
 * applied last); the agent says so once, retries with backoff, and on reconnecting reads everything again rather than
 * trusting the watch to have seen every change. It reaches etcd through a {@link Store} and tells time and waits by
 * an {@link AgentClock}, so its tests run it on a store in memory and a fake clock.
 */
public final class Agent implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("sitelink.agent");
    /** The site's record disappears this long after its agent stops renewing it. */
    static final Duration LEASE_TTL = Duration.ofSeconds(10);
    /** How often the lease is renewed; each renewal is also how the agent notices that etcd went away. */
    static final Duration KEEPALIVE_EVERY = Duration.ofSeconds(3);
    static final Duration BACKOFF_FIRST = Duration.ofMillis(500);
    static final Duration BACKOFF_MAX = Duration.ofSeconds(5);
    /**
     * How long a stopping agent waits for etcd to revoke its lease. It asks only when etcd answered within the
     * lease's time (else the record is gone or going anyway), so that a stop never waits out an unreachable etcd.
     */
    static final Duration REVOKE_TIMEOUT = Duration.ofSeconds(1);

    /** The gateway the agent keeps in step: it applies the file again, by difference ({@code Gateway.reload()}). */
    @FunctionalInterface
    public interface Target {
        /** The problems in applying the file (none when it applied cleanly). */
        List<String> reload();
    }

    private final Store store;
    private final AgentClock clock;
    private final String site;
    private final String siteFileText;
    private final SiteRecord record;
    private final Path applied;
    private final Object lock = new Object();
    private boolean changed;
    private boolean stopped;
    private Throwable watchError;
    /** The agent's thread is in a call to etcd, which {@link #close()} may interrupt (and nothing else it does). */
    private boolean calling;
    private Target gateway;
    private Thread thread;
    /** {@link #prepare} found etcd unreachable and said so. */
    private volatile boolean unreachableAtStart;
    /** When etcd last answered the agent's thread ({@link AgentClock#nanoTime()}); meaningful once it did. */
    private long lastAnswer;
    private boolean answered;
    private List<String> lastProblems = List.of();
    private List<String> lastNotes = List.of();

    /**
     * @param applied where the composed file is written (and read by the gateway): the agent's state, also what
     *                it starts from when etcd is unreachable at start
     */
    public Agent(Store store, String site, String siteFileText, SiteRecord record, Path applied) {
        this(store, AgentClock.SYSTEM, site, siteFileText, record, applied);
    }

    Agent(Store store, AgentClock clock, String site, String siteFileText, SiteRecord record, Path applied) {
        this.store = store;
        this.clock = clock;
        this.site = site;
        this.siteFileText = siteFileText;
        this.record = record;
        this.applied = applied;
    }

    /**
     * Writes the file the gateway starts from: what etcd says now when it answers and the network is sound; else
     * the file applied last time, if there is one; else the site file alone (no remote sites until etcd answers).
     */
    public void prepare() throws IOException {
        String why;
        try {
            Store.Snapshot s = store.read();
            AgentFile.Result r = AgentFile.compose(site, siteFileText, s.topology(), s.sites());
            logNotes(r.notes());
            if (r.text().isPresent()) {
                write(r.text().get());
                return;
            }
            why = "the network in etcd has problems: " + String.join("; ", r.problems());
            lastProblems = r.problems();
        } catch (IOException e) {
            why = "etcd is unreachable (" + e.getMessage() + ")";
            unreachableAtStart = true; // said so: the loop says when it is back
        }
        if (Files.exists(applied) && Files.readString(applied).startsWith(AgentFile.HEADER)) {
            LOG.log(Level.WARNING, "{0}; site {1} starts with the configuration applied last, {2}", why, site, applied);
            return;
        }
        LOG.log(Level.WARNING, "{0}; site {1} starts with no remote sites until etcd gives them", why, site);
        write(AgentFile.HEADER + "\n" + siteFileText);
    }

    /** Starts following etcd for {@code gw}, which runs the prepared file. */
    public void start(Target gw) {
        this.gateway = gw;
        thread = Thread.ofPlatform().name("etcd-agent").daemon().start(this::run);
    }

    /** Reads etcd again now (SIGHUP). */
    public void resync() {
        synchronized (lock) {
            changed = true;
            clock.wake(lock);
        }
    }

    private void run() {
        Duration backoff = BACKOFF_FIRST;
        boolean down = unreachableAtStart;
        long lease = 0;
        while (!isStopped()) {
            AutoCloseable watch = null;
            try {
                lease = publish(lease);
                Store.Snapshot s = call(store::read);
                if (down) {
                    LOG.log(Level.INFO, "etcd is reachable again: read it again (revision {0}); applying what changed",
                            s.revision());
                    down = false;
                }
                synchronized (lock) {
                    changed = false;
                    watchError = null;
                }
                apply(s);
                watch = call(() -> store.watch(s.revision(), this::resync, this::watchFailed));
                backoff = BACKOFF_FIRST;
                long renewAt = clock.nanoTime() + KEEPALIVE_EVERY.toNanos();
                while (!isStopped()) {
                    boolean read = awaitChange(renewAt);
                    if (read) {
                        apply(call(store::read));
                    }
                    if (clock.nanoTime() - renewAt >= 0) {
                        long renewed = lease;
                        if (!call(() -> store.keepAlive(renewed))) {
                            LOG.log(Level.INFO, "the lease of site {0} had expired in etcd; publishing it again", site);
                            lease = publish(0);
                        }
                        renewAt = clock.nanoTime() + KEEPALIVE_EVERY.toNanos();
                    }
                }
            } catch (WatchEnded e) {
                // The member serving the watch went away (or compacted its revision): etcd as a whole may be fine.
                // Read everything again through another member; only a failed read says etcd is unreachable.
                LOG.log(Level.INFO, "the watch on etcd ended ({0}); reading etcd again", e.getMessage());
                sleep(BACKOFF_FIRST);
            } catch (IOException e) {
                if (!down && !isStopped()) {
                    LOG.log(Level.WARNING, "etcd is unreachable ({0}): site {1} keeps its configuration and tunnels; "
                            + "retrying", e.getMessage(), site);
                    down = true;
                }
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(BACKOFF_MAX) > 0 ? BACKOFF_MAX : backoff.multipliedBy(2);
            } finally {
                if (watch != null) {
                    try {
                        watch.close();
                    } catch (Exception ignored) {
                        // a watch on a dead connection: nothing left to close
                    }
                }
            }
        }
        // The others drop this site's record now rather than a lease's time from now; but only an etcd that answered
        // lately is asked, and briefly: a stop does not wait for an etcd that is not there.
        if (lease != 0 && !down && answered && clock.nanoTime() - lastAnswer < LEASE_TTL.toNanos()) {
            try {
                store.revoke(lease, REVOKE_TIMEOUT);
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "could not revoke the lease: {0}", e.getMessage());
            }
        }
    }

    /**
     * Makes sure the site's record is in etcd under a live lease: {@code lease} when etcd still has it (0: none yet),
     * else a new one with the record put again.
     */
    private long publish(long lease) throws IOException {
        if (lease != 0 && call(() -> store.keepAlive(lease))) {
            return lease;
        }
        long fresh = call(() -> store.grant(LEASE_TTL));
        call(() -> {
            store.put(Etcd.SITES + site, record.format(), fresh);
            return null;
        });
        return fresh;
    }

    /** One call to etcd, which {@link #close()} interrupts: a stop does not wait for an etcd that does not answer. */
    private <T> T call(StoreCall<T> c) throws IOException {
        synchronized (lock) {
            if (stopped) {
                throw new IOException("the agent is stopping");
            }
            calling = true;
        }
        try {
            T t = c.call();
            lastAnswer = clock.nanoTime();
            answered = true;
            return t;
        } finally {
            synchronized (lock) {
                calling = false;
                Thread.interrupted(); // an interrupt from close() was meant for this call only
            }
        }
    }

    @FunctionalInterface
    private interface StoreCall<T> {
        T call() throws IOException;
    }

    /** Waits until a change is seen or {@code until} (the clock's nanoTime); true when etcd must be read again. */
    private boolean awaitChange(long until) throws IOException {
        synchronized (lock) {
            while (!changed && !stopped && watchError == null && until - clock.nanoTime() > 0) {
                await(until);
            }
            if (watchError != null) {
                throw new WatchEnded(watchError.getMessage());
            }
            boolean c = changed;
            changed = false;
            return c;
        }
    }

    /** The watch stopped delivering changes: read everything again. */
    private static final class WatchEnded extends IOException {
        WatchEnded(String message) {
            super(message);
        }
    }

    private void watchFailed(Throwable t) {
        synchronized (lock) {
            watchError = t;
            clock.wake(lock);
        }
    }

    private void apply(Store.Snapshot s) throws IOException {
        AgentFile.Result r = AgentFile.compose(site, siteFileText, s.topology(), s.sites());
        logNotes(r.notes());
        if (r.text().isEmpty()) {
            if (!r.problems().equals(lastProblems)) {
                LOG.log(Level.WARNING, "the network in etcd (revision {0}) has problems; site {1} keeps the "
                        + "configuration it runs:\n  {2}", s.revision(), site, String.join("\n  ", r.problems()));
                lastProblems = r.problems();
            }
            return;
        }
        lastProblems = List.of();
        if (r.text().get().equals(Files.readString(applied, StandardCharsets.UTF_8))) {
            return;
        }
        write(r.text().get());
        List<String> problems = gateway.reload();
        if (!problems.isEmpty()) {
            LOG.log(Level.ERROR, "site {0}: the gateway did not apply etcd revision {1} cleanly: {2}", site,
                    s.revision(), String.join("; ", problems));
        }
    }

    private void logNotes(List<String> notes) {
        if (!notes.equals(lastNotes)) {
            notes.stream().filter(n -> !lastNotes.contains(n)).forEach(n -> LOG.log(Level.WARNING, n));
            lastNotes = notes;
        }
    }

    /** The composed file, written whole (a temporary file and a rename), mode 0600 like a hand-written site file. */
    private void write(String text) throws IOException {
        AtomicFiles.replace(applied, text, StandardCharsets.UTF_8, "rw-------");
    }

    private boolean isStopped() {
        synchronized (lock) {
            return stopped;
        }
    }

    private void sleep(Duration d) {
        synchronized (lock) {
            long until = clock.nanoTime() + d.toNanos();
            while (!stopped && until - clock.nanoTime() > 0) {
                await(until);
            }
        }
    }

    /** One wait on the lock, which the caller holds, until {@code until} at most. */
    private void await(long until) {
        try {
            clock.awaitUntil(lock, until);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
        }
    }

    /**
     * Stops following etcd and withdraws the site's record (revoking its lease, when etcd answered lately); the
     * gateway is the caller's. Returns within about {@link #REVOKE_TIMEOUT}: a call waiting for etcd is interrupted.
     */
    @Override
    public void close() {
        synchronized (lock) {
            stopped = true;
            if (calling) {
                thread.interrupt();
            }
            clock.wake(lock);
        }
        if (thread != null) {
            try {
                thread.join(REVOKE_TIMEOUT.plusMillis(500).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        store.close();
    }
}
