package org.inlinetls.modes.lb;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checker's timing on a hand-advanced clock with scripted probe outcomes.
 */
class HealthCheckAgentTest
{
    private static final long MS = 1_000_000L;
    private static final long INTERVAL_MS = 1_000;
    private static final long TIMEOUT_MS = 300;
    private static final int RISE = 2;
    private static final int FALL = 3;

    /** Answers each check at once with the backend's scripted state: up, refusing, or silent (never answers). */
    private static final class ScriptedProbes implements HealthProbes
    {
        final String[] reasonByBackend;
        final List<Integer> pending = new ArrayList<>();
        final List<String> log = new ArrayList<>();
        int abandoned;
        boolean closed;

        ScriptedProbes(final int backends)
        {
            reasonByBackend = new String[backends];
            java.util.Arrays.fill(reasonByBackend, "");
        }

        @Override
        public void begin(final int backendId)
        {
            log.add("begin " + backendId);
            if (reasonByBackend[backendId] != null)
            {
                pending.add(backendId);
            }
        }

        @Override
        public int poll(final Listener listener)
        {
            final int count = pending.size();
            for (final int id : pending)
            {
                listener.onProbeResult(id, reasonByBackend[id] == null ? "" : reasonByBackend[id]);
            }
            pending.clear();
            return count;
        }

        @Override
        public void abandon(final int backendId)
        {
            abandoned++;
        }

        @Override
        public void close()
        {
            closed = true;
        }
    }

    private final List<Backend> backends = BackendPoolTest.backends(1, 1);
    private final BackendHealth health = new BackendHealth(2);
    private final ScriptedProbes probes = new ScriptedProbes(2);
    private long nowNs = 1_000 * MS;
    private final HealthCheckAgent agent = new HealthCheckAgent("www", backends, health,
        HealthCheckSettings.tcp(INTERVAL_MS, TIMEOUT_MS, RISE, FALL), probes, () -> nowNs);

    /** Runs duty cycles every millisecond until {@code condition} or the deadline; returns the time it took. */
    private long runUntil(final java.util.function.BooleanSupplier condition, final long limitMs)
    {
        final long startNs = nowNs;
        for (long ms = 0; ms <= limitMs; ms++)
        {
            agent.doWork();
            agent.doWork(); // results reported by this cycle's checks are taken in the next
            if (condition.getAsBoolean())
            {
                return nowNs - startNs;
            }
            nowNs += MS;
        }
        throw new AssertionError("not within " + limitMs + " ms");
    }

    @Test
    void shouldTakeOutARefusingBackendWithinIntervalTimesFallAndBringItBackAfterRise()
    {
        runUntil(() -> agent.counter(HealthCounter.CHECKS_PASSED) >= 4, 10_000);
        assertTrue(health.isUp(0) && health.isUp(1));

        probes.reasonByBackend[1] = "ConnectException: Connection refused";
        final long downAfterNs = runUntil(() -> !health.isUp(1), 10_000);
        assertTrue(downAfterNs <= INTERVAL_MS * FALL * MS, "down after " + downAfterNs / MS + " ms");
        assertTrue(downAfterNs > INTERVAL_MS * (FALL - 1) * MS, "down after " + downAfterNs / MS + " ms");
        assertTrue(health.isUp(0));
        assertEquals(1, agent.counter(HealthCounter.BACKENDS_DOWN));

        probes.reasonByBackend[1] = "";
        final long upAfterNs = runUntil(() -> health.isUp(1), 10_000);
        assertTrue(upAfterNs <= INTERVAL_MS * RISE * MS, "up after " + upAfterNs / MS + " ms");
        assertTrue(upAfterNs > INTERVAL_MS * (RISE - 1) * MS, "up after " + upAfterNs / MS + " ms");
        assertEquals(1, agent.counter(HealthCounter.BACKENDS_UP));
    }

    @Test
    void shouldCountASilentBackendsTimeoutsAsFailures()
    {
        runUntil(() -> agent.counter(HealthCounter.CHECKS_PASSED) >= 2, 10_000);
        probes.reasonByBackend[0] = null;
        final long downAfterNs = runUntil(() -> !health.isUp(0), 10_000);
        assertTrue(downAfterNs <= (INTERVAL_MS * FALL + TIMEOUT_MS) * MS, "down after " + downAfterNs / MS + " ms");
        assertEquals(FALL, agent.counter(HealthCounter.CHECKS_TIMED_OUT));
        assertEquals(FALL, probes.abandoned);
        assertEquals(0, agent.counter(HealthCounter.CHECKS_FAILED));
    }

    @Test
    void shouldNeedFallFailuresInARowNotFallFailuresInAll()
    {
        final String[] script = {"refused", "refused", "", "refused", "refused", "", "refused", "refused", ""};
        for (final String reason : script)
        {
            probes.reasonByBackend[0] = reason;
            final long checks = agent.counter(HealthCounter.CHECKS_STARTED);
            runUntil(() -> agent.counter(HealthCounter.CHECKS_STARTED) >= checks + 2, 10_000);
            assertTrue(health.isUp(0));
        }
        assertEquals(0, agent.counter(HealthCounter.BACKENDS_DOWN));
    }

    @Test
    void shouldCheckEachBackendOnceAnIntervalWithOneCheckInFlight()
    {
        probes.reasonByBackend[0] = null;
        for (int i = 0; i < 10_000; i++)
        {
            agent.doWork();
            nowNs += MS;
        }
        // 10 s at 1 s intervals: 10 or 11 checks of each, whatever the outcome or the timeouts
        final long begins0 = probes.log.stream().filter("begin 0"::equals).count();
        final long begins1 = probes.log.stream().filter("begin 1"::equals).count();
        assertTrue(begins0 >= 10 && begins0 <= 11, probes.log.toString());
        assertTrue(begins1 >= 10 && begins1 <= 11, probes.log.toString());
        assertFalse(health.isUp(0));
        agent.onClose();
        assertTrue(probes.closed);
    }

    @Test
    void shouldIgnoreAResultThatArrivesAfterItsCheckTimedOut()
    {
        probes.reasonByBackend[1] = null;
        runUntil(() -> agent.counter(HealthCounter.CHECKS_TIMED_OUT) == 1, 10_000);
        final long passed = agent.counter(HealthCounter.CHECKS_PASSED);
        agent.onProbeResult(1, "");
        agent.onProbeResult(1, "late refusal");
        assertEquals(passed, agent.counter(HealthCounter.CHECKS_PASSED));
        assertEquals(0, agent.counter(HealthCounter.CHECKS_FAILED));
        assertEquals("health", agent.roleName());
    }
}
