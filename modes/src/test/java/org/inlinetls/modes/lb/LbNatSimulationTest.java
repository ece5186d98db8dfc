package org.inlinetls.modes.lb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.modes.direct.DirectCounter;
import org.inlinetls.packet.flyweight.ArpFlyweight;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.tcp.AbortReason;
import org.inlinetls.modes.TestJournals;
import org.inlinetls.seqdb.FlowJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The load-balancing mode end to end in simulation ({@link LbSimulation}): TLS flows through a virtual address to
 * the backends of a pool, how each algorithm spreads 200 connections, persistence by client address, a backend
 * dying mid-flow, no backend up, and ARP for the virtual address.
 */
class LbNatSimulationTest
{
    private static final int CONNECTIONS = 200;

    private static Path file;
    private static FlowJournal journal;

    @BeforeAll
    static void openJournal() throws IOException
    {
        file = TestJournals.file("lb");
        journal = TestJournals.open(file, 1024, 64);
    }

    @AfterAll
    static void closeJournal() throws IOException
    {
        TestJournals.delete(journal, file);
    }

    @Test
    void shouldCarryTlsFlowsThroughTheVirtualAddressToEveryBackend() throws Exception
    {
        final LbSimulation sim = new LbSimulation(1, BalancingAlgorithm.ROUND_ROBIN, new int[] {1, 1, 1}, null,
            journal).backendsSeen();
        for (int i = 0; i < 6; i++)
        {
            sim.connect(i, 40_000 + i, true, 20_000 + 1_000 * i, 60_000 + 5_000 * i);
        }
        assertNull(sim.runUntil(() -> sim.connections().stream().allMatch(LbSimulation.Connection::isComplete)));
        final int[] perBackend = new int[3];
        sim.connections().forEach(c -> perBackend[c.backend]++);
        assertArrayEquals(new int[] {2, 2, 2}, perBackend, sim.state());
        assertEquals(6, sim.stage.counter(LbCounter.FLOWS_MAPPED));
        assertEquals(6, sim.engine.counter(DirectCounter.FLOWS_ESTABLISHED), sim.state());
        sim.idle(4_000_000_000L); // FIN linger, then the engine ends the flows and their mappings go
        assertEquals(0, sim.engine.flowCount(), sim.state());
        assertEquals(0, sim.stage.mappingCount(), sim.state());
        assertEquals(6, sim.stage.counter(LbCounter.MAPPINGS_ENDED), sim.state());
        for (int id = 0; id < 3; id++)
        {
            assertEquals(0, sim.pool.openFlows(id), "open flows of backend " + id);
        }
    }

    @Test
    void shouldTakeTurnsWithRoundRobin() throws Exception
    {
        final LbSimulation sim = new LbSimulation(2, BalancingAlgorithm.ROUND_ROBIN, new int[] {1, 1}, null, journal)
            .backendsSeen();
        assertArrayEquals(new int[] {100, 100}, connectAndResetOneByOne(sim, CONNECTIONS, false));
    }

    @Test
    void shouldFollowTheWeightsWithWeighted() throws Exception
    {
        final LbSimulation sim = new LbSimulation(3, BalancingAlgorithm.WEIGHTED, new int[] {3, 1}, null, journal)
            .backendsSeen();
        assertArrayEquals(new int[] {150, 50}, connectAndResetOneByOne(sim, CONNECTIONS, false));
    }

    @Test
    void shouldKeepAClientOnItsBackendWithSourceHashAndSpreadTheClients() throws Exception
    {
        final LbSimulation sim = new LbSimulation(4, BalancingAlgorithm.SOURCE_HASH, new int[] {1, 1}, null, journal)
            .backendsSeen();
        final int[] perBackend = connectAndResetOneByOne(sim, CONNECTIONS, true);
        assertTrue(perBackend[0] >= 70 && perBackend[1] >= 70, "200 clients spread " + perBackend[0] + "/" +
            perBackend[1]);
        // the same 200 clients again, from other ports: each to the backend it had
        final List<LbSimulation.Connection> first = new ArrayList<>(sim.connections());
        connectAndResetOneByOne(sim, CONNECTIONS, true);
        for (int i = 0; i < CONNECTIONS; i++)
        {
            assertEquals(first.get(i).backend, sim.connections().get(CONNECTIONS + i).backend, "client " + i);
        }
    }

    @Test
    void shouldBalanceOpenFlowsWithLeastConnections() throws Exception
    {
        final LbSimulation sim = new LbSimulation(5, BalancingAlgorithm.LEAST_CONNECTIONS, new int[] {1, 1}, null,
            journal).backendsSeen();
        for (int i = 0; i < CONNECTIONS / 2; i++)
        {
            establish(sim, i, 30_000 + i);
        }
        final int[] open = new int[2];
        sim.connections().forEach(c -> open[c.backend]++);
        assertArrayEquals(new int[] {50, 50}, open);
        // every flow of backend 0 ends: the next ones go there until both are even again
        for (final LbSimulation.Connection c : sim.connections())
        {
            if (c.backend == 0)
            {
                c.client.abort();
            }
        }
        assertNull(sim.runUntil(() -> sim.stage.mappingCount() == 50));
        assertEquals(0, sim.pool.openFlows(0));
        final int[] second = new int[2];
        for (int i = CONNECTIONS / 2; i < CONNECTIONS; i++)
        {
            second[establish(sim, i, 30_000 + i).backend]++;
        }
        assertArrayEquals(new int[] {75, 25}, second);
        assertEquals(75, sim.pool.openFlows(0));
        assertEquals(75, sim.pool.openFlows(1));
    }

