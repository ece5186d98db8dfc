package org.inlinetls.appliance.cli;

import picocli.CommandLine;

/**
 * Reports the build version from the jar manifest.
 */
public final class VersionProvider implements CommandLine.IVersionProvider
{
    @Override
    public String[] getVersion()
    {
        final String version = ApplianceMain.class.getPackage().getImplementationVersion();
        return new String[]{"appliance " + (version == null ? "(development build)" : version),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")"};
    }
}
