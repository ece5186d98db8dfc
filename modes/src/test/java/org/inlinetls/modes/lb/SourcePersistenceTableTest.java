package org.inlinetls.modes.lb;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SourcePersistenceTableTest
{
    private static final long SEC = 1_000_000_000L;

    @Test
    void shouldRememberAClientsBackendUntilItHasBeenIdleTooLong()
    {
        final SourcePersistenceTable table = new SourcePersistenceTable(1024, 300 * SEC);
        final long client = BackendPool.clientKey(0xC000_0201);
        assertEquals(BackendPool.NONE, table.lookup(client, 0));
        table.remember(client, 3, 10 * SEC);
        assertEquals(3, table.lookup(client, 309 * SEC));
        assertEquals(BackendPool.NONE, table.lookup(BackendPool.clientKey(0xC000_0202), 11 * SEC));
        table.remember(client, 3, 300 * SEC);
        assertEquals(3, table.lookup(client, 599 * SEC), "a new flow refreshes the entry");
        assertEquals(BackendPool.NONE, table.lookup(client, 600 * SEC), "idle for idleTimeout: forgotten");
        assertEquals(1, table.size());
    }

    @Test
    void shouldStayBoundedAndReplaceTheLongestIdleClientsWhenFull()
    {
        final SourcePersistenceTable table = new SourcePersistenceTable(64, 1_000 * SEC);
        assertEquals(64, table.capacity());
        for (int c = 0; c < 10_000; c++)
        {
            table.remember(BackendPool.clientKey(c), c % 5, c);
        }
        assertTrue(table.size() <= table.capacity());
        int recentRemembered = 0;
        for (int c = 10_000 - 16; c < 10_000; c++)
        {
            if (table.lookup(BackendPool.clientKey(c), 10_000) == c % 5)
            {
                recentRemembered++;
            }
        }
        // each new client replaced the longest idle entry of its window, so the newest ones are all still there
        assertEquals(16, recentRemembered);
        assertEquals(BackendPool.NONE, table.lookup(BackendPool.clientKey(0), 10_000));
    }

    @Test
    void shouldMoveAClientWhoseBackendIsDownAndKeepItThereWhenTheOldOneReturns()
    {
        final BackendPool pool = BackendPoolTest.pool(BalancingAlgorithm.ROUND_ROBIN, 1, 1, 1);
        final SourcePersistenceTable table = new SourcePersistenceTable(128, 300 * SEC);
        final long client = BackendPool.clientKey(0xC633_6407);
        final int first = place(pool, table, client, 0);
        for (int i = 1; i <= 50; i++)
        {
            assertEquals(first, place(pool, table, client, i * SEC), "flow " + i);
        }
        pool.health().publish(first, false);
        final int second = place(pool, table, client, 60 * SEC);
        assertTrue(second != first && second != BackendPool.NONE);
        pool.health().publish(first, true);
        assertEquals(second, place(pool, table, client, 61 * SEC));
    }

    @Test
    void shouldForgetTheClientsOfARemovedBackend()
    {
        final SourcePersistenceTable table = new SourcePersistenceTable(128, 300 * SEC);
        table.remember(1, 0, 0);
        table.remember(2, 1, 0);
        table.forgetBackend(1);
        assertEquals(0, table.lookup(1, 1));
        assertEquals(BackendPool.NONE, table.lookup(2, 1));
        assertEquals(1, table.size());
    }

    private static int place(final BackendPool pool, final SourcePersistenceTable table, final long client,
        final long nowNs)
    {
        final int id = pool.pickPreferring(table.lookup(client, nowNs), client);
        table.remember(client, id, nowNs);
        return id;
    }
}
