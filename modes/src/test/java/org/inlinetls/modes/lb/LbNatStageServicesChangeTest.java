package org.inlinetls.modes.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

import org.inlinetls.handshake.HandshakeConfig;
import org.inlinetls.handshake.TestPki;
import org.inlinetls.modes.direct.DirectCounter;
import org.inlinetls.modes.direct.DirectEngine;
import org.inlinetls.modes.direct.ServiceTable;
import org.inlinetls.modes.TestJournals;
import org.inlinetls.seqdb.FlowJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A running {@link LbNatStage} (with its engine) given a reload's {@link LbServiceTable}: a TLS flow in flight to a
 * backend the new pool no longer has finishes whole on that backend while new flows go to the new pool; a flow of a
 * virtual service the reload removes is reset on both legs and counted.
 */
class LbNatStageServicesChangeTest
{
    private static Path file;
    private static FlowJournal journal;

    @BeforeAll
    static void openJournal() throws IOException
    {
        file = TestJournals.file("lbreload");
        journal = TestJournals.open(file, 256, 64);
    }

    @AfterAll
    static void closeJournal() throws IOException
    {
        TestJournals.delete(journal, file);
    }

    @Test
    void shouldFinishAFlowOnARemovedBackendSendNewFlowsToTheNewPoolAndResetTheFlowsOfARemovedService()
        throws Exception
    {
        final LbSimulation sim = new LbSimulation(31, BalancingAlgorithm.ROUND_ROBIN, new int[] {1, 1}, null,
            journal).backendsSeen();
        // round robin: a first connection takes backend 0 and goes, so the flow in flight uses backend 1, an id the
        // new pool (one backend) does not have
        final LbSimulation.Connection warmUp = sim.connect(3, 47_999, false, 0, 0);
        assertNull(sim.runUntil(warmUp::isEstablished));
        warmUp.client.abort();
        assertNull(sim.runUntil(() -> sim.stage.mappingCount() == 0));
        final LbSimulation.Connection first = sim.connect(0, 48_000, true, 300_000, 60_000);
        assertNull(sim.runUntil(() -> first.serverGot.size() > 50_000));
        final int removed = first.backend;
        assertEquals(1, removed);
        final int kept = 1 - removed;
        final List<DirectEngine.Service> oldInternal = List.of(internal(0), internal(1));
        final HandshakeConfig handshake = HandshakeConfig.builder(TestPki.get().selector()).build();

        // the reload: the pool loses the backend the flow in flight uses
        final VirtualService changed = service(kept);
        sim.stage.applyServices(new LbServiceTable(List.of(changed), new int[] {LbSimulation.APPLIANCE_INSIDE},
            new long[0], List.of()), sim.nowNs());
        sim.engine.applyServices(new ServiceTable(LbNatStage.engineServices(List.of(), List.of(changed)), handshake,
            oldInternal), sim.nowNs());
        final LbSimulation.Connection second = sim.connect(1, 48_001, true, 100_000, 60_000);
        assertNull(sim.runUntil(() -> first.isComplete() && second.isComplete()));
        assertEquals(removed, first.backend, "the flow in flight stayed on its backend");
        assertEquals(kept, second.backend, "the new flow went to the new pool");
        assertEquals(0, sim.engine.counter(DirectCounter.FLOWS_RESET_SERVICE_REMOVED), sim.state());
        assertEquals(1, sim.stage.counter(LbCounter.SERVICE_TABLES_APPLIED));

        // the reload removes the virtual service: its flow in flight is reset on both legs (the finished ones have
        // left the engine by then: past its FIN linger)
        sim.idle(3_000_000_000L);
        final LbSimulation.Connection third = sim.connect(2, 48_002, true, 300_000, 60_000);
        assertNull(sim.runUntil(() -> third.serverGot.size() > 50_000));
        assertEquals(kept, third.backend);
        sim.stage.applyServices(new LbServiceTable(List.of(), new int[] {LbSimulation.APPLIANCE_INSIDE},
            new long[0], List.of(changed)), sim.nowNs());
        sim.engine.applyServices(new ServiceTable(List.of(), handshake), sim.nowNs());
        assertNull(sim.runUntil(() -> third.client.isAborted() && third.server.isAborted()));
        assertEquals(1, sim.stage.counter(LbCounter.FLOWS_RESET_SERVICE_REMOVED), sim.state());
        assertEquals(1, sim.engine.counter(DirectCounter.FLOWS_RESET_BY_MODE), sim.state());
        assertEquals(0, sim.stage.mappingCount(), sim.state());
    }

    /** The virtual service with a pool of backend {@code index} of the simulation alone. */
    private static VirtualService service(final int index) throws Exception
    {
        final InetSocketAddress address = new InetSocketAddress(InetAddress.getByAddress(
            new byte[] {(byte)198, 51, 100, (byte)(2 + index)}), LbSimulation.BACKEND_PORT);
        return new VirtualService("shop", LbSimulation.VIP, 443, new BackendPool(List.of(new Backend(address, 1,
            "b" + index)), BalancingAlgorithm.ROUND_ROBIN, new BackendHealth(1)), null, false);
    }

    /** The engine's internal service of the simulation's backend {@code index}. */
    private static DirectEngine.Service internal(final int index)
    {
        return new DirectEngine.Service(0xC6336402 + index, 443, LbSimulation.BACKEND_PORT, false);
    }
}
