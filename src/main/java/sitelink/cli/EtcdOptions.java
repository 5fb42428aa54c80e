package sitelink.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;
import sitelink.agent.Etcd;

/**
 * How {@code sitelink agent} and {@code sitelink plan --publish} reach etcd over TLS with a client certificate; a
 * picocli mixin. Without the three files the endpoints are used as given (http:// for a test cluster without TLS).
 */
final class EtcdOptions {
    @Option(names = "--etcd-ca", paramLabel = "FILE", description = "the CA certificate (PEM) that signed etcd's "
            + "server certificates (etcd's --trusted-ca-file)")
    Path ca;

    @Option(names = "--etcd-cert", paramLabel = "FILE", description = "this client's certificate (PEM), signed by a CA "
            + "etcd trusts for clients (etcd's --client-cert-auth)")
    Path cert;

    @Option(names = "--etcd-key", paramLabel = "FILE", description = "this client's private key (PEM, PKCS#8)")
    Path key;

    /** The TLS files, when all three are given; empty when none is; an error message when only some are. */
    Optional<Etcd.Tls> tls() {
        if (ca == null && cert == null && key == null) {
            return Optional.empty();
        }
        if (ca == null || cert == null || key == null) {
            throw new IllegalArgumentException("give all three of --etcd-ca, --etcd-cert and --etcd-key (TLS with a "
                    + "client certificate), or none");
        }
        return Optional.of(new Etcd.Tls(ca, cert, key));
    }

    /** A client for the comma-separated {@code endpoints}. */
    Etcd connect(String endpoints) throws IOException {
        List<String> list = Arrays.stream(endpoints.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (list.isEmpty()) {
            throw new IllegalArgumentException("no etcd endpoint given; e.g. https://198.18.0.11:2379,https://198.18.0.12:2379");
        }
        return Etcd.connect(list, tls());
    }
}
