package org.inlinetls.seqdb;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;

import static org.inlinetls.seqdb.Direction.CLIENT_TO_SERVER;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Steady-state journal access allocates nothing: measured with the thread's allocated-bytes counter.
 */
class JournalAllocationTest
{
    private static final int FLOWS = 256;
    private static final int WARM_UP = 30_000;
    private static final int MEASURED = 100_000;
    /** The counter itself and the occasional JIT/safepoint artefact. */
    private static final long NOISE_BYTES = 64;
    private static final int WINDOWS = 5;

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private final FlowKey[] keys = new FlowKey[FLOWS];
    private final byte[] blob = new byte[JournalConfig.AEAD_CHECKPOINT_LENGTH];
    private final byte[] out = new byte[JournalConfig.AEAD_CHECKPOINT_LENGTH];
    private Path directory;
    private FlowJournal journal;
    private long sink;
    private int packet;
    private final FlowKey churnKey = new FlowKey();

    @BeforeEach
    void before() throws Exception
    {
        directory = JournalTestSupport.newShmDirectory("alloc");
        journal = FlowJournal.open(JournalTestSupport.config(directory));
        for (int i = 0; i < FLOWS; i++)
        {
            keys[i] = JournalTestSupport.ipv4Key(i);
            assertEquals(InsertResult.INSERTED, journal.insert(keys[i], 0));
        }
    }

    @AfterEach
    void after()
    {
        journal.close();
        JournalTestSupport.deleteRecursively(directory);
    }

    @Test
    void shouldNotAllocateOnThePerPacketPath()
    {
        perPacket(WARM_UP);
        final long[] windows = new long[WINDOWS];
        for (int w = 0; w < WINDOWS; w++)
        {
            windows[w] = allocatedBytes(() -> perPacket(MEASURED));
        }
        assertNoSteadyAllocation("per-packet acquire/update/append/drop/find/release", MEASURED, windows);
    }

    @Test
    void shouldNotAllocateToInsertRemoveOrExpire()
    {
        churn(WARM_UP);
        final long[] windows = new long[WINDOWS];
        for (int w = 0; w < WINDOWS; w++)
        {
            windows[w] = allocatedBytes(() -> churn(MEASURED / 10));
        }
        assertNoSteadyAllocation("insert/remove/expireIdle", MEASURED / 10, windows);
    }

    /**
     * A per-call allocation shows in every window (at least 16 bytes a call); what remains is one-off: the first run
     * of a rare branch resolving its constant-pool entries, and the like.
     */
    private static void assertNoSteadyAllocation(final String what, final int calls, final long[] windows)
    {
        long min = Long.MAX_VALUE;
        long total = 0;
        for (final long bytes : windows)
        {
            min = Math.min(min, bytes);
            total += bytes;
        }
        System.out.println(what + ": bytes allocated per window of " + calls + " calls: " +
            Arrays.toString(windows));
        assertTrue(min <= NOISE_BYTES, what + ": " + Arrays.toString(windows));
        assertTrue(total < (long)calls * WINDOWS / 20, what + ": " + Arrays.toString(windows));
    }

    private void perPacket(final int packets)
    {
        for (int i = 0; i < packets; i++)
        {
            final int p = packet++;
            final FlowKey key = keys[p & (FLOWS - 1)];
            try (FlowEntry entry = journal.acquire(key))
            {
                final int seq = p * 1000;
                entry.lastActivityNs(p);
                entry.recordSequence(CLIENT_TO_SERVER, entry.recordSequence(CLIENT_TO_SERVER) + 1);
                if (entry.ringFree(CLIENT_TO_SERVER) == 0)
                {
                    entry.dropCheckpointsUpTo(CLIENT_TO_SERVER, seq);
                }
                entry.appendCheckpoint(CLIENT_TO_SERVER, seq, seq, seq + 1000, blob);
                final int ordinal = entry.findCheckpointAtOrBefore(CLIENT_TO_SERVER, seq + 10);
                sink += entry.getCheckpointBlob(CLIENT_TO_SERVER, ordinal, out, 0) + entry.clientIsn();
            }
        }
    }

    private void churn(final int rounds)
    {
        final FlowKey key = churnKey;
        for (int r = 0; r < rounds; r++)
        {
            key.ipv4(0x0B000000 | r, 1000 + (r & 0xFFF), 0xC0A80001, 443);
            journal.insert(key, 0);
            if ((r & 1) == 0)
            {
                journal.remove(key);
            }
            journal.expireIdle(1000, 500, 2);
        }
    }

    private long allocatedBytes(final Runnable work)
    {
        final long threadId = Thread.currentThread().getId();
        final long before = threads.getThreadAllocatedBytes(threadId);
        work.run();
        return threads.getThreadAllocatedBytes(threadId) - before;
    }
}
