package org.inlinetls.packet.port;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.PcapStat;
import org.pcap4j.core.Pcaps;

import java.io.IOException;

/**
 * A live port on a network interface through libpcap (pcap4j): the portable fallback data path.
 * <p>
 * The handle captures inbound frames only ({@code pcap_setdirection(PCAP_D_IN)}), so frames this port injects are
 * never read back, and runs in immediate, non-blocking mode so one thread can poll two ports. pcap4j copies each
 * frame into a fresh {@code byte[]} (through JNA): this path allocates per frame and costs 10–20 CPU-seconds per GB
 * here, which is why the AF_PACKET ring is to become the default (DESIGN §3).
 */
public final class Pcap4jLivePort implements PacketPort
{
    private final String name;
    private final PcapHandle handle;
    private final NanoClock epochClock;
    private final UnsafeBuffer rxView = new UnsafeBuffer(0, 0);
    private final byte[] txScratch;
    private long rxErrors;
    private long txErrors;

    private Pcap4jLivePort(final String name, final PcapHandle handle, final NanoClock epochClock, final int snapLength)
    {
        this.name = name;
        this.handle = handle;
        this.epochClock = epochClock;
        this.txScratch = new byte[snapLength];
    }

    /**
     * Opens an interface for capture and injection.
     *
     * @param epochClock stamps received frames (pcap4j's own stamp would allocate a {@code Timestamp} per frame).
     * @throws IOException naming the interface and libpcap's reason (no such device, no permission, no libpcap).
     */
    public static Pcap4jLivePort open(
        final String interfaceName, final int snapLength, final int bufferBytes, final NanoClock epochClock)
        throws IOException
    {
        final PcapHandle handle;
        try
        {
            handle = new PcapHandle.Builder(interfaceName)
                .snaplen(snapLength)
                .promiscuousMode(PcapNetworkInterface.PromiscuousMode.PROMISCUOUS)
                .timeoutMillis(1)
                .bufferSize(bufferBytes)
                .immediateMode(true)
                .build();
        }
        catch (final PcapNativeException | RuntimeException | UnsatisfiedLinkError ex)
        {
            throw new IOException("libpcap: cannot open " + interfaceName + ": " + ex.getMessage(), ex);
        }
        try
        {
            handle.setDirection(PcapHandle.PcapDirection.IN);
            handle.setBlockingMode(PcapHandle.BlockingMode.NONBLOCKING);
        }
        catch (final Exception ex)
        {
            handle.close();
            throw new IOException("libpcap: cannot set direction/non-blocking on " + interfaceName + ": " +
                ex.getMessage(), ex);
        }
        return new Pcap4jLivePort(interfaceName, handle, epochClock, snapLength);
    }

    /** Null when libpcap can be loaded, else why not. */
    public static String unavailabilityCause()
    {
        try
        {
            Pcaps.libVersion();
            return null;
        }
        catch (final Throwable ex)
        {
            return "libpcap cannot be loaded (apt-get install libpcap0.8): " + ex;
        }
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public int receive(final FrameHandler handler, final int limit)
    {
        int count = 0;
        try
        {
            while (count < limit)
            {
                final byte[] frame = handle.getNextRawPacket();
                if (frame == null)
                {
                    break;
                }
                rxView.wrap(frame);
                handler.onFrame(rxView, 0, frame.length, epochClock.nanoTime());
                count++;
            }
        }
        catch (final Exception ex)
        {
            rxErrors++;
        }
        return count;
    }

    @Override
    public boolean send(final DirectBuffer buffer, final int offset, final int length)
    {
        try
        {
            final byte[] array = buffer.byteArray();
            if (array != null && offset == 0 && buffer.wrapAdjustment() == 0)
            {
                handle.sendPacket(array, length);
            }
            else if (length <= txScratch.length)
            {
                buffer.getBytes(offset, txScratch, 0, length);
                handle.sendPacket(txScratch, length);
            }
            else
            {
                txErrors++;
                return false;
            }
            return true;
        }
        catch (final Exception ex)
        {
            txErrors++;
            return false;
        }
    }

    /** Frames the kernel dropped for this handle (ring full), from {@code pcap_stats}; -1 if unknown. */
    public long kernelDrops()
    {
        try
        {
            final PcapStat stats = handle.getStats();
            return stats.getNumPacketsDropped();
        }
        catch (final Exception ex)
        {
            return -1;
        }
    }

    @Override
    public long rxErrors()
    {
        return rxErrors;
    }

    @Override
    public long txErrors()
    {
        return txErrors;
    }

    @Override
    public void close()
    {
        handle.close();
    }
}
