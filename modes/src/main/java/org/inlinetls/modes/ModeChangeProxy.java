package org.inlinetls.modes;

import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

/**
 * The one way another thread (the daemon's conductor) changes the services and modes of a running
 * {@link ServiceModeClassifier}: it offers a prepared {@link ModeChange} into a bounded single-producer queue that the
 * classifier drains at the start of its duty cycle ({@link ServiceModeClassifier#onTick(long)}), so every engine keeps
 * one writer and the data path takes no lock (the pattern of {@code DirectEngine}'s {@code ServicesProxy}).
 * <p>
 * One proxy belongs to one producer thread. A failed offer (the data path has not drained the previous changes yet)
 * is counted and returns false; the caller offers again later.
 */
public final class ModeChangeProxy
{
    /** Changes queued at most: reloads are rare. */
    static final int CAPACITY = 4;

    private final OneToOneConcurrentArrayQueue<ModeChange> queue;
    private long failedOffers;

    ModeChangeProxy(final OneToOneConcurrentArrayQueue<ModeChange> queue)
    {
        this.queue = queue;
    }

    /**
     * Hands a change to the data path: it applies before the next frame the classifier sees after its next tick.
     *
     * @return false when the queue is full (counted): nothing was handed over.
     */
    public boolean offer(final ModeChange change)
    {
        if (queue.offer(change))
        {
            return true;
        }
        failedOffers++;
        return false;
    }

    /** @return offers refused because the queue was full (producer thread). */
    public long failedOffers()
    {
        return failedOffers;
    }
}
