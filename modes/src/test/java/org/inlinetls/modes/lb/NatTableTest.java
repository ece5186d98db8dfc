package org.inlinetls.modes.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.inlinetls.seqdb.FlowKey;
import org.junit.jupiter.api.Test;

/**
 * The NAT mappings: found by the client leg and by the engine's flow, refused when a client port would meet one
 * backend twice or the table is full, slots reused after removal.
 */
class NatTableTest
{
    private static final long SEED = 0x1234_5678_9ABCL;
    private static final int CLIENT = 0xC0000201;
    private static final int VIP = 0xC6336414;
    private static final int OTHER_VIP = 0xC6336415;
    private static final int BACKEND = 0xC6336402;

    @Test
    void shouldFindAMappingByItsClientLegAndByItsEngineFlow()
    {
        final NatTable table = new NatTable(8, SEED);
        final int slot = table.add(CLIENT, 40_000, VIP, 443, 0, 1, BACKEND, 7, 100);
        assertTrue(slot >= 0);
        assertEquals(slot, table.findByClientLeg(CLIENT, 40_000, VIP, 443));
        assertEquals(NatTable.NONE, table.findByClientLeg(CLIENT, 40_001, VIP, 443));
        assertEquals(NatTable.NONE, table.findByClientLeg(CLIENT, 40_000, OTHER_VIP, 443));
        assertEquals(slot, table.findByEngineFlow(CLIENT, 40_000, BACKEND, 443));
        assertEquals(NatTable.NONE, table.findByEngineFlow(CLIENT, 40_000, BACKEND + 1, 443));
        final long engineId = FlowKey.ipv4Id(SEED, CLIENT, 40_000, BACKEND, 443);
        assertEquals(engineId, table.engineFlowId(slot), "the id the direct engine gives that flow");
        assertEquals(engineId, new FlowKey().ipv4(BACKEND, 443, CLIENT, 40_000).id(SEED), "either direction");
        assertEquals(slot, table.findByEngineFlowId(engineId));
        assertEquals(1, table.backendId(slot));
        assertEquals(7, table.stamp(slot));
        assertEquals(VIP, table.vip(slot));
        assertEquals(100, table.lastSeenNs(slot));
        table.touch(slot, 200);
        assertEquals(200, table.lastSeenNs(slot));
        assertEquals(1, table.size());
    }

    @Test
    void shouldRefuseAClientPortMeetingOneBackendTwice()
    {
        final NatTable table = new NatTable(8, SEED);
        assertTrue(table.add(CLIENT, 40_000, VIP, 443, 0, 0, BACKEND, 1, 0) >= 0);
        assertEquals(NatTable.CONFLICT, table.add(CLIENT, 40_000, VIP, 443, 0, 1, BACKEND + 1, 1, 0),
            "the same client leg");
        assertEquals(NatTable.CONFLICT, table.add(CLIENT, 40_000, OTHER_VIP, 443, 1, 0, BACKEND, 1, 0),
            "another virtual address, the same engine flow");
        assertTrue(table.add(CLIENT, 40_000, OTHER_VIP, 443, 1, 0, BACKEND + 1, 1, 0) >= 0);
        assertEquals(2, table.size());
    }

    @Test
    void shouldRefuseWhenFullAndReuseRemovedSlots()
    {
        final NatTable table = new NatTable(3, SEED);
        final int[] slots = new int[3];
        for (int i = 0; i < 3; i++)
        {
            slots[i] = table.add(CLIENT, 40_000 + i, VIP, 443, 0, 0, BACKEND, 1, 0);
            assertTrue(slots[i] >= 0);
        }
        assertEquals(NatTable.FULL, table.add(CLIENT, 50_000, VIP, 443, 0, 0, BACKEND, 1, 0));
        table.remove(slots[1]);
        table.remove(slots[1]); // twice: no effect
        assertFalse(table.isUsed(slots[1]));
        assertEquals(2, table.size());
        assertEquals(NatTable.NONE, table.findByClientLeg(CLIENT, 40_001, VIP, 443));
        assertEquals(NatTable.NONE, table.findByEngineFlow(CLIENT, 40_001, BACKEND, 443));
        assertEquals(slots[1], table.add(CLIENT, 50_000, VIP, 443, 0, 0, BACKEND, 1, 0));
        assertEquals(slots[0], table.findByClientLeg(CLIENT, 40_000, VIP, 443));
        assertEquals(slots[2], table.findByClientLeg(CLIENT, 40_002, VIP, 443));
        assertThrows(IllegalArgumentException.class, () -> new NatTable(0, SEED));
    }

    @Test
    void shouldNotAllocateOnceBuilt()
    {
        final NatTable table = new NatTable(1024, SEED);
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();
        long fewest = Long.MAX_VALUE;
        long checksum = 0;
        for (int w = 0; w < 4; w++)
        {
            final long before = threads.getThreadAllocatedBytes(threadId);
            for (int i = 0; i < 20_000; i++)
            {
                final int slot = table.add(CLIENT + (i & 511), 1024 + (i & 0x3FFF), VIP, 443, 0, 0, BACKEND, 1, i);
                checksum += table.findByClientLeg(CLIENT + (i & 511), 1024 + (i & 0x3FFF), VIP, 443);
                checksum += table.findByEngineFlow(CLIENT + (i & 511), 1024 + (i & 0x3FFF), BACKEND, 443);
                table.remove(slot);
            }
            fewest = Math.min(fewest, threads.getThreadAllocatedBytes(threadId) - before);
        }
        assertTrue(fewest <= 64, "allocated " + fewest + " bytes");
        assertTrue(checksum >= 0);
        assertEquals(0, table.size());
    }
}
