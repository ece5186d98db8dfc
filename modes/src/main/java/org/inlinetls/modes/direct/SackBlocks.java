package org.inlinetls.modes.direct;

import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.seqdb.Direction;
import org.inlinetls.seqdb.FlowEntry;

/**
 * The SACK blocks (RFC 2018) the appliance sends each peer: the other peer's blocks mapped through a direction's
 * checkpoints, and blocks of its own for the segments it holds past a hole.
 * <p>
 * A block claims bytes its receiver will then not resend (Linux keeps SACK marks across a timeout), so a block
 * that cannot be translated exactly is shrunk, never widened: it claims only the segments whose bytes lie wholly
 * inside the peer's block, from the first checkpoint at or after its left edge to the last at or before its right
 * edge. The client's blocks cover records (cipher space, server→client ring): every server→client checkpoint is a
 * boundary the appliance can encrypt again from. The server's blocks cover plaintext (plain space, client→server
 * ring): both edges of a translated block must be checkpoints the decoder can resume from (or the frontier), since
 * the client resends only the holes between blocks and each hole must replay from, and be checked at, its ends.
 * Bytes with no counterpart (the appliance's handshake flight, record headers and tags) lie between checkpoints
 * and are claimed only inside such an interval. Blocks at or below the ACK the peer is sent (D-SACK, RFC 2883, or
 * blocks the cumulative ACK has since passed) are dropped or clipped to it.
 * <p>
 * Held segments (past a hole, {@link HeldSegments}) are reported as received, most recent first: without that a
 * Linux sender with SACK (RACK) sees no loss signal and waits for its timer after every loss into the appliance.
 * Held segments are dropped only by a restart or a failing flow, which a sender survives as reneging.
 */
final class SackBlocks
{
    private static final int SACK_OPTION_BASE_BYTES = 4;
    private static final int SACK_BLOCK_BYTES = 8;
    private static final int TIMESTAMPS_OPTION_BYTES = 12;

    private SackBlocks()
    {
    }

    /** Translates the peer's blocks and counts what became of them. */
    static int translateCounted(final DirectEngine engine, final FlowEntry entry, final Direction dir,
        final TcpHeaderFlyweight tcp, final boolean blocksInCipher, final int ackInOther, final int[] out)
    {
        final int blocks = translate(entry, dir, tcp, blocksInCipher, ackInOther, out);
        for (int i = 0; i < blocks; i++)
        {
            engine.count(DirectCounter.SACK_BLOCKS_TRANSLATED);
        }
        for (int i = tcp.sackBlockCount() - blocks; i > 0; i--)
        {
            engine.count(DirectCounter.SACK_BLOCKS_UNTRANSLATABLE);
        }
        return blocks;
    }

    /**
     * Translates the peer's blocks.
     *
     * @param blocksInCipher whether the peer's blocks are cipher positions (the client's) or plain ones.
     * @param ackInOther     the cumulative ACK the other peer is sent, in its space: nothing at or below it is claimed.
     * @param out            translated edges, in pairs, at most {@link DirectFlow#SACK_BLOCKS} blocks.
     * @return blocks written.
     */
    static int translate(final FlowEntry entry, final Direction dir, final TcpHeaderFlyweight tcp,
        final boolean blocksInCipher, final int ackInOther, final int[] out)
    {
        final int count = entry.ringCount(dir);
        int blocks = 0;
        for (int b = 0; b < tcp.sackBlockCount() && blocks < DirectFlow.SACK_BLOCKS; b++)
        {
            final int left = tcp.sackLeftEdge(b);
            final int right = tcp.sackRightEdge(b);
            int first = -1;
            int last = -1;
            for (int k = 0; k < count; k++)
            {
                if (!blocksInCipher && k < count - 1 && entry.checkpointBlobLength(dir, k) == 0)
                {
                    continue; // a boundary the decoder cannot resume from: no hole may start or end there
                }
                final int at = blocksInCipher ? entry.checkpointCipherSeq(dir, k) : entry.checkpointPlainSeq(dir, k);
                if (first < 0 && at - left >= 0)
                {
                    first = k;
                }
                if (right - at >= 0)
                {
                    last = k;
                }
            }
            if (first >= 0 && last > first)
            {
                int from = blocksInCipher ? entry.checkpointPlainSeq(dir, first) :
                    entry.checkpointCipherSeq(dir, first);
                final int to = blocksInCipher ? entry.checkpointPlainSeq(dir, last) :
                    entry.checkpointCipherSeq(dir, last);
                if (from - ackInOther < 0)
                {
                    from = ackInOther;
                }
                if (to - from > 0)
                {
                    out[2 * blocks] = from;
                    out[2 * blocks + 1] = to;
                    blocks++;
                }
            }
        }
        return blocks;
    }

