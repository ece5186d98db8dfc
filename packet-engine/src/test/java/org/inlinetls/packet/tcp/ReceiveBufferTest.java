package org.inlinetls.packet.tcp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReceiveBufferTest
{
    @Test
    void shouldDeliverOverlappingDuplicatedReorderedPiecesExactlyOnceInOrder()
    {
        for (long seed = 0; seed < 300; seed++)
        {
            final SplittableRandom random = new SplittableRandom(seed);
            final int capacity = 1 + random.nextInt(5000);
            final int maxRanges = 1 + random.nextInt(8);
            final byte[] stream = TcpSimulation.payload(random, random.nextInt(40_000));
            final UnsafeBuffer source = new UnsafeBuffer(stream);
            final ReceiveBuffer buffer = new ReceiveBuffer(capacity, maxRanges);
            final byte[] out = new byte[stream.length];
            int read = 0;
            int steps = 0;
            while (read < stream.length && steps++ < 1_000_000)
            {
                final long next = buffer.nextOffset();
                final long from = Math.max(0, next - random.nextInt(200) + random.nextInt(capacity + 200));
                final int length = (int)Math.min(stream.length - from, 1 + random.nextInt(1500));
                if (length > 0)
                {
                    buffer.insert(from - next, source, (int)from, length);
                }
                assertTrue(buffer.windowBytes() >= 0 && buffer.windowBytes() <= capacity);
                if (random.nextInt(3) == 0)
                {
                    read += buffer.read(out, read, random.nextInt(capacity + 1));
                }
            }
            assertEquals(stream.length, read, "seed " + seed);
            assertArrayEquals(stream, out, "seed " + seed);
            assertEquals(0, buffer.read(out, 0, 1));
        }
    }

    @Test
    void shouldNotStoreTextBeyondTheWindowOrAlreadyDelivered()
    {
        final ReceiveBuffer buffer = new ReceiveBuffer(10, 2);
        final UnsafeBuffer source = new UnsafeBuffer(new byte[32]);
        assertFalse(buffer.insert(10, source, 0, 5), "beyond the window");
        assertTrue(buffer.insert(0, source, 0, 15));
        assertEquals(10, buffer.nextOffset(), "trimmed to the window");
        assertEquals(0, buffer.windowBytes());
        assertFalse(buffer.insert(-4, source, 0, 4), "old");
        final byte[] out = new byte[4];
        assertEquals(4, buffer.read(out, 0, 4));
        assertEquals(4, buffer.windowBytes());
        assertArrayEquals(new byte[4], Arrays.copyOf(out, 4));
    }
}
