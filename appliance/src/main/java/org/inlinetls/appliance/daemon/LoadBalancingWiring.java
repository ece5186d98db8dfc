package org.inlinetls.appliance.daemon;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.DynamicCompositeAgent;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.modes.direct.DirectEngine;
import org.inlinetls.modes.direct.FrameOut;
import org.inlinetls.modes.lb.BackendHealth;
import org.inlinetls.modes.lb.BackendPool;
import org.inlinetls.modes.lb.HealthCheckAgent;
import org.inlinetls.modes.lb.HealthCounter;
import org.inlinetls.modes.lb.LbCounter;
import org.inlinetls.modes.lb.LbNatStage;
import org.inlinetls.modes.lb.LbServiceTable;
import org.inlinetls.modes.lb.SocketHealthProbes;
import org.inlinetls.modes.lb.SourcePersistenceTable;
import org.inlinetls.modes.lb.VirtualService;
import org.inlinetls.modes.proxy.Balancing;
import org.inlinetls.modes.proxy.ProxyEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the load-balancing mode from the configuration: per {@code mode: load-balancing} service a
 * {@link BackendPool} with its {@link BackendHealth} and a {@link HealthCheckAgent} (all of them on one thread, role
 * {@code health}, checking from the appliance's own inside address), and the {@link LbNatStage} that sits in front of
 * the direct engine and carries each flow to a virtual address to a backend.
 * <p>
 * The virtual addresses answer ARP with the outside NIC's MAC; the appliance's own addresses (the inside NIC's IPv4
 * addresses and every health check source address) are never bridged.
 * <p>
 * Persistence by cookie and the PROXY protocol need the backend's leg set up after the TLS handshake (the cookie is
 * in the first request; the header goes ahead of its bytes), which cut-through (the client's SYN goes to the backend)
 * cannot do: such a service is <em>delayed-binding</em> ({@link VirtualService#delayedBinding()}) and its flows are
 * carried by the full-proxy engine ({@link Balancing}, {@link #proxied()}); the stage keeps it for ARP and the
 * backends' MACs, and its pool, health checks and persistence table are built here like any other's.
 * <p>
 * Reloads ({@link #prepare} on the conductor, then {@link #commit}): a load-balanced service whose settings did not
 * change keeps its {@link VirtualService} (pool counts, persistence, health checks); an added or changed one gets a
 * new pool, health and health check agent, added to the running {@code health} thread, while the agent of a changed
 * or removed one is taken off it (the old pool keeps serving its flows in flight with the health it last had).
 */
final class LoadBalancingWiring implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(LoadBalancingWiring.class);
    /** A mapping outlives the engine's flow (expired after 2 x idleTimeout at most) by this much. */
    private static final long MAPPING_IDLE_MARGIN_NS = 60_000_000_000L;
    /** Type id of the load-balancing counters in the counters file. */
    static final int LB_TYPE_ID = 302;

    /**
     * A running load-balanced service: its configuration, its virtual service, its health check agent, and, for a
     * delayed-binding one, the full-proxy engine's service that carries its flows (else null).
     */
    record Running(ApplianceConfig.Service configured, VirtualService service, HealthCheckAgent agent,
        ProxyEngine.Service proxied)
    {
    }

    /**
     * A reload prepared on the conductor (nothing running changed yet): the stage's next table, the running services
     * after it, the health check agents to start and to stop at {@link #commit}, and the internal engine services
     * kept for flows in flight of replaced pools.
     */
    record Prepared(LbServiceTable table, List<Running> running, List<HealthCheckAgent> start,
        List<HealthCheckAgent> stop, List<DirectEngine.Service> retainedInternal)
    {
    }

    private List<Running> running = new ArrayList<>();
    /** Every health check agent that runs now, for the counters (read on the data path's thread too). */
    private final List<HealthCheckAgent> healthAgents = new java.util.concurrent.CopyOnWriteArrayList<>();
    /**
     * Internal engine services of pools a reload replaced, of services still configured (in any mode): their flows in
     * flight may still run, so the engine keeps them (as served elsewhere) until the service goes.
     */
    private List<DirectEngine.Service> retainedInternal = new ArrayList<>();
    /** The outside NIC's MAC, or -1 when it could not be read (load-balanced services then refused). */
    private final long outsideMac;
    private final String macUnreadable;
    private DynamicCompositeAgent healthComposite;
    private AgentRunner healthRunner;
    private LbNatStage stage;

    private LoadBalancingWiring(final ApplianceConfig config) throws IOException
    {
        long mac = -1;
        String unreadable = null;
        try
        {
            mac = macOf(config.outside());
        }
        catch (final IOException ex)
        {
            if (!loadBalanced(config).isEmpty())
            {
                throw ex;
            }
            unreadable = ex.getMessage();
        }
        outsideMac = mac;
        macUnreadable = unreadable;
        final List<ApplianceConfig.Service> configured = loadBalanced(config);
        final List<VirtualService> services = virtualServices(configured, true);
        final int[] own = checkAddresses(config, configured);
        for (int i = 0; i < configured.size(); i++)
        {
            final HealthCheckAgent agent = newAgent(configured.get(i), services.get(i));
            running.add(new Running(configured.get(i), services.get(i), agent,
                proxied(configured.get(i), services.get(i), own)));
            healthAgents.add(agent);
        }
    }

    /** The appliance's own addresses when a delayed-binding service needs them (its health checks come from them). */
    private static int[] checkAddresses(final ApplianceConfig config, final List<ApplianceConfig.Service> configured)
        throws SocketException
    {
        for (final ApplianceConfig.Service service : configured)
        {
            if (delayedBinding(service))
            {
                return ownAddresses(config);
            }
        }
        return new int[0];
    }

    /** Whether a load-balanced service needs its backend chosen after the TLS handshake (full-proxy engine). */
    static boolean delayedBinding(final ApplianceConfig.Service service)
    {
        final ApplianceConfig.LoadBalancing lb = service.loadBalancing();
        return lb.persistence().type() == ApplianceConfig.PersistenceType.COOKIE ||
            lb.proxyProtocol() != ApplianceConfig.ProxyProtocol.OFF;
    }

    /** The full-proxy engine's service of a delayed-binding service, or null for a NATed one. */
    private static ProxyEngine.Service proxied(final ApplianceConfig.Service service, final VirtualService virtual,
        final int[] checkAddresses)
    {
        if (!virtual.delayedBinding())
        {
            return null;
        }
        final ApplianceConfig.LoadBalancing lb = service.loadBalancing();
        final String cookieName = lb.persistence().type() == ApplianceConfig.PersistenceType.COOKIE ?
            lb.persistence().cookieName() : null;
        return ProxyEngine.Service.balanced(virtual.vipAddress(), virtual.vipPort(), new Balancing(virtual,
            cookieName, lb.proxyProtocol() == ApplianceConfig.ProxyProtocol.V2, checkAddresses));
    }

    /** The full-proxy engine's services of the running delayed-binding services. */
    List<ProxyEngine.Service> proxied()
    {
        return proxied(running);
    }

    /** The full-proxy engine's services of a prepared reload's delayed-binding services. */
    static List<ProxyEngine.Service> proxied(final List<Running> running)
    {
        final List<ProxyEngine.Service> proxied = new ArrayList<>();
        for (final Running r : running)
        {
            if (null != r.proxied())
            {
                proxied.add(r.proxied());
            }
        }
        return proxied;
    }

    private static HealthCheckAgent newAgent(final ApplianceConfig.Service service, final VirtualService virtual)
    {
        final ApplianceConfig.LoadBalancing lb = service.loadBalancing();
        final List<InetSocketAddress> addresses = new ArrayList<>();
        lb.backends().forEach(backend -> addresses.add(backend.address()));
        return new HealthCheckAgent(service.name(), lb.backends(), virtual.pool().health(), lb.healthCheck(),
            new SocketHealthProbes(addresses, lb.healthCheck()), SystemNanoClock.INSTANCE);
    }

    /**
     * The load-balancing wiring of a configuration: always built, so a reload can add load-balanced services (or turn
     * a service into one); without any it costs the stage's few checks per frame.
     *
     * @param direct the engine's direct services (a backend must not be one of them).
     */
    static LoadBalancingWiring create(final ApplianceConfig config, final List<DirectEngine.Service> direct)
        throws IOException
    {
        check(config, direct);
        return new LoadBalancingWiring(config);
    }

    /**
     * Prepares the load-balanced services of a reloaded configuration (conductor; nothing running changes).
     *
     * @param direct     the engine's direct services of the new configuration.
     * @param identities the address and listen port of every service of the new configuration, in any mode.
     * @param handedOver virtual addresses and ports another mode served before (see {@link LbServiceTable}).
     * @throws IOException naming a service the load-balancing data path cannot serve.
     */
    Prepared prepare(final ApplianceConfig config, final List<DirectEngine.Service> direct,
        final java.util.Set<List<Integer>> identities, final long[] handedOver) throws IOException
    {
        check(config, direct);
        final List<ApplianceConfig.Service> configured = loadBalanced(config);
        if (!configured.isEmpty() && outsideMac < 0)
        {
            throw new IOException("load-balanced services need the MAC of the outside interface to answer ARP for " +
                "their virtual addresses, and it could not be read at start (" + macUnreadable + ")");
        }
        final List<Running> next = new ArrayList<>();
        final List<HealthCheckAgent> start = new ArrayList<>();
        final int[] own = checkAddresses(config, configured);
        for (final ApplianceConfig.Service service : configured)
        {
            final Running same = runningByName(service.name());
            if (null != same && same.configured().equals(service))
            {
                next.add(same);
                continue;
            }
            final VirtualService virtual = virtualServices(List.of(service), true).get(0);
            next.add(new Running(service, virtual, newAgent(service, virtual), proxied(service, virtual, own)));
            start.add(next.get(next.size() - 1).agent());
        }
        final List<HealthCheckAgent> stop = new ArrayList<>();
        final List<VirtualService> removed = new ArrayList<>();
        final List<DirectEngine.Service> retained = new ArrayList<>();
        for (final DirectEngine.Service internal : retainedInternal)
        {
            if (identities.contains(List.of(internal.ipv4Address(), internal.listenPort())) ||
                anyVipPort(configured, internal.listenPort()))
            {
                retained.add(internal);
            }
        }
        for (final Running old : running)
        {
            if (next.contains(old))
            {
                continue;
            }
            stop.add(old.agent());
            final VirtualService vs = old.service();
            if (identities.contains(List.of(vs.vipAddress(), vs.vipPort())))
            {
                // changed, or moved to another mode: its flows in flight finish on the old pool
                retained.addAll(VirtualService.engineServices(List.of(), List.of(vs)));
            }
            else
            {
                removed.add(vs);
            }
        }
        final List<VirtualService> services = new ArrayList<>();
        next.forEach(r -> services.add(r.service()));
        return new Prepared(new LbServiceTable(services, ownAddresses(config), handedOver, removed), next, start,
            stop, retained);
    }

    private static boolean anyVipPort(final List<ApplianceConfig.Service> configured, final int port)
    {
        for (final ApplianceConfig.Service service : configured)
        {
            if (service.listen().getPort() == port)
            {
                return true;
            }
        }
        return false;
    }

    /** Makes a prepared reload the running one: health checks of new pools start, those of old ones stop. */
    void commit(final Prepared prepared)
    {
        running = new ArrayList<>(prepared.running());
        retainedInternal = new ArrayList<>(prepared.retainedInternal());
        for (final HealthCheckAgent agent : prepared.stop())
        {
            healthAgents.remove(agent);
            if (null == healthComposite)
            {
                agent.onClose(); // never started: close its probes here
            }
            else
            {
                awaitHealthThread(() -> healthComposite.tryRemove(agent)); // the thread closes its probes
            }
        }
        healthAgents.addAll(prepared.start());
        if (null == healthComposite)
        {
            startHealthChecks();
        }
        else
        {
            prepared.start().forEach(agent -> awaitHealthThread(() -> healthComposite.tryAdd(agent)));
        }
    }

    /** The health thread takes one addition or removal per duty cycle: waits for it to take this one (conductor). */
    private static void awaitHealthThread(final java.util.function.BooleanSupplier offer)
    {
        final long deadlineNs = System.nanoTime() + 2_000_000_000L;
        while (!offer.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                LOG.error("the health thread did not take a reloaded pool's health checks within 2 s");
                return;
            }
            Thread.onSpinWait();
        }
    }

    private Running runningByName(final String name)
    {
        for (final Running r : running)
        {
            if (r.configured().name().equals(name))
            {
                return r;
            }
        }
        return null;
    }

    /** The internal engine services kept for flows in flight of replaced pools (see {@link #prepare}). */
    List<DirectEngine.Service> retainedInternal()
    {
        return retainedInternal;
    }

    /**
     * Refuses what the load-balancing data path cannot do, before anything is opened.
     *
     * @param direct the engine's direct services (a backend must not be one of them).
     * @throws IOException naming the service and the reason.
     */
    static void check(final ApplianceConfig config, final List<DirectEngine.Service> direct) throws IOException
    {
        final List<ApplianceConfig.Service> configured = loadBalanced(config);
        for (final ApplianceConfig.Service service : configured)
        {
            final String name = "service '" + service.name() + "': ";
            if (!(service.listen().getAddress() instanceof Inet4Address))
            {
                throw new IOException(name + "only IPv4 load-balanced services are implemented so far");
            }
        }
        try
        {
            VirtualService.engineServices(direct, virtualServices(configured, false));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IOException(ex.getMessage(), ex);
        }
    }

    /** Pools (each with its health, all backends up) and, when asked, persistence tables of the services; no I/O. */
    private static List<VirtualService> virtualServices(final List<ApplianceConfig.Service> configured,
        final boolean withPersistence)
    {
        final List<VirtualService> services = new ArrayList<>();
        for (final ApplianceConfig.Service service : configured)
        {
            final ApplianceConfig.LoadBalancing lb = service.loadBalancing();
            final BackendPool pool = new BackendPool(lb.backends(), lb.algorithm(),
                new BackendHealth(lb.backends().size()));
            final ApplianceConfig.Persistence persistence = lb.persistence();
            final SourcePersistenceTable table = withPersistence &&
                persistence.type() == ApplianceConfig.PersistenceType.SOURCE ?
                new SourcePersistenceTable(persistence.maxClients(), persistence.idleTimeoutSec() * 1_000_000_000L) :
                null;
            services.add(new VirtualService(service.name(), ipv4(service.listen().getAddress()),
                service.listen().getPort(), pool, table, service.onNonTls() == ApplianceConfig.NonTlsAction.PASS,
                delayedBinding(service)));
        }
        return services;
    }

    /** The configuration's load-balanced services, in file order. */
    static List<ApplianceConfig.Service> loadBalanced(final ApplianceConfig config)
    {
        final List<ApplianceConfig.Service> lb = new ArrayList<>();
        for (final ApplianceConfig.Service service : config.services())
        {
            if (service.mode() == ApplianceConfig.ServiceMode.LOAD_BALANCING)
            {
                lb.add(service);
            }
        }
        return lb;
    }

    /** The load-balanced services this wiring runs, as configured. */
    List<ApplianceConfig.Service> configured()
    {
        final List<ApplianceConfig.Service> configured = new ArrayList<>();
        running.forEach(r -> configured.add(r.configured()));
        return configured;
    }

    /**
     * The engine's services: the direct ones and, after them, the internal ones the NATed flows use.
     *
     * @throws IOException when a backend's address conflicts with another service.
     */
    List<DirectEngine.Service> engineServices(final List<DirectEngine.Service> direct) throws IOException
    {
        return engineServices(direct, running);
    }

    /** As {@link #engineServices(List)} for the running services of a prepared reload. */
    static List<DirectEngine.Service> engineServices(final List<DirectEngine.Service> direct,
        final List<Running> running) throws IOException
    {
        final List<VirtualService> services = new ArrayList<>();
        running.forEach(r -> services.add(r.service()));
        try
        {
            return VirtualService.engineServices(direct, services);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IOException(ex.getMessage(), ex);
        }
    }

    /**
     * The NAT stage over {@code out} (the bridge's ports); give the engine {@link LbNatStage#engineFrameOut()} and
     * then attach it with {@link LbNatStage#engine}.
     */
    LbNatStage newStage(final ApplianceConfig config, final FrameOut out, final long flowIdSeed)
        throws IOException
    {
        final int[] own = ownAddresses(config);
        final long idleTimeoutNs = config.journal().idleTimeoutSec() * 1_000_000_000L;
        final List<VirtualService> services = new ArrayList<>();
        running.forEach(r -> services.add(r.service()));
        stage = new LbNatStage(new LbNatStage.Settings(services, Math.max(0, outsideMac), own,
            (int)Math.min(Integer.MAX_VALUE >> 8, config.journal().maxFlows()),
            2 * idleTimeoutNs + MAPPING_IDLE_MARGIN_NS), flowIdSeed, out);
        final StringBuilder text = new StringBuilder();
        for (final int address : own)
        {
            text.append(' ').append(InetAddress.getByAddress(ByteBuffer.allocate(4).putInt(address).array())
                .getHostAddress());
        }
        if (!services.isEmpty())
        {
            LOG.info("load balancing: {} virtual service(s), ARP answered with {}'s MAC {}, own addresses not " +
                "bridged:{}", services.size(), config.outside(), String.format("%012x", outsideMac),
                text.length() == 0 ? " none" : text);
        }
        return stage;
    }

    /**
     * Starts the health checks of every pool on a thread of their own (role {@code health}); nothing while there is
     * no load-balanced service (a reload that adds one starts the thread).
     */
    void startHealthChecks()
    {
        if (healthAgents.isEmpty() || null != healthComposite)
        {
            return;
        }
        healthComposite = new DynamicCompositeAgent("health", healthAgents.toArray(new Agent[0]));
        healthRunner = new AgentRunner(new SleepingMillisIdleStrategy(5),
            error -> LOG.error("health check error (the checks keep running)", error), null, healthComposite);
        AgentRunner.startOnThread(healthRunner, new PinnedThreadFactory("health", ApplianceConfig.Cpus.UNPINNED));
    }

    /**
     * Copies the stage's counters ({@code lb <counter>}), the mappings it holds ({@code lb mappings}, a gauge) and the
     * health checks' counters summed over the pools ({@code lb health_<counter>}) into the daemon's shared counters,
     * once a second on the data path's thread.
     */
    void publishCounters(final CountersManager manager)
    {
        final AtomicCounter[] stageCounters = new AtomicCounter[LbCounter.values().length];
        for (final LbCounter c : LbCounter.values())
        {
            stageCounters[c.ordinal()] = manager.newCounter("lb " + c.name().toLowerCase(Locale.ROOT),
                LB_TYPE_ID);
        }
        final AtomicCounter[] health = new AtomicCounter[HealthCounter.values().length];
        for (final HealthCounter c : HealthCounter.values())
        {
            health[c.ordinal()] = manager.newCounter("lb health_" + c.name().toLowerCase(Locale.ROOT), LB_TYPE_ID);
        }
        final HealthCounter[] healthCounters = HealthCounter.values();
        // the NAT mappings held now (a gauge): the counters cannot give it, mappings also go with reset flows
        final AtomicCounter mappings = manager.newCounter("lb mappings", DirectCountersPublisher.JOURNAL_GAUGE_TYPE_ID);
        stage.countersSink(countersByOrdinal ->
        {
            mappings.setOrdered(stage.mappingCount());
            for (int i = 0; i < stageCounters.length; i++)
            {
                stageCounters[i].setOrdered(countersByOrdinal[i]);
            }
            for (int i = 0; i < health.length; i++)
            {
                long sum = 0;
                for (final HealthCheckAgent agent : healthAgents) // a snapshot: reloads change the list
                {
                    sum += agent.counter(healthCounters[i]);
                }
                health[i].setOrdered(sum);
            }
        });
    }

    /** The stage's and the health checks' non-zero counters, one per line (after the data path stopped). */
    String describeCounters()
    {
        final StringBuilder text = new StringBuilder();
        if (null != stage)
        {
            for (final LbCounter c : LbCounter.values())
            {
                final long v = stage.counter(c);
                if (v != 0)
                {
                    text.append(String.format("  %-34s %,d%n", c.name().toLowerCase(), v));
                }
            }
        }
        for (final HealthCounter c : HealthCounter.values())
        {
            long v = 0;
            for (final HealthCheckAgent agent : healthAgents)
            {
                v += agent.counter(c);
            }
            if (v != 0)
            {
                text.append(String.format("  %-34s %,d%n", "health_" + c.name().toLowerCase(), v));
            }
        }
        return text.toString();
    }

    @Override
    public void close()
    {
        if (null != healthRunner)
        {
            healthRunner.close(); // the agents close their probes
            healthRunner = null;
            healthComposite = null;
        }
        else
        {
            healthAgents.forEach(HealthCheckAgent::onClose);
        }
        healthAgents.clear();
    }

    /**
     * The interface's MAC as a long (low 48 bits): from the JDK, which only lists interfaces with an address, else
     * from {@code /sys/class/net/IF/address} (a bridged NIC usually has no address).
     */
    static long macOf(final String ifName) throws IOException
    {
        final NetworkInterface nic = NetworkInterface.getByName(ifName);
        byte[] mac = null == nic ? null : nic.getHardwareAddress();
        if (null == mac)
        {
            final Path sys = Path.of("/sys/class/net", ifName, "address");
            mac = Files.isReadable(sys) ? parseMac(Files.readString(sys).trim()) : null;
        }
        if (null == mac || mac.length != 6)
        {
            throw new IOException("load balancing needs the MAC of the outside interface '" + ifName + "' to " +
                "answer ARP for the virtual addresses, and cannot read it");
        }
        long value = 0;
        for (final byte b : mac)
        {
            value = value << 8 | (b & 0xFF);
        }
        return value;
    }

    /** {@code 02:00:c6:12:00:a0} as 6 bytes, or null. */
    static byte[] parseMac(final String text)
    {
        final String[] parts = text.split(":");
        if (parts.length != 6)
        {
            return null;
        }
        final byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++)
        {
            if (!parts[i].matches("[0-9a-fA-F]{2}"))
            {
                return null;
            }
            mac[i] = (byte)Integer.parseInt(parts[i], 16);
        }
        return mac;
    }

    /** The inside NIC's IPv4 addresses and every health check's source address: traffic of the appliance itself. */
    private static int[] ownAddresses(final ApplianceConfig config) throws SocketException
    {
        final Set<Integer> own = new LinkedHashSet<>();
        final NetworkInterface inside = NetworkInterface.getByName(config.inside());
        if (null != inside)
        {
            final Enumeration<InetAddress> addresses = inside.getInetAddresses();
            while (addresses.hasMoreElements())
            {
                final InetAddress address = addresses.nextElement();
                if (address instanceof Inet4Address)
                {
                    own.add(ipv4(address));
                }
            }
        }
        for (final ApplianceConfig.Service service : loadBalanced(config))
        {
            final InetAddress source = service.loadBalancing().healthCheck().sourceAddress();
            if (source instanceof Inet4Address)
            {
                own.add(ipv4(source));
            }
        }
        if (own.isEmpty())
        {
            LOG.warn("load balancing: the inside interface {} has no IPv4 address and no healthCheck.sourceAddress " +
                "is set: health checks leave by the system's route, and fail unless it reaches the backends",
                config.inside());
        }
        return own.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int ipv4(final InetAddress address)
    {
        return ByteBuffer.wrap(address.getAddress()).getInt();
    }
}
