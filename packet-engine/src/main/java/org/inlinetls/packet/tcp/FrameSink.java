package org.inlinetls.packet.tcp;

import org.agrona.DirectBuffer;

/**
 * Where a {@link TcpEndpoint} hands the frames it wants sent: a port, a simulated wire, a test's capture list.
 */
@FunctionalInterface
public interface FrameSink
{
    /**
     * Offers one whole Ethernet frame; the bytes must be copied or written before returning.
     *
     * @return false when the frame cannot be taken now; the endpoint keeps its state and offers it again later.
     */
    boolean send(DirectBuffer buffer, int offset, int length);
}
