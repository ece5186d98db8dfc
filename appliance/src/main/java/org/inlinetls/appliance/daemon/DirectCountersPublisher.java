package org.inlinetls.appliance.daemon;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.modes.direct.DirectCounter;
import org.inlinetls.modes.direct.DirectEngine;
import org.inlinetls.seqdb.FlowJournal;

import java.util.Locale;

/**
 * Copies the direct engine's counters, and the journal's occupancy, into the daemon's shared counters once a second
 * on the engine's thread, so that {@code appliance stats} and {@code /metrics} show them while the daemon runs (the
 * engine keeps its counters in a plain array: one writer, nothing shared on the data path). Labels are
 * {@code direct <counter>} and {@code journal <gauge>}.
 */
final class DirectCountersPublisher implements DirectEngine.CountersSink
{
    /** Type id of the direct engine's counters in the counters file. */
    static final int DIRECT_TYPE_ID = 300;
    /** Type id of the journal's gauges (values that go down as well as up). */
    static final int JOURNAL_GAUGE_TYPE_ID = 301;

    private final AtomicCounter[] counters = new AtomicCounter[DirectCounter.values().length];
    private final FlowJournal journal;
    private final AtomicCounter activeFlows;
    private final AtomicCounter parkedFlows;
    private final AtomicCounter maxFlows;
    private ModeGauges modeGauges;

    DirectCountersPublisher(final CountersManager manager, final FlowJournal journal)
    {
        for (final DirectCounter counter : DirectCounter.values())
        {
            counters[counter.ordinal()] =
                manager.newCounter("direct " + counter.name().toLowerCase(Locale.ROOT), DIRECT_TYPE_ID);
        }
        this.journal = journal;
        activeFlows = manager.newCounter("journal active_flows", JOURNAL_GAUGE_TYPE_ID);
        parkedFlows = manager.newCounter("journal parked_flows", JOURNAL_GAUGE_TYPE_ID);
        maxFlows = manager.newCounter("journal max_flows", JOURNAL_GAUGE_TYPE_ID);
        maxFlows.setOrdered(journal.maxFlows());
    }

    @Override
    public void publish(final long[] countersByOrdinal)
    {
        for (int i = 0; i < counters.length; i++)
        {
            counters[i].setOrdered(countersByOrdinal[i]);
        }
        activeFlows.setOrdered(journal.activeSize());
        parkedFlows.setOrdered(journal.parkedSize());
        if (null != modeGauges)
        {
            modeGauges.publish();
        }
    }

    /** Also publishes the engine's flows by state and failed handshakes by alert (mode {@code direct}). */
    DirectCountersPublisher engine(final CountersManager manager, final org.inlinetls.modes.direct.DirectEngine engine)
    {
        modeGauges = new ModeGauges(manager, "direct", org.inlinetls.modes.direct.DirectEngine.FLOW_STATE_NAMES,
            engine::countFlowsByState, engine.handshakeFailures());
        return this;
    }
}
