package org.inlinetls.modes.lb;

/**
 * What a {@link HealthCheckAgent} counts.
 */
public enum HealthCounter
{
    CHECKS_STARTED("health checks started"),
    CHECKS_PASSED("health checks passed"),
    CHECKS_FAILED("health checks failed (refused, reset, wrong status), timeouts excluded"),
    CHECKS_TIMED_OUT("health checks that took longer than timeoutMs"),
    BACKENDS_DOWN("backends taken out after fall failed checks"),
    BACKENDS_UP("backends brought back after rise passed checks");

    private final String description;

    HealthCounter(final String description)
    {
        this.description = description;
    }

    /** What the counter counts, for logs and metrics help text. */
    public String description()
    {
        return description;
    }
}