    /**
     * Chooses the blocks of one frame to a peer: the segment held most recently first, then the translated blocks
     * still above the ACK, then the other held ranges; as many as fit beside the payload within the peer's MSS.
     *
     * @param held           the segments held from this peer, past {@code frontier}.
     * @param translated     the other peer's blocks in this peer's space, and their count.
     * @param ack            the ACK the frame carries.
     * @param payloadLength  the frame's payload.
     * @param peerMss        the MSS the peer announced.
     * @param engine         counts the held blocks sent; null for none.
     * @param out            edges in pairs (room for {@code TcpOption.MAX_SACK_BLOCKS}).
     * @param scratch        room for two ints per held segment.
     * @return blocks written.
     */
    static int compose(final DirectEngine engine, final HeldSegments held, final int frontier,
        final int[] translated, final int translatedCount, final int ack, final boolean timestamps,
        final int payloadLength, final int peerMss, final int[] out, final int[] scratch)
    {
        final int optionRoom = peerMss - payloadLength - (timestamps ? TIMESTAMPS_OPTION_BYTES : 0) -
            SACK_OPTION_BASE_BYTES;
        final int max = Math.min(timestamps ? 3 : 4, Math.max(0, optionRoom) / SACK_BLOCK_BYTES);
        if (max == 0)
        {
            return 0;
        }
        final int ranges = heldRanges(held, frontier, scratch);
        int blocks = 0;
        final int newest = rangeHolding(scratch, ranges, held.newestSeq());
        if (newest >= 0)
        {
            blocks = put(out, blocks, scratch[2 * newest], scratch[2 * newest + 1]);
        }
        final int heldFirst = blocks;
        for (int i = 0; i < translatedCount && blocks < max; i++)
        {
            final int left = translated[2 * i] - ack < 0 ? ack : translated[2 * i];
            final int right = translated[2 * i + 1];
            if (right - left > 0)
            {
                blocks = put(out, blocks, left, right);
            }
        }
        final int beforeOthers = blocks;
        for (int i = ranges - 1; i >= 0 && blocks < max; i--)
        {
            if (i != newest)
            {
                blocks = put(out, blocks, scratch[2 * i], scratch[2 * i + 1]);
            }
        }
        for (int i = heldFirst + blocks - beforeOthers; i > 0 && null != engine; i--)
        {
            engine.count(DirectCounter.SACK_BLOCKS_HELD);
        }
        return blocks;
    }

    /** Sorted, merged [start, end) ranges of the held segments' data past {@code frontier}; returns their count. */
    private static int heldRanges(final HeldSegments held, final int frontier, final int[] ranges)
    {
        int count = 0;
        for (int i = 0; i < held.count(); i++)
        {
            final int start = held.seq(i);
            final int end = start + held.length(i);
            if (end - start <= 0 || start - frontier <= 0)
            {
                continue;
            }
            int at = count;
            while (at > 0 && ranges[2 * (at - 1)] - frontier > start - frontier)
            {
                ranges[2 * at] = ranges[2 * (at - 1)];
                ranges[2 * at + 1] = ranges[2 * (at - 1) + 1];
                at--;
            }
            ranges[2 * at] = start;
            ranges[2 * at + 1] = end;
            count++;
        }
        int merged = 0;
        for (int i = 0; i < count; i++)
        {
            if (merged > 0 && ranges[2 * i] - ranges[2 * merged - 1] <= 0)
            {
                if (ranges[2 * i + 1] - ranges[2 * merged - 1] > 0)
                {
                    ranges[2 * merged - 1] = ranges[2 * i + 1];
                }
            }
            else
            {
                ranges[2 * merged] = ranges[2 * i];
                ranges[2 * merged + 1] = ranges[2 * i + 1];
                merged++;
            }
        }
        return merged;
    }

    private static int rangeHolding(final int[] ranges, final int count, final int seq)
    {
        for (int i = 0; i < count; i++)
        {
            if (seq - ranges[2 * i] >= 0 && ranges[2 * i + 1] - seq > 0)
            {
                return i;
            }
        }
        return -1;
    }

    private static int put(final int[] out, final int blocks, final int left, final int right)
    {
        for (int i = 0; i < blocks; i++)
        {
            if (out[2 * i] == left && out[2 * i + 1] == right)
            {
                return blocks;
            }
        }
        out[2 * blocks] = left;
        out[2 * blocks + 1] = right;
        return blocks + 1;
    }
}
