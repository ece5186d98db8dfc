package org.inlinetls.packet.port;

import java.io.IOException;

import org.agrona.DirectBuffer;
import org.inlinetls.shim.xdp.XdpProgram;
import org.inlinetls.shim.xdp.XskSocket;

/**
 * A live port on a network interface through AF_XDP: one {@link XskSocket} per receive queue of the interface,
 * polled round-robin, fed by the {@link XdpProgram} attached to the interface (which must
 * {@link XdpProgram#registerSocket register} {@link #socketFds()} under {@link #queueIds()}: until then the
 * program passes every frame to the kernel and this port receives nothing).
 *
 * <p>Received frames are wrapped where they lie in the socket's UMEM, valid only during the handler's call; the
 * frame goes back to the fill ring right after. {@link #send} copies a frame into a free UMEM send frame of the
 * first queue's socket and describes it on its TX ring; {@link #flush} publishes the batch, wakes the kernel
 * ({@code send(2)} with MSG_DONTWAIT: copy mode transmits inside that call) and reaps the completion ring, which is
 * what frees send frames. {@link #txRoom()} is the free send frames (counting completions not reaped yet), so an
 * engine that reads no more than that from the opposite port never loses a frame it accepted: a full TX ring holds
 * frames back in the opposite port's receive ring instead.
 *
 * <p>Drops are counted by reason: {@link #txOversizeDrops()} (a frame longer than a UMEM frame less the kernel's
 * 256 B headroom, never truncated), {@link #txRingFullDrops()} (a send beyond {@link #txRoom()}), and in
 * {@link #kernelDrops()} what the kernel dropped for the sockets (XDP_STATISTICS rx_dropped, which counts received
 * frames longer than a UMEM frame, plus rx_ring_full), sampled by {@link #flush} at most once per
 * {@link #STATISTICS_INTERVAL_NS}. Nothing on the receive, send or flush path allocates, locks or throws.
 *
 * <p>All frames leave through the first queue's socket: one owning thread sends, and one TX ring keeps the
 * frames of a flow in order. As for the ring port, the interface's receive offloads must be off (GRO/LRO build
 * frames longer than the MTU, which do not fit a UMEM frame: the kernel drops them into {@link #kernelDrops()}).
 * On veth the sockets run in copy mode; a NIC with AF_XDP zero-copy support runs zero-copy
 * ({@link #isZeroCopy()}), and {@link #flush} then wakes the driver only when the TX ring asks for it.
 */
public final class XskPort implements PacketPort
{
    /** Shortest interval between two reads of the sockets' XDP_STATISTICS. */
    public static final long STATISTICS_INTERVAL_NS = 1_000_000_000L;

    private final String name;
    private final XskQueue[] queues;
    private final XskQueue txQueue;
    private final int[] queueIds;
    private final int[] socketFds;
    private final long[] kernelDropsPerQueue;
    private int nextQueue;
    private long txOversizeDrops;
    private long txRingFullDrops;
    private long statisticsErrors;
    private long kernelDrops;
    private final Interval statisticsInterval = new Interval(STATISTICS_INTERVAL_NS);
    private boolean closed;

    private XskPort(final String name, final XskSocket[] sockets)
    {
        this.name = name;
        this.queues = new XskQueue[sockets.length];
        this.queueIds = new int[sockets.length];
        this.socketFds = new int[sockets.length];
        for (int i = 0; i < sockets.length; i++)
        {
            queues[i] = new XskQueue(sockets[i]);
            queueIds[i] = sockets[i].queueId();
            socketFds[i] = sockets[i].fd();
        }
        this.txQueue = queues[0];
        this.kernelDropsPerQueue = new long[sockets.length];
    }

    /**
     * Opens a socket on every receive queue of an interface of the calling thread's network namespace.
     *
     * @throws IOException naming the interface, queue, call and errno that failed; nothing stays open then.
     */
    public static XskPort open(final String interfaceName, final XskSocket.Config config) throws IOException
    {
        final int queueCount = Math.min(XskSocket.rxQueueCount(interfaceName), XdpProgram.QUEUES_PER_INTERFACE);
        final XskSocket[] sockets = new XskSocket[queueCount];
        try
        {
            for (int q = 0; q < queueCount; q++)
            {
                sockets[q] = XskSocket.open(interfaceName, q, config);
            }
            return new XskPort(interfaceName, sockets);
        }
        catch (final IOException | RuntimeException ex)
        {
            for (final XskSocket socket : sockets)
            {
                if (socket != null)
                {
                    socket.close();
                }
            }
            throw ex;
        }
    }

