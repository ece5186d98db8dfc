package org.inlinetls.packet.port;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.shim.xdp.XskSocket;

/**
 * The ring protocol of one {@link XskSocket} for {@link XskPort}: single producer, single consumer on each of the
 * four rings, 32-bit free-running indexes read with acquire ({@code getIntVolatile}) and published with release
 * ({@code putIntOrdered}) ordering, cached so each batch touches a shared index once.
 *
 * <p>UMEM frames 0 .. rxFrames-1 receive: all are offered on the fill ring at start, and each goes back to the fill
 * ring right after the handler saw it. Frames rxFrames .. frameCount-1 send: a stack of free frame addresses, popped
 * by {@link #send}, pushed back when the completion ring returns them. The TX producer index is published by
 * {@link #flush}, so a batch of sends costs one release store and one wake-up.
 */
final class XskQueue
{
    private static final int EAGAIN = 11;
    private static final int EBUSY = 16;
    private static final int ENOBUFS = 105;
    /** Copy mode sends at most 32 frames per wake-up; enough calls for a full TX ring, then the next flush. */
    private static final int MAX_KICKS_PER_FLUSH = 128;

    final XskSocket socket;
    final UnsafeBuffer umem;
    private final UnsafeBuffer fill;
    private final UnsafeBuffer completion;
    private final UnsafeBuffer rx;
    private final UnsafeBuffer tx;
    private final XskSocket.Ring fillRing;
    private final XskSocket.Ring completionRing;
    private final XskSocket.Ring rxRing;
    private final XskSocket.Ring txRing;
    private final long frameMask;
    private final boolean zeroCopy;
    final int maxFrameBytes;
    private final long[] freeTxFrames;
    private int freeTxCount;
    private int rxConsumer;
    private int fillProducer;
    private int txProducer;
    private int txPublished;
    private int completionConsumer;

    long rxOversizeDrops;
    long handlerErrors;
    long txHardErrors;
    int lastTxErrno;

    XskQueue(final XskSocket socket)
    {
        this.socket = socket;
        final XskSocket.Config config = socket.config();
        this.umem = new UnsafeBuffer(socket.umemAddress(), socket.umemLengthBytes());
        this.fillRing = socket.fillRing();
        this.completionRing = socket.completionRing();
        this.rxRing = socket.rxRing();
        this.txRing = socket.txRing();
        this.fill = view(fillRing);
        this.completion = view(completionRing);
        this.rx = view(rxRing);
        this.tx = view(txRing);
        this.frameMask = ~(long)(config.frameSize() - 1);
        this.zeroCopy = socket.isZeroCopy();
        this.maxFrameBytes = config.frameSize() - XskSocket.XDP_PACKET_HEADROOM;

        rxConsumer = rx.getIntVolatile(rxRing.consumerOffset());
        fillProducer = fill.getIntVolatile(fillRing.producerOffset());
        for (int i = 0; i < config.rxFrames(); i++)
        {
            fill.putLong(fillRing.descriptorsOffset() + ((fillProducer + i) & (fillRing.size() - 1)) * 8,
                (long)i * config.frameSize());
        }
        fillProducer += config.rxFrames();
        fill.putIntOrdered(fillRing.producerOffset(), fillProducer);

        freeTxFrames = new long[config.txFrames()];
        for (int i = 0; i < freeTxFrames.length; i++)
        {
            freeTxFrames[i] = (long)(config.rxFrames() + i) * config.frameSize();
        }
        freeTxCount = freeTxFrames.length;
        txProducer = tx.getIntVolatile(txRing.producerOffset());
        txPublished = txProducer;
        completionConsumer = completion.getIntVolatile(completionRing.consumerOffset());
    }

    private static UnsafeBuffer view(final XskSocket.Ring ring)
    {
        return new UnsafeBuffer(ring.address(), ring.lengthBytes());
    }

