package org.inlinetls.packet.engine;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.inlinetls.packet.port.FrameHandler;
import org.inlinetls.packet.port.PacketPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receive side of the dedicated threading mode: polls both real ports and shards their frames over the workers
 * by {@link FlowHash}, copying each into a free {@link FrameSlot} of the chosen {@link WorkerLane}.
 * <p>
 * Back-pressure instead of loss: before each port poll the receive limit is cut to the fewest free slots of any
 * worker (a frame's worker is known only after it is read), so a stalled worker makes the dispatcher leave frames in
 * the kernel ring rather than drop frames it already took. A frame that still finds no slot, or is larger than a
 * slot, is counted by reason and dropped. Ports are only received from and flushed here; workers transmit through
 * their own ports ({@link WorkerQueuePort}). No allocation per frame; errors are counted and never end the agent.
 */
public final class FlowDispatcherAgent implements Agent
{
    private static final Logger LOG = LoggerFactory.getLogger(FlowDispatcherAgent.class);
    private static final long LOG_INTERVAL_NS = 1_000_000_000L;

    private final PacketPort outside;
    private final PacketPort inside;
    private final WorkerLane[] lanes;
    private final DispatchCounters counters;
    private final NanoClock clock;
    private final int batchLimit;
    private final FlowHash flowHash = new FlowHash();
    private final RateLimitedLog errorLog = new RateLimitedLog(LOG, LOG_INTERVAL_NS);
    private final FrameHandler fromOutside = this::onOutsideFrame;
    private final FrameHandler fromInside = this::onInsideFrame;
    private long nowNs;

    /**
     * @param outside    the real outside port; only its receive side and flush are used.
     * @param inside     the real inside port; only its receive side and flush are used.
     * @param lanes      one per worker, indexed by worker.
     * @param batchLimit most frames taken from one port per duty cycle.
     */
    public FlowDispatcherAgent(
        final PacketPort outside,
        final PacketPort inside,
        final WorkerLane[] lanes,
        final DispatchCounters counters,
        final NanoClock clock,
        final int batchLimit)
    {
        if (lanes.length == 0)
        {
            throw new IllegalArgumentException("at least one worker lane is needed");
        }
        this.outside = outside;
        this.inside = inside;
        this.lanes = lanes.clone();
        this.counters = counters;
        this.clock = clock;
        this.batchLimit = batchLimit;
    }

    @Override
    public int doWork()
    {
        nowNs = clock.nanoTime();
        int workCount = 0;
        workCount += poll(outside, fromOutside);
        workCount += poll(inside, fromInside);
        workCount += outside.flush(nowNs);
        workCount += inside.flush(nowNs);
        return workCount;
    }

    @Override
    public String roleName()
    {
        return "dispatcher";
    }

    /** Free slots of the most loaded worker: how many frames can be read now with a slot sure to be found. */
    public int receiveRoom()
    {
        int room = Integer.MAX_VALUE;
        for (final WorkerLane lane : lanes)
        {
            room = Math.min(room, lane.freeSlots());
        }
        return room;
    }

    private int poll(final PacketPort port, final FrameHandler handler)
    {
        final int room = receiveRoom();
        if (room < batchLimit)
        {
            counters.get(DispatchCounterDescriptor.BACK_PRESSURE).incrementRelease();
            if (room == 0)
            {
                return 0;
            }
        }
        return port.receive(handler, Math.min(room, batchLimit));
    }

    private void onOutsideFrame(final DirectBuffer buffer, final int offset, final int length, final long tsNs)
    {
        onFrame(Side.OUTSIDE, buffer, offset, length, tsNs);
    }

    private void onInsideFrame(final DirectBuffer buffer, final int offset, final int length, final long tsNs)
    {
        onFrame(Side.INSIDE, buffer, offset, length, tsNs);
    }

    private void onFrame(
        final Side ingress, final DirectBuffer buffer, final int offset, final int length, final long tsNs)
    {
        try
        {
            final int hash = flowHash.hash(buffer, offset, length);
            if (hash == FlowHash.NO_FLOW_KEY)
            {
                counters.get(DispatchCounterDescriptor.NO_FLOW_KEY).incrementRelease();
            }
            final WorkerLane lane = lanes[FlowHash.workerIndex(hash, lanes.length)];
            if (length > lane.slotCapacityBytes())
            {
                counters.get(DispatchCounterDescriptor.DROPPED_TOO_LARGE).incrementRelease();
                return;
            }
            final FrameSlot slot = lane.takeFreeSlot();
            if (slot == null)
            {
                counters.get(DispatchCounterDescriptor.DROPPED_NO_SLOT).incrementRelease();
                return;
            }
            slot.fill(ingress, buffer, offset, length, tsNs);
            if (lane.offerInbound(slot))
            {
                counters.get(DispatchCounterDescriptor.FRAMES_DISPATCHED).incrementRelease();
            }
            else
            {
                counters.get(DispatchCounterDescriptor.DROPPED_NO_SLOT).incrementRelease();
            }
        }
        catch (final Throwable ex)
        {
            counters.get(DispatchCounterDescriptor.DISPATCH_ERRORS).incrementRelease();
            errorLog.warn(nowNs, "frame dropped after dispatch error", ex);
        }
    }
}
