package sitelink.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sitelink.config.Endpoint;
import sitelink.crypto.Key;
import sitelink.route.Prefix;

/**
 * The agent's loop on a store in memory and a fake clock: what an operator sees (the file the gateway runs, whether
 * the gateway reloaded, the log) when etcd changes, goes away, comes back, loses a watch or publishes a broken
 * network, and that a stop does not wait for an etcd that does not answer.
 */
class AgentTest {
    private static final String HQ = "9OOlwgoGrtwIuiHn3D1IqH+UNyJuZTk9k6xYgSDxt3Y=";
    private static final String SHOP_2 = "2lQ06T0XaSytJ6ZXsabTlMxv+8UMZpzc9s1V4vY/flo=";
    private static final String SHOP_3 = "83pRxMcJYL+4MhMoJyO7/r0tjdCoQ6dsSnliQ5kQj18=";
    private static final String OWN_RECORD = Etcd.SITES + "shop-2";

    @TempDir
    Path dir;
    private final FakeAgentClock clock = new FakeAgentClock();
    private final FakeStore etcd = new FakeStore(clock);
    private final List<String> reloaded = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    private final Logger agentLogger = Logger.getLogger("sitelink.agent");
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            synchronized (log) {
                log.add(r.getLevel().getName() + " " + new SimpleFormatter().formatMessage(r));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private Path applied;
    private Agent agent;
    private String siteFile;
    private SiteRecord own;

    @BeforeEach
    void start() throws IOException {
        agentLogger.addHandler(capture);
        etcd.put(Etcd.TOPOLOGY_KEY, Files.readString(Path.of("src/test/resources/plan/hub-and-spoke/topology.yaml")));
        siteFile = """
                name: shop-2
                private_key_file: %s
                listen_port: 51820
                tunnel:
                  name: sl-small
                  addresses: [198.19.0.3/29]
                local_subnets:
                  - 198.18.12.0/24
                """.formatted(dir.resolve("site.key"));
        own = new SiteRecord(Key.fromBase64(SHOP_2), Optional.empty(), List.of(Prefix.parse("198.18.12.0/24")));
        applied = dir.resolve("shop-2.etcd.yaml");
        agent = new Agent(etcd, clock, "shop-2", siteFile, own, applied);
        agent.prepare();
        agent.start(() -> {
            try {
                reloaded.add(Files.readString(applied));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            return List.of();
        });
        clock.settle();
    }

    @AfterEach
    void stop() {
        agent.close();
        agentLogger.removeHandler(capture);
    }

    private List<String> log(String level) {
        synchronized (log) {
            return log.stream().filter(l -> l.startsWith(level + " ")).toList();
        }
    }

    private String file() throws IOException {
        return Files.readString(applied);
    }

    private static String hqRecord(String endpoint) {
        return new SiteRecord(Key.fromBase64(HQ), Optional.of(Endpoint.parse(endpoint)),
                List.of(Prefix.parse("198.18.1.0/24"))).format();
    }

    @Test
    void atStartTheSitePublishesItsRecordAndRunsWhatEtcdSays() throws IOException {
        assertEquals(Optional.of("public_key: " + SHOP_2 + "\nsubnets: 198.18.12.0/24\n"), etcd.get(OWN_RECORD));
        assertTrue(file().startsWith(AgentFile.HEADER), file());
        assertTrue(file().contains("203.0.113.1:51820"), file());
        assertEquals(List.of(), reloaded, "the gateway started from this file: nothing to reload");
        assertEquals(1, etcd.watchers());
    }

    @Test
    void aChangeInEtcdIsAppliedOnce() throws IOException {
        etcd.put(Etcd.SITES + "hq", hqRecord("203.0.113.100:51820"));
        clock.settle();
        assertEquals(1, reloaded.size(), "one reload");
        assertTrue(reloaded.getFirst().contains("203.0.113.100:51820"), reloaded.getFirst());
        assertEquals(reloaded.getFirst(), file());
        assertFalse(file().contains("203.0.113.1:51820"), file());
        assertEquals(List.of(), log("WARNING"));
    }

    @Test
    void aReadThatChangesNothingForThisSiteDoesNotReload() throws IOException {
        String before = file();
        int reads = etcd.calls("read").size();
        etcd.put(Etcd.SITES + "hq", hqRecord("203.0.113.1:51820")); // what the topology says already
        clock.settle();
        agent.resync(); // SIGHUP
        clock.settle();
        assertEquals(reads + 2, etcd.calls("read").size(), "read again on the change and on SIGHUP");
        assertEquals(List.of(), reloaded);
        assertEquals(before, file());
    }

    @Test
    void theLeaseIsRenewedEvery3sAndPublishedAgainWhenItExpired() throws IOException {
        clock.runFor(Duration.ofSeconds(10));
        assertEquals(List.of(Duration.ofSeconds(3), Duration.ofSeconds(6), Duration.ofSeconds(9)),
                etcd.calls("keepAlive").stream().map(FakeStore.Call::at).toList());
        assertTrue(etcd.get(OWN_RECORD).isPresent(), "renewed in time: the record stays");

        etcd.revokeAll(); // etcd lost the lease (restored from a backup, say): the record went with it
        assertTrue(etcd.get(OWN_RECORD).isEmpty());
        clock.runFor(Duration.ofSeconds(3));
        assertEquals(List.of("INFO the lease of site shop-2 had expired in etcd; publishing it again"), log("INFO"));
        assertTrue(etcd.get(OWN_RECORD).isPresent(), "published again");
        assertEquals(2, etcd.calls("grant").size());
        assertEquals(List.of(), reloaded);
    }

    @Test
    void etcdUnreachableChangesNothingSaysSoOnceAndRetriesWithBackoff() throws IOException {
        String before = file();
        etcd.reachable(false);
        clock.runFor(Duration.ofSeconds(30));
        assertEquals(List.of("WARNING etcd is unreachable (UNAVAILABLE: io exception): site shop-2 keeps its "
                + "configuration and tunnels; retrying"), log("WARNING"));
        List<Duration> failed = etcd.calls().stream().filter(c -> !c.answered()).map(FakeStore.Call::at).toList();
        List<Duration> apart = new ArrayList<>();
        for (int i = 1; i < failed.size(); i++) {
            apart.add(failed.get(i).minus(failed.get(i - 1)));
        }
        assertEquals(Duration.ofSeconds(3), failed.getFirst(), "the lease's renewal finds etcd gone");
        assertEquals(List.of(500L, 1000L, 2000L, 4000L, 5000L, 5000L), apart.subList(0, 6).stream()
                .map(Duration::toMillis).toList());
        assertEquals(List.of(), reloaded);
        assertEquals(before, file());
    }

    @Test
    void etcdBackIsReadAgainAndWhatChangedMeanwhileApplied() throws IOException {
        etcd.reachable(false);
        clock.runFor(Duration.ofSeconds(20)); // longer than the lease: etcd dropped the record
        etcd.put(Etcd.SITES + "hq", hqRecord("203.0.113.100:51820")); // by another client, while this site is cut off
        clock.runFor(Duration.ofSeconds(1));
        assertEquals(List.of(), reloaded, "not heard of while cut off");
        etcd.reachable(true);
        clock.runFor(Duration.ofSeconds(5));
        assertEquals(1, log("WARNING").size(), log::toString);
        List<String> info = log("INFO");
        assertEquals(1, info.size(), info::toString);
        assertTrue(info.getFirst().matches("INFO etcd is reachable again: read it again \\(revision \\d+\\); applying "
                + "what changed"), info.getFirst());
        assertEquals(1, reloaded.size());
        assertTrue(file().contains("203.0.113.100:51820"), file());
        assertTrue(etcd.get(OWN_RECORD).isPresent(), "the record published again, under a new lease");
        assertEquals(1, etcd.watchers());
    }

    /** An agent that started without etcd said so; when etcd answers it says that too (an operator counts both). */
    @Test
    void etcdUnreachableAtStartIsReportedBackOnceItAnswers() throws IOException {
        agent.close();
        synchronized (log) {
            log.clear();
        }
        etcd.reachable(false);
        Agent late = new Agent(etcd, clock, "shop-2", siteFile, own, dir.resolve("late.etcd.yaml"));
        late.prepare();
        late.start(List::of);
        try {
            clock.settle();
            assertEquals(1, log("WARNING").size(), log::toString);
            assertTrue(log("WARNING").getFirst().startsWith("WARNING etcd is unreachable"), log::toString);
            etcd.reachable(true);
            clock.runFor(Duration.ofSeconds(6));
            List<String> info = log("INFO");
            assertEquals(1, info.size(), info::toString);
            assertTrue(info.getFirst().startsWith("INFO etcd is reachable again"), info.getFirst());
        } finally {
            late.close();
        }
    }

    @Test
    void aWatchThatEndsIsSetUpAgainAfterReadingWithoutCallingEtcdUnreachable() {
        int reads = etcd.calls("read").size();
        etcd.endWatches(new IOException("etcdserver: mvcc: required revision has been compacted"));
        clock.runFor(Duration.ofSeconds(1));
        assertEquals(List.of("INFO the watch on etcd ended (etcdserver: mvcc: required revision has been compacted); "
                + "reading etcd again"), log("INFO"));
        assertEquals(List.of(), log("WARNING"));
        assertEquals(reads + 1, etcd.calls("read").size());
        assertEquals(1, etcd.watchers());
        assertEquals(1, etcd.calls("grant").size(), "the lease is alive: the record stays under it");
        assertEquals(List.of(), reloaded);
    }

    @Test
    void aBrokenNetworkInEtcdKeepsTheRunningConfigurationAndIsLoggedOnce() throws IOException {
        String before = file();
        String overlapping = new SiteRecord(Key.fromBase64(SHOP_3), Optional.empty(),
                List.of(Prefix.parse("198.18.1.128/25"))).format();
        etcd.put(Etcd.SITES + "shop-3", overlapping);
        clock.settle();
        agent.resync();
        clock.runFor(Duration.ofSeconds(7));
        List<String> warnings = log("WARNING");
        assertEquals(1, warnings.size(), warnings::toString);
        assertTrue(warnings.getFirst().startsWith("WARNING the network in etcd (revision "), warnings.getFirst());
        assertTrue(warnings.getFirst().contains("has problems; site shop-2 keeps the configuration it runs:\n  "),
                warnings.getFirst());
        assertTrue(warnings.getFirst().contains("overlaps"), warnings.getFirst());
        assertEquals(List.of(), reloaded);
        assertEquals(before, file());

        etcd.put(Etcd.SITES + "shop-3", new SiteRecord(Key.fromBase64(SHOP_3), Optional.empty(),
                List.of(Prefix.parse("198.18.13.0/24"), Prefix.parse("198.18.14.0/24"))).format());
        clock.settle();
        assertEquals(1, reloaded.size(), "mended: applied");
        assertTrue(file().contains("198.18.14.0/24"), file());
    }

    @Test
    void aStopRevokesTheLeaseBriefly() {
        agent.close();
        assertTrue(etcd.get(OWN_RECORD).isEmpty(), "the others drop this site's record now");
        assertEquals(List.of(Agent.REVOKE_TIMEOUT), etcd.revokeTimeouts());
    }

    @Test
    void aStopDoesNotWaitForAnEtcdThatDoesNotAnswer() throws InterruptedException {
        etcd.reachable(false);
        clock.runFor(Duration.ofSeconds(15));
        etcd.hang();
        clock.fireNext();
        etcd.awaitHangingCall();
        long t0 = System.nanoTime();
        agent.close();
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertEquals(1, etcd.interrupted(), "the waiting call was interrupted");
        assertFalse(etcd.callerAlive(), "the agent's thread ended");
        assertEquals(List.of(), etcd.revokeTimeouts(), "an unreachable etcd is not asked to revoke");
        assertTrue(took.compareTo(Agent.REVOKE_TIMEOUT) < 0, took::toString);
    }
}
