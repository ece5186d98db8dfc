package org.inlinetls.modes.lb;

/**
 * The I/O of health checks, behind an interface so the {@link HealthCheckAgent}'s timing runs on a hand-advanced
 * clock in tests; {@link SocketHealthProbes} is the real one. All calls come from the agent's thread.
 */
public interface HealthProbes extends AutoCloseable
{
    /** Receives the outcome of each check. */
    interface Listener
    {
        /**
         * @param backendId the backend checked.
         * @param reason    empty when the check passed, otherwise why it failed.
         */
        void onProbeResult(int backendId, String reason);
    }

    /** Starts a check of backend {@code backendId}; its outcome comes through a later {@link #poll}. */
    void begin(int backendId);

    /**
     * Reports each check that finished since the last call.
     *
     * @return the number reported and other work done.
     */
    int poll(Listener listener);

    /** Gives up the check in flight (it timed out): its outcome is never reported. */
    void abandon(int backendId);

    @Override
    void close();
}
