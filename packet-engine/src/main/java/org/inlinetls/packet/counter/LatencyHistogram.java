package org.inlinetls.packet.counter;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * One agent's histogram of per-frame processing times, kept in the shared counters file so that {@code /metrics}
 * and {@code appliance stats} read it while the agent writes it: {@link #BUCKETS} fixed power-of-two buckets (upper
 * bounds {@code 2^7 ns = 128 ns} to {@code 2^24 ns ≈ 16.8 ms}, then one for everything longer) and the sum of the
 * recorded times.
 * <p>
 * Single writer: only the owning agent's thread calls {@link #record(long)}, which finds the bucket with two shifts
 * (no loop, no allocation, no lock) and does two release stores. Readers sum the buckets for the count (so the count
 * always equals the buckets' total); the sum may run one record ahead of or behind them while a frame is recorded.
 * <p>
 * Counter labels are {@code latency <agent> frame_le_<bound>ns} (the last {@code frame_le_inf}) of type
 * {@link #BUCKET_TYPE_ID}, whose key holds the bucket's upper bound in nanoseconds as a long ({@link Long#MAX_VALUE}
 * for the last), and {@code latency <agent> frame_sum_ns} of type {@link #SUM_TYPE_ID}.
 */
public final class LatencyHistogram
{
    /** Type id of the bucket counters; key: the upper bound in ns (long at offset 0), {@link Long#MAX_VALUE} last. */
    public static final int BUCKET_TYPE_ID = 110;
    /** Type id of the sum of the recorded times in ns; key: none. */
    public static final int SUM_TYPE_ID = 111;
    /** The first bucket's upper bound is {@code 1 << MIN_BOUND_SHIFT} ns (128 ns). */
    public static final int MIN_BOUND_SHIFT = 7;
    /** The last finite bucket's upper bound is {@code 1 << MAX_BOUND_SHIFT} ns (~16.8 ms). */
    public static final int MAX_BOUND_SHIFT = 24;
    /** Buckets with a finite upper bound, then one for longer times. */
    public static final int BUCKETS = MAX_BOUND_SHIFT - MIN_BOUND_SHIFT + 2;
    /** Counters one histogram takes in the counters file: its buckets and the sum. */
    public static final int COUNTERS = BUCKETS + 1;
    /** Label prefix of every histogram counter. */
    public static final String LABEL_PREFIX = "latency ";

    private final AtomicCounter[] buckets = new AtomicCounter[BUCKETS];
    private final AtomicCounter sumNs;

    /**
     * Allocates the histogram's counters.
     *
     * @param agentName the recording agent's name ({@code bridge}, {@code worker-0}), one word.
     */
    public LatencyHistogram(final CountersManager manager, final String agentName)
    {
        if (agentName.isEmpty() || agentName.indexOf(' ') >= 0)
        {
            throw new IllegalArgumentException("agent name must be one word: '" + agentName + "'");
        }
        for (int i = 0; i < BUCKETS; i++)
        {
            final long boundNs = upperBoundNs(i);
            buckets[i] = manager.newCounter(LABEL_PREFIX + agentName + " frame_le_" +
                (boundNs == Long.MAX_VALUE ? "inf" : boundNs + "ns"), BUCKET_TYPE_ID,
                key -> key.putLong(0, boundNs));
        }
        sumNs = manager.newCounter(LABEL_PREFIX + agentName + " frame_sum_ns", SUM_TYPE_ID);
    }

    /**
     * @return the index of the bucket a time of {@code durationNs} falls in: the first whose upper bound is at least
     *         the time (zero and negative times, as from a clock that did not move, go to the first).
     */
    public static int bucketIndex(final long durationNs)
    {
        final long clamped = durationNs < 1 ? 1 : durationNs;
        // ceil(log2(clamped)) = 64 - nlz(clamped - 1), for clamped >= 1
        final int shift = 64 - Long.numberOfLeadingZeros(clamped - 1);
        final int index = shift - MIN_BOUND_SHIFT;
        return index < 0 ? 0 : Math.min(index, BUCKETS - 1);
    }

    /** @return bucket {@code index}'s upper bound in ns (inclusive); {@link Long#MAX_VALUE} for the last. */
    public static long upperBoundNs(final int index)
    {
        return index >= BUCKETS - 1 ? Long.MAX_VALUE : 1L << (MIN_BOUND_SHIFT + index);
    }

    /**
     * @param counts   frames per bucket (not cumulative), {@link #BUCKETS} of them in bucket order.
     * @param quantile from 0 to 1, e.g. 0.99.
     * @return the upper bound in ns of the bucket that holds the {@code quantile} of the frames (so the quantile is
     *         at most this), {@link Long#MAX_VALUE} when it is in the last bucket, or -1 when nothing was recorded.
     */
    public static long quantileUpperBoundNs(final long[] counts, final double quantile)
    {
        long total = 0;
        for (final long count : counts)
        {
            total += count;
        }
        if (total == 0)
        {
            return -1;
        }
        final long rank = Math.max(1, (long)Math.ceil(quantile * total));
        long cumulative = 0;
        for (int i = 0; i < counts.length; i++)
        {
            cumulative += counts[i];
            if (cumulative >= rank)
            {
                return upperBoundNs(i);
            }
        }
        return Long.MAX_VALUE;
    }

    /** Records one frame's processing time; for the owning agent's thread only. */
    public void record(final long durationNs)
    {
        buckets[bucketIndex(durationNs)].incrementRelease();
        if (durationNs > 0)
        {
            sumNs.getAndAddRelease(durationNs);
        }
    }

    /** @return frames recorded in bucket {@code index} (not cumulative). */
    public long bucketCount(final int index)
    {
        return buckets[index].get();
    }

    /** @return the sum of the recorded times in ns. */
    public long sumNs()
    {
        return sumNs.get();
    }

    /** @return frames recorded: the buckets' total. */
    public long count()
    {
        long count = 0;
        for (final AtomicCounter bucket : buckets)
        {
            count += bucket.get();
        }
        return count;
    }
}
