package org.inlinetls.appliance.daemon;

import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.packet.engine.MalformedPolicy;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.frame.FrameAction;
import org.inlinetls.packet.port.FaultInjectingPort;
import org.inlinetls.packet.port.FaultProfile;
import org.inlinetls.packet.port.PacketPort;

/**
 * Pieces of engine assembly shared by the live daemon and the offline replay, so both run the same engine.
 */
public final class EngineWiring
{
    /** Frames a fault injector can hold at once, and the largest it can hold. */
    static final int FAULT_SLOTS = 1024;
    static final int FAULT_SLOT_BYTES = 9_216;

    private EngineWiring()
    {
    }

    /** The malformed-frame policy the config asks for. */
    public static MalformedPolicy malformedPolicy(final ApplianceConfig config)
    {
        switch (config.malformed())
        {
            case BRIDGE:
                return MalformedPolicy.all(FrameAction.BRIDGE);
            case DROP:
                return MalformedPolicy.all(FrameAction.DROP);
            default:
                return MalformedPolicy.defaults();
        }
    }

    /** Wraps a port in a fault injector when the config has faults for frames leaving on that side. */
    public static PacketPort withFaults(final ApplianceConfig config, final Side egressSide, final PacketPort port)
    {
        final FaultProfile profile = config.faults().get(egressSide);
        if (profile == null || profile.isNoop())
        {
            return port;
        }
        return new FaultInjectingPort(port, profile, FAULT_SLOTS, FAULT_SLOT_BYTES);
    }
}
