package org.inlinetls.modes.direct;

/**
 * Test sink that records segments into pre-sized arrays (so allocation tests can use it) and can refuse them.
 */
final class RecordingSegmentSink implements SegmentSink
{
    final int[] seqs;
    final int[] offsets;
    final int[] lengths;
    final boolean[] retransmissions;
    final byte[][] payloads;
    int count;
    boolean refuse;

    RecordingSegmentSink(final int maxSegments, final int maxSegmentBytes)
    {
        seqs = new int[maxSegments];
        offsets = new int[maxSegments];
        lengths = new int[maxSegments];
        retransmissions = new boolean[maxSegments];
        payloads = new byte[maxSegments][maxSegmentBytes];
    }

    public boolean onSegment(
        final int seq, final byte[] buffer, final int offset, final int lengthBytes, final boolean retransmission)
    {
        if (refuse)
        {
            return false;
        }
        final int i = count++ % seqs.length;
        seqs[i] = seq;
        offsets[i] = offset;
        lengths[i] = lengthBytes;
        retransmissions[i] = retransmission;
        System.arraycopy(buffer, offset, payloads[i], 0, lengthBytes);
        return true;
    }

    void clear()
    {
        count = 0;
    }
}
