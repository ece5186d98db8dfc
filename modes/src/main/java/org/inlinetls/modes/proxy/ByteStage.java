package org.inlinetls.modes.proxy;

import org.inlinetls.packet.tcp.BufferPool;
import org.inlinetls.packet.tcp.TcpEndpoint;

/**
 * A bounded FIFO of bytes between one flow's two legs (plaintext on its way to the backend, or records on their way
 * to the client) that an endpoint's send buffer could not take yet; a ring over one array borrowed from the engine's
 * {@link BufferPool} while it holds bytes and given back when it empties, so an idle flow holds none.
 * <p>
 * Bytes may be appended uncommitted (plaintext of a record whose tag has not been checked yet): they take room but
 * are not drained until {@link #commit()}, and {@link #discardUncommitted()} drops them.
 * <p>
 * Single-threaded, no allocation once the pool has arrays to lend.
 */
final class ByteStage
{
    private final BufferPool pool;
    private final int capacity;
    private byte[] ring;
    private long head;
    private long committed;
    private long tail;

    ByteStage(final int capacityBytes, final BufferPool pool)
    {
        this.capacity = capacityBytes;
        this.pool = pool;
    }

    int capacityBytes()
    {
        return capacity;
    }

    /** Whether the ring's array is borrowed now. */
    boolean holdsMemory()
    {
        return null != ring;
    }

    int readableBytes()
    {
        return (int)(tail - head);
    }

    int freeBytes()
    {
        return capacity - readableBytes();
    }

    boolean isEmpty()
    {
        return head == tail;
    }

    boolean hasUncommitted()
    {
        return committed != tail;
    }

    void clear()
    {
        head = 0;
        committed = 0;
        tail = 0;
        releaseIfEmpty();
    }

    /** Makes every byte appended so far drainable. */
    void commit()
    {
        committed = tail;
    }

    /** Drops the bytes appended since the last {@link #commit()}. */
    void discardUncommitted()
    {
        tail = committed;
        releaseIfEmpty();
    }

    /** Appends {@code length} bytes, committed. */
    void append(final byte[] src, final int offset, final int length)
    {
        appendUncommitted(src, offset, length);
        committed = tail;
    }

    /**
     * Appends {@code length} bytes, not drained before {@link #commit()}.
     *
     * @throws IllegalStateException when they do not fit (callers check {@link #freeBytes()} first).
     */
    void appendUncommitted(final byte[] src, final int offset, final int length)
    {
        if (length > freeBytes())
        {
            throw new IllegalStateException("stage overflow: " + length + " > " + freeBytes());
        }
        if (length == 0)
        {
            return;
        }
        if (null == ring)
        {
            ring = pool.acquire(capacity, false);
        }
        final int at = (int)(tail % capacity);
        final int first = Math.min(length, capacity - at);
        System.arraycopy(src, offset, ring, at, first);
        System.arraycopy(src, offset + first, ring, 0, length - first);
        tail += length;
    }

    /**
     * Writes as much as {@code endpoint} takes.
     *
     * @return the bytes it took.
     */
    int drainTo(final TcpEndpoint endpoint)
    {
        int total = 0;
        while (head != committed)
        {
            final int at = (int)(head % capacity);
            final int contiguous = (int)Math.min(committed - head, capacity - at);
            final int taken = endpoint.write(ring, at, contiguous);
            head += taken;
            total += taken;
            if (taken < contiguous)
            {
                break;
            }
        }
        releaseIfEmpty();
        return total;
    }

    private void releaseIfEmpty()
    {
        if (head == tail && null != ring)
        {
            pool.release(ring);
            ring = null;
        }
    }
}
