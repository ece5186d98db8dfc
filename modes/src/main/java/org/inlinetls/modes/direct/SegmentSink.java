package org.inlinetls.modes.direct;

/**
 * Receives the segments an {@link InjectedStreamSender} decides to put on the wire toward the client.
 */
@FunctionalInterface
public interface SegmentSink
{
    /**
     * Offer one segment; the bytes are only valid during the call (copy them into the frame being built).
     *
     * @param seq            TCP sequence number of the first byte, in the server→client space the client sees.
     * @param buffer         holding the payload.
     * @param offset         of the payload in {@code buffer}.
     * @param lengthBytes    of the payload, at least 1 and at most the MSS given to the poll.
     * @param retransmission true when these bytes were sent before.
     * @return true if the segment was taken; false (e.g. the transmit port is full) leaves it to a later poll.
     */
    boolean onSegment(int seq, byte[] buffer, int offset, int lengthBytes, boolean retransmission);
}
