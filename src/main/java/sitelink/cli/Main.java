package sitelink.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
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

    /** The commands that run for long (gateways, the agent), as scripts/jvm-options.sh names them. */
    private static final Set<String> LONG_RUNNING = Set.of("up", "device", "demo", "agent");

    static {
        // picocli's DefaultFactory looks for Groovy's closure class once; finding none searched every jar of the class
        // path (61, opened one by one) and cost a short command about a tenth of its start (issue 15).
        System.setProperty("picocli.disable.closures", "true");
    }

    public static void main(String[] args) {
        int status = run(args, System.err);
        if (args.length > 0 && LONG_RUNNING.contains(args[0])) {
            System.exit(status); // their shutdown hooks take the interface and the sockets down
        }
        // A short command registers no shutdown hook, and System.exit would ask for the system logger of
        // java.lang.Runtime (to log the exit), whose service look-up opens every jar of the class path: halt instead,
        // with what was printed flushed.
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }

    /**
     * Runs the command line. An unknown command is a usage error even beside {@code --help}, which picocli would
     * otherwise honour with the main help and exit 0: a script's typo must not look like success.
     */
    static int run(String[] args, PrintStream err) {
        if (args.length > 0 && !args[0].startsWith("-")) {
            Map<String, Class<?>> commands = commands();
            Class<?> command = commands.get(args[0]);
            if (command == null) {
                err.println("sitelink: unknown command '" + args[0] + "'"
                        + Suggest.closest(args[0], commands.keySet()).map(c -> "; did you mean '" + c + "'?").orElse("")
                        + " (commands: " + String.join(", ", commands.keySet()) + ")");
                return USAGE;
            }
            // Only the command asked for: picocli builds the model of every command it is given, by reflection, and
            // for all fourteen that was most of a short command's start (issue 15: `sitelink status` under 300 ms).
            return new CommandLine(new One()).addSubcommand(args[0], new CommandLine(command)).execute(args);
        }
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            // The version alone needs no command: building them all ran their static initializers too (UpCommand's
            // system logger, whose service look-up opens every jar of the class path).
            return new CommandLine(new One()).execute(args);
        }
        return new CommandLine(new Main()).execute(args);
    }

    /** The commands by name, in the order of the help, from their annotations (no picocli model is built). */
    static Map<String, Class<?>> commands() {
        Map<String, Class<?>> byName = new LinkedHashMap<>();
        for (Class<?> c : Main.class.getAnnotation(Command.class).subcommands()) {
            byName.put(c.getAnnotation(Command.class).name(), c);
        }
        return byName;
    }

    /** The root of a command line that names its command: {@link Main} without the other commands. */
    @Command(name = "sitelink", mixinStandardHelpOptions = true, versionProvider = Main.Version.class)
    static final class One implements Runnable {
        @Override
        public void run() {
            CommandLine.usage(this, System.out);
        }
    }
}
