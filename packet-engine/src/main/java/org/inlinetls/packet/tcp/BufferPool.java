package org.inlinetls.packet.tcp;

import java.util.ArrayDeque;

/**
 * The arrays behind endpoint buffers (and a proxy's stages), lent while they hold bytes and given back when they
 * empty, so an idle connection holds none: memory follows the bytes in flight, not the connections open (as
 * HAProxy's buffer pools do).
 * <p>
 * A budget bounds the bytes lent. Arrays for bytes <em>arriving</em> (a receive buffer taking a peer's segment) are
 * refused once the budget is reached: the segment is not kept and the peer sends it again later (back-pressure).
 * Arrays for bytes <em>moving on</em> (a send buffer or a stage taking what a receive buffer gave up) are always lent,
 * so a flow can always drain what it already holds and give memory back: the lent bytes may pass the budget by the
 * arrays of the flows moving data at that moment, never by new data.
 * <p>
 * Single-threaded (one pool per engine thread); arrays given back are kept for reuse up to {@link #maxPooledBytes}
 * and left to the collector beyond that. Nothing is allocated while arrays given back are at hand.
 */
public final class BufferPool
{
    private static final int MAX_SIZES = 4;

    private long budgetBytes;
    private final long maxPooledBytes;
    private final int[] sizes = new int[MAX_SIZES];
    @SuppressWarnings("unchecked")
    private final ArrayDeque<byte[]>[] free = new ArrayDeque[MAX_SIZES];
    private int sizeCount;
    private long lentBytes;
    private long pooledBytes;
    private long refusals;

    /**
     * @param budgetBytes    bytes lent above which arrays for arriving bytes are refused.
     * @param maxPooledBytes bytes of given-back arrays kept for reuse.
     */
    public BufferPool(final long budgetBytes, final long maxPooledBytes)
    {
        this.budgetBytes = budgetBytes;
        this.maxPooledBytes = maxPooledBytes;
    }

    /** A pool of its own for one endpoint: no budget, its arrays kept for its reuse. */
    static BufferPool unbounded()
    {
        return new BufferPool(Long.MAX_VALUE, Long.MAX_VALUE);
    }

    /**
     * An array of exactly {@code size} bytes (contents undefined), or null when {@code arriving} and the budget is
     * used up.
     */
    public byte[] acquire(final int size, final boolean arriving)
    {
        if (arriving && lentBytes + size > budgetBytes)
        {
            refusals++;
            return null;
        }
        final ArrayDeque<byte[]> list = freeList(size);
        byte[] array = null == list ? null : list.poll();
        if (null == array)
        {
            array = new byte[size];
        }
        else
        {
            pooledBytes -= size;
        }
        lentBytes += size;
        return array;
    }

    /** Gives back an array {@link #acquire} lent. */
    public void release(final byte[] array)
    {
        lentBytes -= array.length;
        if (pooledBytes + array.length <= maxPooledBytes)
        {
            final ArrayDeque<byte[]> list = freeList(array.length);
            if (null != list)
            {
                list.push(array);
                pooledBytes += array.length;
            }
        }
    }

    /** Bytes of arrays lent now. */
    public long lentBytes()
    {
        return lentBytes;
    }

    /** Bytes of given-back arrays kept for reuse. */
    public long pooledBytes()
    {
        return pooledBytes;
    }

    /** Arrays refused to arriving bytes so far (each a segment the peer sends again). */
    public long refusals()
    {
        return refusals;
    }

    public long budgetBytes()
    {
        return budgetBytes;
    }

    /** A new budget (a reload): arrays lent already stay lent. */
    public void budgetBytes(final long bytes)
    {
        this.budgetBytes = bytes;
    }

    /** The free list of arrays of this size; null when {@link #MAX_SIZES} other sizes took every list. */
    private ArrayDeque<byte[]> freeList(final int size)
    {
        for (int i = 0; i < sizeCount; i++)
        {
            if (sizes[i] == size)
            {
                return free[i];
            }
        }
        if (sizeCount == MAX_SIZES)
        {
            return null;
        }
        sizes[sizeCount] = size;
        free[sizeCount] = new ArrayDeque<>();
        return free[sizeCount++];
    }
}
