package org.inlinetls.shim.xdp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import jnr.ffi.Pointer;
import org.inlinetls.shim.LibC;

/**
 * How many receive queues an interface has, asked in the calling thread's network namespace: an AF_XDP socket
 * serves one queue, so a port opens one per queue. /sys/class/net shows the namespace /sys was mounted in, not
 * the thread's, so the ethtool ioctl (on a socket created in the thread's namespace) comes first.
 */
public final class RxQueues
{
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final long SIOCETHTOOL = 0x8946;
    private static final int ETHTOOL_GCHANNELS = 0x3c;
    /** {@code struct ethtool_channels}: cmd, then max_rx, max_tx, max_other, max_combined, rx, tx, other, combined. */
    private static final int ETHTOOL_CHANNELS_SIZE = 36;
    private static final int CHANNELS_RX_COUNT_OFFSET = 20;
    private static final int CHANNELS_COMBINED_COUNT_OFFSET = 32;
    /** {@code struct ifreq}: name[16], then the union whose {@code ifr_data} pointer is used here. */
    private static final int IFREQ_SIZE = 40;
    private static final int IFREQ_DATA_OFFSET = 16;
    private static final int IFNAMSIZ = 16;
    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;

    private RxQueues()
    {
    }

    /**
     * Number of receive queues of an interface of the calling thread's namespace (ETHTOOL_GCHANNELS: rx plus
     * combined channels), else the {@code rx-*} directories in sysfs, else 1.
     */
    public static int count(final String interfaceName)
    {
        try
        {
            final int control = LibC.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0, "ethtool control");
            try
            {
                final Pointer channels = LibC.allocate(ETHTOOL_CHANNELS_SIZE);
                channels.putInt(0, ETHTOOL_GCHANNELS);
                final Pointer ifr = LibC.allocate(IFREQ_SIZE);
                final byte[] name = interfaceName.getBytes(StandardCharsets.US_ASCII);
                ifr.put(0, name, 0, Math.min(name.length, IFNAMSIZ - 1));
                ifr.putAddress(IFREQ_DATA_OFFSET, channels.address());
                if (LibC.ioctlOrErrno(control, SIOCETHTOOL, ifr) >= 0)
                {
                    final int count = channels.getInt(CHANNELS_RX_COUNT_OFFSET)
                        + channels.getInt(CHANNELS_COMBINED_COUNT_OFFSET);
                    if (count > 0)
                    {
                        return count;
                    }
                }
            }
            finally
            {
                LibC.close(control, "ethtool control");
            }
        }
        catch (final IOException | RuntimeException ignored)
        {
            // fall through to sysfs
        }
        try (Stream<Path> queues = Files.list(Path.of("/sys/class/net", interfaceName, "queues")))
        {
            final long count = queues.filter(p -> p.getFileName().toString().startsWith("rx-")).count();
            return count > 0 ? (int)count : 1;
        }
        catch (final IOException | RuntimeException ex)
        {
            return 1;
        }
    }
}
