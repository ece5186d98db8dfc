package org.inlinetls.modes;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.engine.Verdict;
import org.inlinetls.packet.frame.ParsedFrame;

/**
 * Runs the engines of several modes on one bridge: each frame is offered to each engine in turn, and the first that
 * takes it (its service's frames) decides; a frame none takes is bridged. Every engine bridges the frames of services
 * it does not serve untouched, so the order only matters for speed, as long as no two engines share a service.
 * <p>
 * A configuration reload changes the services of several engines at once (a service moving from one mode to
 * another): it arrives as one {@link ModeChange} through {@link #changes()} and is applied at the start of the duty
 * cycle, before the engines' own ticks, so every engine sees the new services from the same frame on.
 */
public final class ServiceModeClassifier implements FrameClassifier
{
    private final FrameClassifier[] engines;
    private final OneToOneConcurrentArrayQueue<ModeChange> queue =
        new OneToOneConcurrentArrayQueue<>(ModeChangeProxy.CAPACITY);
    private final ModeChangeProxy changes = new ModeChangeProxy(queue);
    private long changesApplied;

    public ServiceModeClassifier(final FrameClassifier... engines)
    {
        this.engines = engines.clone();
    }

    /** @return the way the conductor hands this bridge's engines a configuration change. */
    public ModeChangeProxy changes()
    {
        return changes;
    }

    /** @return changes applied so far (data-path thread, or after it stopped). */
    public long changesApplied()
    {
        return changesApplied;
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
        ModeChange change;
        while (null != (change = queue.poll()))
        {
            change.apply(nowNs);
            changesApplied++;
            work++;
        }
        for (final FrameClassifier engine : engines)
        {
            work += engine.onTick(nowNs);
        }
        return work;
    }
}
