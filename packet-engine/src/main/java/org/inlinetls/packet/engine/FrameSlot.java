package org.inlinetls.packet.engine;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A pre-allocated, fixed-size copy of one received frame on its way from the dispatcher to a worker.
 * <p>
 * A slot is owned by one thread at a time and handed over only through a {@link WorkerLane}'s SPSC queues, whose
 * ordered offer and volatile poll publish the plain fields written before the offer.
 */
public final class FrameSlot
{
    private final UnsafeBuffer buffer;
    private int lengthBytes;
    private long timestampNs;
    private Side ingress = Side.OUTSIDE;

    /**
     * @param capacityBytes largest frame the slot holds; the memory is direct and cache-line aligned.
     */
    FrameSlot(final int capacityBytes)
    {
        this.buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(capacityBytes, BitUtil.CACHE_LINE_LENGTH));
    }

    /** Copies a frame in; the caller has checked it fits. */
    void fill(final Side ingress, final DirectBuffer source, final int offset, final int lengthBytes,
        final long timestampNs)
    {
        buffer.putBytes(0, source, offset, lengthBytes);
        this.ingress = ingress;
        this.lengthBytes = lengthBytes;
        this.timestampNs = timestampNs;
    }

    /** The frame's bytes start at index 0. */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    public int capacityBytes()
    {
        return buffer.capacity();
    }

    public int lengthBytes()
    {
        return lengthBytes;
    }

    public long timestampNs()
    {
        return timestampNs;
    }

    /** The real port the frame was received on. */
    public Side ingress()
    {
        return ingress;
    }
}