    int receive(final FrameHandler handler, final int limit, final long timestampNs)
    {
        final int available = rx.getIntVolatile(rxRing.producerOffset()) - rxConsumer;
        if (available <= 0)
        {
            if ((fill.getIntVolatile(fillRing.flagsOffset()) & XskSocket.XDP_RING_NEED_WAKEUP) != 0)
            {
                socket.kickRx();
            }
            return 0;
        }
        final int count = Math.min(available, limit);
        final int rxMask = rxRing.size() - 1;
        final int fillMask = fillRing.size() - 1;
        int delivered = 0;
        for (int i = 0; i < count; i++)
        {
            final int desc = rxRing.descriptorsOffset() + ((rxConsumer + i) & rxMask) * XskSocket.RX_TX_DESC_SIZE;
            final long address = rx.getLong(desc);
            final int length = rx.getInt(desc + 8);
            if (length <= 0 || length > maxFrameBytes || address + length > umem.capacity())
            {
                rxOversizeDrops++; // the kernel never hands these out; a bad descriptor is counted, not read
            }
            else
            {
                try
                {
                    handler.onFrame(umem, (int)address, length, timestampNs);
                    delivered++;
                }
                catch (final RuntimeException ex)
                {
                    handlerErrors++;
                }
            }
            fill.putLong(fillRing.descriptorsOffset() + ((fillProducer + i) & fillMask) * XskSocket.UMEM_DESC_SIZE,
                address & frameMask);
        }
        rxConsumer += count;
        fillProducer += count;
        rx.putIntOrdered(rxRing.consumerOffset(), rxConsumer);
        fill.putIntOrdered(fillRing.producerOffset(), fillProducer);
        return delivered;
    }

    /** @return true when the frame was written into a free send frame and described on the TX ring. */
    boolean send(final DirectBuffer buffer, final int offset, final int length)
    {
        if (freeTxCount == 0 && reapCompletions() == 0)
        {
            return false;
        }
        final long address = freeTxFrames[--freeTxCount];
        umem.putBytes((int)address, buffer, offset, length);
        final int desc = txRing.descriptorsOffset() + (txProducer & (txRing.size() - 1)) * XskSocket.RX_TX_DESC_SIZE;
        tx.putLong(desc, address);
        tx.putInt(desc + 8, length);
        tx.putInt(desc + 12, 0);
        txProducer++;
        return true;
    }

    int flush()
    {
        int work = 0;
        if (txProducer != txPublished)
        {
            work += txProducer - txPublished;
            txPublished = txProducer;
            tx.putIntOrdered(txRing.producerOffset(), txProducer);
        }
        if (tx.getIntVolatile(txRing.consumerOffset()) != txPublished
            && (!zeroCopy || (tx.getIntVolatile(txRing.flagsOffset()) & XskSocket.XDP_RING_NEED_WAKEUP) != 0))
        {
            kick();
        }
        return work + reapCompletions();
    }

    /** Copy mode sends only inside sendmsg, at most 32 frames per call (EAGAIN: more remain). */
    private void kick()
    {
        for (int i = 0; i < MAX_KICKS_PER_FLUSH; i++)
        {
            final int rc = socket.kickTx();
            if (rc == -EAGAIN)
            {
                if (tx.getIntVolatile(txRing.consumerOffset()) == txPublished)
                {
                    return;
                }
            }
            else if (rc == 0 || rc == -EBUSY || rc == -ENOBUFS)
            {
                return;
            }
            else
            {
                txHardErrors++;
                lastTxErrno = -rc;
                return;
            }
        }
    }

    private int pendingCompletions()
    {
        return completion.getIntVolatile(completionRing.producerOffset()) - completionConsumer;
    }

    int reapCompletions()
    {
        final int count = pendingCompletions();
        if (count <= 0)
        {
            return 0;
        }
        final int mask = completionRing.size() - 1;
        for (int i = 0; i < count; i++)
        {
            freeTxFrames[freeTxCount++] = completion.getLong(
                completionRing.descriptorsOffset() + ((completionConsumer + i) & mask) * XskSocket.UMEM_DESC_SIZE)
                & frameMask;
        }
        completionConsumer += count;
        completion.putIntOrdered(completionRing.consumerOffset(), completionConsumer);
        return count;
    }

    /** @return send frames free now or returned by the kernel and not yet reaped. */
    int txRoom()
    {
        return freeTxCount + pendingCompletions();
    }

    /** @return frames written by {@link #send} and not yet completed by the kernel. */
    int txInFlight()
    {
        return freeTxFrames.length - txRoom();
    }

    void unmap()
    {
        umem.wrap(0, 0);
        fill.wrap(0, 0);
        completion.wrap(0, 0);
        rx.wrap(0, 0);
        tx.wrap(0, 0);
    }
}
