package sitelink.agent;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.netty.GrpcSslContexts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * sitelink's data in etcd (docs/scale.md, "Orchestration on etcd"), through jetcd: the topology that
 * {@code sitelink plan --publish} writes under {@link #TOPOLOGY_KEY}, and each site's {@link SiteRecord} under
 * {@link #SITES}NAME, held by its agent's lease. Every call waits at most {@link #CALL_TIMEOUT}: an etcd that does not
 * answer is an {@link IOException}, which the agent takes as "unreachable" (it keeps what runs and retries).
 */
public final class Etcd implements Store {
    public static final String PREFIX = "/sitelink/v1/";
    public static final String TOPOLOGY_KEY = PREFIX + "topology";
    public static final String SITES = PREFIX + "sites/";
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
    /**
     * The first call loads and warms the gRPC and Netty machinery, which takes seconds on a busy machine; an etcd
     * that does not answer it within this long is unreachable.
     */
    static final Duration FIRST_CALL_TIMEOUT = Duration.ofSeconds(20);

    static {
        // Netty probes sun.misc.Unsafe, which Java 25 warns about on stderr; it runs as well without it. Its machine
        // id comes from a MAC address, which a fresh network namespace has none of (another warning): random bytes.
        System.setProperty("io.netty.noUnsafe", "true");
        byte[] id = new byte[8];
        new java.security.SecureRandom().nextBytes(id);
        System.setProperty("io.netty.machineId", java.util.HexFormat.ofDelimiter(":").formatHex(id));
    }

    /** The CA that signed the etcd members' certificates, and this client's certificate and key (PEM, PKCS#8 key). */
    public record Tls(Path ca, Path cert, Path key) {
    }

    private final Client client;
    private volatile boolean answered;

    private Etcd(Client client) {
        this.client = client;
    }

    /**
     * A client for {@code endpoints} (https://HOST:PORT when {@code tls} is given). Connecting is lazy: an
     * unreachable etcd shows at the first call.
     */
    public static Etcd connect(List<String> endpoints, Optional<Tls> tls) throws IOException {
        ClientBuilder b = Client.builder().endpoints(endpoints.toArray(String[]::new))
                .connectTimeout(Duration.ofSeconds(2)).keepaliveTime(Duration.ofSeconds(5))
                .keepaliveTimeout(Duration.ofSeconds(3)).retryMaxDuration(CALL_TIMEOUT)
                .retryDelay(100).retryMaxDelay(1000);
        if (tls.isPresent()) {
            Tls t = tls.get();
            try {
                b.sslContext(GrpcSslContexts.forClient().trustManager(t.ca().toFile())
                        .keyManager(t.cert().toFile(), t.key().toFile()).build());
            } catch (IOException | IllegalArgumentException e) {
                throw new IOException("cannot use the etcd certificate files (" + t.ca() + ", " + t.cert() + ", "
                        + t.key() + "): " + e.getMessage(), e);
            }
        }
        return new Etcd(b.build());
    }

    @Override
    public Snapshot read() throws IOException {
        GetResponse r = call(client.getKVClient().get(bytes(PREFIX), GetOption.builder().isPrefix(true).build()));
        Optional<String> topology = Optional.empty();
        Map<String, String> sites = new LinkedHashMap<>();
        for (KeyValue kv : r.getKvs()) {
            String key = text(kv.getKey());
            if (key.equals(TOPOLOGY_KEY)) {
                topology = Optional.of(text(kv.getValue()));
            } else if (key.startsWith(SITES)) {
                sites.put(key.substring(SITES.length()), text(kv.getValue()));
            }
        }
        return new Snapshot(r.getHeader().getRevision(), topology, sites);
    }

    @Override
    public void put(String key, String value, long lease) throws IOException {
        call(client.getKVClient().put(bytes(key), bytes(value),
                lease == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(lease).build()));
    }

    @Override
    public long grant(Duration ttl) throws IOException {
        return call(client.getLeaseClient().grant(ttl.toSeconds())).getID();
    }

    @Override
    public boolean keepAlive(long lease) throws IOException {
        try {
            return call(client.getLeaseClient().keepAliveOnce(lease)).getTTL() > 0;
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("lease not found")) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public void revoke(long lease, Duration timeout) throws IOException {
        call(client.getLeaseClient().revoke(lease), timeout);
    }

    @Override
    public AutoCloseable watch(long revision, Runnable onChange, Consumer<Throwable> onError) {
        Watch.Watcher w = client.getWatchClient().watch(bytes(PREFIX),
                WatchOption.builder().isPrefix(true).withRevision(revision + 1).build(), new Watch.Listener() {
                    @Override
                    public void onNext(WatchResponse response) {
                        if (!response.getEvents().isEmpty()) {
                            onChange.run();
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        onError.accept(t);
                    }

                    @Override
                    public void onCompleted() {
                        onError.accept(new IOException("the watch ended"));
                    }
                });
        return w::close;
    }

    @Override
    public void close() {
        client.close();
    }

    private <T> T call(CompletableFuture<T> f) throws IOException {
        return call(f, answered ? CALL_TIMEOUT : FIRST_CALL_TIMEOUT);
    }

    private <T> T call(CompletableFuture<T> f, Duration timeout) throws IOException {
        try {
            T t = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            answered = true;
            return t;
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new IOException("etcd did not answer within " + timeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            throw new IOException(c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage(), c);
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static String text(ByteSequence b) {
        return b.toString(StandardCharsets.UTF_8);
    }
}
