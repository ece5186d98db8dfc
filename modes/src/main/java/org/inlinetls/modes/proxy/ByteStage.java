package org.inlinetls.modes.proxy;

import org.inlinetls.packet.tcp.TcpEndpoint;

/**
 * A bounded FIFO of bytes between one flow's two legs (plaintext on its way to the backend, or records on their way
 * to the client) that an endpoint's send buffer could not take yet; a ring over one array allocated with the flow.
 * <p>
 * Bytes may be appended uncommitted (plaintext of a record whose tag has not been checked yet): they take room but
 * are not drained until {@link #commit()}, and {@link #discardUncommitted()} drops them.
 * <p>
 * Single-threaded, no allocation after construction.
 */
final class ByteStage
{
    private final byte[] ring;
    private long head;
    private long committed;
    private long tail;

    ByteStage(final int capacityBytes)
    {
        this.ring = new byte[capacityBytes];
    }

    int capacityBytes()
    {
        return ring.length;
    }

    int readableBytes()
    {
        return (int)(tail - head);
    }

    int freeBytes()
    {
        return ring.length - readableBytes();
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
        final int at = (int)(tail % ring.length);
        final int first = Math.min(length, ring.length - at);
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
            final int at = (int)(head % ring.length);
            final int contiguous = (int)Math.min(committed - head, ring.length - at);
            final int taken = endpoint.write(ring, at, contiguous);
            head += taken;
            total += taken;
            if (taken < contiguous)
            {
                break;
            }
        }
        return total;
    }
}
