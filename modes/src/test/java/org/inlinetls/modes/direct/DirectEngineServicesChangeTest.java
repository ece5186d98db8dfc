package org.inlinetls.modes.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.crypto.record.IntegrityMode;
import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.TestPki;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.engine.Verdict;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.tcp.TcpConfig;
import org.inlinetls.packet.tcp.TcpEndpoint;
import org.inlinetls.modes.TestJournals;
import org.inlinetls.seqdb.FlowJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A running {@link DirectEngine} given a new {@link ServiceTable} through its {@link ServicesProxy} (a configuration
 * reload): flows in flight keep the service they started with, flows of a removed service are reset on both legs,
 * new SYNs follow the new table at once.
 */
class DirectEngineServicesChangeTest
{
    private static final int OTHER_ADDRESS = 0xC6336403; // 198.51.100.3
    private static final byte[] OTHER_IP = {(byte)198, 51, 100, 3};

    private static Path file;
    private static FlowJournal journal;

    @BeforeAll
    static void openJournal() throws IOException
    {
        file = TestJournals.file("services");
        journal = TestJournals.open(file, 256, 64);
    }

    @AfterAll
    static void closeJournal() throws IOException
    {
        TestJournals.delete(journal, file);
    }

    @Test
    void shouldKeepAFlowInFlightOnItsServiceWhenTheServiceChangesAndAnotherIsAdded() throws Exception
    {
        final List<String> failures = new ArrayList<>();
        for (long seed = 700_001; seed <= 700_012; seed++)
        {
            // loss on some seeds: retransmissions after the change must still go to the old backend port
            final DirectSimulation.Setup base = DirectSimulation.Setup.of(seed);
            final DirectSimulation.Setup setup = new DirectSimulation.Setup(seed,
                DirectSimulation.SUITES.get((int)(seed % DirectSimulation.SUITES.size())), IntegrityMode.DEFERRED,
                40_000 + (int)(seed % 1000), 60_000, 120_000, 1460, 1460, 65_536, 65_536, seed % 2 == 0,
                seed % 3 == 0 ? base.loss() : new double[4], 0, 0);
            final DirectSimulation sim = new DirectSimulation(setup, journal).midTransfer(engine ->
                assertTrue(engine.servicesProxy().offerServices(new ServiceTable(List.of(
                    new DirectEngine.Service(DirectSimulation.SERVER_ADDRESS, 443, 8080, true),
                    new DirectEngine.Service(OTHER_ADDRESS, 443, 80)), engine.handshakeConfig()))));
            final String failure = sim.run();
            if (failure != null)
            {
                failures.add("seed " + seed + ": " + failure);
            }
            else if (sim.engine().counter(DirectCounter.SERVICE_TABLES_APPLIED) != 1 ||
                sim.engine().counter(DirectCounter.FLOWS_RESET_SERVICE_REMOVED) != 0 ||
                sim.framesToOtherServerPorts() != 0)
            {
                failures.add("seed " + seed + ": tables applied " +
                    sim.engine().counter(DirectCounter.SERVICE_TABLES_APPLIED) + ", flows reset " +
                    sim.engine().counter(DirectCounter.FLOWS_RESET_SERVICE_REMOVED) + ", frames to other ports " +
                    sim.framesToOtherServerPorts() + "\n" + sim.state());
            }
        }
        assertEquals(List.of(), failures, String.join("\n\n", failures));
    }

    @Test
    void shouldResetBothLegsOfAFlowWhoseServiceWasRemoved() throws Exception
    {
        for (long seed = 710_001; seed <= 710_003; seed++)
        {
            final DirectSimulation.Setup setup = new DirectSimulation.Setup(seed,
                DirectSimulation.SUITES.get((int)(seed % DirectSimulation.SUITES.size())), IntegrityMode.DEFERRED,
                41_000 + (int)(seed % 1000), 200_000, 1_000, 1460, 1460, 65_536, 65_536, true, new double[4], 0, 0);
            final DirectSimulation sim = new DirectSimulation(setup, journal).midTransfer(engine ->
                assertTrue(engine.servicesProxy().offerServices(new ServiceTable(List.of(
                    new DirectEngine.Service(OTHER_ADDRESS, 443, 80)), engine.handshakeConfig()))));
            assertNull(sim.runUntilReset(), "seed " + seed);
            assertEquals(1, sim.engine().counter(DirectCounter.FLOWS_RESET_SERVICE_REMOVED), sim.state());
        }
    }

