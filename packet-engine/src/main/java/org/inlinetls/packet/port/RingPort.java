package org.inlinetls.packet.port;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.shim.PacketSocket;

/**
 * A live port on a network interface through an AF_PACKET TPACKET_V3 ring ({@link PacketSocket}): received frames
 * are wrapped where the kernel wrote them, never copied into the Java heap.
 * <p>
 * The socket ignores frames this host sends on the interface (so frames this port injects are never read back)
 * and holds a promiscuous membership. Transmit copies each frame into one reusable direct buffer and sends it with
 * one {@code send(2)} (the bound-socket form of {@code sendto}); batching ({@code sendmmsg} or a TX ring) is the next
 * step. A {@link FrameHandler} sees a buffer over the ring that is only valid during its call: the block is given back
 * to the kernel afterwards.
 */
public final class RingPort implements PacketPort
{
    /** Largest frame {@link #send} accepts: a 1500-byte MTU frame with a VLAN tag, rounded up. */
    public static final int MAX_TX_FRAME = 2048;

    private final String name;
    private final PacketSocket socket;
    private final UnsafeBuffer ringView;
    /** Holds the TX copy's native memory reachable while the kernel reads it; 2 KiB, freed with the port by GC. */
    private final ByteBuffer txMemory;
    private final UnsafeBuffer txBuffer;
    private final long txAddress;
    private final PacketSocket.FrameConsumer consumer = this::onRingFrame;
    private FrameHandler handler;
    private long txErrors;
    private int lastTxErrno;

    private RingPort(final PacketSocket socket)
    {
        this.name = socket.interfaceName();
        this.socket = socket;
        this.ringView = new UnsafeBuffer(socket.ringAddress(), socket.ringLength());
        this.txMemory = BufferUtil.allocateDirectAligned(MAX_TX_FRAME, 64);
        this.txBuffer = new UnsafeBuffer(txMemory);
        this.txAddress = txBuffer.addressOffset();
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

    @Override
    public boolean send(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length > MAX_TX_FRAME || length <= 0)
        {
            txErrors++;
            return false;
        }
        txBuffer.putBytes(0, buffer, offset, length);
        final int sent = socket.send(txAddress, length);
        if (sent != length)
        {
            lastTxErrno = sent < 0 ? -sent : 0;
            txErrors++;
            return false;
        }
        return true;
    }

    /** Frames dropped because they were larger than a ring block (counted, never delivered truncated). */
    @Override
    public long rxErrors()
    {
        return socket.truncatedFrames();
    }

    @Override
    public long txErrors()
    {
        return txErrors;
    }

    /** The errno of the last failed send (EAGAIN/ENOBUFS: device queue full), 0 if none. */
    public int lastTxErrno()
    {
        return lastTxErrno;
    }

    /** Frames the kernel dropped because the ring was full, read (and reset) from PACKET_STATISTICS; -1 if unknown. */
    public long kernelDrops()
    {
        try
        {
            socket.updateStatistics();
            return socket.kernelDrops();
        }
        catch (final IOException | IllegalStateException ex)
        {
            return -1;
        }
    }

    /** The socket under this port, for its statistics. */
    public PacketSocket socket()
    {
        return socket;
    }

    @Override
    public void close()
    {
        ringView.wrap(0, 0); // a stale view must not read unmapped memory
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
