package org.inlinetls.modes.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.seqdb.Direction;
import org.inlinetls.seqdb.FlowEntry;
import org.inlinetls.seqdb.FlowEntryLayout;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SACK translation between the legs: a peer's block claims only the segments wholly inside it.
 */
class SackBlocksTest
{
    private static final int RING = 16;
    private static final int BLOB = 16;
    private final FlowEntry entry = new FlowEntry(RING, BLOB);
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();
    private final int[] out = new int[2 * DirectFlow.SACK_BLOCKS];

    @BeforeEach
    void ring()
    {
        entry.wrap(new UnsafeBuffer(new byte[FlowEntryLayout.entryLength(RING, BLOB)]), 0);
        // server->client: segments of 1000 plain bytes became records of 1022 bytes, the cipher stream starting
        // 700 bytes later (the appliance's flight); sequence numbers near the wrap
        int cipher = -1_500;
        int plain = -2_200;
        for (int i = 0; i < 6; i++)
        {
            entry.appendCheckpoint(Direction.SERVER_TO_CLIENT, cipher, plain, 0, new byte[BLOB], 0, BLOB);
            cipher += 1_022;
            plain += 1_000;
        }
        // client->server: records of 1029 bytes gave 1000 bytes of plaintext, one segment gave none (a tag)
        cipher = 5_000;
        plain = 9_000;
        for (int i = 0; i < 6; i++)
        {
            entry.appendCheckpoint(Direction.CLIENT_TO_SERVER, cipher, plain, 0, new byte[BLOB], 0, BLOB);
            cipher += i == 2 ? 16 : 1_029;
            plain += i == 2 ? 0 : 1_000;
        }
    }

    private void sack(final int... edges)
    {
        tcp.wrap(new UnsafeBuffer(new byte[60]), 0).beginOptions().appendSack(edges, edges.length / 2).endOptions();
    }

    @Test
    void shouldClaimOnlyTheServerSegmentsWhoseRecordsTheClientHoldsWhole()
    {
        // records 2 and 3 whole, and most of 4
        sack(-1_500 + 2 * 1_022, -1_500 + 4 * 1_022 + 500);
        assertEquals(1, SackBlocks.translate(entry, Direction.SERVER_TO_CLIENT, tcp, true, -2_200, out));
        assertEquals(-2_200 + 2_000, out[0]);
        assertEquals(-2_200 + 4_000, out[1]);
    }

    @Test
    void shouldDropABlockThatHoldsNoWholeRecordAndKeepTheOthers()
    {
        sack(-1_500 + 10, -1_500 + 900, -1_500 + 1_022, -1_500 + 2 * 1_022);
        assertEquals(1, SackBlocks.translate(entry, Direction.SERVER_TO_CLIENT, tcp, true, -2_200, out));
        assertEquals(-2_200 + 1_000, out[0]);
        assertEquals(-2_200 + 2_000, out[1]);
    }

    @Test
    void shouldMapTheServersPlaintextBlocksToTheClientsRecords()
    {
        // plaintext of records 1 and 2; the tag-only segment after record 2 is processed, so it counts as held too
        sack(9_000 + 1_000, 9_000 + 3_000);
        assertEquals(1, SackBlocks.translate(entry, Direction.CLIENT_TO_SERVER, tcp, false, 5_000, out));
        assertEquals(5_000 + 1_029, out[0]);
        assertEquals(5_000 + 3 * 1_029 + 16, out[1]);
    }

