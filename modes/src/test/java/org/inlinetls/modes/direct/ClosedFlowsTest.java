package org.inlinetls.modes.direct;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClosedFlowsTest
{
    private static final long KEEP_NS = 60_000_000_000L;

    private static void add(final ClosedFlows closed, final long id, final int base, final long nowNs)
    {
        closed.add(id, base, base + 1, base + 2, base + 3, base + 4, base + 5, base + 6, base + 7, (base & 1) == 0,
            nowNs);
    }

    @Test
    void shouldKeepEachLegsNumbersUntilTheyExpire()
    {
        final ClosedFlows closed = new ClosedFlows(4, KEEP_NS);
        add(closed, 11, 100, 0);
        final int slot = closed.find(11, KEEP_NS - 1);
        assertTrue(slot >= 0);
        assertEquals(100, closed.seqToServer(slot));
        assertEquals(101, closed.ackToServer(slot));
        assertEquals(102, closed.windowToServer(slot));
        assertEquals(103, closed.tsvalToServer(slot));
        assertEquals(104, closed.seqToClient(slot));
        assertEquals(105, closed.ackToClient(slot));
        assertEquals(106, closed.windowToClient(slot));
        assertEquals(107, closed.tsvalToClient(slot));
        assertTrue(closed.timestamps(slot));
        assertEquals(-1, closed.find(12, 0), "another flow");
        assertEquals(-1, closed.find(11, KEEP_NS), "expired");
        assertEquals(0, closed.size(), "an expired record found is dropped");
    }

    @Test
    void shouldDropTheOldestWhenFull()
    {
        final ClosedFlows closed = new ClosedFlows(3, KEEP_NS);
        for (int i = 1; i <= 5; i++)
        {
            add(closed, i, i * 10, i);
        }
        assertEquals(3, closed.size());
        assertEquals(-1, closed.find(1, 10));
        assertEquals(-1, closed.find(2, 10));
        for (int i = 3; i <= 5; i++)
        {
            assertEquals(i * 10, closed.seqToServer(closed.find(i, 10)));
        }
    }

    @Test
    void shouldForgetARecordRemovedAndSkipItsSlot()
    {
        final ClosedFlows closed = new ClosedFlows(3, KEEP_NS);
        add(closed, 1, 10, 0);
        add(closed, 2, 20, 1);
        closed.remove(1);
        assertEquals(-1, closed.find(1, 2));
        add(closed, 3, 30, 2);
        add(closed, 4, 40, 3); // the ring was full with a freed slot: that one goes, not flow 2's
        assertEquals(20, closed.seqToServer(closed.find(2, 4)));
        assertEquals(40, closed.seqToServer(closed.find(4, 4)));
        add(closed, 2, 50, 5); // the same flow again: one record, the newest numbers
        assertEquals(50, closed.seqToServer(closed.find(2, 6)));
    }

    @Test
    void shouldExpireInClosingOrder()
    {
        final ClosedFlows closed = new ClosedFlows(8, KEEP_NS);
        add(closed, 1, 10, 0);
        add(closed, 2, 20, 1_000);
        add(closed, 3, 30, 2_000);
        closed.expire(KEEP_NS + 1_000);
        assertEquals(1, closed.size());
        assertFalse(closed.find(3, KEEP_NS + 1_000) < 0);
        closed.expire(KEEP_NS + 2_000);
        assertEquals(0, closed.size());
        add(closed, 4, 40, KEEP_NS + 3_000);
        assertEquals(40, closed.seqToServer(closed.find(4, KEEP_NS + 3_000)));
    }

    @Test
    void shouldRefuseNoCapacity()
    {
        assertThrows(IllegalArgumentException.class, () -> new ClosedFlows(0, KEEP_NS));
    }
}
