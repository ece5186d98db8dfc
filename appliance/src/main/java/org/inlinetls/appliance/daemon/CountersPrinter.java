package org.inlinetls.appliance.daemon;

import org.agrona.concurrent.status.CountersReader;
import org.inlinetls.packet.counter.LatencyHistogram;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Formats counters as aligned {@code label value} lines, skipping zero per-reason counters and zero latency buckets
 * to keep it readable, and closes with one summary line per latency histogram (frames, mean, p50, p99, p99.9).
 */
public final class CountersPrinter
{
    private CountersPrinter()
    {
    }

    /** All counters, with the detailed (per-reason) ones only when non-zero. */
    public static String format(final CountersReader reader)
    {
        final List<String[]> rows = new ArrayList<>();
        final Map<String, long[]> latencyCounts = new LinkedHashMap<>();
        final Map<String, Long> latencySumNs = new LinkedHashMap<>();
        reader.forEach((counterId, typeId, key, label) ->
        {
            final long value = reader.getCounterValue(counterId);
            if (typeId == LatencyHistogram.BUCKET_TYPE_ID || typeId == LatencyHistogram.SUM_TYPE_ID)
            {
                final String agent = label.substring(LatencyHistogram.LABEL_PREFIX.length(), label.lastIndexOf(' '));
                if (typeId == LatencyHistogram.SUM_TYPE_ID)
                {
                    latencySumNs.put(agent, value);
                }
                else
                {
                    final long boundNs = key.getLong(0);
                    final int index = boundNs == Long.MAX_VALUE ?
                        LatencyHistogram.BUCKETS - 1 : LatencyHistogram.bucketIndex(boundNs);
                    latencyCounts.computeIfAbsent(agent, a -> new long[LatencyHistogram.BUCKETS])[index] = value;
                }
            }
            if (value != 0 || !isDetail(typeId, label))
            {
                rows.add(new String[]{label, Long.toString(value)});
            }
        });
        for (final Map.Entry<String, long[]> histogram : latencyCounts.entrySet())
        {
            rows.add(new String[]{LatencyHistogram.LABEL_PREFIX + histogram.getKey() + " summary",
                summary(histogram.getValue(), latencySumNs.getOrDefault(histogram.getKey(), 0L))});
        }
        int width = 0;
        for (final String[] row : rows)
        {
            width = Math.max(width, row[0].length());
        }
        final StringBuilder text = new StringBuilder();
        for (final String[] row : rows)
        {
            text.append("  ").append(row[0]).append(" ".repeat(width - row[0].length() + 2)).append(row[1]).append('\n');
        }
        return text.toString();
    }

    /** {@code 1234 frames, mean 2.1 us, p50 <= 2.0 us, p99 <= 32.8 us, p99.9 <= 65.5 us}. */
    static String summary(final long[] counts, final long sumNs)
    {
        long frames = 0;
        for (final long count : counts)
        {
            frames += count;
        }
        if (frames == 0)
        {
            return "0 frames";
        }
        return String.format("%d frames, mean %.1f us, p50 <= %s, p99 <= %s, p99.9 <= %s", frames,
            sumNs / 1e3 / frames, bound(LatencyHistogram.quantileUpperBoundNs(counts, 0.5)),
            bound(LatencyHistogram.quantileUpperBoundNs(counts, 0.99)),
            bound(LatencyHistogram.quantileUpperBoundNs(counts, 0.999)));
    }

    private static String bound(final long boundNs)
    {
        return boundNs == Long.MAX_VALUE ?
            "inf (over " + LatencyHistogram.upperBoundNs(LatencyHistogram.BUCKETS - 2) / 1000 + " us)" :
            String.format("%.1f us", boundNs / 1e3);
    }

    private static boolean isDetail(final int typeId, final String label)
    {
        return typeId == LatencyHistogram.BUCKET_TYPE_ID ||
            label.contains(" malformed ") || label.contains(" fault_") || label.endsWith(" kernel_drops") ||
            label.endsWith(" engine_errors") || label.endsWith(" intercepted") ||
            label.endsWith(" classifier_dropped");
    }
}
