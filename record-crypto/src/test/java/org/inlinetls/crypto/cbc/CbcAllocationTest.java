package org.inlinetls.crypto.cbc;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CbcAllocationTest
{
    private static final int NOISE_BYTES = 64;

    @Test
    void shouldAllocateNothingPerPieceOrRecordInSteadyState()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final Random random = new Random(42);
        for (final CbcMacAlgorithm algorithm : CbcMacAlgorithm.values())
        {
            final byte[] encKey = new byte[16];
            final byte[] macKey = new byte[algorithm.macLength()];
            random.nextBytes(encKey);
            random.nextBytes(macKey);
            final CbcRecordEncryptor encryptor = new CbcRecordEncryptor(algorithm);
            encryptor.init(encKey, macKey);
            final CbcHmacStream stream = new CbcHmacStream(algorithm);
            stream.init(encKey, macKey);
            final byte[] content = new byte[16384];
            random.nextBytes(content);
            final byte[] record = new byte[CbcRecordEncryptor.recordLength(algorithm, content.length)];
            final byte[] dst = new byte[record.length];
            final byte[] checkpoint = new byte[CbcCheckpoint.LENGTH];

            final long tid = Thread.currentThread().getId();
            // the first rounds may still run interpreted or C1 code, which allocates what C2 scalar-replaces
            long allocated = Long.MAX_VALUE;
            for (int round = 0; round < 5 && allocated > NOISE_BYTES; round++)
            {
                runRecords(encryptor, stream, content, record, dst, checkpoint, 300);
                final long before = threads.getThreadAllocatedBytes(tid);
                runRecords(encryptor, stream, content, record, dst, checkpoint, 200);
                allocated = threads.getThreadAllocatedBytes(tid) - before;
            }
            assertTrue(allocated <= NOISE_BYTES, algorithm + " allocated " + allocated + " bytes");
        }
    }

    private static void runRecords(final CbcRecordEncryptor encryptor, final CbcHmacStream stream,
        final byte[] content, final byte[] record, final byte[] dst, final byte[] checkpoint, final int records)
    {
        for (int r = 0; r < records; r++)
        {
            final int length = 1 + (r * 7919) % content.length;
            final int n = encryptor.encryptRecord(r, 23, 0x0303, content, 0, length, record, 0);
            assertEquals(CbcHmacStream.OK, stream.begin(r, 23, 0x0303, record, 5, n - 21));
            int position = 21;
            while (position < n)
            {
                final int take = Math.min(n - position, 1 + (position * 31) % 1448);
                stream.decrypt(record, position, take, dst, 0);
                position += take;
                if ((r & 7) == 0)
                {
                    stream.saveState(checkpoint, 0);
                    stream.restoreState(checkpoint, 0);
                    stream.matchesCheckpoint(checkpoint, 0);
                }
            }
            assertEquals(CbcHmacStream.OK, stream.finish(dst, 0));
        }
    }
}
