package org.inlinetls.appliance.cli;

import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigException;
import org.inlinetls.appliance.config.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code appliance check-config FILE}: validates a configuration without applying it.
 */
@Command(name = "check-config", mixinStandardHelpOptions = true,
    description = "Validate a configuration file and print the effective configuration; exit 2 if invalid.")
public final class CheckConfigCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "FILE", description = "The YAML configuration file.")
    private Path file;

    @Override
    public Integer call()
    {
        try
        {
            final ApplianceConfig config = ConfigLoader.load(file);
            System.out.print(config.describe());
            System.out.println("configuration OK");
            return ApplianceMain.EXIT_OK;
        }
        catch (final ConfigException ex)
        {
            System.err.println("invalid configuration: " + ex.getMessage());
            return ApplianceMain.EXIT_USAGE;
        }
    }
}