    @Test
    void shouldInterceptANewSynToAnAddedServiceAndBridgeOneToARemovedService() throws Exception
    {
        final List<byte[]> toServer = new ArrayList<>();
        final HandshakeConfig handshake = HandshakeConfig.builder(TestPki.get().selector()).build();
        final DirectEngine engine = new DirectEngine(new DirectEngine.Settings(
            List.of(new DirectEngine.Service(DirectSimulation.SERVER_ADDRESS, 443, 80)), handshake,
            IntegrityMode.DEFERRED, false, DirectEngine.Settings.AEAD_MAX_RECORD_OVERHEAD, 300_000_000_000L,
            2_000_000_000L, false), journal, new FrameOut()
            {
                @Override
                public boolean toClient(final DirectBuffer buffer, final int offset, final int length)
                {
                    return true;
                }

                @Override
                public boolean toServer(final DirectBuffer buffer, final int offset, final int length)
                {
                    final byte[] copy = new byte[length];
                    buffer.getBytes(offset, copy);
                    toServer.add(copy);
                    return true;
                }
            });
        long nowNs = 1_000_000_000L;
        assertEquals(Verdict.FORWARD, classifySyn(engine, OTHER_IP, 50_001, nowNs), "not a service yet");
        assertEquals(Verdict.CONSUMED, classifySyn(engine, DirectSimulation.SERVER_IP, 50_002, nowNs));

        final HandshakeConfig tls13Only = HandshakeConfig.builder(TestPki.get().selector())
            .minimumVersion(org.inlinetls.crypto.suite.CipherSuite.TlsVersion.TLS13).build();
        assertTrue(engine.servicesProxy().offerServices(new ServiceTable(
            List.of(new DirectEngine.Service(OTHER_ADDRESS, 443, 8080)), tls13Only)));
        assertEquals(Verdict.FORWARD, classifySyn(engine, OTHER_IP, 50_003, nowNs),
            "the table applies on the engine's duty cycle, not before");
        nowNs += 1_000_000;
        engine.onTick(nowNs);
        assertEquals(1, engine.counter(DirectCounter.SERVICE_TABLES_APPLIED));
        assertEquals(1, engine.counter(DirectCounter.FLOWS_RESET_SERVICE_REMOVED), "the SYN-SENT flow went");
        assertEquals(0, engine.flowCount());
        assertSame(tls13Only, engine.handshakeConfig(), "new handshakes use the new TLS policy");

        toServer.clear();
        assertEquals(Verdict.CONSUMED, classifySyn(engine, OTHER_IP, 50_004, nowNs), "an added service");
        assertEquals(1, toServer.size());
        final ParsedFrame parsed = new ParsedFrame();
        new FrameParser().parse(new UnsafeBuffer(toServer.get(0)), 0, toServer.get(0).length, parsed);
        assertEquals(8080, parsed.dstPort, "the SYN goes on to the new service's backend port");
        assertEquals(Verdict.FORWARD, classifySyn(engine, DirectSimulation.SERVER_IP, 50_005, nowNs),
            "a removed service is bridged");
        assertEquals(1, engine.flowCount());
    }

    @Test
    void shouldNotBridgeTheBackendOfARemovedServiceUntilItsGraceEnds() throws Exception
    {
        final HandshakeConfig handshake = HandshakeConfig.builder(TestPki.get().selector()).build();
        final DirectEngine engine = new DirectEngine(new DirectEngine.Settings(
            List.of(new DirectEngine.Service(DirectSimulation.SERVER_ADDRESS, 443, 80)), handshake,
            IntegrityMode.DEFERRED, false, DirectEngine.Settings.AEAD_MAX_RECORD_OVERHEAD, 300_000_000_000L,
            2_000_000_000L, false), journal, new FrameOut()
            {
                @Override
                public boolean toClient(final DirectBuffer buffer, final int offset, final int length)
                {
                    return true;
                }

                @Override
                public boolean toServer(final DirectBuffer buffer, final int offset, final int length)
                {
                    return true;
                }
            });
        long nowNs = 1_000_000_000L;
        assertEquals(Verdict.CONSUMED, classifyFromServer(engine, 50_010, nowNs), "a protected server's port 80");
        assertTrue(engine.servicesProxy().offerServices(new ServiceTable(List.of(), handshake)));
        engine.onTick(nowNs);
        assertEquals(Verdict.CONSUMED, classifyFromServer(engine, 50_011, nowNs),
            "segments in flight from the removed service's server are never bridged to the outside");
        nowNs += DirectEngine.RETIRED_SERVICE_GRACE_NS + 1_000_000_000L;
        engine.onTick(nowNs);
        assertEquals(Verdict.FORWARD, classifyFromServer(engine, 50_012, nowNs), "after the grace: bridged");
    }

    /** A segment from the server's port 80 to a client port, through the engine's classifier. */
    private static Verdict classifyFromServer(final DirectEngine engine, final int clientPort, final long nowNs)
    {
        return classify(engine, Side.INSIDE, new TcpConfig().localMac(DirectSimulation.SERVER_MAC)
            .remoteMac(DirectSimulation.CLIENT_MAC).localAddress(DirectSimulation.SERVER_IP)
            .remoteAddress(DirectSimulation.CLIENT_IP).localPort(80).remotePort(clientPort).isnSeed(clientPort),
            nowNs);
    }

    /** A client SYN from 192.0.2.1:{@code clientPort} to {@code serverIp}:443, through the engine's classifier. */
    private static Verdict classifySyn(final DirectEngine engine, final byte[] serverIp, final int clientPort,
        final long nowNs)
    {
        return classify(engine, Side.OUTSIDE, new TcpConfig().localMac(DirectSimulation.CLIENT_MAC)
            .remoteMac(DirectSimulation.SERVER_MAC).localAddress(DirectSimulation.CLIENT_IP).remoteAddress(serverIp)
            .localPort(clientPort).remotePort(443).isnSeed(clientPort), nowNs);
    }

    /** The SYN of an endpoint so configured, through the engine's classifier as coming in on {@code side}. */
    private static Verdict classify(final DirectEngine engine, final Side side, final TcpConfig config,
        final long nowNs)
    {
        final TcpEndpoint client = new TcpEndpoint(config.validate());
        client.connect(nowNs);
        final byte[][] syn = new byte[1][];
        client.poll(nowNs, (buffer, offset, length) ->
        {
            syn[0] = new byte[length];
            buffer.getBytes(offset, syn[0]);
            return true;
        });
        final UnsafeBuffer buffer = new UnsafeBuffer(syn[0]);
        final ParsedFrame frame = new ParsedFrame();
        assertEquals(FrameAnomaly.NONE, new FrameParser().parse(buffer, 0, syn[0].length, frame));
        return engine.classify(side, buffer, frame, nowNs);
    }
}
