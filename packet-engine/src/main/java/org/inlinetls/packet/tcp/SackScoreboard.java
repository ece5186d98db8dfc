package org.inlinetls.packet.tcp;

/**
 * The sender's record of what the peer has SACKed above SND.UNA (RFC 6675 §3's scoreboard), in a fixed array of
 * disjoint, non-adjacent sequence ranges kept in order; sequence numbers are compared relative to SND.UNA.
 * <p>
 * SACK information is advisory (RFC 2018 §8): nothing is freed from the send buffer before the cumulative ACK covers
 * it, the scoreboard is cleared on a retransmission timeout, and an ACK that stops inside a SACKed range (the peer
 * reneged) clears it too. When the array is full, the highest range is forgotten: knowing less only costs
 * retransmissions.
 */
final class SackScoreboard
{
    /** Duplicate threshold of RFC 6675 §2 (DupThresh). */
    static final int DUP_THRESH = 3;

    private final int[] left;
    private final int[] right;
    private int count;
    /** Sum of the ranges' lengths. */
    private long sackedBytes;

    SackScoreboard(final int maxRanges)
    {
        left = new int[maxRanges];
        right = new int[maxRanges];
    }

    void clear()
    {
        count = 0;
        sackedBytes = 0;
    }

    int rangeCount()
    {
        return count;
    }

    long sackedBytes()
    {
        return sackedBytes;
    }

    /** The end of the highest SACKed range, or {@code una} when there is none (RFC 6675's highest SACKed octet + 1). */
    int highestSackedEnd(final int una)
    {
        return count == 0 ? una : right[count - 1];
    }

    /**
     * Merges the block {@code [blockLeft, blockRight)} clipped to {@code [una, max)}; blocks wholly outside (such as a
     * D-SACK below SND.UNA, RFC 2883) are ignored.
     *
     * @return bytes newly SACKed.
     */
    long add(final int blockLeft, final int blockRight, final int una, final int max)
    {
        int l = blockLeft;
        int r = blockRight;
        if (r - l <= 0 || r - una <= 0 || l - max >= 0 || r - max > 0)
        {
            return 0; // empty, wholly acknowledged, or beyond anything sent (bogus): ignored
        }
        if (l - una < 0)
        {
            l = una;
        }
        long merged = 0;
        int i = 0;
        while (i < count && right[i] - una < l - una)
        {
            i++;
        }
        int j = i;
        while (j < count && left[j] - una <= r - una)
        {
            if (left[j] - l < 0)
            {
                l = left[j];
            }
            if (right[j] - r > 0)
            {
                r = right[j];
            }
            merged += right[j] - left[j];
            j++;
        }
        final int removed = j - i;
        if (removed == 0 && count == left.length)
        {
            if (i == count)
            {
                return 0; // above every range and no room: forgotten
            }
            count--; // forget the highest range
            sackedBytes -= right[count] - left[count];
            j = Math.min(j, count);
        }
        System.arraycopy(left, j, left, i + 1, count - j);
        System.arraycopy(right, j, right, i + 1, count - j);
        left[i] = l;
        right[i] = r;
        count = count - removed + 1;
        sackedBytes += (r - l) - merged;
        return (r - l) - merged;
    }

    /**
     * Forgets what the cumulative ACK now covers.
     *
     * @return true when {@code una} stopped inside a SACKed range: the peer reneged, and the scoreboard was cleared.
     */
    boolean onCumulativeAck(final int una)
    {
        int drop = 0;
        while (drop < count && right[drop] - una <= 0)
        {
            sackedBytes -= right[drop] - left[drop];
            drop++;
        }
        if (drop > 0)
        {
            System.arraycopy(left, drop, left, 0, count - drop);
            System.arraycopy(right, drop, right, 0, count - drop);
            count -= drop;
        }
        if (count > 0 && left[0] - una <= 0)
        {
            clear();
            return true;
        }
        return false;
    }

    /** SACKed bytes below {@code seq}. */
    long sackedBytesBelow(final int seq, final int una)
    {
        long bytes = 0;
        for (int i = 0; i < count && left[i] - una < seq - una; i++)
        {
            bytes += Math.min(right[i] - una, seq - una) - (left[i] - una);
        }
        return bytes;
    }

    /**
     * RFC 6675 §4 IsLost as a boundary: every unSACKed byte below the returned sequence number has more than
     * (DupThresh - 1) * MSS bytes or DupThresh discontiguous ranges SACKed above it; {@code una} when none has.
     */
    int lossBoundary(final int una, final int mss)
    {
        return lossBoundary(una, mss, DUP_THRESH);
    }

    /** As {@link #lossBoundary(int, int)} with a DupThresh raised for the reordering seen on the path. */
    int lossBoundary(final int una, final int mss, final int dupThresh)
    {
        long above = 0;
        for (int i = count - 1; i >= 0; i--)
        {
            above += right[i] - left[i];
            if (above > (long)(dupThresh - 1) * mss || count - i >= dupThresh)
            {
                return left[i];
            }
        }
        return una;
    }

    /** The first byte at or after {@code from} that is not SACKed (at most {@code limit}). */
    int nextUnsacked(final int from, final int limit, final int una)
    {
        int at = from;
        for (int i = 0; i < count; i++)
        {
            if (left[i] - una <= at - una && right[i] - una > at - una)
            {
                at = right[i];
            }
        }
        return at - una > limit - una ? limit : at;
    }

    /** Where the hole starting at the unSACKed byte {@code from} ends: the next range's left edge, or {@code limit}. */
    int holeEnd(final int from, final int limit, final int una)
    {
        for (int i = 0; i < count; i++)
        {
            if (left[i] - una > from - una)
            {
                return left[i] - una < limit - una ? left[i] : limit;
            }
        }
        return limit;
    }

    @Override
    public String toString()
    {
        final StringBuilder text = new StringBuilder("sacked=").append(sackedBytes).append(" [");
        for (int i = 0; i < count; i++)
        {
            text.append(i == 0 ? "" : " ").append(Integer.toUnsignedString(left[i])).append('-')
                .append(Integer.toUnsignedString(right[i]));
        }
        return text.append(']').toString();
    }
}
