package org.inlinetls.packet.engine;

import org.jctools.queues.SpscArrayQueue;

/**
 * The hand-off between the dispatcher and one worker: a pool of {@link FrameSlot}s and three SPSC queues.
 * <p>
 * The dispatcher takes a free slot, fills it and offers it to the inbound queue of the frame's ingress side; the
 * worker's {@link WorkerQueuePort} polls it, runs the bridge's handler over it and offers it back to the free
 * queue. Each queue has one producer and one consumer thread, and every queue can hold the whole pool, so an offer
 * of a slot that came out of the pool never fails: the only thing that runs out is free slots, and the dispatcher
 * checks for those before it reads from a port ({@link #freeSlots()}). Nothing is allocated after construction.
 */
public final class WorkerLane
{
    private final int index;
    private final int slotCount;
    private final int slotCapacityBytes;
    private final SpscArrayQueue<FrameSlot> freeSlots;
    private final SpscArrayQueue<FrameSlot> fromOutside;
    private final SpscArrayQueue<FrameSlot> fromInside;
    /** A slot whose inbound offer failed (cannot happen while the capacity invariant holds); dispatcher-owned. */
    private FrameSlot spare;

    /**
     * @param index             of the worker, 0-based.
     * @param slotCount         frames that can be in flight to this worker at once.
     * @param slotCapacityBytes largest frame a slot holds; larger frames are dropped by the dispatcher.
     */
    public WorkerLane(final int index, final int slotCount, final int slotCapacityBytes)
    {
        if (slotCount < 1 || slotCapacityBytes < 1)
        {
            throw new IllegalArgumentException(
                "slotCount and slotCapacityBytes must be positive: " + slotCount + ", " + slotCapacityBytes);
        }
        this.index = index;
        this.slotCount = slotCount;
        this.slotCapacityBytes = slotCapacityBytes;
        this.freeSlots = new SpscArrayQueue<>(slotCount);
        this.fromOutside = new SpscArrayQueue<>(slotCount);
        this.fromInside = new SpscArrayQueue<>(slotCount);
        for (int i = 0; i < slotCount; i++)
        {
            freeSlots.offer(new FrameSlot(slotCapacityBytes));
        }
    }

    /** Lanes for {@code workerCount} workers with the same pool size. */
    public static WorkerLane[] newLanes(final int workerCount, final int slotCount, final int slotCapacityBytes)
    {
        if (workerCount < 1)
        {
            throw new IllegalArgumentException("workerCount must be positive: " + workerCount);
        }
        final WorkerLane[] lanes = new WorkerLane[workerCount];
        for (int i = 0; i < workerCount; i++)
        {
            lanes[i] = new WorkerLane(i, slotCount, slotCapacityBytes);
        }
        return lanes;
    }

    public int index()
    {
        return index;
    }

    public int slotCount()
    {
        return slotCount;
    }

    public int slotCapacityBytes()
    {
        return slotCapacityBytes;
    }

    /**
     * Free slots the dispatcher can take now; exact or an underestimate on the dispatcher's thread (only the worker
     * adds to the free queue).
     */
    public int freeSlots()
    {
        return freeSlots.size() + (spare != null ? 1 : 0);
    }

    /** Frames waiting for the worker on both sides; approximate from other threads. */
    public int backlog()
    {
        return fromOutside.size() + fromInside.size();
    }

    /** Dispatcher side: a free slot, or null when the worker holds them all. */
    FrameSlot takeFreeSlot()
    {
        final FrameSlot slot = spare;
        if (slot != null)
        {
            spare = null;
            return slot;
        }
        return freeSlots.relaxedPoll();
    }

    /** Dispatcher side: hands a filled slot to the worker; false (slot kept for reuse) only if the invariant broke. */
    boolean offerInbound(final FrameSlot slot)
    {
        if (inbound(slot.ingress()).offer(slot))
        {
            return true;
        }
        spare = slot;
        return false;
    }

    /** Worker side: the next frame from one side, or null. */
    FrameSlot pollInbound(final Side side)
    {
        return inbound(side).relaxedPoll();
    }

    /** Worker side: returns a slot once its frame was handled. */
    void releaseSlot(final FrameSlot slot)
    {
        freeSlots.offer(slot);
    }

    private SpscArrayQueue<FrameSlot> inbound(final Side side)
    {
        return side == Side.OUTSIDE ? fromOutside : fromInside;
    }
}
