package org.inlinetls.packet.tcp;

import org.inlinetls.packet.flyweight.TcpOption;

/**
 * The receiver's side of SACK (RFC 2018 §4, RFC 2883): chooses the blocks an outgoing ACK carries from the
 * out-of-order ranges the {@link ReceiveBuffer} holds. The first block holds the segment received most recently,
 * the next ones the ranges reported most recently, then any others, highest first; a duplicate segment is reported
 * once as a D-SACK first block. Nothing is allocated after construction.
 */
final class SackBlockReporter
{
    private static final int RECENT = TcpOption.MAX_SACK_BLOCKS;

    /** Stream offsets of segments received out of order, most recent first. */
    private final long[] recent = new long[RECENT];
    private int recentCount;
    private boolean duplicatePending;
    private int duplicateLeft;
    private int duplicateRight;
    private final int[] chosen = new int[RECENT];

    void reset()
    {
        recentCount = 0;
        duplicatePending = false;
    }

    /** An out-of-order segment was kept; it begins at {@code streamOffset}. */
    void onOutOfOrder(final long streamOffset)
    {
        int found = -1;
        for (int i = 0; i < recentCount && found < 0; i++)
        {
            found = recent[i] == streamOffset ? i : -1;
        }
        final int shift = found >= 0 ? found : Math.min(recentCount, RECENT - 1);
        System.arraycopy(recent, 0, recent, 1, shift);
        recent[0] = streamOffset;
        if (found < 0)
        {
            recentCount = Math.min(RECENT, recentCount + 1);
        }
    }

    /** Bytes {@code [left, right)} (sequence numbers) arrived again after they were received: one D-SACK. */
    void onDuplicate(final int left, final int right)
    {
        if (right - left > 0)
        {
            duplicatePending = true;
            duplicateLeft = left;
            duplicateRight = right;
        }
    }

    /** True when an ACK sent now would carry blocks. */
    boolean hasBlocks(final ReceiveBuffer buffer)
    {
        return duplicatePending || buffer.hasOutOfOrder();
    }

    /**
     * Writes the blocks for the next ACK.
     *
     * @param firstSeq  sequence number of stream offset 0 (IRS + 1).
     * @param edges     left and right edges in pairs.
     * @param maxBlocks how many fit (3 with timestamps, 4 without).
     * @return the block count.
     */
    int fill(final ReceiveBuffer buffer, final int firstSeq, final int[] edges, final int maxBlocks)
    {
        int blocks = 0;
        if (duplicatePending)
        {
            edges[0] = duplicateLeft;
            edges[1] = duplicateRight;
            blocks = 1;
        }
        int chosenCount = 0;
        int kept = 0;
        for (int r = 0; r < recentCount; r++)
        {
            final int range = buffer.outOfOrderRangeHolding(recent[r]);
            if (range < 0)
            {
                continue; // delivered in order since, or evicted
            }
            recent[kept++] = recent[r];
            if (blocks < maxBlocks && !contains(chosen, chosenCount, range))
            {
                chosen[chosenCount++] = range;
                blocks = put(buffer, range, firstSeq, edges, blocks);
            }
        }
        recentCount = kept;
        for (int range = buffer.outOfOrderRangeCount() - 1; range >= 0 && blocks < maxBlocks; range--)
        {
            if (!contains(chosen, chosenCount, range))
            {
                blocks = put(buffer, range, firstSeq, edges, blocks);
            }
        }
        return blocks;
    }

    /** The D-SACK went out with an ACK: report it once only. */
    void onSent()
    {
        duplicatePending = false;
    }

    private static int put(final ReceiveBuffer buffer, final int range, final int firstSeq, final int[] edges,
        final int blocks)
    {
        edges[2 * blocks] = firstSeq + (int)buffer.outOfOrderRangeStart(range);
        edges[2 * blocks + 1] = firstSeq + (int)buffer.outOfOrderRangeEnd(range);
        return blocks + 1;
    }

    private static boolean contains(final int[] values, final int count, final int value)
    {
        for (int i = 0; i < count; i++)
        {
            if (values[i] == value)
            {
                return true;
            }
        }
        return false;
    }
}
