package sitelink.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the sitelink command line. */
@Command(name = "sitelink", mixinStandardHelpOptions = true, version = "sitelink 0.1.0",
        description = "Site-to-site VPN gateway speaking the WireGuard protocol.",
        subcommands = {DemoCommand.class, UpCommand.class, CheckCommand.class, ReloadCommand.class, StatusCommand.class, DiagnoseCommand.class, DeviceCommand.class, KeyCommands.GenKey.class, KeyCommands.PubKey.class,
                KeyCommands.GenPsk.class})
public final class Main implements Runnable {
    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
