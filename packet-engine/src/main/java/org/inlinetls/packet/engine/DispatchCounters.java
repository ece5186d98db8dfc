package org.inlinetls.packet.engine;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The counters of a {@link FlowDispatcherAgent}, allocated once from a {@link CountersManager}; one writer (the
 * dispatcher).
 */
public final class DispatchCounters
{
    private final AtomicCounter[] counters = new AtomicCounter[DispatchCounterDescriptor.values().length];

    /**
     * @param manager to allocate from.
     * @param prefix  of every label, e.g. {@code dispatcher}.
     */
    public DispatchCounters(final CountersManager manager, final String prefix)
    {
        for (final DispatchCounterDescriptor descriptor : DispatchCounterDescriptor.values())
        {
            counters[descriptor.ordinal()] = manager.newCounter(prefix + " " + descriptor.label(), descriptor.typeId());
        }
    }

    public AtomicCounter get(final DispatchCounterDescriptor descriptor)
    {
        return counters[descriptor.ordinal()];
    }

    public long value(final DispatchCounterDescriptor descriptor)
    {
        return counters[descriptor.ordinal()].get();
    }
}
