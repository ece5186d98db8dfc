package org.inlinetls.modes.direct;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Fixed payload buffers shared by the flows of one engine thread for segments held past a hole
 * ({@link HeldSegments}); allocated once, so holding never allocates.
 */
final class SegmentPool
{
    /** Largest payload held: a 1500-byte MTU segment with room to spare. */
    static final int SLOT_BYTES = 2048;

    private final ArrayDeque<UnsafeBuffer> free;
    private final int capacity;

    SegmentPool(final int slots)
    {
        capacity = slots;
        free = new ArrayDeque<>(slots);
        final ByteBuffer memory = ByteBuffer.allocateDirect(slots * SLOT_BYTES);
        for (int i = 0; i < slots; i++)
        {
            free.add(new UnsafeBuffer(memory, i * SLOT_BYTES, SLOT_BYTES));
        }
    }

    UnsafeBuffer take()
    {
        return free.poll();
    }

    void give(final UnsafeBuffer slot)
    {
        free.add(slot);
    }

    int inUse()
    {
        return capacity - free.size();
    }
}
