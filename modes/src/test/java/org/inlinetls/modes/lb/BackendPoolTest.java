package org.inlinetls.modes.lb;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendPoolTest
{
    private static final int PICKS = 200;

    static List<Backend> backends(final int... weights)
    {
        final List<Backend> backends = new ArrayList<>();
        for (int i = 0; i < weights.length; i++)
        {
            final InetSocketAddress address = new InetSocketAddress("10.0.0." + (i + 2), 80);
            backends.add(new Backend(address, weights[i], "web" + i));
        }
        return backends;
    }

    static BackendPool pool(final BalancingAlgorithm algorithm, final int... weights)
    {
        return new BackendPool(backends(weights), algorithm, new BackendHealth(weights.length));
    }

    /** Picks with flows that close at once, so least connections sees an idle pool every time. */
    private static int[] distribution(final BackendPool pool, final int picks)
    {
        final int[] counts = new int[pool.backendCount()];
        for (int i = 0; i < picks; i++)
        {
            final int id = pool.pick(BackendPool.clientKey(0x0A00_0000 + i));
            counts[id]++;
            pool.onFlowOpened(id);
            pool.onFlowClosed(id);
        }
        return counts;
    }

    private static void assertWithin(final double expected, final int actual, final double tolerance,
        final int[] counts)
    {
        assertTrue(Math.abs(actual - expected) <= tolerance, "expected " + expected + " +- " + tolerance + ", was " +
            actual + " in " + java.util.Arrays.toString(counts));
    }

    @Test
    void shouldSpreadRoundRobinEvenlyOver200Picks()
    {
        assertArrayEquals(new int[] {67, 67, 66}, distribution(pool(BalancingAlgorithm.ROUND_ROBIN, 1, 1, 1), PICKS));
    }

    @Test
    void shouldIgnoreWeightsInRoundRobinAndSkipDownBackends()
    {
        final BackendPool pool = pool(BalancingAlgorithm.ROUND_ROBIN, 5, 1, 1, 1);
        pool.health().publish(1, false);
        assertArrayEquals(new int[] {67, 0, 67, 66}, distribution(pool, PICKS));
    }

    @Test
    void shouldGiveEachBackendItsWeightWithinFivePercentOver200Picks()
    {
        final int[] counts = distribution(pool(BalancingAlgorithm.WEIGHTED, 5, 3, 2), PICKS);
        assertWithin(100, counts[0], 0.05 * PICKS, counts);
        assertWithin(60, counts[1], 0.05 * PICKS, counts);
        assertWithin(40, counts[2], 0.05 * PICKS, counts);
    }

    @Test
    void shouldInterleaveWeightedPicksSmoothlyAsNginxDoes()
    {
        final BackendPool pool = pool(BalancingAlgorithm.WEIGHTED, 5, 1, 1);
        final StringBuilder sequence = new StringBuilder();
        for (int i = 0; i < 14; i++)
        {
            sequence.append((char)('a' + pool.pick(0)));
        }
        // nginx's own example for weights 5, 1, 1
        assertEquals("aabacaa" + "aabacaa", sequence.toString());
    }

    @Test
    void shouldShareADownBackendsWeightAmongTheOthers()
    {
        final BackendPool pool = pool(BalancingAlgorithm.WEIGHTED, 2, 6, 2);
        pool.health().publish(1, false);
        final int[] counts = distribution(pool, PICKS);
        assertArrayEquals(new int[] {100, 0, 100}, counts);
    }

    @Test
    void shouldBreakLeastConnectionTiesRoundRobin()
    {
        assertArrayEquals(new int[] {50, 50, 50, 50},
            distribution(pool(BalancingAlgorithm.LEAST_CONNECTIONS, 1, 1, 1, 1), PICKS));
    }

    @Test
    void shouldSendNewFlowsToTheBackendWhoseFlowsCloseWhenClosesAreSkewed()
    {
        final BackendPool pool = pool(BalancingAlgorithm.LEAST_CONNECTIONS, 1, 1, 1);
        final int[] counts = new int[3];
        for (int i = 0; i < PICKS; i++)
        {
            final int id = pool.pick(i);
            counts[id]++;
            pool.onFlowOpened(id);
            // backend 0 serves short requests: its flows close at once; 1 and 2 hold theirs
            if (id == 0)
            {
                pool.onFlowClosed(id);
            }
        }
        assertTrue(counts[0] >= 0.9 * PICKS, java.util.Arrays.toString(counts));
        assertTrue(counts[1] >= 1 && counts[2] >= 1, java.util.Arrays.toString(counts));
        assertEquals(0, pool.openFlows(0));
        assertEquals(counts[1], pool.openFlows(1));

        // now every flow is held: 0 and 2 (none open) fill up to backend 1's one flow first, then all level out
        for (int i = 0; i < counts[2]; i++)
        {
            pool.onFlowClosed(2);
        }
        final int first = pool.pick(0);
        pool.onFlowOpened(first);
        final int second = pool.pick(0);
        pool.onFlowOpened(second);
        assertEquals(0b101, (1 << first) | (1 << second), "first " + first + ", second " + second);
        for (int i = 0; i < 27; i++)
        {
            pool.onFlowOpened(pool.pick(i));
        }
        assertArrayEquals(new int[] {10, 10, 10},
            new int[] {pool.openFlows(0), pool.openFlows(1), pool.openFlows(2)});
    }

    @Test
    void shouldBalanceOpenFlowsByWeightWithLeastConnections()
    {
        final BackendPool pool = pool(BalancingAlgorithm.LEAST_CONNECTIONS, 3, 1);
        final int[] counts = new int[2];
        for (int i = 0; i < PICKS; i++)
        {
            final int id = pool.pick(i);
            counts[id]++;
            pool.onFlowOpened(id);
        }
        assertWithin(150, counts[0], 0.05 * PICKS, counts);
        assertEquals(counts[0], pool.openFlows(0));
        // closing backend 1's flows makes it the least loaded relative to its weight
        for (int i = 0; i < counts[1]; i++)
        {
            pool.onFlowClosed(1);
        }
        assertEquals(1, pool.pick(0));
    }

    @Test
    void shouldSpreadClientsBySourceHashWithinTolerance()
    {
        final BackendPool pool = pool(BalancingAlgorithm.SOURCE_HASH, 1, 1, 1, 1);
        final int[] counts = distribution(pool, PICKS);
        // 200 clients over 4: binomial sd ~6.1; the hash is deterministic, so this never flakes
        for (final int count : counts)
        {
            assertWithin(50, count, 20, counts);
        }
        final int[] many = distribution(pool, 20_000);
        for (final int count : many)
        {
            assertWithin(5_000, count, 0.05 * 5_000, many);
        }
    }

    @Test
    void shouldWeightSourceHashWithinFivePercent()
    {
        final int[] counts = distribution(pool(BalancingAlgorithm.SOURCE_HASH, 3, 1), 10_000);
        assertWithin(7_500, counts[0], 0.05 * 10_000, counts);
    }

    @Test
    void shouldKeepAClientOnItsBackendAndMoveOnlyTheClientsOfABackendThatGoesDown()
    {
        final BackendPool pool = pool(BalancingAlgorithm.SOURCE_HASH, 1, 2, 1, 1, 1);
        final int clients = 5_000;
        final int[] before = new int[clients];
        for (int c = 0; c < clients; c++)
        {
            before[c] = pool.pick(BackendPool.clientKey(0xC000_0200 + c));
            assertEquals(before[c], pool.pick(BackendPool.clientKey(0xC000_0200 + c)), "same client, same backend");
        }
        pool.health().publish(1, false);
        int moved = 0;
        final int[] movedTo = new int[pool.backendCount()];
        for (int c = 0; c < clients; c++)
        {
            final int now = pool.pick(BackendPool.clientKey(0xC000_0200 + c));
            if (before[c] == 1)
            {
                assertNotEquals(1, now);
                movedTo[now]++;
                moved++;
            }
            else
            {
                assertEquals(before[c], now, "client " + c + " of an up backend moved");
            }
        }
        assertTrue(moved > 0.25 * clients && moved < 0.42 * clients, "moved " + moved);
        // the moved clients spread over the rest instead of piling onto one neighbour
        for (int id = 0; id < movedTo.length; id++)
        {
            assertTrue(id == 1 || movedTo[id] > moved / 8, java.util.Arrays.toString(movedTo));
        }
        pool.health().publish(1, true);
        for (int c = 0; c < clients; c++)
        {
            assertEquals(before[c], pool.pick(BackendPool.clientKey(0xC000_0200 + c)), "back where it was");
        }
    }

    @Test
    void shouldNotDependOnTheOrderOfBackendsForSourceHash()
    {
        final List<Backend> forward = backends(1, 1, 1);
        final List<Backend> reversed = new ArrayList<>(forward);
        java.util.Collections.reverse(reversed);
        final BackendPool a = new BackendPool(forward, BalancingAlgorithm.SOURCE_HASH, new BackendHealth(3));
        final BackendPool b = new BackendPool(reversed, BalancingAlgorithm.SOURCE_HASH, new BackendHealth(3));
        for (int c = 0; c < 500; c++)
        {
            assertEquals(a.backend(a.pick(c)), b.backend(b.pick(c)));
        }
    }

    @Test
    void shouldHashIpv6ClientsByAllTheirBytes()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[32]);
        buffer.putByte(15, (byte)1);
        buffer.putByte(31, (byte)2);
        assertNotEquals(BackendPool.clientKey(buffer, 0), BackendPool.clientKey(buffer, 16));
        buffer.putByte(16 + 15, (byte)1);
        buffer.putByte(16 + 3, (byte)9);
        assertNotEquals(BackendPool.clientKey(buffer, 0), BackendPool.clientKey(buffer, 16));
    }

    @ParameterizedTest
    @EnumSource(BalancingAlgorithm.class)
    void shouldReturnNoneWhenNoBackendIsUp(final BalancingAlgorithm algorithm)
    {
        final BackendPool pool = pool(algorithm, 1, 2);
        pool.health().publish(0, false);
        pool.health().publish(1, false);
        assertEquals(BackendPool.NONE, pool.pick(7));
        assertEquals(BackendPool.NONE, pool.pickPreferring(1, 7));
        pool.health().publish(1, true);
        assertEquals(1, pool.pick(7));
    }

    @ParameterizedTest
    @EnumSource(BalancingAlgorithm.class)
    void shouldPreferTheRememberedBackendOnlyWhileItIsUp(final BalancingAlgorithm algorithm)
    {
        final BackendPool pool = pool(algorithm, 1, 1, 1);
        for (int i = 0; i < 10; i++)
        {
            assertEquals(2, pool.pickPreferring(2, i));
        }
        pool.health().publish(2, false);
        for (int i = 0; i < 10; i++)
        {
            assertNotEquals(2, pool.pickPreferring(2, i));
        }
        assertNotEquals(BackendPool.NONE, pool.pickPreferring(BackendPool.NONE, 1));
    }

    @ParameterizedTest
    @EnumSource(BalancingAlgorithm.class)
    void shouldNotAllocateWhilePicking(final BalancingAlgorithm algorithm)
    {
        final BackendPool pool = pool(algorithm, 3, 1, 2, 1);
        pool.health().publish(2, false);
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();
        long checksum = run(pool, 50_000);
        long fewestAllocatedBytes = Long.MAX_VALUE;
        for (int w = 0; w < 3; w++)
        {
            final long before = threads.getThreadAllocatedBytes(threadId);
            checksum += run(pool, 50_000);
            fewestAllocatedBytes = Math.min(fewestAllocatedBytes, threads.getThreadAllocatedBytes(threadId) - before);
        }
        assertTrue(fewestAllocatedBytes <= 64, "allocated " + fewestAllocatedBytes + " bytes");
        assertTrue(checksum > 0);
    }

    private static long run(final BackendPool pool, final int picks)
    {
        long checksum = 0;
        for (int i = 0; i < picks; i++)
        {
            final int id = pool.pick(BackendPool.clientKey(i * 7919));
            pool.onFlowOpened(id);
            pool.onFlowClosed(id);
            checksum += id;
        }
        return checksum;
    }
}
