package org.inlinetls.modes.lb;

import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the backends of one pool on its own thread (role {@code health}) and publishes who is up through a
 * {@link BackendHealth} the data path reads.
 * <p>
 * Each backend is checked every {@code intervalMs} (start to start; the first checks spread over the first interval
 * so a large pool does not connect all at once), one check in flight at a time, each given {@code timeoutMs}. An up
 * backend goes down after {@code fall} consecutive failures, a down one comes back after {@code rise} consecutive
 * passes. A backend that dies is thus taken out within {@code intervalMs x fall} of its death when it refuses
 * connections, plus up to {@code timeoutMs} when it stops answering instead. Backends start up (see
 * {@link BackendHealth}). Each transition is logged once, with the last failure's reason; checks are counted.
 * <p>
 * The clock is read once per duty cycle and injected, so tests drive {@link #doWork()} by hand with a hand-advanced
 * clock and fake {@link HealthProbes}.
 */
public final class HealthCheckAgent implements Agent, HealthProbes.Listener
{
    private static final Logger LOG = LoggerFactory.getLogger(HealthCheckAgent.class);

    private final String serviceName;
    private final List<Backend> backends;
    private final BackendHealth health;
    private final HealthCheckSettings settings;
    private final HealthProbes probes;
    private final NanoClock clock;
    private final long intervalNs;
    private final long timeoutNs;
    private final long[] nextCheckNs;
    private final long[] deadlineNs;
    private final boolean[] inFlight;
    private final int[] passesInARow;
    private final int[] failuresInARow;
    private final AtomicLongArray counters = new AtomicLongArray(HealthCounter.values().length);
    private boolean started;

    /**
     * @param serviceName names the pool in logs.
     * @param backends    the pool's backends in id order.
     * @param health      where the verdicts are published; this agent is its only writer.
     */
    public HealthCheckAgent(final String serviceName, final List<Backend> backends, final BackendHealth health,
        final HealthCheckSettings settings, final HealthProbes probes, final NanoClock clock)
    {
        if (health.backendCount() != backends.size())
        {
            throw new IllegalArgumentException("health of " + health.backendCount() + " backends for " +
                backends.size());
        }
        this.serviceName = serviceName;
        this.backends = List.copyOf(backends);
        this.health = health;
        this.settings = settings;
        this.probes = probes;
        this.clock = clock;
        intervalNs = settings.intervalMs() * 1_000_000L;
        timeoutNs = settings.timeoutMs() * 1_000_000L;
        final int count = backends.size();
        nextCheckNs = new long[count];
        deadlineNs = new long[count];
        inFlight = new boolean[count];
        passesInARow = new int[count];
        failuresInARow = new int[count];
    }

    @Override
    public String roleName()
    {
        return "health";
    }

    @Override
    public int doWork()
    {
        final long nowNs = clock.nanoTime();
        if (!started)
        {
            started = true;
            for (int id = 0; id < nextCheckNs.length; id++)
            {
                nextCheckNs[id] = nowNs + intervalNs / nextCheckNs.length * id;
            }
        }
        int workCount = probes.poll(this);
        workCount += expireChecks(nowNs);
        workCount += startDueChecks(nowNs);
        return workCount;
    }

    @Override
    public void onClose()
    {
        probes.close();
    }

    @Override
    public void onProbeResult(final int backendId, final String reason)
    {
        if (!inFlight[backendId])
        {
            return;
        }
        inFlight[backendId] = false;
        if (reason.isEmpty())
        {
            increment(HealthCounter.CHECKS_PASSED);
            onPassed(backendId);
        }
        else
        {
            increment(HealthCounter.CHECKS_FAILED);
            onFailed(backendId, reason);
        }
    }

    /** A counter's value; readable from any thread. */
    public long counter(final HealthCounter counter)
    {
        return counters.get(counter.ordinal());
    }

    public BackendHealth health()
    {
        return health;
    }

    private int expireChecks(final long nowNs)
    {
        int workCount = 0;
        for (int id = 0; id < inFlight.length; id++)
        {
            if (inFlight[id] && nowNs - deadlineNs[id] >= 0)
            {
                inFlight[id] = false;
                probes.abandon(id);
                increment(HealthCounter.CHECKS_TIMED_OUT);
                onFailed(id, "no answer within timeoutMs " + settings.timeoutMs());
                workCount++;
            }
        }
        return workCount;
    }

    private int startDueChecks(final long nowNs)
    {
        int workCount = 0;
        for (int id = 0; id < nextCheckNs.length; id++)
        {
            if (!inFlight[id] && nowNs - nextCheckNs[id] >= 0)
            {
                // start to start; a cycle that ran late does not make the next check wait a whole interval more
                nextCheckNs[id] = nowNs - nextCheckNs[id] >= intervalNs ? nowNs + intervalNs :
                    nextCheckNs[id] + intervalNs;
                deadlineNs[id] = nowNs + timeoutNs;
                inFlight[id] = true;
                increment(HealthCounter.CHECKS_STARTED);
                probes.begin(id);
                workCount++;
            }
        }
        return workCount;
    }

    private void onPassed(final int id)
    {
        failuresInARow[id] = 0;
        passesInARow[id]++;
        if (!health.isUp(id) && passesInARow[id] >= settings.rise())
        {
            health.publish(id, true);
            increment(HealthCounter.BACKENDS_UP);
            LOG.info("service {}: backend {} is UP after {} passed checks", serviceName, name(id),
                passesInARow[id]);
        }
    }

    private void onFailed(final int id, final String reason)
    {
        passesInARow[id] = 0;
        failuresInARow[id]++;
        if (health.isUp(id) && failuresInARow[id] >= settings.fall())
        {
            health.publish(id, false);
            increment(HealthCounter.BACKENDS_DOWN);
            LOG.warn("service {}: backend {} is DOWN after {} failed checks, last: {}", serviceName, name(id),
                failuresInARow[id], reason);
        }
    }

    private String name(final int id)
    {
        return Backend.addressText(backends.get(id).address());
    }

    private void increment(final HealthCounter counter)
    {
        // single writer: a release store is enough for readers on other threads
        final int index = counter.ordinal();
        counters.lazySet(index, counters.get(index) + 1);
    }
}
