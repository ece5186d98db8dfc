package org.inlinetls.packet.engine;

import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.inlinetls.packet.port.FrameHandler;
import org.inlinetls.packet.port.PacketPort;

/**
 * One worker's view of one real port: receives the frames the dispatcher routed to this worker from that side, and
 * transmits through the worker's own transmit port for that side.
 * <p>
 * A worker is an unchanged {@link BridgeAgent} over its outside and inside views. Received frames live in
 * {@link FrameSlot}s, valid only during the handler call as for any port: the slot goes back to the dispatcher's
 * free queue as soon as the handler returns (or throws). Owned by the worker's thread.
 */
public final class WorkerQueuePort implements PacketPort
{
    private final WorkerLane lane;
    private final Side side;
    private final PacketPort txPort;
    private final String name;

    /**
     * @param lane   the worker's hand-off with the dispatcher.
     * @param side   the real port this view stands for.
     * @param txPort the worker's own transmit port on that side; closed with this view.
     */
    public WorkerQueuePort(final WorkerLane lane, final Side side, final PacketPort txPort)
    {
        this.lane = lane;
        this.side = side;
        this.txPort = txPort;
        this.name = "worker-" + lane.index() + "-" + side.label();
    }

    /** A view of {@code side} for the lane's worker, transmitting through a port the factory makes for it. */
    public static WorkerQueuePort open(final WorkerLane lane, final Side side, final TxPortFactory txPorts)
    {
        return new WorkerQueuePort(lane, side, txPorts.newTxPort(lane.index(), side));
    }

    @Override
    public String name()
    {
        return name;
    }

    public Side side()
    {
        return side;
    }

    /** The transmit port this view sends through. */
    public PacketPort txPort()
    {
        return txPort;
    }

    @Override
    public int receive(final FrameHandler handler, final int limit)
    {
        int received = 0;
        while (received < limit)
        {
            final FrameSlot slot = lane.pollInbound(side);
            if (slot == null)
            {
                break;
            }
            received++;
            try
            {
                handler.onFrame(slot.buffer(), 0, slot.lengthBytes(), slot.timestampNs());
            }
            finally
            {
                lane.releaseSlot(slot);
            }
        }
        return received;
    }

    @Override
    public boolean send(final DirectBuffer buffer, final int offset, final int length)
    {
        return txPort.send(buffer, offset, length);
    }

    @Override
    public int flush(final long nowNs)
    {
        return txPort.flush(nowNs);
    }

    @Override
    public int txRoom()
    {
        return txPort.txRoom();
    }

    @Override
    public long txErrors()
    {
        return txPort.txErrors();
    }

    @Override
    public void close()
    {
        CloseHelper.close(txPort);
    }
}