    /** Null when AF_XDP sockets can be opened here, else why not (for the log line of the fallback). */
    public static String unavailabilityCause()
    {
        final Throwable cause = XskSocket.unavailabilityCause();
        return cause == null ? null : "AF_XDP sockets unavailable: " + cause;
    }

    /** @return the receive queue of each socket, in the order of {@link #socketFds()}. */
    public int[] queueIds()
    {
        return queueIds.clone();
    }

    /** @return each socket's descriptor, for {@link XdpProgram#registerSocket}. */
    public int[] socketFds()
    {
        return socketFds.clone();
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public int receive(final FrameHandler handler, final int limit)
    {
        if (closed || limit <= 0)
        {
            return 0;
        }
        final long timestampNs = System.currentTimeMillis() * 1_000_000L;
        int delivered = 0;
        final int count = queues.length;
        for (int i = 0; i < count && delivered < limit; i++)
        {
            final XskQueue queue = queues[nextQueue];
            nextQueue = nextQueue + 1 == count ? 0 : nextQueue + 1;
            delivered += queue.receive(handler, limit - delivered, timestampNs);
        }
        return delivered;
    }

    /**
     * Copies the frame into a free UMEM send frame for the next {@link #flush}.
     *
     * @return false when the frame is empty or longer than {@link #maxFrameBytes()} (counted in
     *         {@link #txOversizeDrops()}) or no send frame is free ({@link #txRingFullDrops()}).
     */
    @Override
    public boolean send(final DirectBuffer buffer, final int offset, final int length)
    {
        if (closed)
        {
            return false;
        }
        if (length <= 0 || length > txQueue.maxFrameBytes)
        {
            txOversizeDrops++;
            return false;
        }
        if (!txQueue.send(buffer, offset, length))
        {
            txRingFullDrops++;
            return false;
        }
        return true;
    }

    @Override
    public int flush(final long nowNs)
    {
        if (closed)
        {
            return 0;
        }
        final int work = txQueue.flush();
        if (statisticsInterval.due(nowNs))
        {
            readStatistics();
        }
        return work;
    }

    private void readStatistics()
    {
        long total = 0;
        for (int i = 0; i < queues.length; i++)
        {
            final long drops = queues[i].socket.readDrops();
            if (drops < 0)
            {
                statisticsErrors++;
            }
            else
            {
                kernelDropsPerQueue[i] = drops;
            }
            total += kernelDropsPerQueue[i];
        }
        kernelDrops = total;
    }

    /** @return free send frames, counting those the kernel completed and {@link #flush} has not reaped yet. */
    @Override
    public int txRoom()
    {
        return closed ? 0 : txQueue.txRoom();
    }

    /** @return frames sent and not yet completed by the kernel (0 once everything went out). */
    public int txInFlight()
    {
        return closed ? 0 : txQueue.txInFlight();
    }

    /** @return the longest frame {@link #send} takes: a UMEM frame less the kernel's headroom. */
    public int maxFrameBytes()
    {
        return txQueue.maxFrameBytes;
    }

    @Override
    public long kernelDrops()
    {
        return kernelDrops;
    }

    /** Bad receive descriptors, exceptions thrown by the handler, failed statistics reads. */
    @Override
    public long rxErrors()
    {
        long errors = statisticsErrors;
        for (final XskQueue queue : queues)
        {
            errors += queue.rxOversizeDrops + queue.handlerErrors;
        }
        return errors;
    }

    /** Frames refused for their length, plus failed wake-ups of the kernel (ENETDOWN, ...). */
    @Override
    public long txErrors()
    {
        return txOversizeDrops + txQueue.txHardErrors;
    }

    /** @return frames refused by {@link #send} for being longer than {@link #maxFrameBytes()}, or empty. */
    public long txOversizeDrops()
    {
        return txOversizeDrops;
    }

    /** @return frames refused by {@link #send} because no send frame was free (the caller ignored txRoom()). */
    public long txRingFullDrops()
    {
        return txRingFullDrops;
    }

    /** @return the errno of the last failed wake-up, 0 if none. */
    public int lastTxErrno()
    {
        return txQueue.lastTxErrno;
    }

    /** @return true when every socket runs zero-copy. */
    public boolean isZeroCopy()
    {
        for (final XskQueue queue : queues)
        {
            if (!queue.socket.isZeroCopy())
            {
                return false;
            }
        }
        return true;
    }

    /** Unmaps and closes every socket; idempotent. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final XskQueue queue : queues)
        {
            queue.unmap(); // a stale view must not touch unmapped memory
            queue.socket.close();
        }
    }

    @Override
    public String toString()
    {
        return "XskPort[" + name + ", " + queues.length + " queue(s)]";
    }
}
