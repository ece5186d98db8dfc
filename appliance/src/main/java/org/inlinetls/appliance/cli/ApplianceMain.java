package org.inlinetls.appliance.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code appliance} command line.
 */
@Command(
    name = "appliance",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
        "Inline TLS accelerator: a transparent bridge between two interfaces that terminates TLS for the servers "
            + "behind it.",
        "Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration."},
    footer = {
        "",
        "Installed from the Debian package inline-tls:",
        "  config   /etc/inline-tls/appliance.yaml (every key documented there)",
        "  runtime  /run/inline-tls (appliance stats --runtime-dir /run/inline-tls)",
        "  service  inline-tls.service (systemctl reload inline-tls sends SIGHUP)",
        "  manual   man appliance"},
    subcommands = {
        RunCommand.class,
        ReplayCommand.class,
        CheckConfigCommand.class,
        StatsCommand.class,
        FlowsCommand.class,
        CommandLine.HelpCommand.class})
public final class ApplianceMain
{
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    /** Runs the command line and exits with its code. */
    public static void main(final String[] args)
    {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int execute(final String... args)
    {
        final CommandLine commandLine = new CommandLine(new ApplianceMain());
        return commandLine.execute(args);
    }
}
