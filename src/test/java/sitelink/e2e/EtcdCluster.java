package sitelink.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import sitelink.testbed.Command;
import sitelink.testbed.Namespace;
import sitelink.testbed.Offices;
import sitelink.testbed.Proc;
import sitelink.testbed.Testbed;
import sitelink.testbed.Veth;

/**
 * A three-member etcd cluster (Debian's etcd-server) for the agent tests: each member in its own namespace, on the
 * WAN bridge of an {@link Offices} network at 203.0.113.201-203, clients and peers over TLS with client certificates
 * issued by {@code sitelink pki} (one CA; a certificate per member, one for every client). Members are started and
 * stopped by PID; {@link #close()} ends them and deletes their namespaces.
 */
final class EtcdCluster implements AutoCloseable {
    static final int MEMBERS = 3;
    private final Path dir;
    private final List<Namespace> namespaces = new ArrayList<>();
    private final Proc[] members = new Proc[MEMBERS];

    private EtcdCluster(Path dir) {
        this.dir = dir;
    }

    static String address(int i) {
        return "203.0.113." + (201 + i);
    }

    /** The client URLs, as {@code --etcd} and {@code plan --publish} take them. */
    String endpoints() {
        return String.join(",", IntStream.range(0, MEMBERS).mapToObj(i -> "https://" + address(i) + ":2379").toList());
    }

    Path ca() {
        return dir.resolve("ca.pem");
    }

    Path clientCert() {
        return dir.resolve("client.pem");
    }

    Path clientKey() {
        return dir.resolve("client.key");
    }

    /** The TLS options of {@code sitelink agent} and {@code plan --publish}. */
    List<String> tlsOptions() {
        return List.of("--etcd-ca", ca().toString(), "--etcd-cert", clientCert().toString(), "--etcd-key",
                clientKey().toString());
    }

    static EtcdCluster create(Testbed bed, Offices net, Path dir) throws IOException {
        Files.createDirectories(dir);
        EtcdCluster c = new EtcdCluster(dir);
        try {
            PkiCli.run(dir, "ca", "--name", "etcd test CA", "--out-cert", "ca.pem", "--out-key", "ca.key");
            PkiCli.run(dir, "issue", "--ca-cert", "ca.pem", "--ca-key", "ca.key", "--name", "sitelink-agent",
                    "--out-cert", "client.pem", "--out-key", "client.key");
            for (int i = 0; i < MEMBERS; i++) {
                PkiCli.run(dir, "issue", "--ca-cert", "ca.pem", "--ca-key", "ca.key", "--name", "etcd" + i,
                        "--san", "ip:" + address(i), "--out-cert", "m" + i + ".pem", "--out-key", "m" + i + ".key");
                Namespace ns = bed.namespace("etcd" + i);
                c.namespaces.add(ns);
                String port = "ep" + i;
                Veth.create(ns, "wan", net.wan(), port);
                net.wan().ip("link", "set", port, "master", "br0");
                net.wan().ip("link", "set", port, "up");
                ns.address("wan", address(i) + "/24");
            }
            for (int i = 0; i < MEMBERS; i++) {
                c.start(i);
            }
            return c;
        } catch (RuntimeException | IOException | Error e) {
            c.close();
            throw e;
        }
    }

    /** Starts member {@code i} (again: with its data directory, it rejoins the cluster). */
    void start(int i) {
        String initial = String.join(",", IntStream.range(0, MEMBERS)
                .mapToObj(j -> "m" + j + "=https://" + address(j) + ":2380").toList());
        String a = address(i);
        Path ca = ca();
        members[i] = namespaces.get(i).start("etcd", "--name", "m" + i, "--data-dir", dir.resolve("data" + i).toString(),
                "--listen-client-urls", "https://" + a + ":2379", "--advertise-client-urls", "https://" + a + ":2379",
                "--listen-peer-urls", "https://" + a + ":2380", "--initial-advertise-peer-urls", "https://" + a + ":2380",
                "--initial-cluster", initial, "--initial-cluster-state", "new", "--initial-cluster-token", "sitelink-it",
                "--client-cert-auth", "--trusted-ca-file", ca.toString(),
                "--cert-file", dir.resolve("m" + i + ".pem").toString(), "--key-file", dir.resolve("m" + i + ".key").toString(),
                "--peer-client-cert-auth", "--peer-trusted-ca-file", ca.toString(),
                "--peer-cert-file", dir.resolve("m" + i + ".pem").toString(),
                "--peer-key-file", dir.resolve("m" + i + ".key").toString());
    }

    /** Stops member {@code i} by its PID (SIGTERM, then SIGKILL after a grace period). */
    void stop(int i) {
        if (members[i] != null) {
            members[i].close();
            members[i] = null;
        }
    }

    /** {@code etcdctl ARGS} against the cluster, with the client certificate, from member 0's namespace... or any. */
    Command.Result etcdctl(Namespace from, String... args) {
        List<String> command = new ArrayList<>(List.of("etcdctl", "--endpoints", endpoints(), "--cacert", ca().toString(),
                "--cert", clientCert().toString(), "--key", clientKey().toString(), "--command-timeout", "5s"));
        command.addAll(List.of(args));
        return from.exec(Duration.ofSeconds(30), command.toArray(String[]::new));
    }

    /** Waits until every member answers as healthy. */
    void awaitHealthy(Namespace from) {
        Command.Result[] last = new Command.Result[1];
        E2e.await(Duration.ofSeconds(60), "the etcd cluster to be healthy", () -> {
            last[0] = etcdctl(from, "endpoint", "health");
            return last[0].ok();
        }, () -> last[0] == null ? "" : last[0].describe());
    }

    @Override
    public void close() {
        for (int i = 0; i < MEMBERS; i++) {
            try {
                stop(i);
            } catch (RuntimeException ignored) {
                // the namespace's close ends what is left
            }
        }
        for (Namespace ns : namespaces.reversed()) {
            ns.close();
        }
    }
}