    @Test
    void shouldKeepAClientOnItsBackendWithSourcePersistence() throws Exception
    {
        final SourcePersistenceTable persistence = new SourcePersistenceTable(1024, 60_000_000_000L);
        final LbSimulation sim = new LbSimulation(6, BalancingAlgorithm.ROUND_ROBIN, new int[] {1, 1}, persistence,
            journal).backendsSeen();
        for (int round = 0; round < 4; round++)
        {
            for (int host = 0; host < 5; host++)
            {
                final LbSimulation.Connection c = establish(sim, host, 20_000 + round * 10 + host);
                c.client.abort();
            }
        }
        for (int host = 0; host < 5; host++)
        {
            final int backend = sim.connections().get(host).backend;
            for (int round = 1; round < 4; round++)
            {
                assertEquals(backend, sim.connections().get(round * 5 + host).backend, "host " + host);
            }
        }
        assertEquals(15, sim.stage.counter(LbCounter.FLOWS_PERSISTED));
    }

    @Test
    void shouldResetTheFlowsOfABackendThatDiesMidFlowAndSendNewOnesToTheOthers() throws Exception
    {
        final LbSimulation sim = new LbSimulation(7, BalancingAlgorithm.ROUND_ROBIN, new int[] {1, 1}, null, journal)
            .backendsSeen();
        for (int i = 0; i < 4; i++)
        {
            sim.connect(i, 41_000 + i, true, 300_000, 50_000);
        }
        assertNull(sim.runUntil(() -> sim.connections().stream().allMatch(c -> c.serverGot.size() > 50_000)));
        sim.health.publish(1, false);
        assertNull(sim.runUntil(() -> sim.connections().stream()
            .allMatch(c -> c.backend == 1 ? c.client.isAborted() && c.server.isAborted() : c.isComplete())));
        for (final LbSimulation.Connection c : sim.connections())
        {
            if (c.backend == 1)
            {
                assertEquals(AbortReason.RESET_RECEIVED, c.client.abortReason(), sim.state());
                assertEquals(AbortReason.RESET_RECEIVED, c.server.abortReason(), sim.state());
                assertTrue(c.serverGot.size() < c.upload.length, "cut mid-flow");
            }
        }
        assertEquals(2, sim.stage.counter(LbCounter.FLOWS_RESET_BACKEND_DOWN), sim.state());
        assertEquals(2, sim.engine.counter(DirectCounter.FLOWS_RESET_BY_MODE), sim.state());
        assertEquals(0, sim.pool.openFlows(1));

        // new flows go to the backend that is up; with none up, a SYN is refused at once
        for (int i = 0; i < 4; i++)
        {
            assertEquals(0, establish(sim, 10 + i, 42_000 + i).backend);
        }
        sim.health.publish(0, false);
        final LbSimulation.Connection refused = sim.connect(20, 43_000, false, 0, 0);
        assertNull(sim.runUntil(refused.client::isAborted));
        assertEquals(AbortReason.CONNECTION_REFUSED, refused.client.abortReason());
        assertEquals(1, sim.stage.counter(LbCounter.SYN_RESET_NO_BACKEND));
        // the flows still open to backend 0 went with it
        sim.idle(200_000_000L);
        assertEquals(0, sim.stage.mappingCount(), sim.state());

        sim.health.publish(1, true);
        assertEquals(1, establish(sim, 30, 44_000).backend);
    }

    @Test
    void shouldAnswerArpForTheVirtualAddressOnly()
        throws Exception
    {
        final LbSimulation sim = new LbSimulation(8, BalancingAlgorithm.ROUND_ROBIN, new int[] {1}, null, journal)
            .backendsSeen();
        sim.clientArp(LbSimulation.VIP);
        sim.clientArp(0xC6336402); // a backend: bridged to the inside, not answered
        sim.idle(1_000_000);
        assertEquals(1, sim.arpReplies().size());
        final UnsafeBuffer reply = new UnsafeBuffer(sim.arpReplies().get(0));
        final ArpFlyweight arp = new ArpFlyweight().wrap(reply, EthernetFlyweight.HEADER_LENGTH);
        assertEquals(ArpFlyweight.OPERATION_REPLY, arp.operation());
        assertEquals(LbSimulation.OUTSIDE_MAC, arp.senderHardwareAddress());
        assertEquals(LbSimulation.VIP, arp.senderProtocolAddress());
        assertEquals(0xC0000201, arp.targetProtocolAddress());
        assertEquals(0x02_00_00_01_00_01L, arp.targetHardwareAddress());
        assertEquals(0x02_00_00_01_00_01L, new EthernetFlyweight().wrap(reply, 0).destinationMac());
        assertEquals(1, sim.stage.counter(LbCounter.ARP_REPLIES));
    }

    /**
     * Connects {@code count} times one after the other (from client hosts 0.. when {@code hostPerConnection}, else
     * all from host 0), each flow reset by its client once established.
     *
     * @return connections per backend.
     */
    private static int[] connectAndResetOneByOne(final LbSimulation sim, final int count,
        final boolean hostPerConnection) throws Exception
    {
        final int[] perBackend = new int[sim.pool.backendCount()];
        final int base = sim.connections().size();
        for (int i = 0; i < count; i++)
        {
            final LbSimulation.Connection c = establish(sim, hostPerConnection ? i : 0, 10_000 + base + i);
            perBackend[c.backend]++;
            c.client.abort();
            assertNull(sim.runUntil(() -> sim.stage.mappingCount() == 0), "connection " + i);
        }
        return perBackend;
    }

    private static LbSimulation.Connection establish(final LbSimulation sim, final int host, final int port)
        throws Exception
    {
        final LbSimulation.Connection c = sim.connect(host, port, false, 0, 0);
        final String failure = sim.runUntil(c::isEstablished);
        assertNull(failure, "connection from host " + host + " port " + port);
        return c;
    }
}
