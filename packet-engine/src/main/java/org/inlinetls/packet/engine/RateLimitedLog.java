package org.inlinetls.packet.engine;

import org.slf4j.Logger;

/**
 * Logs at most one message per interval from the data path and says how many were suppressed in between.
 */
public final class RateLimitedLog
{
    private final Logger logger;
    private final long intervalNs;
    private long nextAllowedNs;
    private boolean started;
    private long suppressed;

    public RateLimitedLog(final Logger logger, final long intervalNs)
    {
        this.logger = logger;
        this.intervalNs = intervalNs;
    }

    /**
     * Logs a warning if the interval has passed, else counts it as suppressed.
     *
     * @return true when it was logged.
     */
    public boolean warn(final long nowNs, final String message, final Object detail)
    {
        if (started && nowNs - nextAllowedNs < 0)
        {
            suppressed++;
            return false;
        }
        started = true;
        nextAllowedNs = nowNs + intervalNs;
        if (suppressed > 0)
        {
            logger.warn("{}: {} ({} similar messages suppressed)", message, detail, suppressed);
        }
        else
        {
            logger.warn("{}: {}", message, detail);
        }
        suppressed = 0;
        return true;
    }
}
