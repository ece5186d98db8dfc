package org.inlinetls.appliance.daemon;

import java.util.Locale;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.modes.proxy.ProxyCounter;
import org.inlinetls.modes.proxy.ProxyEngine;

/**
 * Copies the full-proxy engine's counters, its flows and the memory they hold into the daemon's shared counters once
 * a second on the engine's thread (as {@link DirectCountersPublisher} does for the direct mode). Labels are
 * {@code full_proxy <counter>}; the two gauges {@code full_proxy flows} and {@code full_proxy memory_used_bytes}.
 */
final class ProxyCountersPublisher implements ProxyEngine.CountersSink
{
    /** Type id of the full-proxy engine's counters in the counters file. */
    static final int PROXY_TYPE_ID = 302;

    private final AtomicCounter[] counters = new AtomicCounter[ProxyCounter.values().length];
    private final AtomicCounter flows;
    private final AtomicCounter memoryUsedBytes;
    private ModeGauges modeGauges;

    ProxyCountersPublisher(final CountersManager manager, final long memoryBudgetBytes)
    {
        for (final ProxyCounter counter : ProxyCounter.values())
        {
            counters[counter.ordinal()] =
                manager.newCounter("full_proxy " + counter.name().toLowerCase(Locale.ROOT), PROXY_TYPE_ID);
        }
        // gauges share the journal's gauge type: /metrics renders that type without the _total suffix
        flows = manager.newCounter("full_proxy flows", DirectCountersPublisher.JOURNAL_GAUGE_TYPE_ID);
        memoryUsedBytes = manager.newCounter("full_proxy memory_used_bytes",
            DirectCountersPublisher.JOURNAL_GAUGE_TYPE_ID);
        manager.newCounter("full_proxy memory_budget_bytes", DirectCountersPublisher.JOURNAL_GAUGE_TYPE_ID)
            .setOrdered(memoryBudgetBytes);
    }

    @Override
    public void publish(final long[] countersByOrdinal, final int flowCount, final long memoryBytes)
    {
        for (int i = 0; i < counters.length; i++)
        {
            counters[i].setOrdered(countersByOrdinal[i]);
        }
        flows.setOrdered(flowCount);
        memoryUsedBytes.setOrdered(memoryBytes);
        if (null != modeGauges)
        {
            modeGauges.publish();
        }
    }

    /** Also publishes the engine's flows by state and failed handshakes by alert (mode {@code full_proxy}). */
    ProxyCountersPublisher engine(final CountersManager manager, final ProxyEngine engine)
    {
        modeGauges = new ModeGauges(manager, "full_proxy", ProxyEngine.FLOW_STATE_NAMES, engine::countFlowsByState,
            engine.handshakeFailures());
        return this;
    }
}
