package org.inlinetls.seqdb;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class FlowKeyTest
{
    private static final long SEED = 0x5EED_1234L;

    @Test
    void shouldGiveBothDirectionsOfAFlowTheSameId()
    {
        final Random random = new Random(SEED);
        final FlowKey key = new FlowKey();
        final FlowKey reversed = new FlowKey();
        for (int i = 0; i < 10_000; i++)
        {
            if ((i & 1) == 0)
            {
                key.ipv4(random.nextInt(), random.nextInt(65536), random.nextInt(), random.nextInt(65536));
            }
            else
            {
                key.ipv6(random.nextLong(), random.nextLong(), random.nextInt(65536),
                    random.nextLong(), random.nextLong(), random.nextInt(65536));
            }
            reversed.set(key).reverse();
            final long seed = random.nextLong();
            assertEquals(key.id(seed), reversed.id(seed), key::toString);
            assertNotEquals(FlowKey.RESERVED_ID, key.id(seed));
            assertTrue(key.sameFlow(reversed));
        }
    }

    @Test
    void shouldComputeTheSameIdFromPrimitiveFields()
    {
        final FlowKey key = new FlowKey().ipv4(0x0A000001, 51000, 0xC0A80001, 443);
        assertEquals(key.id(SEED), FlowKey.ipv4Id(SEED, 0x0A000001, 51000, 0xC0A80001, 443));
        assertEquals(key.id(SEED), FlowKey.ipv4Id(SEED, 0xC0A80001, 443, 0x0A000001, 51000));
    }

    @Test
    void shouldSeparateFlowsThatDifferInOneFieldOrInSeedOrFamily()
    {
        final Set<Long> ids = new HashSet<>();
        final FlowKey key = new FlowKey();
        for (int port = 1024; port < 1024 + 5000; port++)
        {
            assertTrue(ids.add(key.ipv4(0x0A000001, port, 0xC0A80001, 443).id(SEED)));
        }
        // swapping only the ports is another flow
        final FlowKey a = new FlowKey().ipv4(1, 1000, 2, 2000);
        final FlowKey b = new FlowKey().ipv4(1, 2000, 2, 1000);
        assertNotEquals(a.id(SEED), b.id(SEED));
        assertNotEquals(a.id(SEED), a.id(SEED + 1));
        final FlowKey mapped = new FlowKey().ipv6(0, FlowKey.ipv4MappedLow(1), 1000, 0, FlowKey.ipv4MappedLow(2), 2000);
        assertNotEquals(a.id(SEED), mapped.id(SEED));
        assertFalse(a.sameFlow(b));
    }

    @Test
    void shouldPrintAddresses()
    {
        assertEquals("10.0.0.1:51000 -> 192.168.0.1:443",
            new FlowKey().ipv4(0x0A000001, 51000, 0xC0A80001, 443).toString());
        assertEquals("[2001:db8:0:0:0:0:0:1]:443 -> [fe80:0:0:0:0:0:0:2]:80",
            new FlowKey().ipv6(0x20010DB8_00000000L, 1, 443, 0xFE800000_00000000L, 2, 80).toString());
    }
}
