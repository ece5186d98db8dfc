package org.inlinetls.modes.lb;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.agrona.DirectBuffer;
import org.inlinetls.modes.direct.DirectEngine;
import org.inlinetls.modes.direct.DirectSimulation;
import org.inlinetls.modes.direct.FrameOut;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.seqdb.FlowJournal;

/**
 * The load-balancing mode in the direct mode's seeded simulation ({@link DirectSimulation}): the client connects to a
 * virtual address on 443; an {@link LbNatStage} in front of a {@link DirectEngine} (as the daemon's
 * {@code LoadBalancingWiring} builds them) NATs the flow to one backend of a pool of 2–3 on port 80. Per seed, from a
 * stream of its own (so the direct mode's fault, window, MSS, suite and SACK choices stay the seed's): the pool's
 * size, weights and algorithm, a backend that is down, earlier picks and open flows that move the algorithm's state,
 * and persistence by client address.
 * <p>
 * Oracles besides the simulation's: every frame to the client comes from the virtual address:443 and the outside MAC
 * with valid checksums; every frame to the servers goes to one backend that is up, with its MAC, on port 80, from the
 * client's own address and port (no source NAT), with a valid IPv4 checksum; at the end the NAT table holds no
 * mapping, the journal no more flows than before the seed, the pool counts no flow of this seed as open, and exactly
 * one flow was mapped.
 */
final class LbSeedWiring implements DirectSimulation.Wiring
{
    static final int VIP = 0xC6336414; // 198.51.100.20
    static final byte[] VIP_IP = {(byte)198, 51, 100, 20};
    static final int APPLIANCE_INSIDE = 0xC63364FE; // 198.51.100.254
    static final long OUTSIDE_MAC = 0x02_00_00_00_00_A0L;
    private static final int CLIENT_ADDRESS = 0xC0000201; // DirectSimulation.CLIENT_IP

    /** What one seed chose for the pool, printed with any failure. */
    record Choice(BalancingAlgorithm algorithm, int[] weights, int downMask, int warmUpPicks, int[] openBefore,
        boolean persistence)
    {
        static Choice of(final long seed)
        {
            final SplittableRandom r = new SplittableRandom(seed ^ 0x1B_5EED_1BL);
            final int backends = 2 + r.nextInt(2);
            final BalancingAlgorithm[] algorithms = BalancingAlgorithm.values();
            final BalancingAlgorithm algorithm = algorithms[r.nextInt(algorithms.length)];
            final int[] weights = new int[backends];
            final int[] open = new int[backends];
            for (int i = 0; i < backends; i++)
            {
                weights[i] = 1 + r.nextInt(5);
                open[i] = r.nextInt(3) == 0 ? r.nextInt(4) : 0;
            }
            // one backend down in a quarter of the seeds
            return new Choice(algorithm, weights, r.nextInt(4) == 0 ? 1 << r.nextInt(backends) : 0,
                r.nextInt(2 * backends), open, r.nextInt(4) == 0);
        }

        @Override
        public String toString()
        {
            return String.format("pool: %s weights=%s down=%s warm-up picks=%d open before=%s persistence=%s",
                algorithm, Arrays.toString(weights), Integer.toBinaryString(downMask), warmUpPicks,
                Arrays.toString(openBefore), persistence);
        }
    }

    private final Choice choice;
    private final List<byte[]> backendIps = new ArrayList<>();
    private final long[] backendMacs;
    private BackendPool pool;
    private LbNatStage stage;
    private DirectEngine engine;
    private FlowJournal journal;
    private long journalFlowsBefore;
    private int expectedBackend = -1;
    private int chosenBackend = -1;
    private final ParsedFrame scratch = new ParsedFrame();
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4HeaderFlyweight ip = new Ipv4HeaderFlyweight();

    LbSeedWiring(final Choice choice)
    {
        this.choice = choice;
        backendMacs = new long[choice.weights().length];
        for (int i = 0; i < backendMacs.length; i++)
        {
            backendIps.add(new byte[] {(byte)198, 51, 100, (byte)(2 + i)});
            backendMacs[i] = 0x02_00_00_00_00_02L + i;
        }
    }

    @Override
    public byte[] serviceIp()
    {
        return VIP_IP.clone();
    }

    @Override
    public long serviceMac()
    {
        return OUTSIDE_MAC;
    }

    @Override
    public List<byte[]> serverIps()
    {
        return backendIps;
    }

    @Override
    public long serverMac(final int index)
    {
        return backendMacs[index];
    }

    @Override
    public FrameClassifier wire(final DirectEngine.Settings settings, final FlowJournal journal, final FrameOut ports)
    {
        this.journal = journal;
        journalFlowsBefore = journal.size();
        pool = newPool();
        // the backend the seed's flow must reach: what the same pool in the same state picks for this client
        expectedBackend = newPool().pick(BackendPool.clientKey(CLIENT_ADDRESS));
        final VirtualService service = new VirtualService("sim", VIP, 443, pool,
            choice.persistence() ? new SourcePersistenceTable(64, 600_000_000_000L) : null, false);
        stage = new LbNatStage(new LbNatStage.Settings(List.of(service), OUTSIDE_MAC, new int[] {APPLIANCE_INSIDE},
            1024, 2 * settings.idleTimeoutNs() + 60_000_000_000L), journal.seed(), ports);
        engine = new DirectEngine(new DirectEngine.Settings(LbNatStage.engineServices(List.of(), List.of(service)),
            settings.handshake(), settings.integrity(), settings.passNonTls(), settings.maxRecordOverhead(),
            settings.idleTimeoutNs(), settings.finLingerNs(), settings.translateSack(), settings.parkAfterNs(),
            settings.switching()), journal, stage.engineFrameOut());
        stage.engine(engine);
        for (int i = 0; i < backendIps.size(); i++)
        {
            stage.backendMac(LbSimulation.ipv4(backendIps.get(i)), backendMacs[i]);
        }
        return stage;
    }

