package org.inlinetls.appliance.cli;

import org.agrona.concurrent.ShutdownSignalBarrier;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigException;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.appliance.daemon.Daemon;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code appliance run --config FILE}: runs the daemon in the foreground until SIGTERM or SIGINT.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run the appliance in the foreground. SIGTERM/SIGINT stop it cleanly (NICs restored, counters "
        + "logged); SIGUSR1 logs the counters; 'appliance stats' reads them at any time. SIGHUP, or saving the "
        + "config file, reloads it: services, certificates and TLS policy apply to new flows at once; an invalid "
        + "file is rejected (file:line: reason) and the last good configuration stays.")
public final class RunCommand implements Callable<Integer>
{
    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "The YAML configuration.")
    private Path configFile;

    @Override
    public Integer call()
    {
        final ApplianceConfig config;
        try
        {
            config = ConfigLoader.load(configFile);
        }
        catch (final ConfigException ex)
        {
            System.err.println("invalid configuration: " + ex.getMessage());
            return ApplianceMain.EXIT_USAGE;
        }
        LOG.info("effective {}", config.describe());
        // the barrier's shutdown hook holds JVM exit until close(): the daemon is stopped cleanly before that
        try (ShutdownSignalBarrier barrier = new ShutdownSignalBarrier())
        {
            final Daemon daemon;
            try
            {
                daemon = Daemon.start(config);
            }
            catch (final Exception ex)
            {
                LOG.error("cannot start: {}", ex.getMessage());
                LOG.debug("start failure", ex);
                return ApplianceMain.EXIT_FAILURE;
            }
            try
            {
                Signal.handle(new Signal("USR1"), signal -> daemon.requestCountersLog());
            }
            catch (final IllegalArgumentException ex)
            {
                LOG.warn("SIGUSR1 is not available on this JVM; use 'appliance stats' to read counters");
            }
            try
            {
                Signal.handle(new Signal("HUP"), signal -> daemon.requestReload());
            }
            catch (final IllegalArgumentException ex)
            {
                LOG.warn("SIGHUP is not available on this JVM; the config file is still watched for changes");
            }
            barrier.await();
            LOG.info("shutdown requested");
            daemon.close();
        }
        return ApplianceMain.EXIT_OK;
    }
}
