package org.inlinetls.appliance.daemon;

import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.shim.NetDevice;
import org.inlinetls.shim.Offload;
import org.inlinetls.shim.OffloadReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.EnumSet;
import java.util.Set;

/**
 * Puts a bridged interface into the state the engine needs (promiscuous, segment-merging offloads off) through the
 * native shim; closing the returned handle puts it back.
 */
final class NicPreparation
{
    private static final Logger LOG = LoggerFactory.getLogger(NicPreparation.class);

    private NicPreparation()
    {
    }

    /**
     * Prepares one interface as the config says.
     *
     * @return what restores it; a no-op when the config asks for nothing.
     * @throws IOException with the reason (no such interface, not root / no capability).
     */
    static AutoCloseable prepare(final ApplianceConfig config, final String ifName) throws IOException
    {
        final ApplianceConfig.Nic nic = config.nic();
        if (!nic.promiscuous() && nic.disableOffloads().isEmpty())
        {
            return () -> { };
        }
        final Throwable cause = NetDevice.unavailabilityCause();
        if (cause != null)
        {
            throw new IOException("cannot prepare interface " + ifName + ": " + cause.getMessage(), cause);
        }
        final NetDevice device = NetDevice.open(ifName);
        try
        {
            if (nic.promiscuous())
            {
                device.enablePromiscuous();
            }
            if (!nic.disableOffloads().isEmpty())
            {
                final OffloadReport report = device.disableOffloads(toShim(nic.disableOffloads()));
                if (!report.allApplied())
                {
                    LOG.warn("{}: offloads still on: {} (the driver refused; frames may arrive merged)", ifName,
                        report.notApplied());
                }
            }
            return device;
        }
        catch (final IOException | RuntimeException ex)
        {
            device.close();
            throw ex;
        }
    }

    private static Set<Offload> toShim(final Iterable<ApplianceConfig.OffloadName> names)
    {
        final Set<Offload> offloads = EnumSet.noneOf(Offload.class);
        for (final ApplianceConfig.OffloadName name : names)
        {
            offloads.add(Offload.valueOf(name.name()));
        }
        return offloads;
    }
}
