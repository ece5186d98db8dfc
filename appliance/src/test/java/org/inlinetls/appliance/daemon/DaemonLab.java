package org.inlinetls.appliance.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.shim.NetnsLab;

/**
 * The root daemon tests' lab: two veth pairs a–b and c–d with offloads off in a namespace of their own, and the
 * daemon's configuration bridging b ⇄ c with its runtime files in a test's directory.
 */
final class DaemonLab
{
    private DaemonLab()
    {
    }

    /** Skips the test unless root (fails it without iproute2 and ethtool); else a lab with both pairs set up. */
    static NetnsLab create() throws IOException
    {
        NetnsLab.assumeRootWithTools();
        final NetnsLab lab = NetnsLab.createWithOffloadsOff();
        try
        {
            return lab.addVethPairWithOffloadsOff("c", "d");
        }
        catch (final IOException | RuntimeException ex)
        {
            lab.close();
            throw ex;
        }
    }

    /** A configuration with outside b, inside c, the runtime directory and {@code extra} YAML lines. */
    static ApplianceConfig config(final Path runtime, final String extra) throws Exception
    {
        final String yaml = "interfaces: {outside: b, inside: c}\n" +
            "runtime: {directory: " + runtime + "}\n" + extra;
        final Path file = runtime.resolve("appliance.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.parse(file, yaml);
    }
}
