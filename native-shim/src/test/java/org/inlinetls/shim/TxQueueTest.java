package org.inlinetls.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;

import jnr.ffi.Pointer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The transmit queue's bookkeeping against a scripted {@code sendmmsg}: partial batches, EAGAIN/ENOBUFS, hard
 * errors and wrap-around; every frame accepted goes out exactly once and in order, or is counted as dropped.
 */
class TxQueueTest
{
    private static final long SEED = Long.getLong("txqueue.seed", System.nanoTime());

    /** Reads each message it is given from native memory, as the kernel would, and answers from a script. */
    private static final class ScriptedSender implements TxQueue.BatchSender
    {
        final Deque<Integer> script = new ArrayDeque<>();
        final List<Integer> wire = new ArrayList<>();
        final List<Integer> batchSizes = new ArrayList<>();
        Random random;

        @Override
        public int sendBatch(final long msgvecAddress, final int count)
        {
            batchSizes.add(count);
            final int answer = random != null ? randomAnswer(count) : script.isEmpty() ? count : script.poll();
            final int taken = answer < 0 ? 0 : Math.min(answer, count);
            for (int i = 0; i < taken; i++)
            {
                wire.add(frameId(msgvecAddress + (long)i * StructLayout.MMSGHDR_SIZE));
            }
            return answer;
        }

        private int randomAnswer(final int count)
        {
            final int r = random.nextInt(10);
            if (r < 3)
            {
                return -LinuxConstants.EAGAIN;
            }
            if (r < 4)
            {
                return -LinuxConstants.ENOBUFS;
            }
            if (r < 7)
            {
                return 1 + random.nextInt(count);
            }
            return count;
        }

        /** The frame's first 4 bytes, reached through mmsghdr.msg_hdr.msg_iov->iov_base as the kernel does. */
        private int frameId(final long mmsghdr)
        {
            final Pointer any = Pointer.wrap(LibC.runtime(), 0);
            final long iov = any.getLong(mmsghdr + StructLayout.MMSGHDR_HDR_OFFSET + StructLayout.MSGHDR_IOV_OFFSET);
            assertEquals(1L, any.getLong(mmsghdr + StructLayout.MSGHDR_IOVLEN_OFFSET));
            assertEquals(0L, any.getLong(mmsghdr + StructLayout.MSGHDR_NAME_OFFSET), "no address: bound socket");
            final long base = any.getLong(iov + StructLayout.IOVEC_BASE_OFFSET);
            final long length = any.getLong(iov + StructLayout.IOVEC_LEN_OFFSET);
            final int id = any.getInt(base);
            assertEquals(64 + id % 100, length, "iov_len of frame " + id);
            return id;
        }
    }

    private final ScriptedSender sender = new ScriptedSender();
    private TxQueue queue;

    @BeforeEach
    void needsLibC()
    {
        assumeTrue(NativeShim.isAvailable(), "needs Linux and JNR");
    }

    private TxQueue queue(final int slots) throws IOException
    {
        queue = TxQueue.allocate(slots, 2048, sender, "test");
        return queue;
    }

    private boolean offer(final int id)
    {
        final int slot = queue.claim();
        if (slot < 0)
        {
            return false;
        }
        final Pointer p = Pointer.wrap(LibC.runtime(), queue.slotsAddress() + (long)slot * queue.slotBytes());
        p.putInt(0, id);
        queue.commit(64 + id % 100);
        return true;
    }

    @Test
    void shouldSendAQueueFlushedEveryCycleInOneCall() throws IOException
    {
        try (TxQueue q = queue(8))
        {
            for (int cycle = 0; cycle < 5; cycle++)
            {
                for (int i = 0; i < 5; i++)
                {
                    assertTrue(offer(cycle * 5 + i));
                }
                assertEquals(3, q.room());
                assertEquals(5, q.flush());
            }
            assertEquals(List.of(5, 5, 5, 5, 5), sender.batchSizes);
            assertEquals(ids(0, 25), sender.wire);
            assertEquals(25, q.framesSent());
            assertEquals(0, q.flush(), "nothing queued, no system call");
            assertEquals(5, q.sendCalls());
        }
    }

