package org.inlinetls.shim;

import static org.inlinetls.shim.LinuxConstants.ETHTOOL_GFLAGS;
import static org.inlinetls.shim.LinuxConstants.ETHTOOL_GGRO;
import static org.inlinetls.shim.LinuxConstants.ETHTOOL_GGSO;
import static org.inlinetls.shim.LinuxConstants.ETHTOOL_GTSO;
import static org.inlinetls.shim.LinuxConstants.ETHTOOL_GTXCSUM;
import static org.inlinetls.shim.LinuxConstants.ETHTOOL_SFLAGS;
import static org.inlinetls.shim.LinuxConstants.ETHTOOL_SGRO;
import static org.inlinetls.shim.LinuxConstants.ETHTOOL_SGSO;
import static org.inlinetls.shim.LinuxConstants.ETHTOOL_STSO;
import static org.inlinetls.shim.LinuxConstants.ETHTOOL_STXCSUM;
import static org.inlinetls.shim.LinuxConstants.ETH_FLAG_LRO;

import java.util.function.Predicate;

/**
 * NIC offloads a transparent bridge must turn off, each with the kernel feature names it groups (as
 * {@code ethtool -k} groups them) and its legacy ethtool get/set commands ({@code struct ethtool_value},
 * linux/ethtool.h) with how its state sits in {@code ethtool_value.data}.
 *
 * <p>The named features (ETHTOOL_GFEATURES/SFEATURES) are used when the kernel offers them, because the legacy
 * commands cover a fixed mask: on Linux 6.18 ETHTOOL_STSO leaves {@code tx-tcp-accecn-segmentation} on, so
 * {@code ethtool -k} still reports TSO on. The legacy commands are the fallback.
 *
 * <p>Declared in the order they are turned off; they are restored in reverse, so TX checksumming (which TSO
 * depends on) comes back before TSO.
 */
public enum Offload
{
    /** Generic receive offload: the stack merges received segments before AF_PACKET sees them. */
    GRO("generic-receive-offload", ETHTOOL_GGRO, ETHTOOL_SGRO, "rx-gro"::equals),
    /** Generic segmentation offload: the stack hands oversized frames to the driver. */
    GSO("generic-segmentation-offload", ETHTOOL_GGSO, ETHTOOL_SGSO, "tx-generic-segmentation"::equals),
    /** TCP segmentation offload: the NIC cuts oversized TCP frames. */
    TSO("tcp-segmentation-offload", ETHTOOL_GTSO, ETHTOOL_STSO,
        name -> name.startsWith("tx-tcp") && name.endsWith("-segmentation")),
    /** Large receive offload: the NIC merges received segments; one bit (ETH_FLAG_LRO) of the flags word. */
    LRO("large-receive-offload", ETHTOOL_GFLAGS, ETHTOOL_SFLAGS, "rx-lro"::equals)
    {
        @Override
        public boolean isOn(final int data)
        {
            return (data & ETH_FLAG_LRO) != 0;
        }

        @Override
        public int withState(final int currentData, final boolean on)
        {
            return on ? currentData | ETH_FLAG_LRO : currentData & ~ETH_FLAG_LRO;
        }
    },
    /** TX checksum offload: frames leave with checksums still to be filled by the NIC. */
    TX_CHECKSUM("tx-checksumming", ETHTOOL_GTXCSUM, ETHTOOL_STXCSUM, name -> name.startsWith("tx-checksum-"));

    private final String ethtoolName;
    private final int getCommand;
    private final int setCommand;
    private final Predicate<String> ownsFeature;

    Offload(final String ethtoolName, final int getCommand, final int setCommand, final Predicate<String> ownsFeature)
    {
        this.ethtoolName = ethtoolName;
        this.getCommand = getCommand;
        this.setCommand = setCommand;
        this.ownsFeature = ownsFeature;
    }

    /**
     * @param featureName a kernel feature name from the ETH_SS_FEATURES string set, e.g. {@code tx-tcp6-segmentation}.
     * @return whether that feature is part of this offload, with the grouping {@code ethtool -k} uses.
     */
    public boolean ownsFeature(final String featureName)
    {
        return ownsFeature.test(featureName);
    }

    /**
     * @return the feature's name as {@code ethtool -k} prints it.
     */
    public String ethtoolName()
    {
        return ethtoolName;
    }

    /**
     * @return the ETHTOOL_Gxxx command that reads the state.
     */
    public int getCommand()
    {
        return getCommand;
    }

    /**
     * @return the ETHTOOL_Sxxx command that writes the state.
     */
    public int setCommand()
    {
        return setCommand;
    }

    /**
     * @return whether the offload is on, given the {@code data} a get command returned.
     */
    public boolean isOn(final int data)
    {
        return data != 0;
    }

    /**
     * @param currentData what the get command returned (needed where the word holds several flags).
     * @param on          the state wanted.
     * @return the {@code data} to pass to the set command.
     */
    public int withState(final int currentData, final boolean on)
    {
        return on ? 1 : 0;
    }
}
