package org.inlinetls.appliance.daemon;

import java.io.IOException;
import java.util.function.Function;
import java.util.function.Supplier;

import org.agrona.CloseHelper;
import org.agrona.concurrent.NanoClock;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.packet.port.PacketPort;
import org.inlinetls.packet.port.Pcap4jLivePort;
import org.inlinetls.packet.port.RingPort;
import org.inlinetls.packet.port.XskPort;
import org.inlinetls.shim.PacketSocket;
import org.inlinetls.shim.xdp.XdpAttachMode;
import org.inlinetls.shim.xdp.XdpProgram;
import org.inlinetls.shim.xdp.XskSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the two bridged ports with the configured driver, falling back xdp -> ring -> pcap, always with the reason in
 * the log: XDP + AF_XDP when configured (no bundled program, no libbpf, the kernel refusing it, no AF_XDP sockets, a
 * configuration XDP cannot serve, the NICs not in one bridge, an attach or open failure: the ring instead), the
 * AF_PACKET ring by default, and pcap4j when rings cannot be used here (no AF_PACKET, no TPACKET_V3, the ring refused
 * at open).
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

    /**
     * The two ports and the driver that actually opened them.
     *
     * @param xdp the XDP program and its intercept keys when the driver is {@link ApplianceConfig.IoDriver#XDP}
     *            (closed after the ports: it detaches the program), else null.
     */
    record Ports(PacketPort outside, PacketPort inside, ApplianceConfig.IoDriver driver, XdpIntercepts xdp)
    {
        Ports(final PacketPort outside, final PacketPort inside, final ApplianceConfig.IoDriver driver)
        {
            this(outside, inside, driver, null);
        }
    }

    private final ApplianceConfig config;
    private final NanoClock epochClock;
    private final Supplier<String> ringUnavailability;
    private final Supplier<String> xdpUnavailability;
    private final Function<String, String> linkDetails;

    /**
     * @param ringUnavailability null when rings can be opened, else why not ({@link RingPort#unavailabilityCause}
     *                           in production; tests simulate a machine without rings).
     * @param xdpUnavailability  null when the XDP program and AF_XDP sockets can be used, else why not
     *                           ({@link #xdpUnavailabilityCause} in production; tests simulate a machine without).
     * @param linkDetails        an interface's {@code ip -o -d link show} line, or null (the bridge check).
     */
    PortOpening(final ApplianceConfig config, final NanoClock epochClock, final Supplier<String> ringUnavailability,
        final Supplier<String> xdpUnavailability, final Function<String, String> linkDetails)
    {
        this.config = config;
        this.epochClock = epochClock;
        this.ringUnavailability = ringUnavailability;
        this.xdpUnavailability = xdpUnavailability;
        this.linkDetails = linkDetails;
    }

    PortOpening(final ApplianceConfig config, final NanoClock epochClock, final Supplier<String> ringUnavailability)
    {
        this(config, epochClock, ringUnavailability, PortOpening::xdpUnavailabilityCause,
            XdpIntercepts::ipLinkDetails);
    }

    PortOpening(final ApplianceConfig config, final NanoClock epochClock)
    {
        this(config, epochClock, RingPort::unavailabilityCause);
    }

    /** Why the XDP program or AF_XDP sockets cannot be used here, or null when both can. */
    static String xdpUnavailabilityCause()
    {
        try
        {
            final Throwable program = XdpProgram.unavailabilityCause();
            if (null != program)
            {
                return "the XDP program cannot be loaded: " + describe(program);
            }
            return XskPort.unavailabilityCause();
        }
        catch (final RuntimeException | LinkageError ex)
        {
            return "XDP support failed to initialise: " + describe(ex);
        }
    }

    private static String describe(final Throwable cause)
    {
        return null == cause.getMessage() ? cause.getClass().getSimpleName() : cause.getMessage();
    }

    /**
     * Opens outside then inside; a failure closes whatever was opened.
     *
     * @throws IOException when neither the configured driver nor the fallbacks can open both interfaces.
     */
    Ports open() throws IOException
    {
        final ApplianceConfig.IoDriver driver = config.io().driver();
        if (driver == ApplianceConfig.IoDriver.XDP)
        {
            final String cause = xdpRefusal();
            if (cause == null)
            {
                try
                {
                    return openXdp();
                }
                catch (final IOException | RuntimeException | LinkageError ex)
                {
                    LOG.warn("falling back to the ring driver: opening XDP/AF_XDP failed: {}", describe(ex));
                }
            }
            else
            {
                LOG.warn("falling back to the ring driver: {}", cause);
            }
        }
        detachXdpLeftovers();
        if (driver != ApplianceConfig.IoDriver.PCAP)
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

    /**
     * Before the ring or pcap take the NICs: an XDP program a previous run left (it stays attached when a daemon
     * stops or dies, so that the intercepted flows are held, not bridged, until the next start) would drop the
     * intercepted flows' frames before an AF_PACKET socket sees them. Ours is detached; another owner's is left, with
     * a warning.
     */
    private void detachXdpLeftovers()
    {
        if (null != xdpUnavailability.get())
        {
            return; // no libbpf or no program here: nothing of ours can be attached
        }
        for (final String ifName : new String[] {config.outside(), config.inside()})
        {
            try
            {
                if (XdpProgram.detachLeftover(ifName))
                {
                    LOG.warn("xdp: detached the XDP program a previous run left on {} (io.driver is {} now)", ifName,
                        word(config.io().driver()));
                }
            }
            catch (final IOException | RuntimeException | LinkageError ex)
            {
                LOG.warn("xdp: {}: {}", ifName, describe(ex));
            }
        }
    }

    /** Why XDP is not used here with this configuration (machine, services, bridge), or null. */
    private String xdpRefusal()
    {
        final String unavailable = xdpUnavailability.get();
        if (null != unavailable)
        {
            return unavailable;
        }
        final String refused = XdpIntercepts.refusal(config);
        if (null != refused)
        {
            return refused;
        }
        if (config.io().xdp().redirect() == ApplianceConfig.XdpRedirect.INTERCEPTED)
        {
            return XdpIntercepts.bridgeProblem(config.outside(), config.inside(), linkDetails);
        }
        return null;
    }

    private Ports openXdp() throws IOException
    {
        final ApplianceConfig.Xdp settings = config.io().xdp();
        final XdpProgram program = XdpProgram.load();
        final XdpIntercepts intercepts = new XdpIntercepts(program, config);
        PacketPort outside = null;
        PacketPort inside = null;
        try
        {
            final XdpAttachMode mode = attachMode(settings.attach());
            program.attach(config.outside(), mode);
            program.attach(config.inside(), mode);
            final XskPort outsideXsk = XskPort.open(config.outside(), XskSocket.Config.defaults());
            outside = outsideXsk;
            final XskPort insideXsk = XskPort.open(config.inside(), XskSocket.Config.defaults());
            inside = insideXsk;
            register(program, config.outside(), outsideXsk);
            register(program, config.inside(), insideXsk);
            final boolean all = settings.redirect() == ApplianceConfig.XdpRedirect.ALL;
            program.redirectAll(config.outside(), all);
            program.redirectAll(config.inside(), all);
            intercepts.apply(config);
            // keys a crashed run left (kept so its flows' segments were dropped, not bridged, until now) and this
            // configuration no longer has
            final int dropped = program.dropInheritedIntercepts(config.outside()) +
                program.dropInheritedIntercepts(config.inside());
            if (dropped > 0)
            {
                LOG.info("xdp: {} intercept key(s) of the previous run's program dropped (no longer configured)",
                    dropped);
            }
            LOG.info("xdp: program attached to {} ({} mode, {} queue(s)) and {} ({} mode, {} queue(s)), redirecting " +
                "{} to AF_XDP{}", config.outside(), word(program.attachedMode(config.outside())),
                outsideXsk.queueIds().length, config.inside(), word(program.attachedMode(config.inside())),
                insideXsk.queueIds().length, all ? "every frame" : "the services' flows",
                all ? "" : "; the rest is forwarded by the kernel bridge");
            return new Ports(outside, inside, ApplianceConfig.IoDriver.XDP, intercepts);
        }
        catch (final IOException | RuntimeException | Error ex)
        {
            // detach first: no frame is redirected to sockets about to close
            CloseHelper.quietClose(intercepts);
            if (null != inside)
            {
                inside.close();
            }
            if (null != outside)
            {
                outside.close();
            }
            throw ex;
        }
    }

    private static void register(final XdpProgram program, final String ifName, final XskPort port)
        throws IOException
    {
        final int[] queues = port.queueIds();
        final int[] fds = port.socketFds();
        for (int i = 0; i < queues.length; i++)
        {
            program.registerSocket(ifName, queues[i], fds[i]);
        }
    }

    private static XdpAttachMode attachMode(final ApplianceConfig.XdpAttach attach)
    {
        switch (attach)
        {
            case DRIVER:
                return XdpAttachMode.DRIVER;
            case GENERIC:
                return XdpAttachMode.GENERIC;
            default:
                return XdpAttachMode.AUTO;
        }
    }

    private static String word(final Enum<?> constant)
    {
        return null == constant ? "unknown" : constant.name().toLowerCase();
    }

    /**
     * Rings on both sides; frames leave in {@code sendmmsg(2)} batches. The PACKET_TX_RING alternative
     * ({@link PacketSocket.Config#txRing}) cost 15 % more daemon CPU per GB on the lab's veths in an A/B on a quiet
     * machine (benchmarks/README.md), so it stays off until measured on a NIC.
     */
    private Ports openRings() throws IOException
    {
        final PacketSocket.Config ring = PacketSocket.Config.defaults()
            .blockSize(RING_BLOCK_BYTES)
            .blockCount(Math.max(2, config.io().bufferBytes() / RING_BLOCK_BYTES))
            .promiscuous(config.nic().promiscuous());
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