    @Test
    void shouldKeepFramesTheKernelDidNotTakeInOrder() throws IOException
    {
        try (TxQueue q = queue(8))
        {
            for (int i = 0; i < 8; i++)
            {
                assertTrue(offer(i));
            }
            assertFalse(offer(8), "full");
            sender.script.add(3);                          // partial: 0..2 sent, stop
            assertEquals(3, q.flush());
            assertEquals(5, q.size());
            sender.script.add(-LinuxConstants.EAGAIN);     // device queue full: nothing sent, nothing lost
            assertEquals(0, q.flush());
            assertEquals(LinuxConstants.EAGAIN, q.lastStallErrno());
            assertTrue(offer(8));
            assertTrue(offer(9));
            assertTrue(offer(10));
            assertFalse(offer(11));
            sender.script.add(-LinuxConstants.ENOBUFS);
            assertEquals(0, q.flush());
            assertEquals(8, q.size());
            assertEquals(8, q.flush(), "5 up to the end of the arena, then 3 wrapped to its start");
            assertEquals(ids(0, 11), sender.wire);
            assertEquals(List.of(8, 5, 5, 5, 3), sender.batchSizes);
            assertEquals(0, q.framesDropped());
            assertEquals(0, q.lastErrno());
        }
    }

    @Test
    void shouldDropOnlyTheFrameAHardErrorRejects() throws IOException
    {
        try (TxQueue q = queue(4))
        {
            for (int i = 0; i < 4; i++)
            {
                assertTrue(offer(i));
            }
            sender.script.add(1);
            sender.script.add(-LinuxConstants.EMSGSIZE);   // frame 1 is refused for good
            assertEquals(1, q.flush(), "a partial batch ends the flush");
            assertEquals(3, q.flush());
            assertEquals(List.of(0, 2, 3), sender.wire);
            assertEquals(1, q.framesDropped());
            assertEquals(LinuxConstants.EMSGSIZE, q.lastErrno());
            assertEquals(4, q.room());
        }
    }

    @Test
    void shouldDeliverEveryAcceptedFrameOnceInOrderUnderRandomCongestion() throws IOException
    {
        final Random random = new Random(SEED);
        sender.random = new Random(SEED + 1);
        try (TxQueue q = queue(32))
        {
            int next = 0;
            for (int cycle = 0; cycle < 5_000; cycle++)
            {
                final int burst = random.nextInt(40);
                for (int i = 0; i < burst && offer(next); i++)
                {
                    next++;
                }
                q.flush();
            }
            sender.random = null;
            q.flush();
            assertEquals(0, q.size(), "seed " + SEED);
            assertEquals(ids(0, next), sender.wire, "seed " + SEED);
            assertEquals(next, q.framesSent());
            assertTrue(q.stalls() > 0);
        }
    }

    @Test
    void shouldUnmapTheArenaOnClose() throws IOException
    {
        final TxQueue q = queue(16);
        final long start = q.slotsAddress();
        assertTrue(mapped(start));
        q.close();
        q.close();
        assertFalse(q.isOpen());
        assertFalse(mapped(start), "arena at " + Long.toHexString(start) + " still mapped");
        assertThrows(IllegalStateException.class, q::flush);
        assertThrows(IllegalArgumentException.class, () -> TxQueue.allocate(TxQueue.MAX_SLOTS + 1, 2048, sender, "x"));
        assertThrows(IllegalArgumentException.class, () -> TxQueue.allocate(8, 100, sender, "x"));
    }

    /** A range test: the anonymous arena may merge with a neighbouring mapping of the same flags. */
    private static boolean mapped(final long address) throws IOException
    {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(line ->
        {
            final int dash = line.indexOf('-');
            final long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
            final long end = Long.parseUnsignedLong(line.substring(dash + 1, line.indexOf(' ')), 16);
            return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
        });
    }

    private static List<Integer> ids(final int from, final int to)
    {
        final List<Integer> ids = new ArrayList<>();
        for (int i = from; i < to; i++)
        {
            ids.add(i);
        }
        return ids;
    }
}
