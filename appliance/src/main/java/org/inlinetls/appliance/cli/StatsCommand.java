package org.inlinetls.appliance.cli;

import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.appliance.daemon.CountersPrinter;
import org.inlinetls.appliance.daemon.Daemon;
import org.inlinetls.packet.counter.CountersFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;

/**
 * {@code appliance stats}: prints the counters of the running (or last) daemon from its counters file.
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
    description = "Print the counters of the running or most recent daemon, read from its counters file.")
public final class StatsCommand implements Callable<Integer>
{
    @Option(names = "--runtime-dir", paramLabel = "DIR", description = "The daemon's runtime.directory.")
    private Path runtimeDirectory = Path.of(ConfigLoader.defaultRuntimeDirectory());

    @Override
    public Integer call()
    {
        final Path file = runtimeDirectory.resolve(Daemon.COUNTERS_FILE_NAME);
        try (CountersFile counters = CountersFile.open(file))
        {
            final boolean alive = ProcessHandle.of(counters.pid()).map(ProcessHandle::isAlive).orElse(false);
            System.out.println("daemon pid " + counters.pid() + (alive ? " (running)" : " (not running)") +
                ", started " + Instant.ofEpochMilli(counters.startEpochMs()));
            System.out.print(CountersPrinter.format(counters.reader()));
            return ApplianceMain.EXIT_OK;
        }
        catch (final IOException ex)
        {
            System.err.println("no counters: " + ex.getMessage());
            return ApplianceMain.EXIT_FAILURE;
        }
    }
}
