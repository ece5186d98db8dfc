package org.inlinetls.packet.port;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;

/**
 * A port backed by two in-memory rings, for tests, simulation and benchmarks; nothing is allocated per frame.
 * <p>
 * Frames given to {@link #inject} are what the port "receives"; frames the engine sends are kept until
 * {@link #drainSent} reads them. Each ring entry holds an 8-byte timestamp followed by the frame.
 */
public final class InMemoryPort implements PacketPort, MessageHandler
{
    private static final int MSG_TYPE_FRAME = 1;
    private static final int TIMESTAMP_LENGTH = Long.BYTES;

    private final String name;
    private final OneToOneRingBuffer inbound;
    private final OneToOneRingBuffer outbound;
    private FrameHandler currentHandler;
    private long sendFailures;

    /**
     * @param name          of the port.
     * @param capacityBytes of each ring, a power of two.
     */
    public InMemoryPort(final String name, final int capacityBytes)
    {
        this.name = name;
        this.inbound = newRing(capacityBytes);
        this.outbound = newRing(capacityBytes);
    }

    private static OneToOneRingBuffer newRing(final int capacityBytes)
    {
        final int length = capacityBytes + RingBufferDescriptor.TRAILER_LENGTH;
        return new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(length)));
    }

    @Override
    public String name()
    {
        return name;
    }

    /** Queues a frame to be received by the engine; false when the ring is full. */
    public boolean inject(final DirectBuffer buffer, final int offset, final int length, final long timestampNs)
    {
        return write(inbound, buffer, offset, length, timestampNs);
    }

    /** Queues a frame to be received by the engine, stamped 0; false when the ring is full. */
    public boolean inject(final byte[] frame)
    {
        return inject(new UnsafeBuffer(frame), 0, frame.length, 0);
    }

    /** Reads up to {@code limit} frames the engine sent through this port. */
    public int drainSent(final FrameHandler handler, final int limit)
    {
        currentHandler = handler;
        return outbound.read(this, limit);
    }

    /** Frames the engine sent that wait in the outbound ring. */
    public int sentBacklogBytes()
    {
        return outbound.size();
    }

    @Override
    public int receive(final FrameHandler handler, final int limit)
    {
        currentHandler = handler;
        return inbound.read(this, limit);
    }

    @Override
    public boolean send(final DirectBuffer buffer, final int offset, final int length)
    {
        final boolean sent = write(outbound, buffer, offset, length, 0);
        if (!sent)
        {
            sendFailures++;
        }
        return sent;
    }

    @Override
    public long txErrors()
    {
        return sendFailures;
    }

    @Override
    public void onMessage(final int msgTypeId, final org.agrona.MutableDirectBuffer buffer, final int index,
        final int length)
    {
        final long timestampNs = buffer.getLong(index);
        currentHandler.onFrame(buffer, index + TIMESTAMP_LENGTH, length - TIMESTAMP_LENGTH, timestampNs);
    }

    private boolean write(
        final OneToOneRingBuffer ring, final DirectBuffer buffer, final int offset, final int length, final long ts)
    {
        if (length + TIMESTAMP_LENGTH > ring.maxMsgLength())
        {
            return false;
        }
        final int index = ring.tryClaim(MSG_TYPE_FRAME, length + TIMESTAMP_LENGTH);
        if (index <= 0)
        {
            return false;
        }
        final org.agrona.concurrent.AtomicBuffer target = ring.buffer();
        target.putLong(index, ts);
        target.putBytes(index + TIMESTAMP_LENGTH, buffer, offset, length);
        ring.commit(index);
        return true;
    }

    @Override
    public void close()
    {
        // nothing native to release: the rings are direct buffers the GC frees
    }
}
