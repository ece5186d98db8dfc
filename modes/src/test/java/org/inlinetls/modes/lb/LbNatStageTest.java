package org.inlinetls.modes.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.modes.direct.DirectEngine;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.engine.Verdict;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.port.FrameHandler;
import org.inlinetls.modes.TestJournals;
import org.inlinetls.seqdb.FlowJournal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The NAT stage frame by frame: the rewrite both ways with checksums that verify, the mapping's life (opened by the
 * SYN, ended with the engine's flow, expired when idle), and no allocation per frame of a flow in cut-through.
 */
class LbNatStageTest
{
    private static final int ROUNDS = 5_000;
    private static final int PASSES = 6;
    /**
     * Bytes a pass of {@link #ROUNDS} (10,000 frames through the stage and the engine) may allocate: a stray object
     * of the JVM or the journal now and then; one allocation per frame would be at least 160,000.
     */
    private static final long NOISE_BYTES = 1_024;

    private static Path file;
    private static FlowJournal journal;

    @BeforeAll
    static void openJournal() throws IOException
    {
        file = TestJournals.file("lbstage");
        journal = TestJournals.open(file, 256, 64);
    }

    @AfterAll
    static void closeJournal() throws IOException
    {
        TestJournals.delete(journal, file);
    }

    @Test
    void shouldRewriteTheDestinationTowardTheBackendAndTheSourceTowardTheClientWithValidChecksums() throws Exception
    {
        final LbSimulation sim = new LbSimulation(11, BalancingAlgorithm.ROUND_ROBIN, new int[] {1, 1}, null,
            journal).backendsSeen();
        final LbSimulation.Connection c = sim.connect(0, 45_000, false, 0, 0);
        // the SYN, by hand: client -> stage -> engine -> inside port
        final List<byte[]> toServer = new ArrayList<>();
        final List<byte[]> toClient = new ArrayList<>();
        c.client.poll(sim.nowNs(), (b, o, l) -> classify(sim, Side.OUTSIDE, b, o, l) == Verdict.CONSUMED);
        sim.insidePort().drainSent(collect(toServer), 10);
        assertEquals(1, toServer.size());
        final ParsedFrame syn = parse(toServer.get(0));
        final UnsafeBuffer synView = new UnsafeBuffer(toServer.get(0));
        assertEquals(0xC6336402, new Ipv4HeaderFlyweight().wrap(synView, syn.l3Offset).destinationAddress());
        assertEquals(0x02_00_00_00_00_02L, new EthernetFlyweight().wrap(synView, 0).destinationMac());
        assertEquals(LbSimulation.BACKEND_PORT, syn.dstPort);
        assertChecksumsValid(synView, syn);
        assertEquals(1, sim.stage.mappingCount());

        // the backend's SYN-ACK: inside -> engine -> stage -> outside port, from the virtual address
        sim.runUntil(() -> null != c.server);
        c.server.onFrame(synView, 0, toServer.get(0).length, sim.nowNs());
        c.server.poll(sim.nowNs(), (b, o, l) -> classify(sim, Side.INSIDE, b, o, l) == Verdict.CONSUMED);
        sim.outsidePort().drainSent(collect(toClient), 10);
        assertEquals(1, toClient.size());
        final ParsedFrame synAck = parse(toClient.get(0));
        final UnsafeBuffer synAckView = new UnsafeBuffer(toClient.get(0));
        assertEquals(LbSimulation.VIP, new Ipv4HeaderFlyweight().wrap(synAckView, synAck.l3Offset).sourceAddress());
        assertEquals(LbSimulation.OUTSIDE_MAC, new EthernetFlyweight().wrap(synAckView, 0).sourceMac());
        assertEquals(443, synAck.srcPort);
        assertChecksumsValid(synAckView, synAck);
    }

    @Test
    void shouldEndTheMappingWithTheFlowWhetherItsClientOrTheEngineResetsIt() throws Exception
    {
        final LbSimulation sim = new LbSimulation(12, BalancingAlgorithm.ROUND_ROBIN, new int[] {1, 1}, null,
            journal).backendsSeen();
        final LbSimulation.Connection c = sim.connect(0, 46_000, false, 0, 0);
        assertNull(sim.runUntil(c::isEstablished));
        assertEquals(1, sim.stage.mappingCount());
        assertEquals(1, sim.pool.openFlows(c.backend));
        c.client.abort();
        assertNull(sim.runUntil(() -> sim.stage.mappingCount() == 0));
        assertEquals(0, sim.pool.openFlows(c.backend));
        assertEquals(1, sim.stage.counter(LbCounter.MAPPINGS_ENDED));

        final LbSimulation.Connection late = sim.connect(1, 46_001, false, 0, 0);
        assertNull(sim.runUntil(late::isEstablished));
        // the engine resets a flow (as when its backend goes down): the mapping goes with it
        assertTrue(sim.stage.engine().resetFlow(org.inlinetls.seqdb.FlowKey.ipv4Id(journal.seed(),
            LbSimulation.ipv4(late.clientIp), late.clientPort, 0xC6336402 + late.backend, 443)));
        assertNull(sim.runUntil(() -> late.client.isAborted() && late.server.isAborted()));
        assertEquals(0, sim.stage.mappingCount());
        assertEquals(2, sim.stage.counter(LbCounter.MAPPINGS_ENDED));
    }

