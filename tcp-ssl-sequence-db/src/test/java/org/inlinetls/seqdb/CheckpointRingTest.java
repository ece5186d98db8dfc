package org.inlinetls.seqdb;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.inlinetls.seqdb.Direction.CLIENT_TO_SERVER;
import static org.inlinetls.seqdb.Direction.SERVER_TO_CLIENT;
import static org.junit.jupiter.api.Assertions.*;

class CheckpointRingTest
{
    private static final int CAPACITY = 4;
    private static final int BLOB = 128;

    private final FlowEntry entry = new FlowEntry(CAPACITY, BLOB)
        .wrap(new UnsafeBuffer(new byte[FlowEntryLayout.entryLength(CAPACITY, BLOB)]), 0);

    @Test
    void shouldAppendUntilFullAndRefuseTheOverflow()
    {
        assertEquals(CAPACITY, entry.ringFree(CLIENT_TO_SERVER));
        for (int i = 0; i < CAPACITY; i++)
        {
            assertEquals(AppendResult.APPENDED, append(CLIENT_TO_SERVER, 1000 + 100 * i));
            assertEquals(CAPACITY - i - 1, entry.ringFree(CLIENT_TO_SERVER));
        }
        assertEquals(AppendResult.FULL, append(CLIENT_TO_SERVER, 5000));
        assertEquals(CAPACITY, entry.ringCount(CLIENT_TO_SERVER));
        assertEquals(1300, entry.checkpointCipherSeq(CLIENT_TO_SERVER, CAPACITY - 1));
        // the other direction is independent
        assertEquals(CAPACITY, entry.ringFree(SERVER_TO_CLIENT));
    }

    @Test
    void shouldRefuseACheckpointNotAfterTheNewest()
    {
        assertEquals(AppendResult.APPENDED, append(CLIENT_TO_SERVER, 1000));
        assertEquals(AppendResult.OUT_OF_ORDER, append(CLIENT_TO_SERVER, 1000));
        assertEquals(AppendResult.OUT_OF_ORDER, append(CLIENT_TO_SERVER, 999));
        assertEquals(1, entry.ringCount(CLIENT_TO_SERVER));
    }

    @Test
    void shouldRoundTripEveryFieldOfACheckpoint()
    {
        final byte[] blob = FlowEntryTest.filled(BLOB, 0x5A);
        blob[0] = 1;
        blob[BLOB - 1] = 2;
        assertEquals(AppendResult.APPENDED, entry.appendCheckpoint(SERVER_TO_CLIENT, 7, 8, 9, blob));
        assertEquals(AppendResult.APPENDED,
            entry.appendCheckpoint(SERVER_TO_CLIENT, 17, 18, 19, new byte[]{3, 4, 5}, 1, 2));
        assertEquals(8, entry.checkpointPlainSeq(SERVER_TO_CLIENT, 0));
        assertEquals(9, entry.checkpointExpectedAck(SERVER_TO_CLIENT, 0));
        final byte[] out = new byte[BLOB];
        assertEquals(BLOB, entry.getCheckpointBlob(SERVER_TO_CLIENT, 0, out, 0));
        assertArrayEquals(blob, out);
        assertEquals(2, entry.getCheckpointBlob(SERVER_TO_CLIENT, 1, out, 0));
        assertArrayEquals(new byte[]{4, 5}, Arrays.copyOf(out, 2));
        assertEquals(4, entry.buffer().getByte(entry.checkpointBlobOffset(SERVER_TO_CLIENT, 1)));
        assertEquals(0, entry.buffer().getByte(entry.checkpointBlobOffset(SERVER_TO_CLIENT, 1) + 2));
        assertThrows(IndexOutOfBoundsException.class, () -> entry.checkpointCipherSeq(SERVER_TO_CLIENT, 2));
        assertThrows(IllegalArgumentException.class,
            () -> entry.appendCheckpoint(SERVER_TO_CLIENT, 27, 0, 0, new byte[BLOB + 1], 0, BLOB + 1));
    }

