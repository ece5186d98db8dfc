package org.inlinetls.packet.tcp;

import org.agrona.DirectBuffer;

/**
 * The bytes an endpoint has accepted from its application and the peer has not yet acknowledged, in a fixed ring.
 * The ring's array is borrowed from a {@link BufferPool} when the first byte is written and given back whenever
 * every byte is acknowledged, so an idle connection holds none.
 * <p>
 * Positions are stream offsets: the count of bytes written before that byte since the connection opened, so they
 * never wrap; the endpoint maps them to sequence numbers as {@code ISS + 1 + offset}.
 */
final class SendBuffer
{
    private final BufferPool pool;
    private final int capacity;
    private byte[] ring;
    private long headOffset;
    private long tailOffset;

    SendBuffer(final int capacityBytes, final BufferPool pool)
    {
        this.capacity = capacityBytes;
        this.pool = pool;
    }

    /** Stream offset of the oldest unacknowledged byte. */
    long headOffset()
    {
        return headOffset;
    }

    /** Stream offset just past the last byte written. */
    long tailOffset()
    {
        return tailOffset;
    }

    int freeBytes()
    {
        return capacity - (int)(tailOffset - headOffset);
    }

    /** Whether the ring's array is borrowed now (bytes wait for their acknowledgment). */
    boolean holdsMemory()
    {
        return null != ring;
    }

    int write(final byte[] src, final int offset, final int length)
    {
        final int accepted = Math.min(length, freeBytes());
        if (accepted > 0 && null == ring)
        {
            ring = pool.acquire(capacity, false);
        }
        int done = 0;
        while (done < accepted)
        {
            final int at = index(tailOffset + done);
            final int chunk = Math.min(accepted - done, capacity - at);
            System.arraycopy(src, offset + done, ring, at, chunk);
            done += chunk;
        }
        tailOffset += accepted;
        return accepted;
    }

    int write(final DirectBuffer src, final int offset, final int length)
    {
        final int accepted = Math.min(length, freeBytes());
        if (accepted > 0 && null == ring)
        {
            ring = pool.acquire(capacity, false);
        }
        int done = 0;
        while (done < accepted)
        {
            final int at = index(tailOffset + done);
            final int chunk = Math.min(accepted - done, capacity - at);
            src.getBytes(offset + done, ring, at, chunk);
            done += chunk;
        }
        tailOffset += accepted;
        return accepted;
    }

    /** Copies {@code length} bytes starting at stream offset {@code from}, which must lie in the buffer. */
    void copyOut(final long from, final byte[] dst, final int dstOffset, final int length)
    {
        if (from < headOffset || from + length > tailOffset)
        {
            throw new IllegalArgumentException("range " + from + "+" + length + " outside [" + headOffset + ", " +
                tailOffset + ")");
        }
        int done = 0;
        while (done < length)
        {
            final int at = index(from + done);
            final int chunk = Math.min(length - done, capacity - at);
            System.arraycopy(ring, at, dst, dstOffset + done, chunk);
            done += chunk;
        }
    }

    /** Drops the {@code length} oldest bytes, acknowledged by the peer. */
    void discard(final long length)
    {
        headOffset = Math.min(tailOffset, headOffset + length);
        if (headOffset == tailOffset)
        {
            releaseMemory();
        }
    }

    /** Gives the ring's array back (every byte acknowledged, or the connection is gone). */
    void releaseMemory()
    {
        if (null != ring)
        {
            pool.release(ring);
            ring = null;
        }
    }

    private int index(final long streamOffset)
    {
        return (int)(streamOffset % capacity);
    }
}
