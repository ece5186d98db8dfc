package org.inlinetls.handshake;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The counters of one {@link HandshakeAgent}, allocated once from a {@link CountersManager}; the agent is the one
 * writer of each, except {@link HandshakeCounterDescriptor#REFUSED_OVERLOAD}, which every worker's proxy bumps.
 */
public final class HandshakeAgentCounters
{
    private final AtomicCounter[] counters = new AtomicCounter[HandshakeCounterDescriptor.values().length];

    /**
     * @param manager to allocate from.
     * @param prefix  of every label, normally the agent's role name.
     */
    public HandshakeAgentCounters(final CountersManager manager, final String prefix)
    {
        for (final HandshakeCounterDescriptor descriptor : HandshakeCounterDescriptor.values())
        {
            counters[descriptor.ordinal()] = manager.newCounter(prefix + " " + descriptor.label(), descriptor.typeId());
        }
    }

    public AtomicCounter get(final HandshakeCounterDescriptor descriptor)
    {
        return counters[descriptor.ordinal()];
    }

    public long value(final HandshakeCounterDescriptor descriptor)
    {
        return counters[descriptor.ordinal()].get();
    }

    @Override
    public String toString()
    {
        final StringBuilder builder = new StringBuilder("HandshakeAgentCounters{");
        for (final HandshakeCounterDescriptor descriptor : HandshakeCounterDescriptor.values())
        {
            builder.append(descriptor.ordinal() == 0 ? "" : ", ").append(descriptor.label()).append('=')
                .append(value(descriptor));
        }
        return builder.append('}').toString();
    }
}
