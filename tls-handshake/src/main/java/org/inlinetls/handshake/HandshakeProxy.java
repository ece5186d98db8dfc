package org.inlinetls.handshake;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.jctools.queues.SpscArrayQueue;

/**
 * A worker thread's way into a {@link HandshakeAgent}: offers the client's handshake bytes and aborts as commands
 * on a bounded ring, and drains the agent's results on the worker thread.
 * <p>
 * Nothing here blocks or allocates: a command is copied straight into the ring, and when the ring is full the offer
 * fails at once, {@link HandshakeCounterDescriptor#REFUSED_OVERLOAD} is bumped and the caller gets false (the flow
 * logic then resets or drops the flow, or leaves the segment unacknowledged for the client to send again). Each
 * offer is all or nothing. One proxy belongs to one producer thread: the rings are single-producer.
 */
public final class HandshakeProxy
{
    private final OneToOneRingBuffer commands;
    private final SpscArrayQueue<HandshakeResult> results;
    private final AtomicCounter refusedOverload;
    private final int maxChunkLength;
    private final UnsafeBuffer resultBuffer = new UnsafeBuffer(HandshakeResult.NO_BYTES);

    HandshakeProxy(
        final OneToOneRingBuffer commands,
        final SpscArrayQueue<HandshakeResult> results,
        final AtomicCounter refusedOverload)
    {
        this.commands = commands;
        this.results = results;
        this.refusedOverload = refusedOverload;
        this.maxChunkLength = commands.maxMsgLength() - HandshakeCommand.BYTES_OFFSET;
    }

    /**
     * Starts the handshake of a new flow with the first bytes of its client stream (usually the ClientHello, or
     * part of it). Flow ids are never reused.
     *
     * @return false when the command queue is full: the flow was not started.
     */
    public boolean startHandshake(final long flowId, final DirectBuffer buffer, final int offset, final int length)
    {
        return offer(HandshakeCommand.START, flowId, buffer, offset, length);
    }

    /**
     * Offers the next bytes of a started flow's client stream, in order.
     *
     * @return false when the command queue is full: the bytes were not taken.
     */
    public boolean offerClientBytes(final long flowId, final DirectBuffer buffer, final int offset, final int length)
    {
        return 0 == length || offer(HandshakeCommand.CLIENT_BYTES, flowId, buffer, offset, length);
    }

    /**
     * Asks the agent to forget a flow (reset, or gone from the flow table); no result follows.
     *
     * @return false when the command queue is full: the flow will end at its deadline instead.
     */
    public boolean abort(final long flowId)
    {
        final int index = commands.tryClaim(HandshakeCommand.ABORT, HandshakeCommand.BYTES_OFFSET);
        if (index < 0)
        {
            refusedOverload.increment();
            return false;
        }
        commands.buffer().putLong(index + HandshakeCommand.FLOW_ID_OFFSET, flowId);
        commands.commit(index);
        return true;
    }

    /**
     * Delivers up to {@code limit} results to {@code handler} on the calling (worker) thread.
     *
     * @return the results delivered.
     */
    public int drainResults(final HandshakeResultHandler handler, final int limit)
    {
        int count = 0;
        HandshakeResult result;
        while (count < limit && null != (result = results.poll()))
        {
            count++;
            final byte[] bytes = result.bytes;
            resultBuffer.wrap(bytes);
            switch (result.type)
            {
                case OUTPUT:
                    handler.onHandshakeOutput(result.flowId, resultBuffer, 0, bytes.length);
                    break;
                case COMPLETE:
                    handler.onHandshakeComplete(result.flowId, result.keys, result.clientHandshakeBytes);
                    break;
                case RETURNED:
                    handler.onClientBytesReturned(result.flowId, resultBuffer, 0, bytes.length);
                    break;
                default:
                    handler.onHandshakeFailed(
                        result.flowId, result.reason, result.alertDescription, resultBuffer, 0, bytes.length);
                    break;
            }
        }
        return count;
    }

    /** The longest offer that can ever be taken: one that fits an empty command queue. */
    public int maxOfferLength()
    {
        final int records = commands.capacity() / HandshakeCommand.alignedRecordLength(maxChunkLength);
        return (records - 1) * maxChunkLength;
    }

    private boolean offer(
        final int type, final long flowId, final DirectBuffer buffer, final int offset, final int length)
    {
        if (length <= maxChunkLength)
        {
            if (!write(type, flowId, buffer, offset, length))
            {
                refusedOverload.increment();
                return false;
            }
            return true;
        }

        // Longer than one record: split, but only when every piece is sure to fit, so an offer is all or nothing.
        // This proxy is the only producer and the agent only frees space, so the free space cannot shrink under us;
        // one extra record covers the padding the ring inserts when a record would straddle its end.
        final int chunks = (length + maxChunkLength - 1) / maxChunkLength;
        final int lastLength = length - (chunks - 1) * maxChunkLength;
        final long required = (long)chunks * HandshakeCommand.alignedRecordLength(maxChunkLength) +
            HandshakeCommand.alignedRecordLength(lastLength);
        if (commands.capacity() - commands.size() < required)
        {
            refusedOverload.increment();
            return false;
        }
        int position = 0;
        int chunkType = type;
        while (position < length)
        {
            final int chunkLength = Math.min(maxChunkLength, length - position);
            if (!write(chunkType, flowId, buffer, offset + position, chunkLength))
            {
                throw new IllegalStateException("command ring refused a piece it had room for");
            }
            position += chunkLength;
            chunkType = HandshakeCommand.CLIENT_BYTES;
        }
        return true;
    }

    private boolean write(
        final int type, final long flowId, final DirectBuffer buffer, final int offset, final int length)
    {
        final int index = commands.tryClaim(type, HandshakeCommand.BYTES_OFFSET + length);
        if (index < 0)
        {
            return false;
        }
        final AtomicBuffer ring = commands.buffer();
        ring.putLong(index + HandshakeCommand.FLOW_ID_OFFSET, flowId);
        ring.putBytes(index + HandshakeCommand.BYTES_OFFSET, buffer, offset, length);
        commands.commit(index);
        return true;
    }
}