    @Test
    void shouldShrinkAServerBlockToBoundariesTheDecoderCanResumeFrom()
    {
        // the boundary after record 1 (cipher 5000 + 2058) cannot be resumed from: a hole may not end there
        final FlowEntry c2s = new FlowEntry(RING, BLOB);
        c2s.wrap(new UnsafeBuffer(new byte[FlowEntryLayout.entryLength(RING, BLOB)]), 0);
        for (int i = 0; i < 6; i++)
        {
            c2s.appendCheckpoint(Direction.CLIENT_TO_SERVER, 5_000 + i * 1_029, 9_000 + i * 1_000, 0, new byte[BLOB], 0,
                i == 2 ? 0 : BLOB);
        }
        sack(9_000 + 2_000, 9_000 + 4_000);
        assertEquals(1, SackBlocks.translate(c2s, Direction.CLIENT_TO_SERVER, tcp, false, 5_000, out));
        assertEquals(5_000 + 3 * 1_029, out[0], "moved right to the next resumable boundary");
        assertEquals(5_000 + 4 * 1_029, out[1]);
        sack(9_000 + 1_000, 9_000 + 2_000);
        assertEquals(0, SackBlocks.translate(c2s, Direction.CLIENT_TO_SERVER, tcp, false, 5_000, out),
            "ends at a boundary no hole may start from: dropped");
        sack(9_000 + 4_000, 9_000 + 5_000);
        assertEquals(1, SackBlocks.translate(c2s, Direction.CLIENT_TO_SERVER, tcp, false, 5_000, out),
            "the frontier is always a usable edge");
    }

    @Test
    void shouldDropDsackBlocksAndClipBlocksToTheAckThePeerIsSent()
    {
        sack(-1_500 + 1_022, -1_500 + 2 * 1_022);
        assertEquals(0, SackBlocks.translate(entry, Direction.SERVER_TO_CLIENT, tcp, true, -2_200 + 2_000, out),
            "RFC 2883 D-SACK, or a block the ACK has passed");
        sack(-1_500 + 1_022, -1_500 + 4 * 1_022);
        assertEquals(1, SackBlocks.translate(entry, Direction.SERVER_TO_CLIENT, tcp, true, -2_200 + 2_000, out));
        assertEquals(-2_200 + 2_000, out[0]);
        assertEquals(-2_200 + 4_000, out[1]);
    }

    @Test
    void shouldNotClaimTheAppliancesOwnFlightOrBytesBeyondTheFrontier()
    {
        // the client SACKs the flight (before the first checkpoint) and bytes never sent
        sack(-1_500 - 700, -1_500 - 10, -1_500 + 5 * 1_022, -1_500 + 7 * 1_022);
        assertEquals(0, SackBlocks.translate(entry, Direction.SERVER_TO_CLIENT, tcp, true, -2_200, out));
    }

    @Test
    void shouldReportHeldSegmentsNewestFirstThenTranslatedBlocksWithinTheMss()
    {
        final SegmentPool pool = new SegmentPool(8);
        final HeldSegments held = new HeldSegments();
        final UnsafeBuffer data = new UnsafeBuffer(new byte[1000]);
        held.hold(pool, data, 0, 100, 1_300, false);
        held.hold(pool, data, 0, 100, 1_100, false);
        held.hold(pool, data, 0, 100, 1_200, false); // joins 1_100 and 1_300
        held.hold(pool, data, 0, 100, 1_600, false);
        held.hold(pool, data, 0, 100, 1_500, false);
        final int[] translated = {500, 700, 800, 900};
        final int[] edges = new int[8];
        final int[] scratch = new int[2 * HeldSegments.PER_DIRECTION];
        assertEquals(3, SackBlocks.compose(null, held, 1_000, translated, 2, 600, true, 0, 1460, edges, scratch));
        assertEquals(1_500, edges[0], "the newest held segment's range first");
        assertEquals(1_700, edges[1]);
        assertEquals(600, edges[2], "then the other leg's blocks, clipped to the ACK");
        assertEquals(700, edges[3]);
        assertEquals(800, edges[4]);
        assertEquals(4, SackBlocks.compose(null, held, 1_000, translated, 2, 600, false, 0, 1460, edges, scratch));
        assertEquals(1_100, edges[6], "then the other held ranges");
        assertEquals(1_400, edges[7]);
        assertEquals(1, SackBlocks.compose(null, held, 1_000, translated, 2, 600, true, 1460 - 12 - 4 - 8 - 7, 1460,
            edges, scratch), "no more than fits beside the payload within the MSS");
        assertEquals(0, SackBlocks.compose(null, held, 1_000, translated, 2, 600, true, 1448, 1460, edges, scratch));
        held.clear(pool);
    }
}
