package org.inlinetls.packet.tcp;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Reassembly of the peer's byte stream in a fixed ring: in-order bytes wait for the application, out-of-order ranges
 * wait for the gap before them to fill (RFC 9293 §3.10.7.4, seventh step: "segments with higher beginning sequence
 * numbers may be held").
 * <p>
 * Positions are stream offsets (bytes before this one since the SYN). The ring holds {@code [readOffset,
 * readOffset + capacity)}; everything from {@link #nextOffset()} to the end of that is the receive window, so
 * out-of-order bytes always have their place and the window's right edge never moves left. Bytes arriving twice are
 * written twice to the same place with the same value (the peer sends one stream) and delivered once.
 * <p>
 * The ring's array is borrowed from a {@link BufferPool} when bytes arrive and given back whenever everything
 * received has been read and nothing waits out of order, so an idle connection holds none; when the pool refuses
 * (its budget is used up) the segment is not kept and the peer sends it again.
 */
final class ReceiveBuffer
{
    private final BufferPool pool;
    private final int capacity;
    private byte[] ring;
    /** Sorted, disjoint, non-adjacent [start, end) pairs of out-of-order data, all above {@link #nextOffset}. */
    private final long[] ranges;
    private int rangeCount;
    private long readOffset;
    private long nextOffset;

    /** A buffer with a pool of its own, without a budget. */
    ReceiveBuffer(final int capacityBytes, final int maxRanges)
    {
        this(capacityBytes, maxRanges, BufferPool.unbounded());
    }

    ReceiveBuffer(final int capacityBytes, final int maxRanges, final BufferPool pool)
    {
        this.capacity = capacityBytes;
        this.pool = pool;
        ranges = new long[maxRanges * 2];
    }

    int capacity()
    {
        return capacity;
    }

    /** Whether the ring's array is borrowed now (bytes wait to be read, in order or not). */
    boolean holdsMemory()
    {
        return null != ring;
    }

    /** Gives the ring's array back when nothing in it waits (or the connection is gone: {@code force}). */
    void releaseMemory(final boolean force)
    {
        if (null != ring && (force || (readOffset == nextOffset && rangeCount == 0)))
        {
            pool.release(ring);
            ring = null;
        }
    }

    /** Stream offset of the first byte not yet received in order (RCV.NXT, less the SYN). */
    long nextOffset()
    {
        return nextOffset;
    }

    /** Bytes received in order and not yet read. */
    int readableBytes()
    {
        return (int)(nextOffset - readOffset);
    }

    /** Free space from {@link #nextOffset()}: the receive window. */
    int windowBytes()
    {
        return capacity - readableBytes();
    }

    boolean hasOutOfOrder()
    {
        return rangeCount > 0;
    }

    /** Disjoint out-of-order ranges held above {@link #nextOffset()}, lowest first. */
    int outOfOrderRangeCount()
    {
        return rangeCount;
    }

    /** Stream offset of the first byte of out-of-order range {@code i}. */
    long outOfOrderRangeStart(final int i)
    {
        return ranges[2 * i];
    }

    /** Stream offset just past out-of-order range {@code i}. */
    long outOfOrderRangeEnd(final int i)
    {
        return ranges[2 * i + 1];
    }

    /** The out-of-order range holding the byte at {@code streamOffset}, or -1. */
    int outOfOrderRangeHolding(final long streamOffset)
    {
        for (int i = 0; i < rangeCount; i++)
        {
            if (ranges[2 * i] <= streamOffset && streamOffset < ranges[2 * i + 1])
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * Stores segment text beginning {@code relative} bytes after {@link #nextOffset()} (negative: partly old),
     * trimmed to the window.
     *
     * @return false when the text was not kept: all old, all beyond the window, or no room for another range.
     */
    boolean insert(final long relative, final DirectBuffer src, final int srcOffset, final int length)
    {
        long start = nextOffset + relative;
        int from = srcOffset;
        long end = start + length;
        if (start < nextOffset)
        {
            from += (int)(nextOffset - start);
            start = nextOffset;
        }
        end = Math.min(end, readOffset + capacity);
        if (end <= start)
        {
            return false;
        }
        if (null == ring && null == (ring = pool.acquire(capacity, true)))
        {
            return false; // the pool's budget is used up: the peer sends it again
        }
        if (!addRange(start, end))
        {
            releaseMemory(false);
            return false;
        }
        for (long at = start; at < end; )
        {
            final int index = index(at);
            final int chunk = (int)Math.min(end - at, capacity - index);
            src.getBytes(from, ring, index, chunk);
            from += chunk;
            at += chunk;
        }
        if (rangeCount > 0 && ranges[0] == nextOffset)
        {
            nextOffset = ranges[1];
            removeRange(0);
        }
        return true;
    }

    /** Copies up to {@code length} in-order bytes to the application and frees their space. */
    int read(final byte[] dst, final int offset, final int length)
    {
        final int count = Math.min(length, readableBytes());
        int done = 0;
        while (done < count)
        {
            final int index = index(readOffset + done);
            final int chunk = Math.min(count - done, capacity - index);
            System.arraycopy(ring, index, dst, offset + done, chunk);
            done += chunk;
        }
        readOffset += count;
        releaseMemory(false);
        return count;
    }

    /** As {@link #read(byte[], int, int)} into a buffer. */
    int read(final MutableDirectBuffer dst, final int offset, final int length)
    {
        final int count = Math.min(length, readableBytes());
        int done = 0;
        while (done < count)
        {
            final int index = index(readOffset + done);
            final int chunk = Math.min(count - done, capacity - index);
            dst.putBytes(offset + done, ring, index, chunk);
            done += chunk;
        }
        readOffset += count;
        releaseMemory(false);
        return count;
    }

    /** Merges [start, end) into the range list; in-order text is a range starting at {@link #nextOffset}. */
    private boolean addRange(final long start, final long end)
    {
        int i = 0;
        while (i < rangeCount && ranges[2 * i + 1] < start)
        {
            i++;
        }
        int j = i;
        long mergedStart = start;
        long mergedEnd = end;
        while (j < rangeCount && ranges[2 * j] <= end)
        {
            mergedStart = Math.min(mergedStart, ranges[2 * j]);
            mergedEnd = Math.max(mergedEnd, ranges[2 * j + 1]);
            j++;
        }
        final int removed = j - i;
        if (removed == 0 && rangeCount * 2 == ranges.length)
        {
            if (i == rangeCount)
            {
                return false;
            }
            // keep the lower range, nearer to delivery; the evicted one's bytes are not acknowledged and come again
            rangeCount--;
            j = i;
        }
        final int newCount = rangeCount - removed + 1;
        System.arraycopy(ranges, 2 * j, ranges, 2 * (i + 1), 2 * (rangeCount - j));
        ranges[2 * i] = mergedStart;
        ranges[2 * i + 1] = mergedEnd;
        rangeCount = newCount;
        return true;
    }

    private void removeRange(final int i)
    {
        System.arraycopy(ranges, 2 * (i + 1), ranges, 2 * i, 2 * (rangeCount - i - 1));
        rangeCount--;
    }

    private int index(final long streamOffset)
    {
        return (int)(streamOffset % capacity);
    }
}
