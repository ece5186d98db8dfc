package org.inlinetls.packet.engine;

import org.agrona.DirectBuffer;
import org.inlinetls.packet.frame.ParsedFrame;

/**
 * The hook where flows are intercepted: called for every well-formed frame the bridge receives, on the bridge's
 * thread, before it is forwarded. Implementations must not allocate per frame nor throw; a thrown exception is
 * counted as an engine error and the frame is dropped.
 */
public interface FrameClassifier
{
    /** Bridges every frame: the plain transparent bridge. */
    FrameClassifier BRIDGE_ALL = (ingress, buffer, frame, nowNs) -> Verdict.FORWARD;

    /**
     * Decides one frame.
     *
     * @param ingress the side the frame came from.
     * @param buffer  holding the frame; valid only during the call.
     * @param frame   the parsed offsets and fields.
     * @param nowNs   the engine clock for this duty cycle.
     */
    Verdict classify(Side ingress, DirectBuffer buffer, ParsedFrame frame, long nowNs);

    /** Timers of the interceptors (retransmissions, expiry); called once per duty cycle. */
    default int onTick(final long nowNs)
    {
        return 0;
    }
}