    @Test
    void shouldExpireAnIdleMappingAndResetTheClientsNextSegment() throws Exception
    {
        final LbSimulation sim = new LbSimulation(13, BalancingAlgorithm.ROUND_ROBIN, new int[] {1}, null, journal,
            5_000_000_000L).backendsSeen();
        final LbSimulation.Connection c = sim.connect(0, 48_000, false, 0, 0);
        assertNull(sim.runUntil(c::isEstablished));
        sim.idle(4_000_000_000L);
        assertEquals(1, sim.stage.mappingCount(), "quiet, not yet idle for 5 s (the engine parked its flow)");
        sim.idle(3_000_000_000L);
        assertEquals(0, sim.stage.mappingCount());
        assertEquals(1, sim.stage.counter(LbCounter.MAPPINGS_EXPIRED));
        assertEquals(0, sim.pool.openFlows(0));
        c.client.write(new byte[] {1, 2, 3}, 0, 3);
        assertNull(sim.runUntil(c.client::isAborted));
        assertEquals(org.inlinetls.packet.tcp.AbortReason.RESET_RECEIVED, c.client.abortReason());
        assertEquals(1, sim.stage.counter(LbCounter.UNMAPPED_SEGMENTS_RESET));
    }

    @Test
    void shouldNotAllocatePerFrameOfAFlowInCutThrough() throws Exception
    {
        final LbSimulation sim = new LbSimulation(14, BalancingAlgorithm.ROUND_ROBIN, new int[] {1, 1}, null,
            journal).backendsSeen();
        final LbSimulation.Connection c = sim.connect(0, 47_000, true, 400_000, 400_000);
        assertNull(sim.runUntil(() -> c.clientGot.size() > 100_000 && null != c.lastPureAckFromServer &&
            null != c.lastPureAckFromClient));
        final UnsafeBuffer fromClient = new UnsafeBuffer(c.lastPureAckFromClient);
        final UnsafeBuffer fromServer = new UnsafeBuffer(c.lastPureAckFromServer);
        final ParsedFrame clientFrame = parse(c.lastPureAckFromClient);
        final ParsedFrame serverFrame = parse(c.lastPureAckFromServer);
        final FrameHandler discard = (b, o, l, ts) -> { };
        final long mappedBefore = sim.stage.counter(LbCounter.FRAMES_TO_BACKEND);
        final long toClientBefore = sim.stage.counter(LbCounter.FRAMES_TO_CLIENT);
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();
        long fewest = Long.MAX_VALUE;
        for (int w = 0; w < PASSES; w++)
        {
            final long before = threads.getThreadAllocatedBytes(threadId);
            for (int r = 0; r < ROUNDS; r++)
            {
                sim.stage.classify(Side.OUTSIDE, fromClient, clientFrame, sim.nowNs());
                sim.stage.classify(Side.INSIDE, fromServer, serverFrame, sim.nowNs());
                sim.outsidePort().drainSent(discard, Integer.MAX_VALUE);
                sim.insidePort().drainSent(discard, Integer.MAX_VALUE);
            }
            fewest = Math.min(fewest, threads.getThreadAllocatedBytes(threadId) - before);
        }
        assertTrue(fewest <= NOISE_BYTES, "allocated " + fewest + " bytes per " + ROUNDS + " rounds");
        assertEquals((long)PASSES * ROUNDS, sim.stage.counter(LbCounter.FRAMES_TO_BACKEND) - mappedBefore);
        assertTrue(sim.stage.counter(LbCounter.FRAMES_TO_CLIENT) - toClientBefore > 0,
            "the server's ACKs reached the client through the NAT");
        assertNotNull(sim.stage.engine());
        assertTrue(sim.engine.flowCount() == 1, sim.state());
        assertEquals(DirectEngine.class, sim.stage.engine().getClass());
    }

    private static Verdict classify(final LbSimulation sim, final Side side, final org.agrona.DirectBuffer b,
        final int o, final int l)
    {
        final byte[] copy = new byte[l];
        b.getBytes(o, copy);
        return sim.stage.classify(side, new UnsafeBuffer(copy), parse(copy), sim.nowNs());
    }

    private static FrameHandler collect(final List<byte[]> into)
    {
        return (b, o, l, ts) ->
        {
            final byte[] copy = new byte[l];
            b.getBytes(o, copy);
            into.add(copy);
        };
    }

    private static ParsedFrame parse(final byte[] frame)
    {
        final ParsedFrame parsed = new ParsedFrame();
        assertEquals(FrameAnomaly.NONE, new FrameParser().parse(new UnsafeBuffer(frame), 0, frame.length, parsed));
        return parsed;
    }

    private static void assertChecksumsValid(final UnsafeBuffer frame, final ParsedFrame parsed)
    {
        final int headerLength = new Ipv4HeaderFlyweight().wrap(frame, parsed.l3Offset).headerLength();
        assertTrue(Checksums.verifyIpv4HeaderChecksum(frame, parsed.l3Offset, headerLength), "IPv4 checksum");
        assertTrue(Checksums.verifyTcpChecksumIpv4(frame, parsed.l3Offset, parsed.l4Offset, parsed.l4Length),
            "TCP checksum");
    }
}
