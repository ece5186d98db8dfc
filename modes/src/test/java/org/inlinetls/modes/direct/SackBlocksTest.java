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
        assertEquals(1, SackBlocks.translate(entry, Direction.SERVER_TO_CLIENT, tcp, true, out));
        assertEquals(-2_200 + 2_000, out[0]);
        assertEquals(-2_200 + 4_000, out[1]);
    }

    @Test
    void shouldDropABlockThatHoldsNoWholeRecordAndKeepTheOthers()
    {
        sack(-1_500 + 10, -1_500 + 900, -1_500 + 1_022, -1_500 + 2 * 1_022);
        assertEquals(1, SackBlocks.translate(entry, Direction.SERVER_TO_CLIENT, tcp, true, out));
        assertEquals(-2_200 + 1_000, out[0]);
        assertEquals(-2_200 + 2_000, out[1]);
    }

    @Test
    void shouldMapTheServersPlaintextBlocksToTheClientsRecords()
    {
        // plaintext of records 1 and 2; the tag-only segment after record 2 is processed, so it counts as held too
        sack(9_000 + 1_000, 9_000 + 3_000);
        assertEquals(1, SackBlocks.translate(entry, Direction.CLIENT_TO_SERVER, tcp, false, out));
        assertEquals(5_000 + 1_029, out[0]);
        assertEquals(5_000 + 3 * 1_029 + 16, out[1]);
    }
}
