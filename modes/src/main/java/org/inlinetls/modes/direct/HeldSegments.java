package org.inlinetls.modes.direct;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A few segments of one direction of a flow that arrived past a hole, kept until the hole is filled so that a
 * reordered or lost segment costs one retransmission, not the whole window behind it. Payload buffers come from
 * the engine's shared {@link SegmentPool}; when it is empty, or the flow holds its share, the segment is dropped
 * and its sender resends it (nothing it holds was acknowledged).
 */
final class HeldSegments
{
    static final int PER_DIRECTION = 16;

    private final int[] seq = new int[PER_DIRECTION];
    private final int[] length = new int[PER_DIRECTION];
    private final boolean[] fin = new boolean[PER_DIRECTION];
    private final UnsafeBuffer[] data = new UnsafeBuffer[PER_DIRECTION];
    private int count;
    private int newestSeq;

    /** @return false when it could not be held (full, pool empty, too long, or already held). */
    boolean hold(final SegmentPool pool, final DirectBuffer buffer, final int offset, final int bytes, final int at,
        final boolean finFlag)
    {
        if (count == PER_DIRECTION || bytes > SegmentPool.SLOT_BYTES)
        {
            return false;
        }
        newestSeq = at;
        for (int i = 0; i < count; i++)
        {
            if (seq[i] == at && length[i] >= bytes)
            {
                return true; // a duplicate of one held
            }
        }
        final UnsafeBuffer slot = pool.take();
        if (null == slot)
        {
            return false;
        }
        slot.putBytes(0, buffer, offset, bytes);
        seq[count] = at;
        length[count] = bytes;
        fin[count] = finFlag;
        data[count] = slot;
        count++;
        return true;
    }

    /**
     * The held segment that covers {@code frontier} (starts at or before it and ends after it), or -1; segments
     * wholly before the frontier are released on the way.
     */
    int find(final SegmentPool pool, final int frontier)
    {
        for (int i = count - 1; i >= 0; i--)
        {
            final int end = seq[i] + length[i] + (fin[i] ? 1 : 0);
            if (end - frontier <= 0)
            {
                release(pool, i);
            }
        }
        for (int i = 0; i < count; i++)
        {
            if (seq[i] - frontier <= 0)
            {
                return i;
            }
        }
        return -1;
    }

    int seq(final int i)
    {
        return seq[i];
    }

    int length(final int i)
    {
        return length[i];
    }

    boolean fin(final int i)
    {
        return fin[i];
    }

    UnsafeBuffer data(final int i)
    {
        return data[i];
    }

    /** Gives a held segment's buffer back (call after its bytes were used). */
    void release(final SegmentPool pool, final int i)
    {
        pool.give(data[i]);
        count--;
        seq[i] = seq[count];
        length[i] = length[count];
        fin[i] = fin[count];
        data[i] = data[count];
        data[count] = null;
    }

    void clear(final SegmentPool pool)
    {
        while (count > 0)
        {
            release(pool, count - 1);
        }
    }

    int count()
    {
        return count;
    }

    /**
     * The lowest first sequence number of a held segment strictly between {@code from} and {@code limit}, or
     * {@code limit}: a segment processed at the frontier stops there, so the interval boundary falls where a SACK
     * block for the held segment began (the peer will not resend what that block claimed, and an interval is only
     * ever re-encrypted or re-checked whole).
     */
    int firstStartBetween(final int from, final int limit)
    {
        int first = limit;
        for (int i = 0; i < count; i++)
        {
            if (seq[i] - from > 0 && seq[i] - first < 0)
            {
                first = seq[i];
            }
        }
        return first;
    }

    /** The first sequence number of the segment offered to {@link #hold} last (for SACK's first block). */
    int newestSeq()
    {
        return newestSeq;
    }
}
