package org.inlinetls.appliance.daemon;

import java.io.IOException;
import java.util.function.Supplier;

import org.agrona.concurrent.NanoClock;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.packet.port.PacketPort;
import org.inlinetls.packet.port.Pcap4jLivePort;
import org.inlinetls.packet.port.RingPort;
import org.inlinetls.shim.PacketSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the two bridged ports with the configured driver: the AF_PACKET ring by default, and pcap4j when rings
 * cannot be used here (no AF_PACKET, no TPACKET_V3, the ring refused at open), always with the reason in the log.
 */
final class PortOpening
{
    private static final Logger LOG = LoggerFactory.getLogger(PortOpening.class);
    /**
     * Ring block size. The kernel hands a block over when it is full or after the 1 ms retire timeout, so at low
     * rates each block holds about 1 ms of traffic: many smaller blocks ride out a longer stall of the reader than
     * a few big ones of the same total (16 MiB as 64 x 256 KiB: about 64 ms).
     */
    static final int RING_BLOCK_BYTES = 256 << 10;

    /** The two ports and the driver that actually opened them. */
    record Ports(PacketPort outside, PacketPort inside, ApplianceConfig.IoDriver driver)
    {
    }

    private final ApplianceConfig config;
    private final NanoClock epochClock;
    private final Supplier<String> ringUnavailability;

    /**
     * @param ringUnavailability null when rings can be opened, else why not ({@link RingPort#unavailabilityCause}
     *                           in production; tests simulate a machine without rings).
     */
    PortOpening(final ApplianceConfig config, final NanoClock epochClock, final Supplier<String> ringUnavailability)
    {
        this.config = config;
        this.epochClock = epochClock;
        this.ringUnavailability = ringUnavailability;
    }

    PortOpening(final ApplianceConfig config, final NanoClock epochClock)
    {
        this(config, epochClock, RingPort::unavailabilityCause);
    }

    /**
     * Opens outside then inside; a failure closes whatever was opened.
     *
     * @throws IOException when neither the configured driver nor the fallback can open both interfaces.
     */
    Ports open() throws IOException
    {
        if (config.io().driver() == ApplianceConfig.IoDriver.RING)
        {
            final String cause = ringUnavailability.get();
            if (cause == null)
            {
                try
                {
                    return openRings();
                }
                catch (final IOException ex)
                {
                    LOG.warn("falling back to the pcap driver: opening AF_PACKET rings failed: {}", ex.getMessage());
                }
            }
            else
            {
                LOG.warn("falling back to the pcap driver: {}", cause);
            }
        }
        return openPcap();
    }

    /** Rings on both sides; frames leave through a PACKET_TX_RING (no second copy in the kernel, one send per flush). */
    private Ports openRings() throws IOException
    {
        final PacketSocket.Config ring = PacketSocket.Config.defaults()
            .blockSize(RING_BLOCK_BYTES)
            .blockCount(Math.max(2, config.io().bufferBytes() / RING_BLOCK_BYTES))
            .promiscuous(config.nic().promiscuous())
            .txRing(true);
        final RingPort outside = RingPort.open(config.outside(), ring);
        try
        {
            return new Ports(outside, RingPort.open(config.inside(), ring), ApplianceConfig.IoDriver.RING);
        }
        catch (final IOException | RuntimeException ex)
        {
            outside.close();
            throw ex;
        }
    }

    private Ports openPcap() throws IOException
    {
        final String pcapProblem = Pcap4jLivePort.unavailabilityCause();
        if (pcapProblem != null)
        {
            throw new IOException(pcapProblem);
        }
        final ApplianceConfig.Io io = config.io();
        final PacketPort outside = Pcap4jLivePort.open(config.outside(), io.snapLengthBytes(), io.bufferBytes(),
            epochClock);
        try
        {
            return new Ports(outside, Pcap4jLivePort.open(config.inside(), io.snapLengthBytes(), io.bufferBytes(),
                epochClock), ApplianceConfig.IoDriver.PCAP);
        }
        catch (final IOException | RuntimeException ex)
        {
            outside.close();
            throw ex;
        }
    }
}
