package org.inlinetls.packet.port;

import org.agrona.DirectBuffer;

/**
 * Receives frames from a {@link PacketPort}; the buffer is only valid during the call.
 */
@FunctionalInterface
public interface FrameHandler
{
    /**
     * One received frame.
     *
     * @param buffer      holding the frame; do not keep a reference after returning.
     * @param offset      of the first byte of the Ethernet header.
     * @param length      of the frame in bytes (no FCS).
     * @param timestampNs capture time in epoch nanoseconds, as the port knows it.
     */
    void onFrame(DirectBuffer buffer, int offset, int length, long timestampNs);
}
