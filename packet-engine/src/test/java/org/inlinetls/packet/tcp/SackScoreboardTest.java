package org.inlinetls.packet.tcp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SackScoreboardTest
{
    private static final int UNA = 0xFFFF_F000; // ranges straddle the 32-bit wrap
    private static final int MAX = UNA + 100_000;

    @Test
    void shouldMergeOverlappingAndAdjacentBlocksAndCountOnlyNewBytes()
    {
        final SackScoreboard board = new SackScoreboard(8);
        assertEquals(1000, board.add(UNA + 3000, UNA + 4000, UNA, MAX));
        assertEquals(1000, board.add(UNA + 1000, UNA + 2000, UNA, MAX));
        assertEquals(0, board.add(UNA + 3000, UNA + 3500, UNA, MAX), "already SACKed");
        assertEquals(1000, board.add(UNA + 2000, UNA + 3000, UNA, MAX), "fills between two ranges");
        assertEquals(1, board.rangeCount());
        assertEquals(3000, board.sackedBytes());
        assertEquals(UNA + 4000, board.highestSackedEnd(UNA));
    }

    @Test
    void shouldIgnoreDsackBlocksBelowTheCumulativeAckAndBlocksBeyondWhatWasSent()
    {
        final SackScoreboard board = new SackScoreboard(8);
        assertEquals(0, board.add(UNA - 500, UNA, UNA, MAX), "RFC 2883 D-SACK below SND.UNA");
        assertEquals(0, board.add(MAX - 10, MAX + 10, UNA, MAX), "never sent");
        assertEquals(0, board.add(UNA + 10, UNA + 10, UNA, MAX), "empty");
        assertEquals(100, board.add(UNA - 100, UNA + 100, UNA, MAX), "clipped to SND.UNA");
        assertEquals(100, board.sackedBytes());
    }

    @Test
    void shouldTreatBytesAsLostOnlyBelowThreeSegmentsOrThreeRangesSackedAbove()
    {
        final SackScoreboard board = new SackScoreboard(8);
        final int mss = 1000;
        board.add(UNA + 5000, UNA + 7000, UNA, MAX);
        assertEquals(UNA, board.lossBoundary(UNA, mss), "2 MSS SACKed above: not lost yet");
        board.add(UNA + 7000, UNA + 7001, UNA, MAX);
        assertEquals(UNA + 5000, board.lossBoundary(UNA, mss), "more than (DupThresh - 1) * MSS");
        final SackScoreboard ranges = new SackScoreboard(8);
        ranges.add(UNA + 1000, UNA + 1001, UNA, MAX);
        ranges.add(UNA + 2000, UNA + 2001, UNA, MAX);
        assertEquals(UNA, ranges.lossBoundary(UNA, mss));
        ranges.add(UNA + 3000, UNA + 3001, UNA, MAX);
        assertEquals(UNA + 1000, ranges.lossBoundary(UNA, mss), "DupThresh discontiguous ranges");
    }

    @Test
    void shouldWalkHolesBetweenRanges()
    {
        final SackScoreboard board = new SackScoreboard(8);
        board.add(UNA + 1000, UNA + 2000, UNA, MAX);
        board.add(UNA + 3000, UNA + 4000, UNA, MAX);
        assertEquals(UNA, board.nextUnsacked(UNA, MAX, UNA));
        assertEquals(UNA + 1000, board.holeEnd(UNA, MAX, UNA));
        assertEquals(UNA + 2000, board.nextUnsacked(UNA + 1500, MAX, UNA));
        assertEquals(UNA + 3000, board.holeEnd(UNA + 2000, MAX, UNA));
        assertEquals(UNA + 4000, board.nextUnsacked(UNA + 3000, MAX, UNA));
        assertEquals(UNA + 2500, board.holeEnd(UNA + 2000, UNA + 2500, UNA), "capped by the limit");
        assertEquals(1500, board.sackedBytesBelow(UNA + 3500, UNA));
    }

    @Test
    void shouldForgetWhatTheCumulativeAckCoversAndDetectReneging()
    {
        final SackScoreboard board = new SackScoreboard(8);
        board.add(UNA + 1000, UNA + 2000, UNA, MAX);
        board.add(UNA + 3000, UNA + 4000, UNA, MAX);
        assertFalse(board.onCumulativeAck(UNA + 2000), "the hole filled: the ACK passed the first range");
        assertEquals(1, board.rangeCount());
        assertEquals(1000, board.sackedBytes());
        assertTrue(board.onCumulativeAck(UNA + 3000), "an ACK that stops at a SACKed range: the peer reneged");
        assertEquals(0, board.rangeCount());
        assertEquals(0, board.sackedBytes());
    }

    @Test
    void shouldForgetTheHighestRangeWhenFull()
    {
        final SackScoreboard board = new SackScoreboard(2);
        board.add(UNA + 1000, UNA + 1100, UNA, MAX);
        board.add(UNA + 3000, UNA + 3100, UNA, MAX);
        assertEquals(100, board.add(UNA + 2000, UNA + 2100, UNA, MAX));
        assertEquals(2, board.rangeCount());
        assertEquals(UNA + 2100, board.highestSackedEnd(UNA));
        assertEquals(0, board.add(UNA + 5000, UNA + 5100, UNA, MAX), "no room above the others");
        assertEquals(200, board.sackedBytes());
    }
}
