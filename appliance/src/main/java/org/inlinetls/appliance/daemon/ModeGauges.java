package org.inlinetls.appliance.daemon;

import java.util.List;
import java.util.function.Consumer;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.handshake.AlertNames;
import org.inlinetls.handshake.HandshakeFailures;

/**
 * A mode's flows by state (gauges {@code flows <mode> <state>}, on {@code /metrics} as
 * {@code inline_tls_flows{mode,state}}) and its failed handshakes by alert (counters
 * {@code handshake_failures <mode> <sent|received> <alert>}, as {@code inline_tls_handshake_failures_total{mode,alert,
 * by}}), published by the mode's counters sink once a second on the engine's thread. An alert's counter is created
 * the first time a handshake fails with it (a handful per daemon), nothing else is allocated.
 */
final class ModeGauges
{
    /** Type id of the failed-handshake counters (rendered as counters). */
    static final int HANDSHAKE_FAILURES_TYPE_ID = 303;

    private final CountersManager manager;
    private final String mode;
    private final Consumer<long[]> countByState;
    private final HandshakeFailures failures;
    private final long[] byState;
    private final AtomicCounter[] states;
    private final AtomicCounter[] sent = new AtomicCounter[HandshakeFailures.ALERTS];
    private final AtomicCounter[] received = new AtomicCounter[HandshakeFailures.ALERTS];
    private final AtomicCounter withoutAlert;

    ModeGauges(final CountersManager manager, final String mode, final List<String> stateNames,
        final Consumer<long[]> countByState, final HandshakeFailures failures)
    {
        this.manager = manager;
        this.mode = mode;
        this.countByState = countByState;
        this.failures = failures;
        this.byState = new long[stateNames.size()];
        this.states = new AtomicCounter[stateNames.size()];
        for (int i = 0; i < states.length; i++)
        {
            states[i] = manager.newCounter("flows " + mode + " " + stateNames.get(i),
                DirectCountersPublisher.JOURNAL_GAUGE_TYPE_ID);
        }
        withoutAlert = manager.newCounter("handshake_failures " + mode + " none none", HANDSHAKE_FAILURES_TYPE_ID);
    }

    /** Engine thread, from its counters sink. */
    void publish()
    {
        countByState.accept(byState);
        for (int i = 0; i < states.length; i++)
        {
            states[i].setOrdered(byState[i]);
        }
        for (int alert = 0; alert < HandshakeFailures.ALERTS; alert++)
        {
            publish(sent, "sent", alert, failures.sent(alert));
            publish(received, "received", alert, failures.received(alert));
        }
        withoutAlert.setOrdered(failures.withoutAlert());
    }

    private void publish(final AtomicCounter[] counters, final String by, final int alert, final long value)
    {
        if (value == 0)
        {
            return;
        }
        if (null == counters[alert])
        {
            counters[alert] = manager.newCounter("handshake_failures " + mode + " " + by + " " +
                AlertNames.name(alert), HANDSHAKE_FAILURES_TYPE_ID);
        }
        counters[alert].setOrdered(value);
    }
}