    /** The seed's pool in the state other clients' flows left: health, the algorithm's position, open flows. */
    private BackendPool newPool()
    {
        final List<Backend> backends = new ArrayList<>();
        for (int i = 0; i < backendIps.size(); i++)
        {
            backends.add(new Backend(socket(backendIps.get(i)), choice.weights()[i], "b" + i));
        }
        final BackendHealth health = new BackendHealth(backends.size());
        for (int i = 0; i < backends.size(); i++)
        {
            if ((choice.downMask() >> i & 1) != 0)
            {
                health.publish(i, false);
            }
        }
        final BackendPool pool = new BackendPool(backends, choice.algorithm(), health);
        for (int i = 0; i < choice.warmUpPicks(); i++)
        {
            pool.pick(BackendPool.clientKey(0xCB00_7100 + i)); // other clients' flows before this one
        }
        for (int i = 0; i < backends.size(); i++)
        {
            for (int n = 0; n < choice.openBefore()[i]; n++)
            {
                pool.onFlowOpened(i); // flows of other clients still open (least connections reads them)
            }
        }
        return pool;
    }

    @Override
    public DirectEngine engine()
    {
        return engine;
    }

    @Override
    public long nextDeadlineNs()
    {
        return stage.nextDeadlineNs();
    }

    @Override
    public void checkToClient(final DirectBuffer frame, final ParsedFrame parsed)
    {
        ip.wrap(frame, parsed.l3Offset);
        if (ip.sourceAddress() != VIP || parsed.srcPort != 443 || ethernet.wrap(frame, 0).sourceMac() != OUTSIDE_MAC)
        {
            throw new AssertionError(String.format("a frame to the client from %08x:%d / %012x, not the virtual " +
                "address", ip.sourceAddress(), parsed.srcPort, ethernet.sourceMac()));
        }
        if (!Checksums.verifyIpv4HeaderChecksum(frame, parsed.l3Offset, ip.headerLength()) ||
            !Checksums.verifyTcpChecksumIpv4(frame, parsed.l3Offset, parsed.l4Offset, parsed.l4Length))
        {
            throw new AssertionError("a frame to the client with a bad checksum");
        }
    }

    @Override
    public int serverOf(final DirectBuffer frame, final ParsedFrame parsed)
    {
        ip.wrap(frame, parsed.l3Offset);
        final int destination = ip.destinationAddress();
        final long destinationMac = ethernet.wrap(frame, 0).destinationMac();
        int backend = -1;
        for (int i = 0; i < backendIps.size(); i++)
        {
            if (LbSimulation.ipv4(backendIps.get(i)) == destination)
            {
                backend = i;
            }
        }
        if (backend < 0 || destinationMac != backendMacs[backend] || parsed.dstPort != LbSimulation.BACKEND_PORT)
        {
            throw new AssertionError(String.format("a frame to %08x:%d / %012x, not a backend's address", destination,
                parsed.dstPort, destinationMac));
        }
        if (ip.sourceAddress() != CLIENT_ADDRESS)
        {
            throw new AssertionError(String.format("a frame to backend %d from %08x, not the client's address",
                backend, ip.sourceAddress()));
        }
        if ((choice.downMask() >> backend & 1) != 0)
        {
            throw new AssertionError("a frame to backend " + backend + ", which is down");
        }
        if (backend != expectedBackend)
        {
            throw new AssertionError("the flow went to backend " + backend + ", not " + expectedBackend + " that " +
                choice.algorithm() + " picks");
        }
        if (!Checksums.verifyIpv4HeaderChecksum(frame, parsed.l3Offset, ip.headerLength()))
        {
            throw new AssertionError("a frame to backend " + backend + " with a bad IPv4 checksum");
        }
        return backend;
    }

    @Override
    public void verifyEnd(final int server)
    {
        chosenBackend = server;
        if (stage.mappingCount() != 0)
        {
            throw new AssertionError(stage.mappingCount() + " NAT mapping(s) held after the flow ended");
        }
        if (journal.size() != journalFlowsBefore)
        {
            throw new AssertionError("the journal holds " + journal.size() + " flow(s), " + journalFlowsBefore +
                " before the seed");
        }
        if (stage.counter(LbCounter.FLOWS_MAPPED) != 1)
        {
            throw new AssertionError(stage.counter(LbCounter.FLOWS_MAPPED) + " flows mapped, not 1");
        }
        for (int i = 0; i < backendIps.size(); i++)
        {
            if (pool.openFlows(i) != choice.openBefore()[i])
            {
                throw new AssertionError("backend " + i + " counts " + pool.openFlows(i) + " open flows, " +
                    choice.openBefore()[i] + " before the seed's flow");
            }
        }
    }

    @Override
    public String state()
    {
        final StringBuilder text = new StringBuilder().append(choice).append("\n  stage:");
        for (final LbCounter c : LbCounter.values())
        {
            if (stage.counter(c) != 0)
            {
                text.append(' ').append(c.name().toLowerCase()).append('=').append(stage.counter(c));
            }
        }
        return text.append(", mappings ").append(stage.mappingCount()).append(", expected backend ")
            .append(expectedBackend).toString();
    }

    /** The backend the flow went to (after the seed ran), or -1. */
    int chosenBackend()
    {
        return chosenBackend;
    }

    Choice choice()
    {
        return choice;
    }

    private static InetSocketAddress socket(final byte[] ip)
    {
        try
        {
            return new InetSocketAddress(InetAddress.getByAddress(ip), LbSimulation.BACKEND_PORT);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException(ex);
        }
    }
}
