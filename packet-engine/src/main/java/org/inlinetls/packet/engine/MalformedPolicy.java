package org.inlinetls.packet.engine;

import org.inlinetls.packet.frame.FrameAction;
import org.inlinetls.packet.frame.FrameAnomaly;

import java.util.Arrays;

/**
 * The action taken for each kind of malformed frame: each anomaly's documented default, or one action for all.
 */
public final class MalformedPolicy
{
    private final FrameAction[] actions = new FrameAction[FrameAnomaly.values().length];

    private MalformedPolicy()
    {
    }

    /** Each anomaly's default: drop what is not even Ethernet, bridge the rest (see {@link FrameAnomaly}). */
    public static MalformedPolicy defaults()
    {
        final MalformedPolicy policy = new MalformedPolicy();
        for (final FrameAnomaly anomaly : FrameAnomaly.values())
        {
            policy.actions[anomaly.ordinal()] = anomaly.defaultAction();
        }
        return policy;
    }

    /** The same action for every anomaly (frames too short for Ethernet are always dropped). */
    public static MalformedPolicy all(final FrameAction action)
    {
        final MalformedPolicy policy = new MalformedPolicy();
        Arrays.fill(policy.actions, action);
        policy.actions[FrameAnomaly.TRUNCATED_ETHERNET.ordinal()] = FrameAction.DROP;
        return policy;
    }

    public FrameAction actionFor(final FrameAnomaly anomaly)
    {
        return actions[anomaly.ordinal()];
    }
}
