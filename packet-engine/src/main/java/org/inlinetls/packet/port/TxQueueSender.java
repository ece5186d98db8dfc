package org.inlinetls.packet.port;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.shim.TxQueue;

/**
 * The transmit side both {@link RingPort} and {@link TransmitRingPort} put over their socket's {@link TxQueue}:
 * frames are copied into the queue's native slots and go out in {@code sendmmsg(2)} batches; frames the device cannot
 * take yet stay queued, in order. One owning thread; nothing here allocates.
 */
final class TxQueueSender
{
    private final TxQueue txQueue;
    /** The TX arena's slots: frames are copied here and read by the kernel from here. */
    private final UnsafeBuffer txSlots;
    private final int txSlotBytes;
    private final int txSlotStride;
    private long rejectedFrames;

    TxQueueSender(final TxQueue txQueue)
    {
        this.txQueue = txQueue;
        this.txSlotBytes = txQueue.slotBytes();
        this.txSlotStride = txQueue.slotStride();
        this.txSlots = new UnsafeBuffer(txQueue.slotsAddress(), (txQueue.capacity() - 1) * txSlotStride + txSlotBytes);
    }

    /**
     * Queues a copy of the frame for the next {@link #flush}; when the queue is full, flushes first.
     *
     * @return false when the frame is empty or larger than a TX slot (counted in {@link #txErrors()}), or when the
     *         queue is still full after a flush (the device is congested; the caller counts it).
     */
    boolean send(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length > txSlotBytes || length <= 0)
        {
            rejectedFrames++;
            return false;
        }
        int slot = txQueue.claim();
        if (slot < 0)
        {
            txQueue.flush();
            slot = txQueue.claim();
            if (slot < 0)
            {
                return false;
            }
        }
        txSlots.putBytes(slot * txSlotStride, buffer, offset, length);
        txQueue.commit(length);
        return true;
    }

    /** @return frames that left the queue. */
    int flush()
    {
        return txQueue.flush();
    }

    /** @return free TX slots: frames {@link #send} takes before the queue must be flushed. */
    int txRoom()
    {
        return txQueue.room();
    }

    /** Frames refused by {@link #send} for their length, plus queued frames dropped for a hard send error. */
    long txErrors()
    {
        return rejectedFrames + txQueue.framesDropped();
    }

    /** @return frames queued and not yet sent. */
    int txQueued()
    {
        return txQueue.size();
    }

    /** The errno of the last hard send error, 0 if none. */
    int lastTxErrno()
    {
        return txQueue.lastErrno();
    }

    /** Drops the view of the slots before the socket unmaps them: a stale view must not touch unmapped memory. */
    void unmap()
    {
        txSlots.wrap(0, 0);
    }
}
