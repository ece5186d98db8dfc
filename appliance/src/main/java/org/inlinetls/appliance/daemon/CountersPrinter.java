package org.inlinetls.appliance.daemon;

import org.agrona.concurrent.status.CountersReader;

import java.util.ArrayList;
import java.util.List;

/**
 * Formats counters as aligned {@code label value} lines, skipping zero per-reason counters to keep it readable.
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
        reader.forEach((value, counterId, label) ->
        {
            if (value != 0 || !isDetail(label))
            {
                rows.add(new String[]{label, Long.toString(value)});
            }
        });
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

    private static boolean isDetail(final String label)
    {
        return label.contains(" malformed ") || label.contains(" fault_") || label.endsWith(" kernel_drops") ||
            label.endsWith(" engine_errors") || label.endsWith(" intercepted") ||
            label.endsWith(" classifier_dropped");
    }
}
