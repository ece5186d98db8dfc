package org.inlinetls.packet.port;

import java.io.IOException;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.shim.NativeIoException;
import org.inlinetls.shim.PacketSocket;
import org.inlinetls.shim.TxQueue;

/**
 * A live port on a network interface through an AF_PACKET TPACKET_V3 ring ({@link PacketSocket}): received frames
 * are wrapped where the kernel wrote them, never copied into the Java heap.
 * <p>
 * The socket ignores frames this host sends on the interface (so frames this port injects are never read back)
 * and holds a promiscuous membership. {@link #send} copies the frame into the next slot of the socket's
 * {@link TxQueue} (native memory mapped for the port's lifetime: an arena sent with {@code sendmmsg(2)} batches, or
 * the socket's PACKET_TX_RING with {@link PacketSocket.Config#txRing}) and {@link #flush} sends everything queued;
 * frames the device cannot take yet stay queued, in order, and {@link #txRoom()} shrinks
 * so the engine reads less until they are out. A {@link FrameHandler} sees a buffer over the ring that is only valid
 * during its call: the block is given back to the kernel afterwards. VLAN tags stripped by the kernel are put back
 * (see {@link PacketSocket}).
 * <p>
 * The kernel's ring statistics (drops of a full ring) are read by {@link #flush} at most once per
 * {@link #STATISTICS_INTERVAL_NS}, on the owning thread; {@link #kernelDrops()} returns that running total. Nothing
 * on the send, flush or receive path allocates.
 */
public final class RingPort implements PacketPort
{
    /** Largest frame {@link #send} accepts: one TX slot. */
    public static final int MAX_TX_FRAME = PacketSocket.TX_SLOT_BYTES;
    /** Shortest interval between two reads of the kernel's ring statistics. */
    public static final long STATISTICS_INTERVAL_NS = 1_000_000_000L;

    private final String name;
    private final PacketSocket socket;
    private final TxQueueSender sender;
    private final UnsafeBuffer ringView;
    private final PacketSocket.FrameConsumer consumer = this::onRingFrame;
    private FrameHandler handler;
    private long statisticsErrors;
    private final Interval statisticsInterval = new Interval(STATISTICS_INTERVAL_NS);

    private RingPort(final PacketSocket socket)
    {
        this.name = socket.interfaceName();
        this.socket = socket;
        this.sender = new TxQueueSender(socket.txQueue());
        this.ringView = new UnsafeBuffer(socket.ringAddress(), socket.ringLength());
    }

    /**
     * Opens an interface of the calling thread's network namespace with the default ring (8 x 1 MiB blocks).
     *
     * @throws IOException naming the interface, the call and errno that failed.
     */
    public static RingPort open(final String interfaceName) throws IOException
    {
        return open(interfaceName, PacketSocket.Config.defaults());
    }

    /**
     * Opens an interface with a given ring geometry and socket options.
     *
     * @throws IOException naming the interface, the call and errno that failed.
     */
    public static RingPort open(final String interfaceName, final PacketSocket.Config config) throws IOException
    {
        return new RingPort(PacketSocket.open(interfaceName, config));
    }

    /** Null when AF_PACKET rings can be opened here, else why not (for the log line of the pcap4j fallback). */
    public static String unavailabilityCause()
    {
        final Throwable cause = PacketSocket.unavailabilityCause();
        return cause == null ? null : "AF_PACKET TPACKET_V3 rings unavailable: " + cause;
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public int receive(final FrameHandler handler, final int limit)
    {
        this.handler = handler;
        try
        {
            return socket.receive(consumer, limit);
        }
        finally
        {
            this.handler = null;
        }
    }

    private void onRingFrame(final int ringOffset, final int length, final long timestampNs)
    {
        handler.onFrame(ringView, ringOffset, length, timestampNs);
    }

    /**
     * Queues a copy of the frame for the next {@link #flush}; when the queue is full, flushes first.
     *
     * @return false when the frame is empty or larger than {@link #MAX_TX_FRAME} (counted in {@link #txErrors()}), or
     *         when the queue is still full after a flush (the device is congested; the caller counts it).
     */
    @Override
    public boolean send(final DirectBuffer buffer, final int offset, final int length)
    {
        return sender.send(buffer, offset, length);
    }

    /**
     * Sends every queued frame the device takes, and reads the ring statistics when
     * {@link #STATISTICS_INTERVAL_NS} has passed since the last read.
     *
     * @return frames that left the queue.
     */
    @Override
    public int flush(final long nowNs)
    {
        if (!socket.isOpen())
        {
            return 0;
        }
        final int work = sender.flush();
        if (statisticsInterval.due(nowNs))
        {
            readStatistics();
        }
        return work;
    }

    private void readStatistics()
    {
        try
        {
            socket.updateStatistics();
        }
        catch (final NativeIoException | IllegalStateException ex)
        {
            statisticsErrors++;
        }
    }

    /** @return free TX slots: frames {@link #send} takes before the queue must be flushed. */
    @Override
    public int txRoom()
    {
        return sender.txRoom();
    }

    /**
     * Frames dropped on receive: larger than a ring block, or a VLAN tag without room to restore it (each counted
     * by the socket, never delivered), plus failed reads of the ring statistics.
     */
    @Override
    public long rxErrors()
    {
        return socket.truncatedFrames() + socket.vlanNoRoomFrames() + statisticsErrors;
    }

    /** Frames refused by {@link #send} for their length, plus queued frames dropped for a hard send error. */
    @Override
    public long txErrors()
    {
        return sender.txErrors();
    }

    /** The errno of the last hard send error (ENETDOWN, EMSGSIZE, ...), 0 if none; EAGAIN/ENOBUFS are no error. */
    public int lastTxErrno()
    {
        return sender.lastTxErrno();
    }

    /** @return frames queued and not yet sent. */
    public int txQueued()
    {
        return sender.txQueued();
    }

    /**
     * Frames the kernel dropped because the ring was full (PACKET_STATISTICS), as of the last read by
     * {@link #flush}: a field read, no system call.
     */
    @Override
    public long kernelDrops()
    {
        return socket.kernelDrops();
    }

    /** The socket under this port, for its statistics. */
    public PacketSocket socket()
    {
        return socket;
    }

    @Override
    public void close()
    {
        ringView.wrap(0, 0); // a stale view must not touch unmapped memory
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
