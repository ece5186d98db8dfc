package org.inlinetls.appliance.daemon;

import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
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
import org.inlinetls.packet.counter.LatencyHistogram;
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
import java.util.concurrent.ThreadFactory;
import java.util.function.BiFunction;

/**
 * The running appliance: bridged NICs prepared, ports open, agents on their threads; {@link #close()} undoes it all
 * in reverse order and logs the final counters.
 */
public final class Daemon implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    /** Counter slots in the counters file: two sides of per-port and per-anomaly counters, with room to grow. */
    private static final int MAX_COUNTERS = 384;
    public static final String COUNTERS_FILE_NAME = "counters.dat";
    /** The I/O driver gauges: one per driver and the XDP intercept keys. */
    private static final int IO_COUNTERS = ApplianceConfig.IoDriver.values().length + 1;

    private final ApplianceConfig config;
    private final List<AutoCloseable> closeInReverse = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    /** The thread factory of each runner, same index; null for the caller's default (shared mode). */
    private final List<ThreadFactory> threadFactories = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private FlowWorkers flowWorkers;
    private CountersFile countersFile;
    private ConductorAgent conductor;
    private ConfigReloader reloader;
    private PacketPort outsidePort;
    private PacketPort insidePort;
    private PortCounters outsideCounters;
    private PortCounters insideCounters;
    private boolean started;
    /** The agents' threads once started, for /healthz (read on the metrics thread). */
    private volatile Thread[] running = new Thread[0];
    private MetricsServer metrics;

    private final BiFunction<ApplianceConfig, NanoClock, PortOpening> portOpening;
    private ApplianceConfig.IoDriver ioDriver;
    private DirectWiring direct;
    /** The XDP program and its intercept keys on the xdp driver, else null. */
    private XdpIntercepts xdp;

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
        final ApplianceConfig.Threading threading = config.threading();
        final boolean dispatched = threading.mode() == ApplianceConfig.ThreadingMode.DEDICATED &&
            threading.workers() > 1;
        PinnedThreadFactory.checkAllowed(threading.cpus());

        closeInReverse.add(NicPreparation.prepare(config, config.outside()));
        closeInReverse.add(NicPreparation.prepare(config, config.inside()));

        final PortOpening.Ports ports = portOpening.apply(config, epochClock).open();
        ioDriver = ports.driver();
        closeInReverse.add(ports.outside());
        closeInReverse.add(ports.inside());
        xdp = ports.xdp();
        if (null != xdp)
        {
            // released before the ports; the program stays attached and drops the services' flows once the sockets
            // close (fail closed: the next start continues them from the journal)
            final XdpIntercepts intercepts = xdp;
            closeInReverse.add(intercepts::closeLeavingAttached);
        }
        if (dispatched && ioDriver == ApplianceConfig.IoDriver.PCAP)
        {
            // with xdp the dispatcher reads the AF_XDP sockets; the workers transmit through AF_PACKET as on the ring
            throw new IllegalStateException("threading.workers: " + threading.workers() + " needs the ring I/O " +
                "driver or xdp (each worker transmits through AF_PACKET sockets of its own), but the ports were " +
                "opened with pcap" + (config.io().driver() != ApplianceConfig.IoDriver.PCAP ?
                " after the " + config.io().driver().name().toLowerCase() + " driver failed (see the warnings " +
                "above)" : " (io.driver: pcap)") + "; use io.driver: ring or threading.workers: 1");
        }
        countersFile = openCountersFile(config.runtimeDirectory(), maxCounters(threading.workers()));
        final CountersManager manager = countersFile.newManager();
        publishIoDriver(manager);
        conductor = new ConductorAgent(countersFile.reader(), clock, config.countersLogIntervalSec() * 1_000_000_000L);
        if (dispatched)
        {
            startFlowWorkers(ports, manager, clock);
        }
        else
        {
            startBridge(ports, manager, clock);
        }
        reloader = new ConfigReloader(config, direct, manager, xdp);
        closeInReverse.add(reloader);
        conductor.reloader(reloader);
        for (int i = 0; i < runners.size(); i++)
        {
            final ThreadFactory factory = threadFactories.get(i);
            threads.add(factory == null ?
                AgentRunner.startOnThread(runners.get(i)) : AgentRunner.startOnThread(runners.get(i), factory));
        }
        started = true;
        running = threads.toArray(new Thread[0]);
        if (config.metrics().enabled())
        {
            metrics = new MetricsServer(config.metrics().address(), countersFile.reader(), this::agentsRunning);
        }
        LOG.info("appliance started: bridging {} <-> {} ({} threading{}, {} I/O{})", config.outside(),
            config.inside(), threading.mode().name().toLowerCase(),
            dispatched ? ", " + threading.workers() + " workers" : "", ioDriver.name().toLowerCase(),
            null == xdp ? "" : xdp.redirectsAll() ? ": every frame through AF_XDP" :
                ": " + xdp.applied().size() + " intercept key(s) through AF_XDP, the rest by the kernel bridge");
    }

    /**
     * Gauges {@code io driver_ring}, {@code io driver_pcap}, {@code io driver_xdp} (1 for the driver the ports were
     * opened with, after any fallback) and, on xdp, {@code io xdp_intercept_keys} (set again after each reload).
     */
    private void publishIoDriver(final CountersManager manager)
    {
        for (final ApplianceConfig.IoDriver driver : ApplianceConfig.IoDriver.values())
        {
            manager.newCounter("io driver_" + driver.name().toLowerCase(),
                DirectCountersPublisher.JOURNAL_GAUGE_TYPE_ID).setRelease(driver == ioDriver ? 1 : 0);
        }
        if (null != xdp)
        {
            final AtomicCounter keys = manager.newCounter("io xdp_intercept_keys",
                DirectCountersPublisher.JOURNAL_GAUGE_TYPE_ID);
            keys.setRelease(xdp.applied().size());
            xdp.keysGauge(keys);
        }
    }

    /** Shared (one thread) or dedicated with one worker (bridge thread and conductor thread): today's layout. */
    private void startBridge(final PortOpening.Ports ports, final CountersManager manager, final NanoClock clock)
        throws Exception
    {
        outsidePort = EngineWiring.withFaults(config, Side.OUTSIDE, ports.outside());
        insidePort = EngineWiring.withFaults(config, Side.INSIDE, ports.inside());
        final ApplianceConfig.Io io = config.io();
        outsideCounters = new PortCounters(manager, Side.OUTSIDE.label());
        insideCounters = new PortCounters(manager, Side.INSIDE.label());

        FrameClassifier classifier = FrameClassifier.BRIDGE_ALL;
        if (!config.services().isEmpty())
        {
            final NanoClock epochClock = () -> System.currentTimeMillis() * 1_000_000L;
            final PlaintextExport plaintext = startPlaintextExport(config.export(), manager);
            direct = new DirectWiring(config, outsidePort,
                null == plaintext ? insidePort : plaintext.tappingSends(insidePort, epochClock),
                outsideCounters, insideCounters);
            closeInReverse.add(direct);
            direct.engine.countersSink(new DirectCountersPublisher(manager, direct.journal)
                .engine(manager, direct.engine));
            direct.publishLoadBalancingCounters(manager);
            if (null != direct.proxyEngine)
            {
                direct.proxyEngine.countersSink(new ProxyCountersPublisher(manager,
                    config.fullProxy().memoryBudgetMb() << 20).engine(manager, direct.proxyEngine));
            }
            // the engine, or the load-balancing NAT stage in front of it, and the full-proxy engine when configured
            final FrameClassifier engineSide = direct.classifier();
            classifier = null == plaintext ? engineSide : plaintext.tapping(engineSide, epochClock);
        }
        final BridgeAgent bridge = new BridgeAgent(outsidePort, insidePort, outsideCounters, insideCounters,
            classifier, EngineWiring.malformedPolicy(config), clock, io.batchFrames(),
            new LatencyHistogram(manager, "bridge"));
        final ApplianceConfig.Cpus cpus = config.threading().cpus();
        if (config.threading().mode() == ApplianceConfig.ThreadingMode.SHARED)
        {
            addRunner(idleStrategy(), new CompositeAgent(bridge, conductor), null);
        }
        else
        {
            addRunner(idleStrategy(), bridge, new PinnedThreadFactory("bridge", cpus.worker(0)));
            addRunner(new SleepingMillisIdleStrategy(10), conductor,
                new PinnedThreadFactory("conductor", cpus.conductor()));
        }
    }

    /**
     * Dedicated with N workers: a dispatcher thread reading both ports, N bridge workers each with its own transmit
     * sockets, and the conductor (which also keeps the per-side counter totals) on a thread of its own.
     */
    private void startFlowWorkers(final PortOpening.Ports ports, final CountersManager manager, final NanoClock clock)
    {
        outsidePort = ports.outside();
        insidePort = ports.inside();
        flowWorkers = new FlowWorkers(config, outsidePort, insidePort, manager, clock,
            FlowWorkers.ringTxPorts(config), EngineWiring.malformedPolicy(config));
        closeInReverse.add(flowWorkers);
        final ApplianceConfig.Cpus cpus = config.threading().cpus();
        addRunner(idleStrategy(), flowWorkers.dispatcher, new PinnedThreadFactory("dispatcher", cpus.dispatcher()));
        for (int i = 0; i < flowWorkers.workers.length; i++)
        {
            addRunner(idleStrategy(), flowWorkers.workers[i], new PinnedThreadFactory("worker-" + i, cpus.worker(i)));
        }
        addRunner(new SleepingMillisIdleStrategy(10), new CompositeAgent(conductor, flowWorkers.totalsAgent(clock)),
            new PinnedThreadFactory("conductor", cpus.conductor()));
    }

    /**
     * The opt-in plaintext export on a thread of its own (role {@code export}), or null when it is off. Loud: the
     * file holds decrypted traffic.
     */
    private PlaintextExport startPlaintextExport(final ApplianceConfig.Export export, final CountersManager manager)
        throws IOException
    {
        if (!export.plaintextEnabled())
        {
            return null;
        }
        LOG.warn("!!! PLAINTEXT EXPORT IS ON: the decrypted traffic of every intercepted flow, as the servers see " +
            "it, is written to {} (pcap, mode 0600, rotated at {} bytes). Anyone who reads it reads that traffic. " +
            "Remove 'export.plaintextPcap' from the configuration unless an IDS or a debugging session needs it. !!!",
            export.plaintextPcap(), export.plaintextPcapMaxBytes());
        final PlaintextExport plaintext = new PlaintextExport(export.plaintextPcap(), export.plaintextPcapMaxBytes(),
            manager.newCounter("export plaintext_frames", DirectCountersPublisher.DIRECT_TYPE_ID),
            manager.newCounter("export plaintext_dropped", DirectCountersPublisher.DIRECT_TYPE_ID),
            manager.newCounter("export plaintext_rotations", DirectCountersPublisher.DIRECT_TYPE_ID));
        closeInReverse.add(plaintext);
        addRunner(new SleepingMillisIdleStrategy(1), plaintext,
            new PinnedThreadFactory("export", ApplianceConfig.Cpus.UNPINNED));
        return plaintext;
    }

    private void addRunner(final IdleStrategy idle, final Agent agent, final PinnedThreadFactory threadFactory)
    {
        runners.add(new AgentRunner(idle, this::onAgentError, null,
            threadFactory == null ? agent : new RoleNamedAgent(agent, threadFactory.threadName())));
        threadFactories.add(threadFactory);
    }

    /**
     * Counter slots: two sides of per-port and per-anomaly counters per worker and in total, with room to grow, and
     * a latency histogram per bridge or worker.
     */
    private static int maxCounters(final int workers)
    {
        return Math.max(MAX_COUNTERS + LatencyHistogram.COUNTERS,
            workers > 1 ? FlowWorkers.counterCount(workers) + IO_COUNTERS : 0);
    }

    private static CountersFile openCountersFile(final Path directory, final int maxCounters) throws IOException
    {
        Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwxr-xr-x")));
        return CountersFile.create(directory.resolve(COUNTERS_FILE_NAME), maxCounters);
    }

    /** The agents' threads, in start order; empty after {@link #close()}. */
    /** Whether every agent thread runs (for /healthz): false before start, after close, or when one died. */
    boolean agentsRunning()
    {
        final Thread[] snapshot = running;
        if (snapshot.length == 0)
        {
            return false;
        }
        for (final Thread thread : snapshot)
        {
            if (!thread.isAlive())
            {
                return false;
            }
        }
        return true;
    }

    /** The management endpoint's port, or -1 when it is off (tests bind port 0). */
    int metricsPort()
    {
        final MetricsServer server = metrics;
        return null == server ? -1 : server.port();
    }

    /** The XDP program and its keys on the xdp driver, else null (tests). */
    XdpIntercepts xdpIntercepts()
    {
        return xdp;
    }

    List<Thread> threads()
    {
        return List.copyOf(threads);
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

    /** @return the driver the ports were opened with (the configured one, or ring or pcap after a fallback). */
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

    /**
     * Reloads the configuration file on the conductor's next cycle (SIGHUP): services, certificates and the TLS
     * policy of new handshakes apply at once; an invalid file is rejected and logged; safe from a signal handler.
     */
    public void requestReload()
    {
        if (conductor != null)
        {
            conductor.requestReload();
        }
    }

    /** @return the configuration in force: the last good one loaded, with settings that need a restart as started. */
    ApplianceConfig runningConfig()
    {
        return null == reloader ? config : reloader.running();
    }

    /** Stops the agents, logs final counters, closes the ports and restores the NICs. */
    @Override
    public void close()
    {
        CloseHelper.quietClose(metrics);
        metrics = null;
        running = new Thread[0];
        CloseHelper.closeAll(runners);
        runners.clear();
        threadFactories.clear();
        threads.clear();
        if (countersFile != null)
        {
            if (flowWorkers != null)
            {
                flowWorkers.recordFinalCounters();
            }
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
                final String loadBalancing = direct.loadBalancingCounters();
                if (!loadBalancing.isEmpty())
                {
                    LOG.info("load-balancing counters:\n{}", loadBalancing);
                }
            }
            if (null != direct && null != direct.proxyEngine)
            {
                final StringBuilder text = new StringBuilder();
                for (final org.inlinetls.modes.proxy.ProxyCounter c : org.inlinetls.modes.proxy.ProxyCounter.values())
                {
                    final long v = direct.proxyEngine.counter(c);
                    if (v != 0)
                    {
                        text.append(String.format("  %-34s %,d%n", c.name().toLowerCase(), v));
                    }
                }
                if (text.length() > 0)
                {
                    LOG.info("full-proxy counters:\n{}", text);
                }
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
