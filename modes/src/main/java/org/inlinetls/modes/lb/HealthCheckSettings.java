package org.inlinetls.modes.lb;

import java.net.InetAddress;

/**
 * How the backends of one pool are checked.
 *
 * @param type          TCP connect, or HTTP GET with an expected status.
 * @param path          HTTP only: the request target, starting with '/'.
 * @param expectStatus  HTTP only: the status a healthy backend answers with.
 * @param intervalMs    time from the start of one check of a backend to the start of the next.
 * @param timeoutMs     how long one check may take (connect and, for HTTP, the status line); at most intervalMs.
 * @param rise          consecutive passed checks that bring a down backend back.
 * @param fall          consecutive failed checks that take an up backend out.
 * @param sourceAddress the appliance's own inside address the checks are sent from, or null for the system's
 *                      choice.
 */
public record HealthCheckSettings(
    HealthCheckType type,
    String path,
    int expectStatus,
    long intervalMs,
    long timeoutMs,
    int rise,
    int fall,
    InetAddress sourceAddress)
{
    public HealthCheckSettings
    {
        if (intervalMs < 1 || timeoutMs < 1 || timeoutMs > intervalMs)
        {
            throw new IllegalArgumentException("need 1 <= timeoutMs <= intervalMs: " + timeoutMs + ", " + intervalMs);
        }
        if (rise < 1 || fall < 1)
        {
            throw new IllegalArgumentException("rise and fall must be at least 1: " + rise + ", " + fall);
        }
        if (type == HealthCheckType.HTTP && (path == null || !path.startsWith("/") || expectStatus < 100 ||
            expectStatus > 599))
        {
            throw new IllegalArgumentException("HTTP checks need a path starting with '/' and a status 100..599");
        }
    }

    /** A TCP connect check. */
    public static HealthCheckSettings tcp(final long intervalMs, final long timeoutMs, final int rise, final int fall)
    {
        return new HealthCheckSettings(HealthCheckType.TCP, "/", 200, intervalMs, timeoutMs, rise, fall, null);
    }
}
