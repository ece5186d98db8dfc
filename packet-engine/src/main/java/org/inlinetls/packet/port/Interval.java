package org.inlinetls.packet.port;

/**
 * When a periodic chore of a port's owning thread is due (e.g. reading the kernel's drop statistics): at the first
 * call, then once at least {@code intervalNs} passed since the last time it was due. No allocation, one thread.
 */
final class Interval
{
    private final long intervalNs;
    private boolean started;
    private long lastNs;

    Interval(final long intervalNs)
    {
        this.intervalNs = intervalNs;
    }

    /** @return true when the chore is due now (and counts it as done at {@code nowNs}). */
    boolean due(final long nowNs)
    {
        if (started && nowNs - lastNs < intervalNs)
        {
            return false;
        }
        started = true;
        lastNs = nowNs;
        return true;
    }
}
