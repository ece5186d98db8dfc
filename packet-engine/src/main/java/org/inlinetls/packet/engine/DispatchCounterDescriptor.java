package org.inlinetls.packet.engine;

/**
 * The flow dispatcher's counters: stable type ids and labels, exported as {@code dispatcher <label>}. Ids never change
 * meaning once released; they sit above the per-port {@code CounterDescriptor} ids.
 */
public enum DispatchCounterDescriptor
{
    /** Frames copied into a slot and handed to a worker. */
    FRAMES_DISPATCHED(200, "frames_dispatched"),
    /** Frames larger than a slot, dropped. */
    DROPPED_TOO_LARGE(201, "dropped_too_large"),
    /** Frames read from a port when the chosen worker had no free slot, dropped (rare: room is checked first). */
    DROPPED_NO_SLOT(202, "dropped_no_slot"),
    /** Port polls skipped or cut short because a worker had no free slot: frames left in the kernel ring. */
    BACK_PRESSURE(203, "back_pressure"),
    /** Errors while dispatching a frame (counted, frame dropped). */
    DISPATCH_ERRORS(204, "dispatch_errors"),
    /** Frames with no flow key (non-IP, fragments, truncated) sent to worker 0. */
    NO_FLOW_KEY(205, "no_flow_key");

    private final int typeId;
    private final String label;

    DispatchCounterDescriptor(final int typeId, final String label)
    {
        this.typeId = typeId;
        this.label = label;
    }

    public int typeId()
    {
        return typeId;
    }

    public String label()
    {
        return label;
    }
}