    @Test
    void shouldKeepTheNewestCheckpointAtOrBeforeTheAck()
    {
        append(CLIENT_TO_SERVER, 1000);
        append(CLIENT_TO_SERVER, 2000);
        append(CLIENT_TO_SERVER, 3000);
        assertEquals(0, entry.dropCheckpointsUpTo(CLIENT_TO_SERVER, 1999));
        assertEquals(1, entry.dropCheckpointsUpTo(CLIENT_TO_SERVER, 2000));
        assertEquals(2000, entry.checkpointCipherSeq(CLIENT_TO_SERVER, 0));
        assertEquals(1, entry.dropCheckpointsUpTo(CLIENT_TO_SERVER, 9999));
        assertEquals(1, entry.ringCount(CLIENT_TO_SERVER));
        assertEquals(3000, entry.checkpointCipherSeq(CLIENT_TO_SERVER, 0));
        assertEquals(0, entry.dropCheckpointsUpTo(CLIENT_TO_SERVER, 9999));
    }

    @Test
    void shouldFindTheCheckpointToRestartFrom()
    {
        assertEquals(-1, entry.findCheckpointAtOrBefore(CLIENT_TO_SERVER, 5));
        append(CLIENT_TO_SERVER, 1000);
        append(CLIENT_TO_SERVER, 2000);
        append(CLIENT_TO_SERVER, 3000);
        assertEquals(-1, entry.findCheckpointAtOrBefore(CLIENT_TO_SERVER, 999));
        assertEquals(0, entry.findCheckpointAtOrBefore(CLIENT_TO_SERVER, 1000));
        assertEquals(0, entry.findCheckpointAtOrBefore(CLIENT_TO_SERVER, 1999));
        assertEquals(1, entry.findCheckpointAtOrBefore(CLIENT_TO_SERVER, 2000));
        assertEquals(2, entry.findCheckpointAtOrBefore(CLIENT_TO_SERVER, 100_000));
    }

    @Test
    void shouldWrapAroundTheRingAndTheSequenceSpace()
    {
        // start near 2^32 so sequence numbers wrap while the ring index wraps too
        int seq = -2500;
        int dropped = 0;
        for (int i = 0; i < 50; i++)
        {
            assertEquals(AppendResult.APPENDED, append(CLIENT_TO_SERVER, seq), "i=" + i);
            final int newest = entry.ringCount(CLIENT_TO_SERVER) - 1;
            assertEquals(seq, entry.checkpointCipherSeq(CLIENT_TO_SERVER, newest));
            assertEquals(seq + 7, entry.checkpointPlainSeq(CLIENT_TO_SERVER, newest));
            assertEquals(newest, entry.findCheckpointAtOrBefore(CLIENT_TO_SERVER, seq + 50));
            if (entry.ringFree(CLIENT_TO_SERVER) == 0)
            {
                dropped += entry.dropCheckpointsUpTo(CLIENT_TO_SERVER, seq - 100);
                assertEquals(seq - 100, entry.checkpointCipherSeq(CLIENT_TO_SERVER, 0));
            }
            seq += 100;
        }
        assertTrue(seq > 0, "sequence space wrapped");
        assertEquals(50 - entry.ringCount(CLIENT_TO_SERVER), dropped);
        entry.clearCheckpoints(CLIENT_TO_SERVER);
        assertEquals(CAPACITY, entry.ringFree(CLIENT_TO_SERVER));
        assertEquals(AppendResult.APPENDED, append(CLIENT_TO_SERVER, 1));
    }

    private AppendResult append(final Direction direction, final int cipherSeq)
    {
        final byte[] blob = new byte[BLOB];
        blob[0] = (byte)cipherSeq;
        return entry.appendCheckpoint(direction, cipherSeq, cipherSeq + 7, cipherSeq + 100, blob);
    }
}
