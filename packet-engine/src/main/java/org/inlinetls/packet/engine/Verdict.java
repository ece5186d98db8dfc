package org.inlinetls.packet.engine;

/**
 * What a {@link FrameClassifier} decided for one frame.
 */
public enum Verdict
{
    /** Bridge the frame unchanged to the other side. */
    FORWARD,
    /** Drop the frame; the bridge counts it. */
    DROP,
    /** An interceptor took the frame and emits whatever it produces itself. */
    CONSUMED
}
