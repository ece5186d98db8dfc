package org.inlinetls.shim;

import static org.inlinetls.shim.LinuxConstants.ETHTOOL_GFEATURES;
import static org.inlinetls.shim.LinuxConstants.ETHTOOL_GSSET_INFO;
import static org.inlinetls.shim.LinuxConstants.ETHTOOL_GSTRINGS;
import static org.inlinetls.shim.LinuxConstants.ETHTOOL_SFEATURES;
import static org.inlinetls.shim.LinuxConstants.ETH_GSTRING_LEN;
import static org.inlinetls.shim.LinuxConstants.ETH_SS_FEATURES;
import static org.inlinetls.shim.LinuxConstants.SIOCETHTOOL;
import static org.inlinetls.shim.StructLayout.FEATURES_BLOCKS_OFFSET;
import static org.inlinetls.shim.StructLayout.FEATURES_SIZE_OFFSET;
import static org.inlinetls.shim.StructLayout.GET_FEATURES_ACTIVE_OFFSET;
import static org.inlinetls.shim.StructLayout.GET_FEATURES_AVAILABLE_OFFSET;
import static org.inlinetls.shim.StructLayout.GET_FEATURES_BLOCK_SIZE;
import static org.inlinetls.shim.StructLayout.GET_FEATURES_REQUESTED_OFFSET;
import static org.inlinetls.shim.StructLayout.GSTRINGS_DATA_OFFSET;
import static org.inlinetls.shim.StructLayout.GSTRINGS_LEN_OFFSET;
import static org.inlinetls.shim.StructLayout.GSTRINGS_SET_OFFSET;
import static org.inlinetls.shim.StructLayout.IFREQ_DATA_OFFSET;
import static org.inlinetls.shim.StructLayout.SET_FEATURES_BLOCK_SIZE;
import static org.inlinetls.shim.StructLayout.SET_FEATURES_REQUESTED_OFFSET;
import static org.inlinetls.shim.StructLayout.SET_FEATURES_VALID_OFFSET;
import static org.inlinetls.shim.StructLayout.SSET_INFO_DATA_OFFSET;
import static org.inlinetls.shim.StructLayout.SSET_INFO_MASK_OFFSET;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;

import jnr.ffi.Pointer;

/**
 * The kernel's named device features (ETHTOOL_GSSET_INFO/GSTRINGS for the names, ETHTOOL_GFEATURES/SFEATURES for
 * the bits), the interface {@code ethtool -k/-K} itself uses. Feature {@code i} is bit {@code i % 32} of block
 * {@code i / 32}.
 */
final class EthtoolFeatures
{
    /** One GFEATURES answer: per feature whether the driver can change it, is asked for it, and has it on. */
    record Snapshot(BitSet available, BitSet requested, BitSet active)
    {
    }

    private final String ifName;
    private final int controlFd;
    private final String[] names;
    private final int blocks;

    private EthtoolFeatures(final String ifName, final int controlFd, final String[] names)
    {
        this.ifName = ifName;
        this.controlFd = controlFd;
        this.names = names;
        this.blocks = (names.length + 31) / 32;
    }

    /**
     * @return the feature table of the interface, or null when the kernel does not offer named features.
     */
    static EthtoolFeatures load(final String ifName, final int controlFd)
    {
        final Pointer info = LibC.allocate(SSET_INFO_DATA_OFFSET + 4);
        info.putInt(0, ETHTOOL_GSSET_INFO);
        info.putLong(SSET_INFO_MASK_OFFSET, 1L << ETH_SS_FEATURES);
        if (ioctl(ifName, controlFd, info) < 0 || info.getLong(SSET_INFO_MASK_OFFSET) == 0)
        {
            return null;
        }
        final int count = info.getInt(SSET_INFO_DATA_OFFSET);
        if (count <= 0 || count > 4096)
        {
            return null;
        }
        final Pointer strings = LibC.allocate(GSTRINGS_DATA_OFFSET + count * ETH_GSTRING_LEN);
        strings.putInt(0, ETHTOOL_GSTRINGS);
        strings.putInt(GSTRINGS_SET_OFFSET, ETH_SS_FEATURES);
        strings.putInt(GSTRINGS_LEN_OFFSET, count);
        if (ioctl(ifName, controlFd, strings) < 0)
        {
            return null;
        }
        final String[] names = new String[count];
        final byte[] raw = new byte[ETH_GSTRING_LEN];
        for (int i = 0; i < count; i++)
        {
            strings.get(GSTRINGS_DATA_OFFSET + (long)i * ETH_GSTRING_LEN, raw, 0, ETH_GSTRING_LEN);
            int length = 0;
            while (length < ETH_GSTRING_LEN && raw[length] != 0)
            {
                length++;
            }
            names[i] = new String(raw, 0, length, StandardCharsets.US_ASCII);
        }
        return new EthtoolFeatures(ifName, controlFd, names);
    }

