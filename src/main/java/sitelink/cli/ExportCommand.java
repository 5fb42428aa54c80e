package sitelink.cli;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sitelink.config.SiteFile;
import sitelink.export.Export;
import sitelink.export.ExportException;
import sitelink.route.Prefix;

/**
 * {@code sitelink export --for TARGET FILE REMOTE_SITE}: prints the configuration the far side of one remote site
 * needs to match the site file exactly. Reads the file and its key files only; changes nothing.
 */
@Command(name = "export", description = {"Print the configuration the far side of a remote site needs to match this site "
        + "file: proposals, traffic selectors and identities mirrored, the same lifetimes and liveness checks.",
        "strongswan: a swanctl.conf connection and its secrets section; wg-quick: a wg-quick file for a WireGuard site "
                + "(its private key stays the far side's); cisco-ios: Cisco IOS XE IKEv2, IPsec profile and tunnel "
                + "interface commands; pan-os: PAN-OS set commands; sitelink: the other sitelink's site file. The Cisco "
                + "and PAN-OS outputs follow the vendors' documented syntax and were not tried on a device.",
        "Pre-shared keys are named by their files, not printed, unless --include-secrets."})
public final class ExportCommand implements Callable<Integer> {
    final KeyCommands.Io io = new KeyCommands.Io();

    @Option(names = "--for", required = true, paramLabel = "TARGET", completionCandidates = Targets.class,
            description = "the far side's software: ${COMPLETION-CANDIDATES}")
    String target;

    @Option(names = "--address", paramLabel = "ADDRESS", description = "this gateway's address as the far side reaches it "
            + "(the site file does not say it); without it the output leaves it to fill in, or uses an IP local_id")
    String address;

    @Option(names = "--include-secrets", description = "print pre-shared keys into the output (then keep it as secret as the key)")
    boolean includeSecrets;

    @Parameters(index = "0", paramLabel = "FILE", description = "the site file, e.g. /etc/sitelink/office-a.yaml")
    Path file;

    @Parameters(index = "1", paramLabel = "REMOTE_SITE", description = "the name of one of its remote sites")
    String remote;

    static final class Targets implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(Export.Target.values()).map(Export.Target::word).iterator();
        }
    }

    @Override
    public Integer call() {
        Optional<Export.Target> t = Export.Target.of(target);
        if (t.isEmpty()) {
            io.err.println("sitelink export: --for " + target + " is not known; use one of " + Export.Target.names());
            return Main.USAGE;
        }
        if (address != null) {
            try {
                Prefix.parseAddress(address);
            } catch (IllegalArgumentException e) {
                io.err.println("sitelink export: --address " + address + " is not an IP address (" + e.getMessage() + ")");
                return Main.USAGE;
            }
        }
        SiteFile site = SiteFile.load(file);
        if (site.config().isEmpty()) {
            site.errors().forEach(io.err::println);
            io.err.println(site.displayName() + ": " + site.errors().size() + (site.errors().size() == 1 ? " error" : " errors")
                    + "; fix the file (sitelink check " + site.displayName() + ") and export again");
            return 1;
        }
        try {
            String text = Export.render(t.get(), site.config().get(), remote,
                    new Export.Options(file.toString(), Optional.ofNullable(address), includeSecrets));
            io.out.print(text);
            io.out.flush();
            if (includeSecrets) {
                io.err.println("sitelink export: the output holds the pre-shared key: keep it where only root can read it");
            }
            return 0;
        } catch (ExportException e) {
            io.err.println("sitelink export: " + e.getMessage());
            return 1;
        }
    }
}
