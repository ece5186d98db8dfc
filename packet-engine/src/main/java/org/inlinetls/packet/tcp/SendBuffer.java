package org.inlinetls.packet.tcp;

import org.agrona.DirectBuffer;

/**
 * The bytes an endpoint has accepted from its application and the peer has not yet acknowledged, in a fixed ring.
 * <p>
 * Positions are stream offsets: the count of bytes written before that byte since the connection opened, so they
 * never wrap; the endpoint maps them to sequence numbers as {@code ISS + 1 + offset}.
 */
final class SendBuffer
{
    private final byte[] ring;
    private long headOffset;
    private long tailOffset;

    SendBuffer(final int capacityBytes)
    {
        ring = new byte[capacityBytes];
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
        return ring.length - (int)(tailOffset - headOffset);
    }

    int write(final byte[] src, final int offset, final int length)
    {
        final int accepted = Math.min(length, freeBytes());
        int done = 0;
        while (done < accepted)
        {
            final int at = index(tailOffset + done);
            final int chunk = Math.min(accepted - done, ring.length - at);
            System.arraycopy(src, offset + done, ring, at, chunk);
            done += chunk;
        }
        tailOffset += accepted;
        return accepted;
    }

    int write(final DirectBuffer src, final int offset, final int length)
    {
        final int accepted = Math.min(length, freeBytes());
        int done = 0;
        while (done < accepted)
        {
            final int at = index(tailOffset + done);
            final int chunk = Math.min(accepted - done, ring.length - at);
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
            final int chunk = Math.min(length - done, ring.length - at);
            System.arraycopy(ring, at, dst, dstOffset + done, chunk);
            done += chunk;
        }
    }

    /** Drops the {@code length} oldest bytes, acknowledged by the peer. */
    void discard(final long length)
    {
        headOffset = Math.min(tailOffset, headOffset + length);
    }

    private int index(final long streamOffset)
    {
        return (int)(streamOffset % ring.length);
    }
}
