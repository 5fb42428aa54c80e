package sitelink.cli;

import java.io.PrintStream;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import sitelink.config.Suggest;

/** Entry point of the sitelink command line. */
@Command(name = "sitelink", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Site-to-site VPN gateway speaking the WireGuard protocol.",
        subcommands = {DemoCommand.class, UpCommand.class, CheckCommand.class, ReloadCommand.class, StatusCommand.class, DiagnoseCommand.class, DeviceCommand.class, KeyCommands.GenKey.class, KeyCommands.PubKey.class,
                KeyCommands.GenPsk.class, PkiCommand.class, ExportCommand.class, AuditCommand.class, PlanCommand.class,
                AgentCommand.class})
public final class Main implements Runnable {
    /** Picocli's exit code for a usage error. */
    static final int USAGE = 2;

    /**
     * The version Maven writes into the jar's manifest (Implementation-Version, the pom's version): one number for the
     * jar, the Debian package and {@code sitelink --version}.
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"sitelink " + (version == null ? "(not run from its jar: version unknown)" : version)};
        }
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args, System.err));
    }

    /**
     * Runs the command line. An unknown command is a usage error even beside {@code --help}, which picocli would
     * otherwise honour with the main help and exit 0: a script's typo must not look like success.
     */
    static int run(String[] args, PrintStream err) {
        CommandLine cl = new CommandLine(new Main());
        if (args.length > 0 && !args[0].startsWith("-")) {
            Set<String> commands = cl.getSubcommands().keySet();
            if (!commands.contains(args[0])) {
                err.println("sitelink: unknown command '" + args[0] + "'"
                        + Suggest.closest(args[0], commands).map(c -> "; did you mean '" + c + "'?").orElse("")
                        + " (commands: " + String.join(", ", commands) + ")");
                return USAGE;
            }
        }
        return cl.execute(args);
    }
}
