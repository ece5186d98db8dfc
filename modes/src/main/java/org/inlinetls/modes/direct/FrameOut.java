package org.inlinetls.modes.direct;

import org.agrona.DirectBuffer;

/**
 * Where the direct mode puts the frames it builds: toward the client (out of the outside port) or toward the server
 * (out of the inside port). The bytes are copied before the call returns.
 */
public interface FrameOut
{
    /** @return false when the port refused the frame (counted by the caller). */
    boolean toClient(DirectBuffer buffer, int offset, int length);

    /** @return false when the port refused the frame (counted by the caller). */
    boolean toServer(DirectBuffer buffer, int offset, int length);
}
