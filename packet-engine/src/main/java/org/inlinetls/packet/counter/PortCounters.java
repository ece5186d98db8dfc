package org.inlinetls.packet.counter;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.packet.frame.FrameAnomaly;

/**
 * The counters of one bridged side, allocated once from a {@link CountersManager}; one writer (the bridge agent).
 */
public final class PortCounters
{
    private final AtomicCounter[] counters = new AtomicCounter[CounterDescriptor.values().length];
    private final AtomicCounter[] malformedByReason = new AtomicCounter[FrameAnomaly.values().length];

    /**
     * @param manager   to allocate from.
     * @param sideLabel prefix of every label, e.g. {@code outside}.
     */
    public PortCounters(final CountersManager manager, final String sideLabel)
    {
        for (final CounterDescriptor descriptor : CounterDescriptor.values())
        {
            counters[descriptor.ordinal()] =
                manager.newCounter(sideLabel + " " + descriptor.label(), descriptor.typeId());
        }
        for (final FrameAnomaly anomaly : FrameAnomaly.values())
        {
            if (anomaly != FrameAnomaly.NONE)
            {
                malformedByReason[anomaly.ordinal()] = manager.newCounter(
                    sideLabel + " malformed " + anomaly.label(), CounterDescriptor.MALFORMED_BY_REASON_TYPE_ID);
            }
        }
    }

    public AtomicCounter get(final CounterDescriptor descriptor)
    {
        return counters[descriptor.ordinal()];
    }

    /** Counter of one anomaly; null for {@link FrameAnomaly#NONE}. */
    public AtomicCounter malformed(final FrameAnomaly anomaly)
    {
        return malformedByReason[anomaly.ordinal()];
    }

    public long value(final CounterDescriptor descriptor)
    {
        return counters[descriptor.ordinal()].get();
    }
}