    String name(final int feature)
    {
        return names[feature];
    }

    /**
     * @return the features belonging to the offload (may be empty on a kernel that names them differently).
     */
    BitSet featuresOf(final Offload offload)
    {
        final BitSet result = new BitSet(names.length);
        for (int i = 0; i < names.length; i++)
        {
            if (offload.ownsFeature(names[i]))
            {
                result.set(i);
            }
        }
        return result;
    }

    /**
     * @return every feature's bits, or null with the errno in {@code errnoOut[0]} when GFEATURES fails.
     */
    Snapshot read(final int[] errnoOut)
    {
        final Pointer g = LibC.allocate(FEATURES_BLOCKS_OFFSET + blocks * GET_FEATURES_BLOCK_SIZE);
        g.putInt(0, ETHTOOL_GFEATURES);
        g.putInt(FEATURES_SIZE_OFFSET, blocks);
        final int rc = ioctl(ifName, controlFd, g);
        if (rc < 0)
        {
            errnoOut[0] = -rc;
            return null;
        }
        final BitSet available = new BitSet(names.length);
        final BitSet requested = new BitSet(names.length);
        final BitSet active = new BitSet(names.length);
        for (int i = 0; i < names.length; i++)
        {
            final long block = FEATURES_BLOCKS_OFFSET + (long)(i / 32) * GET_FEATURES_BLOCK_SIZE;
            final int bit = 1 << (i % 32);
            available.set(i, (g.getInt(block + GET_FEATURES_AVAILABLE_OFFSET) & bit) != 0);
            requested.set(i, (g.getInt(block + GET_FEATURES_REQUESTED_OFFSET) & bit) != 0);
            active.set(i, (g.getInt(block + GET_FEATURES_ACTIVE_OFFSET) & bit) != 0);
        }
        return new Snapshot(available, requested, active);
    }

    /**
     * Asks for the features in {@code valid} to be {@code requested}; the kernel then recomputes the active set
     * (dependencies may keep some off, or turn others off).
     *
     * @return 0 or a positive ETHTOOL_F_* warning mask on success, {@code -errno} on failure.
     */
    int write(final BitSet valid, final BitSet requested)
    {
        final Pointer s = LibC.allocate(FEATURES_BLOCKS_OFFSET + blocks * SET_FEATURES_BLOCK_SIZE);
        s.putInt(0, ETHTOOL_SFEATURES);
        s.putInt(FEATURES_SIZE_OFFSET, blocks);
        for (int b = 0; b < blocks; b++)
        {
            int validBits = 0;
            int requestedBits = 0;
            for (int bit = 0; bit < 32 && b * 32 + bit < names.length; bit++)
            {
                validBits |= valid.get(b * 32 + bit) ? 1 << bit : 0;
                requestedBits |= requested.get(b * 32 + bit) ? 1 << bit : 0;
            }
            final long block = FEATURES_BLOCKS_OFFSET + (long)b * SET_FEATURES_BLOCK_SIZE;
            s.putInt(block + SET_FEATURES_VALID_OFFSET, validBits);
            s.putInt(block + SET_FEATURES_REQUESTED_OFFSET, requestedBits);
        }
        return ioctl(ifName, controlFd, s);
    }

    private static int ioctl(final String ifName, final int controlFd, final Pointer command)
    {
        final Pointer ifr = EthtoolOffloads.ifreq(ifName);
        ifr.putPointer(IFREQ_DATA_OFFSET, command);
        return LibC.ioctlOrErrno(controlFd, SIOCETHTOOL, ifr);
    }
}
