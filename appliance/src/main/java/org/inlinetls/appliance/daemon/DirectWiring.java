package org.inlinetls.appliance.daemon;

import java.io.IOException;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.cert.CertificateStore;
import org.inlinetls.handshake.cert.CertificateStoreException;
import org.inlinetls.handshake.keylog.KeyLogWriterAgent;
import org.inlinetls.handshake.session.ChronicleSessionStore;
import org.inlinetls.handshake.session.HeapSessionStore;
import org.inlinetls.handshake.session.SessionStore;
import org.inlinetls.handshake.session.TicketKeys;
import org.inlinetls.modes.direct.DirectEngine;
import org.inlinetls.modes.direct.FrameOut;
import org.inlinetls.modes.direct.ServiceTable;
import org.inlinetls.modes.ModeChange;
import org.inlinetls.modes.ModeChangeProxy;
import org.inlinetls.modes.ServiceModeClassifier;
import org.inlinetls.modes.lb.LbNatStage;
import org.inlinetls.modes.lb.LbServiceTable;
import org.inlinetls.modes.proxy.ProxyEngine;
import org.inlinetls.modes.proxy.ProxyServiceTable;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.counter.CounterDescriptor;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.port.PacketPort;
import org.inlinetls.seqdb.FlowJournal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the modes from the configuration: the certificate store and TLS policy as a {@link HandshakeConfig}, the
 * flow journal, the {@link DirectEngine} that sends through the bridge's own ports behind the load-balancing
 * {@link LbNatStage}, and the {@link ProxyEngine} of full-proxy services, all three on the same bridge through a
 * {@link ServiceModeClassifier} (each is there even without services of its mode, so a reload can move a service to
 * any mode); when configured, the key log export. On a reload (conductor thread) it prepares every mode's new
 * services over the same certificate store, session stores, ticket keys and key log as one {@link ModeChange} the
 * data path applies between two frames ({@link #prepareReload}, {@link #commit}).
 */
public final class DirectWiring implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(DirectWiring.class);
    private static final long FIN_LINGER_NS = 2_000_000_000L;
    /** MSS of the full-proxy endpoints: Ethernet's 1500-byte MTU less IPv4 and TCP headers. */
    private static final int PROXY_MSS = 1460;

    private final List<AutoCloseable> resources = new ArrayList<>();
    final DirectEngine engine;
    /** The load-balancing mode in front of the engine (with or without load-balanced services). */
    private final LoadBalancingWiring loadBalancing;
    private final LbNatStage stage;
    /** What the bridge hands its frames to: the full-proxy engine, then the load-balancing stage and the engine. */
    private final ServiceModeClassifier classifier;
    /** The full-proxy services' engine (with or without full-proxy services). */
    final ProxyEngine proxyEngine;
    /** The configuration whose services run (conductor thread after start). */
    private ApplianceConfig runningConfig;
    /** Address and listen port of full-proxy and load-balanced services another mode served before a reload. */
    private java.util.Set<List<Integer>> handedOver = java.util.Set.of();
    final FlowJournal journal;
    private final CertificateStore store;
    private final SecureRandom random = new SecureRandom();
    private SessionStore sessionStore;
    private TicketKeys ticketKeys;
    private KeyLogWriterAgent keyLog;

    /**
     * @param outsideCounters counted as the bridge counts what it forwards: frames the direct mode builds are
     *                        frames out (or transmit failures) of their port too.
     */
    DirectWiring(final ApplianceConfig config, final PacketPort outside, final PacketPort inside,
        final PortCounters outsideCounters, final PortCounters insideCounters)
        throws IOException, CertificateStoreException
    {
        // refuses a service the direct or load-balancing mode cannot serve before anything is opened
        loadBalancing = LoadBalancingWiring.create(config, services(config));
        if (null != loadBalancing)
        {
            resources.add(loadBalancing);
        }
        final ApplianceConfig.Tls tls = config.tls();
        store = CertificateStore.open(config.certificates());
        if (tls.sessionTickets().enabled())
        {
            ticketKeys = new TicketKeys(32, tls.sessionTickets().rotationIntervalSec() * 1_000L,
                System::currentTimeMillis, random);
        }
        if (tls.sessionCache().enabled())
        {
            sessionStore = null == tls.sessionCache().path() ?
                new HeapSessionStore(tls.sessionCache().maxEntries()) :
                ChronicleSessionStore.open(tls.sessionCache().path(), tls.sessionCache().maxEntries(),
                    System::currentTimeMillis);
            resources.add(sessionStore);
        }
        if (config.export().keyLogEnabled())
        {
            keyLog = startKeyLog(config.export());
        }
        journal = openJournal(config.journal().toJournalConfig(tls.allowCbc()));
        resources.add(journal);
        final FrameOut ports = ports(outside, inside, outsideCounters, insideCounters);
        final HandshakeConfig handshake = handshakeConfig(tls);
        stage = loadBalancing.newStage(config, ports, journal.seed());
        final List<DirectEngine.Service> engineServices = loadBalancing.engineServices(services(config));
        engine = newEngine(config, engineServices, handshake, journal, stage.engineFrameOut());
        stage.engine(engine);
        loadBalancing.startHealthChecks();
        final List<ProxyEngine.Service> proxyServices = new ArrayList<>(proxyServices(config));
        proxyServices.addAll(loadBalancing.proxied()); // cookie persistence, PROXY header: delayed binding
        runningConfig = config;
        proxyEngine = newProxyEngine(config, proxyServices, handshake, ports);
        proxyEngine.sharedBackends(sharedBackends(engineServices));
        proxyEngine.backendMacs(stage::learnedMac);
        classifier = new ServiceModeClassifier(proxyEngine, stage);
        if (!proxyServices.isEmpty())
        {
            LOG.info("full-proxy: {} service(s) ({} of them load-balanced with delayed binding), {} bytes of buffers " +
                "per flow, budget {} MiB", proxyServices.size(), loadBalancing.proxied().size(),
                proxyEngine.flowCostBytes(), config.fullProxy().memoryBudgetMb());
        }
    }

    private ProxyEngine newProxyEngine(final ApplianceConfig config, final List<ProxyEngine.Service> services,
        final HandshakeConfig handshake, final FrameOut out)
    {
        final ApplianceConfig.FullProxy proxy = config.fullProxy();
        final int bufferBytes = proxy.bufferKb() * 1024;
        return new ProxyEngine(new ProxyEngine.Settings(services, handshake, config.tls().integrity(), PROXY_MSS,
            bufferBytes, bufferBytes, ProxyEngine.Settings.MIN_STAGE_BYTES, proxy.memoryBudgetMb() << 20,
            proxy.idleTimeoutSec() * 1_000_000_000L, proxy.timeWaitMs() * 1_000_000L, true, random.nextLong()), out);
    }

    /** The direct engine's services as the full-proxy engine sees them: backends it may share with them. */
    private static List<ProxyEngine.Service> sharedBackends(final List<DirectEngine.Service> directServices)
    {
        final List<ProxyEngine.Service> shared = new ArrayList<>();
        for (final DirectEngine.Service direct : directServices)
        {
            shared.add(new ProxyEngine.Service(direct.ipv4Address(), direct.listenPort(), direct.backendPort()));
        }
        return shared;
    }

    /**
     * The full-proxy services of a configuration (IPv4 only so far).
     *
     * @throws IOException naming a service the full-proxy engine cannot serve.
     */
    static List<ProxyEngine.Service> proxyServices(final ApplianceConfig config) throws IOException
    {
        final List<ProxyEngine.Service> services = new ArrayList<>();
        for (final ApplianceConfig.Service service : config.services())
        {
            if (service.mode() != ApplianceConfig.ServiceMode.FULL_PROXY)
            {
                continue;
            }
            if (!(service.listen().getAddress() instanceof Inet4Address))
            {
                throw new IOException("service '" + service.name() + "': full-proxy takes IPv4 services only so far");
            }
            final int address = ByteBuffer.wrap(service.listen().getAddress().getAddress()).getInt();
            services.add(new ProxyEngine.Service(address, service.listen().getPort(), service.backendPort()));
        }
        return services;
    }

    /** What the bridge gives its frames to: the modes' engines, the full-proxy one first. */
    FrameClassifier classifier()
    {
        return classifier;
    }

    /** The way the conductor hands the data path a prepared reload. */
    ModeChangeProxy modeChanges()
    {
        return classifier.changes();
    }

    /** The load-balancing stage (in front of the engine). */
    LbNatStage stage()
    {
        return stage;
    }

    /**
     * Has the load-balancing stage copy its counters and the health checks' into the daemon's shared counters once a
     * second ({@code appliance stats}, {@code /metrics}); nothing without load-balanced services.
     */
    void publishLoadBalancingCounters(final org.agrona.concurrent.status.CountersManager manager)
    {
        loadBalancing.publishCounters(manager);
    }

    /** The load-balancing mode's counters, one per line; empty when none moved. */
    String loadBalancingCounters()
    {
        return loadBalancing.describeCounters();
    }

    /**
     * For {@code appliance replay}: the direct mode of the configuration over a journal of the caller's (a
     * throw-away one on tmpfs) and without the certificate store, since every handshake is stood in for by the
     * replay's handshake factory.
     */
    public static DirectEngine replayEngine(final ApplianceConfig config, final FlowJournal journal, final PacketPort outside,
        final PacketPort inside, final PortCounters outsideCounters, final PortCounters insideCounters)
        throws IOException
    {
        final HandshakeConfig noCertificates = HandshakeConfig.builder(serverName ->
        {
            throw new IllegalStateException("replay stands in for every handshake: no certificate is needed");
        }).build();
        if (!LoadBalancingWiring.loadBalanced(config).isEmpty())
        {
            throw new IOException("replay runs the direct mode only: remove the load-balancing services from the " +
                "configuration");
        }
        return newEngine(config, services(config), noCertificates, journal,
            ports(outside, inside, outsideCounters, insideCounters));
    }

    /**
     * Opens the journal; one written with another layout (an older or newer appliance after a package change, or
     * another ring capacity or checkpoint length) cannot be continued: it is set aside ({@code .incompatible}, kept
     * for a revert), said so loudly, and a new journal starts, rather than the daemon refusing to start after an
     * upgrade (the unit keeps its runtime directory across stops).
     */
    static FlowJournal openJournal(final org.inlinetls.seqdb.JournalConfig journalConfig) throws IOException
    {
        try
        {
            return FlowJournal.open(journalConfig);
        }
        catch (final org.inlinetls.seqdb.IncompatibleJournalException ex)
        {
            final java.nio.file.Path aside = FlowJournal.setAside(journalConfig);
            LOG.warn("{}: moved to {}; its flows cannot be continued, a new journal starts", ex.getMessage(), aside);
            return FlowJournal.open(journalConfig);
        }
    }

    /** The bridge's own ports, counted as the bridge counts what it forwards. */
    private static FrameOut ports(final PacketPort outside, final PacketPort inside,
        final PortCounters outsideCounters, final PortCounters insideCounters)
    {
        return new FrameOut()
        {
            @Override
            public boolean toClient(final org.agrona.DirectBuffer buffer, final int offset, final int length)
            {
                return counted(outside.send(buffer, offset, length), outsideCounters, length);
            }

            @Override
            public boolean toServer(final org.agrona.DirectBuffer buffer, final int offset, final int length)
            {
                return counted(inside.send(buffer, offset, length), insideCounters, length);
            }
        };
    }

    private static DirectEngine newEngine(final ApplianceConfig config, final List<DirectEngine.Service> services,
        final HandshakeConfig handshake, final FlowJournal journal, final FrameOut out)
    {
        final ApplianceConfig.Tls tls = config.tls();
        // tls.sack: translate (default) or strip SACK-permitted from the SYNs (much slower under loss)
        return new DirectEngine(new DirectEngine.Settings(services, handshake,
            services.isEmpty() ? IntegrityMode.DEFERRED : tls.integrity(), false, // strict serves full-proxy only
            tls.allowCbc() ? DirectEngine.Settings.CBC_MAX_RECORD_OVERHEAD :
                DirectEngine.Settings.AEAD_MAX_RECORD_OVERHEAD,
            config.journal().idleTimeoutSec() * 1_000_000_000L, FIN_LINGER_NS,
            tls.sack() == ApplianceConfig.SackMode.TRANSLATE,
            config.journal().parkAfterMs() * 1_000_000L, config.switching()), journal, out);
    }

    /**
     * The engine's direct services of a configuration, each with its own non-TLS action (load-balanced services are
     * {@link LoadBalancingWiring}'s).
     *
     * @throws IOException naming the service the direct engine cannot serve.
     */
    static List<DirectEngine.Service> services(final ApplianceConfig config) throws IOException
    {
        final List<DirectEngine.Service> services = new ArrayList<>();
        for (final ApplianceConfig.Service service : config.services())
        {
            if (service.mode() == ApplianceConfig.ServiceMode.LOAD_BALANCING ||
                service.mode() == ApplianceConfig.ServiceMode.FULL_PROXY)
            {
                continue; // LoadBalancingWiring's and the full-proxy engine's (see proxyServices)
            }
            if (service.mode() != ApplianceConfig.ServiceMode.DIRECT)
            {
                throw new IOException("service '" + service.name() + "': mode " + service.mode() +
                    " is not implemented yet (direct, load-balancing and full-proxy are)");
            }
            if (!(service.listen().getAddress() instanceof Inet4Address))
            {
                throw new IOException("service '" + service.name() + "': only IPv4 services are implemented so far");
            }
            final int address = ByteBuffer.wrap(service.listen().getAddress().getAddress()).getInt();
            services.add(new DirectEngine.Service(address, service.listen().getPort(), service.backendPort(),
                service.onNonTls() == ApplianceConfig.NonTlsAction.PASS));
        }
        return services;
    }

    /**
     * A reload prepared on the conductor: the change the data path applies in one step (every mode's new services)
     * and what {@link #commit} makes the running state once it was handed over.
     */
    record Reload(ModeChange change, LoadBalancingWiring.Prepared loadBalancing, ApplianceConfig config,
        java.util.Set<List<Integer>> handedOver)
    {
    }

    /**
     * Prepares every mode's services of a reloaded configuration (conductor thread; nothing running changes but the
     * certificate store). New flows follow the new services from the frame after the data path applied the change;
     * flows in flight keep the mode, service and backend they started with (also when their service moved to
     * another mode at the same address and port, or its pool changed); flows of a service no mode serves any more are
     * reset on both legs and counted. The certificate files are re-read and swapped into the store last, once
     * everything else was built, so a failure changes nothing; the store's selection is lock-free, so handshakes
     * starting from then on use the new certificates.
     *
     * @param config the effective configuration (settings that need a restart at their running values).
     * @throws IOException               a service a mode cannot serve (the reason names it).
     * @throws CertificateStoreException a certificate or key that does not load (the store keeps the old ones).
     */
    Reload prepareReload(final ApplianceConfig config) throws IOException, CertificateStoreException
    {
        final List<DirectEngine.Service> direct = services(config);
        final List<ProxyEngine.Service> proxy = new ArrayList<>(proxyServices(config));
        final java.util.Map<List<Integer>, ApplianceConfig.ServiceMode> before = modesByIdentity(runningConfig);
        final java.util.Map<List<Integer>, ApplianceConfig.ServiceMode> after = modesByIdentity(config);
        final java.util.Set<List<Integer>> nextHandedOver = new java.util.HashSet<>();
        after.forEach((identity, mode) ->
        {
            final ApplianceConfig.ServiceMode was = before.get(identity);
            if (mode != ApplianceConfig.ServiceMode.DIRECT && (null != was && was != mode ||
                handedOver.contains(identity)))
            {
                nextHandedOver.add(identity);
            }
        });
        final long[] lbHandedOver = new long[nextHandedOver.size()];
        int n = 0;
        for (final List<Integer> identity : nextHandedOver)
        {
            lbHandedOver[n++] = LbServiceTable.key(identity.get(0), identity.get(1));
        }
        final LoadBalancingWiring.Prepared lb = loadBalancing.prepare(config, direct, after.keySet(), lbHandedOver);
        try
        {
            proxy.addAll(LoadBalancingWiring.proxied(lb.running()));
            final List<DirectEngine.Service> engineServices = LoadBalancingWiring.engineServices(direct, lb.running());
            if (!engineServices.isEmpty() && config.tls().integrity() != IntegrityMode.DEFERRED)
            {
                throw new IOException("direct and load-balanced services need integrity: deferred (this daemon " +
                    "started with only full-proxy services under integrity: " +
                    config.tls().integrity().name().toLowerCase() + ")");
            }
            final List<DirectEngine.Service> directElsewhere = new ArrayList<>(lb.retainedInternal());
            final List<ProxyEngine.Service> proxyElsewhere = new ArrayList<>(sharedBackends(engineServices));
            proxyElsewhere.addAll(sharedBackends(lb.retainedInternal()));
            for (final ProxyEngine.Service p : proxy)
            {
                directElsewhere.add(new DirectEngine.Service(p.ipv4Address(), p.listenPort(), p.backendPort()));
            }
            for (final ApplianceConfig.Service service : LoadBalancingWiring.loadBalanced(config))
            {
                final int vip = ByteBuffer.wrap(service.listen().getAddress().getAddress()).getInt();
                directElsewhere.add(new DirectEngine.Service(vip, service.listen().getPort(), 0));
                proxyElsewhere.add(new ProxyEngine.Service(vip, service.listen().getPort(), 0));
            }
            final List<ProxyEngine.Service> proxyHandedOver = new ArrayList<>();
            for (final ProxyEngine.Service p : proxy)
            {
                if (nextHandedOver.contains(List.of(p.ipv4Address(), p.listenPort())))
                {
                    proxyHandedOver.add(p);
                }
            }
            final HandshakeConfig handshake = handshakeConfig(config.tls());
            final ServiceTable directTable = new ServiceTable(engineServices, handshake, directElsewhere);
            final ApplianceConfig.FullProxy limits = config.fullProxy();
            final ProxyServiceTable proxyTable = new ProxyServiceTable(proxy, handshake, proxyElsewhere,
                proxyHandedOver, limits.memoryBudgetMb() << 20, limits.idleTimeoutSec() * 1_000_000_000L,
                limits.timeWaitMs() * 1_000_000L);
            final LbServiceTable lbTable = lb.table();
            store.reload(config.certificates());
            final DirectEngine directEngine = engine;
            final ProxyEngine proxyModeEngine = proxyEngine;
            final LbNatStage lbStage = stage;
            // the stage first: it resets the flows of removed virtual services through the engine, which then
            // takes its table (flows of services that moved to another mode stay)
            final ModeChange change = nowNs ->
            {
                proxyModeEngine.applyServices(proxyTable, nowNs);
                lbStage.applyServices(lbTable, nowNs);
                directEngine.applyServices(directTable, nowNs);
            };
            return new Reload(change, lb, config, java.util.Set.copyOf(nextHandedOver));
        }
        catch (final IOException | CertificateStoreException | RuntimeException ex)
        {
            lb.start().forEach(org.inlinetls.modes.lb.HealthCheckAgent::onClose); // never started
            throw ex;
        }
    }

    /**
     * Makes a prepared reload the running one on the conductor (the configuration the next reload compares with, the
     * health checks of the new pools); the data path takes its change when the conductor's offer goes through.
     */
    void commit(final Reload reload)
    {
        loadBalancing.commit(reload.loadBalancing());
        runningConfig = reload.config();
        handedOver = reload.handedOver();
    }

    /**
     * Address and listen port of each service of a configuration, with the mode of the engine that serves it: a
     * load-balanced service with delayed binding (cookie persistence, PROXY header) counts as full-proxy, since the
     * full-proxy engine carries its flows, so a reload that turns one kind into the other hands the address over.
     */
    private static java.util.Map<List<Integer>, ApplianceConfig.ServiceMode> modesByIdentity(
        final ApplianceConfig config)
    {
        final java.util.Map<List<Integer>, ApplianceConfig.ServiceMode> modes = new java.util.HashMap<>();
        for (final ApplianceConfig.Service service : config.services())
        {
            if (service.listen().getAddress() instanceof Inet4Address)
            {
                final boolean delayed = service.mode() == ApplianceConfig.ServiceMode.LOAD_BALANCING &&
                    LoadBalancingWiring.delayedBinding(service);
                modes.put(List.of(ByteBuffer.wrap(service.listen().getAddress().getAddress()).getInt(),
                    service.listen().getPort()), delayed ? ApplianceConfig.ServiceMode.FULL_PROXY : service.mode());
            }
        }
        return modes;
    }

    /** The TLS policy over this wiring's certificate store, session store, ticket keys and key log. */
    private HandshakeConfig handshakeConfig(final ApplianceConfig.Tls tls)
    {
        final HandshakeConfig.Builder handshake = HandshakeConfig.builder(store)
            .suites(tls.suites())
            .allowCbc(tls.allowCbc())
            .minimumVersion(tls.minVersion())
            .groups(tls.groups().toArray(new org.inlinetls.handshake.KeyShareGroup[0]))
            .alpnProtocols(tls.alpn().toArray(new String[0]))
            .random(random)
            .sessionLifetimeMs(tls.sessionTickets().lifetimeSec() * 1_000L)
            .tickets(tls.sessionTickets().enabled())
            .sessionIds(tls.sessionCache().enabled());
        if (tls.allowCbc())
        {
            handshake.cbcSuites(tls.cbcSuites().toArray(new org.inlinetls.crypto.cbc.CbcSuite[0]));
        }
        if (null != ticketKeys)
        {
            handshake.ticketKeys(ticketKeys);
        }
        if (null != sessionStore)
        {
            handshake.sessionStore(sessionStore);
        }
        if (null != keyLog)
        {
            handshake.keyLog(keyLog);
        }
        return handshake.build();
    }

    /**
     * The opt-in key log export: its writer on a thread of its own (role {@code keylog}), so a handshake on the data
     * path only offers its secrets to a queue. Closing drains what is queued and closes the file.
     */
    private KeyLogWriterAgent startKeyLog(final ApplianceConfig.Export export) throws IOException
    {
        LOG.warn("!!! KEY LOG EXPORT IS ON: the session secrets of every TLS handshake are written to {} " +
            "(NSS key log format, mode 0600, rotated at {} bytes). Anyone who reads it can decrypt the captured " +
            "traffic. Lab and debugging use only: remove 'export.keyLog' from the configuration in production. !!!",
            export.keyLog(), export.keyLogMaxBytes());
        final KeyLogWriterAgent writer = new KeyLogWriterAgent(export.keyLog(), export.keyLogMaxBytes(),
            KeyLogWriterAgent.DEFAULT_QUEUE_CAPACITY);
        final AgentRunner runner = new AgentRunner(new SleepingMillisIdleStrategy(10),
            error -> LOG.error("key log writer error (it keeps running)", error), null, writer);
        AgentRunner.startOnThread(runner, new PinnedThreadFactory("keylog", ApplianceConfig.Cpus.UNPINNED));
        resources.add(() ->
        {
            runner.close();
            LOG.info("key log: {} handshakes written to {}, {} dropped (queue full), {} lost to write errors",
                writer.entriesWritten(), writer.path(), writer.entriesDropped(), writer.writeErrors());
        });
        return writer;
    }

    private static boolean counted(final boolean sent, final PortCounters counters, final int length)
    {
        if (sent)
        {
            counters.get(CounterDescriptor.FRAMES_OUT).incrementRelease();
            counters.get(CounterDescriptor.BYTES_OUT).getAndAddRelease(length);
        }
        else
        {
            counters.get(CounterDescriptor.TX_FAILED).incrementRelease();
        }
        return sent;
    }

    @Override
    public void close()
    {
        for (int i = resources.size() - 1; i >= 0; i--)
        {
            try
            {
                resources.get(i).close();
            }
            catch (final Exception ignored)
            {
                // closing what is left; nothing more to do
            }
        }
    }
}
