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
import org.inlinetls.modes.ServiceModeClassifier;
import org.inlinetls.modes.lb.LbNatStage;
import org.inlinetls.modes.proxy.ProxyEngine;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.counter.CounterDescriptor;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.port.PacketPort;
import org.inlinetls.seqdb.FlowJournal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the direct mode from the configuration: the certificate store and TLS policy as a {@link HandshakeConfig},
 * the flow journal, and the {@link DirectEngine} that sends through the bridge's own ports (with the
 * {@link ProxyEngine} of full-proxy services, on the same bridge through a {@link ServiceModeClassifier} when modes
 * are mixed); when configured, the key log export; and, on a reload, the engine's new {@link ServiceTable}
 * (conductor thread) over the same certificate store, session stores, ticket keys and key log.
 */
public final class DirectWiring implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(DirectWiring.class);
    private static final long FIN_LINGER_NS = 2_000_000_000L;
    /** MSS of the full-proxy endpoints: Ethernet's 1500-byte MTU less IPv4 and TCP headers. */
    private static final int PROXY_MSS = 1460;

    private final List<AutoCloseable> resources = new ArrayList<>();
    final DirectEngine engine;
    /** The load-balancing mode in front of the engine, or null when no service is load-balanced. */
    private final LoadBalancingWiring loadBalancing;
    /**
     * What the bridge hands its frames to: the engine, or the load-balancing NAT stage in front of it, with the
     * full-proxy engine first when there are full-proxy services (alone when there is nothing else).
     */
    private final FrameClassifier classifier;
    /** The full-proxy services' engine, or null when there is none. */
    final ProxyEngine proxyEngine;
    private final List<ProxyEngine.Service> runningProxyServices;
    private final ApplianceConfig runningConfig;
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
        journal = FlowJournal.open(config.journal().toJournalConfig(tls.allowCbc()));
        resources.add(journal);
        final FrameOut ports = ports(outside, inside, outsideCounters, insideCounters);
        final HandshakeConfig handshake = handshakeConfig(tls);
        final List<DirectEngine.Service> engineServices;
        final FrameClassifier directSide;
        if (null == loadBalancing)
        {
            engineServices = services(config);
            engine = newEngine(config, engineServices, handshake, journal, ports);
            directSide = engine;
        }
        else
        {
            final LbNatStage stage = loadBalancing.newStage(config, ports, journal.seed());
            engineServices = loadBalancing.engineServices(services(config));
            engine = newEngine(config, engineServices, handshake, journal, stage.engineFrameOut());
            directSide = stage.engine(engine);
            loadBalancing.startHealthChecks();
        }
        runningProxyServices = proxyServices(config);
        runningConfig = config;
        if (runningProxyServices.isEmpty())
        {
            proxyEngine = null;
            classifier = directSide;
        }
        else
        {
            proxyEngine = newProxyEngine(config, runningProxyServices, handshake, ports);
            proxyEngine.sharedBackends(sharedBackends(engineServices));
            classifier = engineServices.isEmpty() && null == loadBalancing ? proxyEngine :
                new ServiceModeClassifier(proxyEngine, directSide);
            LOG.info("full-proxy: {} service(s), {} bytes of buffers per flow, budget {} MiB",
                runningProxyServices.size(), proxyEngine.flowCostBytes(), config.fullProxy().memoryBudgetMb());
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

    /** The (address, backend port) pairs both a direct service and a full-proxy service serve. */
    private java.util.Set<List<Integer>> backendsInCommon(final List<DirectEngine.Service> directServices)
    {
        final java.util.Set<List<Integer>> common = new java.util.HashSet<>();
        for (final DirectEngine.Service direct : directServices)
        {
            for (final ProxyEngine.Service proxy : runningProxyServices)
            {
                if (proxy.ipv4Address() == direct.ipv4Address() && proxy.backendPort() == direct.backendPort())
                {
                    common.add(List.of(direct.ipv4Address(), direct.backendPort()));
                }
            }
        }
        return common;
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

    /** What the bridge gives its frames to: the direct engine, or the load-balancing stage in front of it. */
    FrameClassifier classifier()
    {
        return classifier;
    }

    /**
     * Has the load-balancing stage copy its counters and the health checks' into the daemon's shared counters once a
     * second ({@code appliance stats}, {@code /metrics}); nothing without load-balanced services.
     */
    void publishLoadBalancingCounters(final org.agrona.concurrent.status.CountersManager manager)
    {
        if (null != loadBalancing)
        {
            loadBalancing.publishCounters(manager);
        }
    }

    /** The load-balancing mode's counters, one per line; empty without load-balanced services. */
    String loadBalancingCounters()
    {
        return null == loadBalancing ? "" : loadBalancing.describeCounters();
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
            config.journal().parkAfterMs() * 1_000_000L), journal, out);
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
     * The table a reloaded configuration gives the engine (conductor thread). The certificate files are re-read and
     * swapped into the store last, once everything else was built, so a failure changes nothing; the store's
     * selection is lock-free, so handshakes starting from then on use the new certificates.
     *
     * @param config the effective configuration (settings that need a restart at their running values).
     * @throws IOException                a service the direct engine cannot serve.
     * @throws CertificateStoreException  a certificate or key that does not load (the store keeps the old ones).
     */
    ServiceTable reloadedTable(final ApplianceConfig config) throws IOException, CertificateStoreException
    {
        final List<DirectEngine.Service> services = reloadedServices(config);
        if (!proxyServices(config).equals(runningProxyServices))
        {
            throw new IOException("full-proxy services change only with a restart (their engine is set up at start)");
        }
        if (null != proxyEngine && !backendsInCommon(services).equals(backendsInCommon(services(runningConfig))))
        {
            throw new IOException("a direct service in front of a full-proxy service's backend can be added or " +
                "removed only with a restart");
        }
        if (!services.isEmpty() && services(runningConfig).isEmpty() &&
            runningConfig.tls().integrity() != IntegrityMode.DEFERRED)
        {
            throw new IOException("direct services need integrity: deferred (this daemon started with only " +
                "full-proxy services under integrity: " + runningConfig.tls().integrity().name().toLowerCase() + ")");
        }
        final HandshakeConfig handshake = handshakeConfig(config.tls());
        store.reload(config.certificates());
        return new ServiceTable(services, handshake);
    }

    /**
     * The engine's services after a reload: the direct ones as loaded, then the internal ones of the load-balanced
     * services, which stay as started.
     *
     * @throws IOException when the reload adds, removes or changes a load-balanced service (a restart does that).
     */
    private List<DirectEngine.Service> reloadedServices(final ApplianceConfig config) throws IOException
    {
        final List<ApplianceConfig.Service> running = null == loadBalancing ? List.of() : loadBalancing.configured();
        if (!LoadBalancingWiring.loadBalanced(config).equals(running))
        {
            throw new IOException("load-balanced services (virtual addresses, pools, health checks, persistence) " +
                "change only with a restart in this version; the reload would change them from " +
                names(running) + " to " + names(LoadBalancingWiring.loadBalanced(config)));
        }
        final List<DirectEngine.Service> direct = services(config);
        return null == loadBalancing ? direct : loadBalancing.engineServices(direct);
    }

    private static List<String> names(final List<ApplianceConfig.Service> services)
    {
        final List<String> names = new ArrayList<>();
        services.forEach(service -> names.add(service.name()));
        return names;
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
