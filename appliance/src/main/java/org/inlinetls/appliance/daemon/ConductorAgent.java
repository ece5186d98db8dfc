package org.inlinetls.appliance.daemon;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.CountersReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's housekeeping agent: logs the counters on demand (SIGUSR1) and at the configured interval, and runs
 * configuration reloads (SIGHUP, or the watched file changed; see {@link ConfigReloader}).
 * Other threads reach it only through {@link #requestCountersLog()} and {@link #requestReload()}, which set flags.
 */
public final class ConductorAgent implements Agent
{
    private static final Logger LOG = LoggerFactory.getLogger(ConductorAgent.class);

    private final CountersReader counters;
    private final NanoClock clock;
    private final long logIntervalNs;
    private volatile boolean countersLogRequested;
    private long nextLogDeadlineNs;
    private ConfigReloader reloader;

    public ConductorAgent(final CountersReader counters, final NanoClock clock, final long logIntervalNs)
    {
        this.counters = counters;
        this.clock = clock;
        this.logIntervalNs = logIntervalNs;
        this.nextLogDeadlineNs = clock.nanoTime() + logIntervalNs;
    }

    /** Asks for the counters to be logged on the next duty cycle; safe from any thread. */
    public void requestCountersLog()
    {
        countersLogRequested = true;
    }

    /** Gives the conductor the reloader to run; before the agent starts. */
    void reloader(final ConfigReloader reloader)
    {
        this.reloader = reloader;
    }

    /** Asks for a configuration reload on the next duty cycle; safe from any thread (a signal handler). */
    public void requestReload()
    {
        if (null != reloader)
        {
            reloader.requestReload();
        }
    }

    @Override
    public int doWork()
    {
        final long nowNs = clock.nanoTime();
        int workCount = 0;
        if (null != reloader)
        {
            workCount += reloader.doWork(nowNs);
        }
        if (countersLogRequested)
        {
            countersLogRequested = false;
            logCounters("counters on request");
            workCount++;
        }
        if (logIntervalNs > 0 && nowNs - nextLogDeadlineNs >= 0)
        {
            nextLogDeadlineNs = nowNs + logIntervalNs;
            logCounters("counters");
            workCount++;
        }
        return workCount;
    }

    private void logCounters(final String title)
    {
        LOG.info("{}:\n{}", title, CountersPrinter.format(counters));
    }

    @Override
    public String roleName()
    {
        return "conductor";
    }
}
