package org.inlinetls.packet.frame;

/**
 * What the engine does with a frame it could not fully parse.
 */
public enum FrameAction
{
    /** Forward the frame unchanged to the other port: a transparent bridge lets the end host decide. */
    BRIDGE,
    /** Drop the frame and count it. */
    DROP
}
