package org.inlinetls.packet.counter;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The histogram's bucket arithmetic (power-of-two upper bounds, inclusive), its counters in the counters file (labels,
 * keys, values a reader sees) and that recording allocates nothing.
 */
class LatencyHistogramTest
{
    private static CountersManager newManager()
    {
        return new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 512)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 128)));
    }

    @Test
    void shouldPutEachTimeInTheFirstBucketWhoseInclusiveUpperBoundHoldsIt()
    {
        assertEquals(19, LatencyHistogram.BUCKETS);   // 18 finite bounds, 2^7 .. 2^24 ns, and +Inf
        assertEquals(128, LatencyHistogram.upperBoundNs(0));
        assertEquals(256, LatencyHistogram.upperBoundNs(1));
        assertEquals(1L << 24, LatencyHistogram.upperBoundNs(LatencyHistogram.BUCKETS - 2));
        assertEquals(Long.MAX_VALUE, LatencyHistogram.upperBoundNs(LatencyHistogram.BUCKETS - 1));

        assertEquals(0, LatencyHistogram.bucketIndex(Long.MIN_VALUE));
        assertEquals(0, LatencyHistogram.bucketIndex(-5));
        assertEquals(0, LatencyHistogram.bucketIndex(0));
        assertEquals(0, LatencyHistogram.bucketIndex(1));
        assertEquals(0, LatencyHistogram.bucketIndex(128));
        assertEquals(1, LatencyHistogram.bucketIndex(129));
        assertEquals(1, LatencyHistogram.bucketIndex(256));
        assertEquals(2, LatencyHistogram.bucketIndex(257));
        assertEquals(3, LatencyHistogram.bucketIndex(1000));
        assertEquals(LatencyHistogram.BUCKETS - 2, LatencyHistogram.bucketIndex(1L << 24));
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.bucketIndex((1L << 24) + 1));
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.bucketIndex(Long.MAX_VALUE));

        // every bucket: its bound falls in it, one more falls in the next
        for (int i = 0; i < LatencyHistogram.BUCKETS - 1; i++)
        {
            final long bound = LatencyHistogram.upperBoundNs(i);
            assertEquals(i, LatencyHistogram.bucketIndex(bound), "bound " + bound);
            assertEquals(i + 1, LatencyHistogram.bucketIndex(bound + 1), "bound " + bound + " + 1");
            if (i > 0)
            {
                assertEquals(i, LatencyHistogram.bucketIndex(LatencyHistogram.upperBoundNs(i - 1) + 1));
            }
        }
    }

    @Test
    void shouldFindTheBucketBoundOfAQuantile()
    {
        final long[] counts = new long[LatencyHistogram.BUCKETS];
        assertEquals(-1, LatencyHistogram.quantileUpperBoundNs(counts, 0.5));
        counts[0] = 50;     // <= 128 ns
        counts[3] = 49;     // <= 1024 ns
        counts[LatencyHistogram.BUCKETS - 1] = 1;
        assertEquals(128, LatencyHistogram.quantileUpperBoundNs(counts, 0.5));
        assertEquals(1024, LatencyHistogram.quantileUpperBoundNs(counts, 0.51));
        assertEquals(1024, LatencyHistogram.quantileUpperBoundNs(counts, 0.99));
        assertEquals(Long.MAX_VALUE, LatencyHistogram.quantileUpperBoundNs(counts, 0.999));
        assertEquals(128, LatencyHistogram.quantileUpperBoundNs(counts, 0));
    }

    @Test
    void shouldKeepBucketsAndSumInLabelledCountersOfTheCountersFile()
    {
        final CountersManager manager = newManager();
        final LatencyHistogram histogram = new LatencyHistogram(manager, "worker-1");
        histogram.record(100);
        histogram.record(128);
        histogram.record(129);
        histogram.record(5_000_000_000L);
        histogram.record(0);
        histogram.record(-7);   // a clock that went back: counted in the first bucket, not in the sum

        assertEquals(6, histogram.count());
        assertEquals(4, histogram.bucketCount(0));
        assertEquals(1, histogram.bucketCount(1));
        assertEquals(1, histogram.bucketCount(LatencyHistogram.BUCKETS - 1));
        assertEquals(100 + 128 + 129 + 5_000_000_000L, histogram.sumNs());

        final List<String> labels = new ArrayList<>();
        final List<Long> keys = new ArrayList<>();
        final List<Long> values = new ArrayList<>();
        manager.forEach((id, typeId, key, label) ->
        {
            labels.add(label);
            keys.add(typeId == LatencyHistogram.BUCKET_TYPE_ID ? key.getLong(0) : -1L);
            values.add(manager.getCounterValue(id));
            assertTrue(typeId == LatencyHistogram.BUCKET_TYPE_ID || typeId == LatencyHistogram.SUM_TYPE_ID, label);
        });
        assertEquals(LatencyHistogram.COUNTERS, labels.size());
        assertEquals("latency worker-1 frame_le_128ns", labels.get(0));
        assertEquals(128L, keys.get(0));
        assertEquals(4L, values.get(0));
        assertEquals("latency worker-1 frame_le_16777216ns", labels.get(LatencyHistogram.BUCKETS - 2));
        assertEquals("latency worker-1 frame_le_inf", labels.get(LatencyHistogram.BUCKETS - 1));
        assertEquals(Long.MAX_VALUE, keys.get(LatencyHistogram.BUCKETS - 1));
        assertEquals("latency worker-1 frame_sum_ns", labels.get(LatencyHistogram.BUCKETS));
        assertEquals(histogram.sumNs(), values.get(LatencyHistogram.BUCKETS));

        assertThrows(IllegalArgumentException.class, () -> new LatencyHistogram(newManager(), "two words"));
    }

    @Test
    void shouldRecordWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "allocation counting not supported by this JVM");
        final LatencyHistogram histogram = new LatencyHistogram(newManager(), "bridge");
        final int records = 100_000;
        recordSpread(histogram, records);   // warm up (JIT)
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            recordSpread(histogram, records);
            fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
        }
        // one allocation per record would be at least 16 B x 100,000
        assertTrue(fewest < 256, fewest + " bytes allocated for " + records + " records");
        assertEquals(4L * records, histogram.count());
    }

    private static void recordSpread(final LatencyHistogram histogram, final int records)
    {
        long value = 1;
        for (int i = 0; i < records; i++)
        {
            value = value * 6364136223846793005L + 1442695040888963407L;   // spread over every bucket
            histogram.record((value >>> 1) >>> (i % 40));
        }
    }
}
