package org.inlinetls.modes.direct;

import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.seqdb.Direction;
import org.inlinetls.seqdb.FlowEntry;

/**
 * Maps a peer's SACK blocks (RFC 2018) from its sequence space into the other leg's through a direction's
 * checkpoints: a block claims only the segments whose bytes lie wholly inside it, from the first checkpoint at or
 * after its left edge to the last at or before its right edge. The client's blocks cover records (cipher space,
 * server→client ring); the server's cover plaintext (plain space, client→server ring).
 */
final class SackBlocks
{
    private SackBlocks()
    {
    }

    /**
     * @param blocksInCipher whether the peer's blocks are cipher positions (the client's) or plain ones.
     * @param out            translated edges, in pairs, at most {@link DirectFlow#SACK_BLOCKS} blocks.
     * @return blocks written.
     */
    static int translate(final FlowEntry entry, final Direction dir, final TcpHeaderFlyweight tcp,
        final boolean blocksInCipher, final int[] out)
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
                final int from = blocksInCipher ? entry.checkpointPlainSeq(dir, first) :
                    entry.checkpointCipherSeq(dir, first);
                final int to = blocksInCipher ? entry.checkpointPlainSeq(dir, last) :
                    entry.checkpointCipherSeq(dir, last);
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
}
