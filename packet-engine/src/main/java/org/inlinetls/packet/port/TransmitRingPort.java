package org.inlinetls.packet.port;

import java.io.IOException;

import org.agrona.DirectBuffer;
import org.inlinetls.shim.PacketSocket;
import org.inlinetls.shim.TxQueue;

/**
 * A transmit-only port on a network interface: an AF_PACKET socket with a {@code sendmmsg(2)} {@link TxQueue} and no
 * receive ring, bound with protocol 0 so the kernel never queues a frame to it.
 * <p>
 * The dedicated threading mode gives each worker one of these per side, beside the dispatcher's {@link RingPort} on
 * the same interface: the worker owns its queue and socket, so no transmit path is shared between threads.
 * {@link #receive} always returns 0. {@link #send} and {@link #flush} behave as {@link RingPort}'s: frames are copied
 * into the queue's native slots and go out in batches; frames the device cannot take yet stay queued, in order, and
 * {@link #txRoom()} shrinks. One owning thread; nothing on the send or flush path allocates.
 */
public final class TransmitRingPort implements PacketPort
{
    private final String name;
    private final PacketSocket socket;
    private final TxQueueSender sender;

    private TransmitRingPort(final String name, final PacketSocket socket)
    {
        this.name = name;
        this.socket = socket;
        this.sender = new TxQueueSender(socket.txQueue());
    }

    /**
     * Opens a transmit-only socket on an interface of the calling thread's network namespace.
     *
     * @param name     of the port in logs, e.g. {@code w1 outside tx}.
     * @param txSlots  frames the queue holds between flushes, in [{@link PacketSocket.Config#MIN_TX_SLOTS},
     *                 {@link TxQueue#MAX_SLOTS}].
     * @param qdiscBypass send past the qdisc layer (see {@link PacketSocket.Config#qdiscBypass}).
     * @throws IOException naming the interface, the call and errno that failed.
     */
    public static TransmitRingPort open(
        final String interfaceName, final String name, final int txSlots, final boolean qdiscBypass)
        throws IOException
    {
        final PacketSocket.Config config = PacketSocket.Config.defaults()
            .receiving(false)
            .promiscuous(false)
            .txSlots(txSlots)
            .qdiscBypass(qdiscBypass);
        return new TransmitRingPort(name, PacketSocket.open(interfaceName, config));
    }

    @Override
    public String name()
    {
        return name;
    }

    /** Nothing is ever received here. */
    @Override
    public int receive(final FrameHandler handler, final int limit)
    {
        return 0;
    }

    /**
     * Queues a copy of the frame for the next {@link #flush}; when the queue is full, flushes first.
     *
     * @return false when the frame is empty or larger than a TX slot (counted in {@link #txErrors()}), or when the
     *         queue is still full after a flush (the device is congested; the caller counts it).
     */
    @Override
    public boolean send(final DirectBuffer buffer, final int offset, final int length)
    {
        return sender.send(buffer, offset, length);
    }

    /** @return frames that left the queue. */
    @Override
    public int flush(final long nowNs)
    {
        return socket.isOpen() ? sender.flush() : 0;
    }

    @Override
    public int txRoom()
    {
        return sender.txRoom();
    }

    /** Frames refused by {@link #send} for their length, plus queued frames dropped for a hard send error. */
    @Override
    public long txErrors()
    {
        return sender.txErrors();
    }

    /** @return frames queued and not yet sent. */
    public int txQueued()
    {
        return sender.txQueued();
    }

    /** The socket under this port. */
    public PacketSocket socket()
    {
        return socket;
    }

    @Override
    public void close()
    {
        sender.unmap();
        try
        {
            socket.close();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("closing " + socket + ": " + ex.getMessage(), ex);
        }
    }
}
