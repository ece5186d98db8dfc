package org.inlinetls.modes;

import org.agrona.DirectBuffer;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.engine.Verdict;
import org.inlinetls.packet.frame.ParsedFrame;

/**
 * Runs the engines of several modes on one bridge: each frame is offered to each engine in turn, and the first that
 * takes it (its service's frames) decides; a frame none takes is bridged. Every engine bridges the frames of services
 * it does not serve untouched, so the order only matters for speed, as long as no two engines share a service.
 */
public final class ServiceModeClassifier implements FrameClassifier
{
    private final FrameClassifier[] engines;

    public ServiceModeClassifier(final FrameClassifier... engines)
    {
        this.engines = engines.clone();
    }

    @Override
    public Verdict classify(final Side ingress, final DirectBuffer buffer, final ParsedFrame frame, final long nowNs)
    {
        for (final FrameClassifier engine : engines)
        {
            final Verdict verdict = engine.classify(ingress, buffer, frame, nowNs);
            if (verdict != Verdict.FORWARD)
            {
                return verdict;
            }
        }
        return Verdict.FORWARD;
    }

    @Override
    public int onTick(final long nowNs)
    {
        int work = 0;
        for (final FrameClassifier engine : engines)
        {
            work += engine.onTick(nowNs);
        }
        return work;
    }
}
