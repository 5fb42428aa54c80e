package sitelink.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sitelink.agent.Agent;
import sitelink.agent.Etcd;
import sitelink.agent.SiteRecord;
import sitelink.config.ConfigProblem;
import sitelink.config.Endpoint;
import sitelink.config.SiteConfig;
import sitelink.config.SiteFile;
import sitelink.crypto.X25519;
import sitelink.gateway.Gateway;

/**
 * {@code sitelink agent --etcd ENDPOINTS SITEFILE}: the site's gateway, as {@code up} runs it, whose remote sites come
 * from etcd (docs/scale.md, "Orchestration on etcd"). SITEFILE holds everything but the remote sites; the agent
 * writes SITEFILE's directory/NAME.etcd.yaml (SITEFILE plus the remote sites planned from etcd) and runs that.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Run the site's gateway with its remote sites from etcd: publish this site's public key, "
                + "endpoint and subnets (under a lease), and apply every change of the topology or of the other sites "
                + "as 'sitelink reload' does (links that did not change keep their sessions).",
                "SITEFILE is a site file without remote_sites. When etcd is unreachable the gateway keeps what it "
                        + "runs; the agent retries and catches up when etcd returns."})
public final class AgentCommand implements Callable<Integer> {
    @Mixin
    LogOptions log;

    @Mixin
    EtcdOptions etcd = new EtcdOptions();

    @Option(names = "--etcd", required = true, paramLabel = "ENDPOINTS",
            description = "etcd's client URLs, comma-separated (https://HOST:2379,...)")
    String endpoints;

    @Option(names = "--endpoint", paramLabel = "HOST:PORT", description = "where the other sites reach this one, "
            + "published in its record (default: the topology's endpoint for this site)")
    String endpoint;

    @Parameters(paramLabel = "SITEFILE", description = "The site file, without remote_sites.")
    Path file;

    @Override
    public Integer call() throws Exception {
        Optional<SiteConfig> checked = UpCommand.checked(file);
        if (checked.isEmpty()) {
            return 1;
        }
        SiteConfig own = checked.get();
        if (!own.remoteSites().isEmpty() || !own.ikeSites().isEmpty()) {
            System.err.println("sitelink: " + file + " lists remote sites; under 'sitelink agent' they come from etcd: "
                    + "remove remote_sites from the file (docs/scale.md)");
            return 1;
        }
        Optional<Endpoint> publishedEndpoint;
        try {
            publishedEndpoint = Optional.ofNullable(endpoint).map(Endpoint::parse);
        } catch (IllegalArgumentException e) {
            System.err.println("sitelink: --endpoint " + endpoint + ": " + e.getMessage());
            return Main.USAGE;
        }
        log.configure(own.name());
        SiteRecord record = new SiteRecord(X25519.publicKey(own.privateKey()), publishedEndpoint, own.localSubnets());
        Path applied = file.toAbsolutePath().resolveSibling(own.name() + ".etcd.yaml");
        Etcd client;
        try {
            client = etcd.connect(endpoints);
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("sitelink: " + e.getMessage());
            return 1;
        }
        Agent agent = new Agent(client, own.name(), Files.readString(file, StandardCharsets.UTF_8), record, applied);
        agent.prepare();
        SiteFile start = SiteFile.load(applied);
        if (start.config().isEmpty() || start.problems().stream().anyMatch(ConfigProblem::isError)) {
            start.problems().forEach(System.err::println);
            System.err.println("sitelink: " + applied + " (composed from " + file + " and etcd) has errors; nothing "
                    + "was changed");
            agent.close();
            return 1;
        }
        return UpCommand.serve(applied, start.config().get(), new UpCommand.Companion() {
            @Override
            public void started(Gateway gateway) {
                agent.start(gateway::reload);
            }

            @Override
            public void reload(Gateway gateway) {
                agent.resync();
            }

            @Override
            public void stopping() {
                agent.close();
            }
        });
    }
}
