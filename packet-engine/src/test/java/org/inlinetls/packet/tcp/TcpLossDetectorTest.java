package org.inlinetls.packet.tcp;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RACK-TLP and the reordering-adaptive duplicate threshold of {@link TcpLossDetector}, each on one scripted loss.
 */
class TcpLossDetectorTest
{
    private static final int MSS = 1000;

    private static TcpConfig config(final int side)
    {
        return TcpSimulation.config(side, false).mss(MSS).receiveBufferBytes(64 * 1024).sendBufferBytes(64 * 1024)
            .timestamps(false).windowScale(true).sackPermitted(true).timeWaitNs(1_000_000_000L).isnSeed(side + 7);
    }

    /** Client sends {@code segments} full segments and no FIN; the frames toward the server listed are dropped. */
    private static TcpSimulation transfer(final int segments, final long... droppedToServer)
    {
        final SimulatedWire wire = new SimulatedWire(1, new SimulatedWire.Faults());
        for (final long index : droppedToServer)
        {
            wire.dropFrame(TcpSimulation.SERVER, index);
        }
        final TcpSimulation simulation = new TcpSimulation(config(TcpSimulation.CLIENT),
            config(TcpSimulation.SERVER), wire, TcpSimulation.payload(new SplittableRandom(3), segments * MSS),
            new byte[0]);
        simulation.apps[TcpSimulation.CLIENT].closeWhenDone = false;
        simulation.apps[TcpSimulation.SERVER].closeWhenDone = false;
        simulation.open();
        // the handshake gives the client an RTT sample, so SRTT is known when the data goes out
        final boolean done = simulation.runUntil(() ->
            simulation.apps[TcpSimulation.SERVER].receivedLength == segments * MSS &&
            simulation.endpoints[TcpSimulation.CLIENT].isSendBufferEmpty());
        assertTrue(done, simulation::describe);
        return simulation;
    }

    @Test
    void shouldRepairALostLastSegmentWithATailLossProbeInsteadOfATimeout()
    {
        // toward the server: 0 SYN, 1.. the data (the first carries the handshake's ACK); the last of three is lost
        final TcpSimulation simulation = transfer(3, 3);
        final TcpCounters counters = simulation.endpoints[TcpSimulation.CLIENT].counters();
        assertEquals(1, simulation.wire.framesLost, simulation::describe);
        assertEquals(0, counters.timeouts(), simulation::describe);
        assertEquals(1, counters.tailLossProbes(), simulation::describe);
        assertEquals(1, counters.retransmissions(), simulation::describe);
    }

    @Test
    void shouldMarkAHoleLostByTimeWhenTooFewSegmentsFollowForThreeDuplicateAcks()
    {
        // the first of three segments is lost: two SACKs only, below DupThresh
        final TcpSimulation simulation = transfer(3, 1);
        final TcpCounters counters = simulation.endpoints[TcpSimulation.CLIENT].counters();
        assertEquals(1, simulation.wire.framesLost, simulation::describe);
        assertEquals(0, counters.timeouts(), simulation::describe);
        assertTrue(counters.rackLossMarks() >= 1, simulation::describe);
        assertEquals(1, counters.retransmissions(), simulation::describe);
    }

    @Test
    void shouldTimeOutWithoutSackAsBefore()
    {
        final SimulatedWire wire = new SimulatedWire(1, new SimulatedWire.Faults());
        wire.dropFrame(TcpSimulation.SERVER, 3);
        final TcpSimulation simulation = new TcpSimulation(config(TcpSimulation.CLIENT).sackPermitted(false),
            config(TcpSimulation.SERVER).sackPermitted(false), wire,
            TcpSimulation.payload(new SplittableRandom(3), 3 * MSS), new byte[0]);
        simulation.apps[TcpSimulation.CLIENT].closeWhenDone = false;
        simulation.apps[TcpSimulation.SERVER].closeWhenDone = false;
        simulation.open();
        assertTrue(simulation.runUntil(() -> simulation.endpoints[TcpSimulation.CLIENT].isSendBufferEmpty() &&
            simulation.apps[TcpSimulation.SERVER].receivedLength == 3 * MSS), simulation::describe);
        assertEquals(1, simulation.wire.framesLost);
        assertEquals(0, simulation.endpoints[TcpSimulation.CLIENT].counters().tailLossProbes());
        assertEquals(1, simulation.endpoints[TcpSimulation.CLIENT].counters().timeouts());
    }

    @Test
    void shouldRaiseDupThreshWhenUnretransmittedDataArrivesBelowSackedData()
    {
        final TcpControlBlock tcb = new TcpControlBlock(config(TcpSimulation.CLIENT).validate());
        tcb.sendMss = MSS;
        tcb.sndUna = 1000;
        tcb.sndMax = 11_000;
        final TcpLossDetector detector = new TcpLossDetector(tcb);
        detector.start();
        // segment [1000, 2000) held back while four later ones were SACKed: distance 5 segments
        detector.onNewlySacked(1000, 6000);
        assertEquals(5, tcb.reorderingSegments);
        assertEquals(1, tcb.counters.reorderingRaises());
        // a retransmitted range arriving late says nothing about reordering
        tcb.retransmittedHighSeq = 9000;
        detector.onNewlySacked(2000, 11_000);
        assertEquals(5, tcb.reorderingSegments);
    }

    @Test
    void shouldNotCallLostWhatHasFewerThanTheRaisedDupThreshSackedAbove()
    {
        final SackScoreboard board = new SackScoreboard(8);
        board.add(2000, 6000, 1000, 20_000); // four segments above the hole at 1000
        assertEquals(2000, board.lossBoundary(1000, MSS), "DupThresh 3: lost");
        assertEquals(1000, board.lossBoundary(1000, MSS, 5), "DupThresh 5: reordering, not loss");
        board.add(6000, 7000, 1000, 20_000);
        assertEquals(2000, board.lossBoundary(1000, MSS, 5));
    }

    @Test
    void shouldWidenTheReorderingWindowOnDsackWithinSrtt()
    {
        final TcpControlBlock tcb = new TcpControlBlock(config(TcpSimulation.CLIENT).validate());
        tcb.rto.onSample(40_000_000L);
        final TcpLossDetector detector = new TcpLossDetector(tcb);
        assertEquals(10_000_000L, detector.reoWndNs(), "a quarter of min RTT");
        detector.onDsack();
        assertEquals(20_000_000L, detector.reoWndNs());
        for (int i = 0; i < 20; i++)
        {
            detector.onDsack();
        }
        assertEquals(40_000_000L, detector.reoWndNs(), "at most SRTT");
    }
}
