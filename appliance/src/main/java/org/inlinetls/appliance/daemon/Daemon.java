package org.inlinetls.appliance.daemon;

import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.packet.counter.CounterDescriptor;
import org.inlinetls.packet.counter.CountersFile;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.engine.BridgeAgent;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.port.FaultInjectingPort;
import org.inlinetls.packet.port.PacketPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The running appliance: bridged NICs prepared, ports open, agents on their threads; {@link #close()} undoes it all
 * in reverse order and logs the final counters.
 */
public final class Daemon implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    /** Counter slots in the counters file: two sides of per-port and per-anomaly counters, with room to grow. */
    private static final int MAX_COUNTERS = 256;
    public static final String COUNTERS_FILE_NAME = "counters.dat";

    private final ApplianceConfig config;
    private final List<AutoCloseable> closeInReverse = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private CountersFile countersFile;
    private ConductorAgent conductor;
    private PacketPort outsidePort;
    private PacketPort insidePort;
    private PortCounters outsideCounters;
    private PortCounters insideCounters;
    private boolean started;

    private final BiFunction<ApplianceConfig, NanoClock, PortOpening> portOpening;
    private ApplianceConfig.IoDriver ioDriver;
    private DirectWiring direct;

    private Daemon(final ApplianceConfig config,
        final BiFunction<ApplianceConfig, NanoClock, PortOpening> portOpening)
    {
        this.config = config;
        this.portOpening = portOpening;
    }

    /**
     * Prepares the NICs, opens the ports and starts the agents.
     *
     * @throws Exception with a clear reason when something cannot be set up; whatever was set up is undone.
     */
    public static Daemon start(final ApplianceConfig config) throws Exception
    {
        return start(config, PortOpening::new);
    }

    /** As {@link #start(ApplianceConfig)} with the port opening replaced (tests simulate a machine without rings). */
    static Daemon start(final ApplianceConfig config,
        final BiFunction<ApplianceConfig, NanoClock, PortOpening> portOpening) throws Exception
    {
        final Daemon daemon = new Daemon(config, portOpening);
        try
        {
            daemon.startUp();
            return daemon;
        }
        catch (final Exception | Error ex)
        {
            daemon.close();
            throw ex;
        }
    }

    private void startUp() throws Exception
    {
        final NanoClock clock = SystemNanoClock.INSTANCE;
        final NanoClock epochClock = () -> System.currentTimeMillis() * 1_000_000L;

        closeInReverse.add(NicPreparation.prepare(config, config.outside()));
        closeInReverse.add(NicPreparation.prepare(config, config.inside()));

        final PortOpening.Ports ports = portOpening.apply(config, epochClock).open();
        ioDriver = ports.driver();
        closeInReverse.add(ports.outside());
        closeInReverse.add(ports.inside());
        outsidePort = EngineWiring.withFaults(config, Side.OUTSIDE, ports.outside());
        insidePort = EngineWiring.withFaults(config, Side.INSIDE, ports.inside());
        final ApplianceConfig.Io io = config.io();

        countersFile = openCountersFile(config.runtimeDirectory());
        final CountersManager manager = countersFile.newManager();
        outsideCounters = new PortCounters(manager, Side.OUTSIDE.label());
        insideCounters = new PortCounters(manager, Side.INSIDE.label());

        FrameClassifier classifier = FrameClassifier.BRIDGE_ALL;
        if (!config.services().isEmpty())
        {
            direct = new DirectWiring(config, outsidePort, insidePort);
            closeInReverse.add(direct);
            classifier = direct.engine;
        }
        final BridgeAgent bridge = new BridgeAgent(outsidePort, insidePort, outsideCounters, insideCounters,
            classifier, EngineWiring.malformedPolicy(config), clock, io.batchFrames());
        conductor = new ConductorAgent(countersFile.reader(), clock, config.countersLogIntervalSec() * 1_000_000_000L);

        if (config.threading().mode() == ApplianceConfig.ThreadingMode.SHARED)
        {
            runners.add(new AgentRunner(idleStrategy(), this::onAgentError, null,
                new CompositeAgent(bridge, conductor)));
        }
        else
        {
            runners.add(new AgentRunner(idleStrategy(), this::onAgentError, null, bridge));
            runners.add(new AgentRunner(new SleepingMillisIdleStrategy(10), this::onAgentError, null, conductor));
        }
        for (final AgentRunner runner : runners)
        {
            AgentRunner.startOnThread(runner);
        }
        started = true;
        LOG.info("appliance started: bridging {} <-> {} ({} threading, {} I/O)", config.outside(), config.inside(),
            config.threading().mode().name().toLowerCase(), ioDriver.name().toLowerCase());
    }

    private static CountersFile openCountersFile(final Path directory) throws IOException
    {
        Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwxr-xr-x")));
        return CountersFile.create(directory.resolve(COUNTERS_FILE_NAME), MAX_COUNTERS);
    }

    private IdleStrategy idleStrategy()
    {
        switch (config.threading().idle())
        {
            case BUSY_SPIN:
                return new BusySpinIdleStrategy();
            case YIELDING:
                return new YieldingIdleStrategy();
            case SLEEPING:
                return new SleepingMillisIdleStrategy(1);
            default:
                return new BackoffIdleStrategy(100, 10, 1_000, 1_000_000);
        }
    }

    private void onAgentError(final Throwable error)
    {
        LOG.error("agent error (the agent keeps running)", error);
    }

    /** @return the driver the ports were opened with (the configured one, or pcap after a fallback). */
    public ApplianceConfig.IoDriver ioDriver()
    {
        return ioDriver;
    }

    /** Logs the counters on the conductor's next cycle; safe from a signal handler. */
    public void requestCountersLog()
    {
        if (conductor != null)
        {
            conductor.requestCountersLog();
        }
    }

    /** Stops the agents, logs final counters, closes the ports and restores the NICs. */
    @Override
    public void close()
    {
        CloseHelper.closeAll(runners);
        runners.clear();
        if (countersFile != null)
        {
            recordFaultCounters(outsidePort, outsideCounters);
            recordFaultCounters(insidePort, insideCounters);
            recordPortErrors(outsidePort, outsideCounters);
            recordPortErrors(insidePort, insideCounters);
            LOG.info("final counters:\n{}", CountersPrinter.format(countersFile.reader()));
            if (null != direct)
            {
                final StringBuilder text = new StringBuilder();
                for (final org.inlinetls.modes.direct.DirectCounter c : org.inlinetls.modes.direct.DirectCounter.values())
                {
                    final long v = direct.engine.counter(c);
                    if (v != 0)
                    {
                        text.append(String.format("  %-34s %,d%n", c.name().toLowerCase(), v));
                    }
                }
                LOG.info("direct mode counters:\n{}", text);
            }
        }
        for (int i = closeInReverse.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(closeInReverse.get(i));
        }
        closeInReverse.clear();
        CloseHelper.quietClose(countersFile);
        countersFile = null;
        LOG.info(started ? "appliance stopped" : "start-up undone");
    }

    /** Called after the agents stopped: the ports are no longer used by another thread. */
    private static void recordPortErrors(final PacketPort port, final PortCounters counters)
    {
        if (port != null && counters != null)
        {
            counters.get(CounterDescriptor.RX_ERRORS).setRelease(port.rxErrors());
        }
    }

    private static void recordFaultCounters(final PacketPort port, final PortCounters counters)
    {
        if (port instanceof FaultInjectingPort && counters != null)
        {
            final FaultInjectingPort faults = (FaultInjectingPort)port;
            set(counters.get(CounterDescriptor.FAULT_LOST), faults.framesLost());
            set(counters.get(CounterDescriptor.FAULT_REORDERED), faults.framesReordered());
            set(counters.get(CounterDescriptor.FAULT_DUPLICATED), faults.framesDuplicated());
        }
    }

    private static void set(final AtomicCounter counter, final long value)
    {
        counter.setRelease(value);
    }
}
