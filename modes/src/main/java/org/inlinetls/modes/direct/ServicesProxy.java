package org.inlinetls.modes.direct;

import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

/**
 * The one way another thread (the daemon's conductor) changes a running {@link DirectEngine}'s services: it offers
 * an immutable {@link ServiceTable} into a bounded single-producer queue that the engine drains in its duty cycle
 * ({@link DirectEngine#onTick(long)}), so the engine's table keeps one writer and the data path takes no lock.
 * <p>
 * One proxy belongs to one producer thread. A failed offer (the engine has not drained the previous tables yet) is
 * counted and returns false; the caller offers again later.
 */
public final class ServicesProxy
{
    /** Tables queued at most: reloads are rare, and a newer table supersedes an older one anyway. */
    static final int CAPACITY = 4;

    private final OneToOneConcurrentArrayQueue<ServiceTable> queue;
    private long failedOffers;

    ServicesProxy(final OneToOneConcurrentArrayQueue<ServiceTable> queue)
    {
        this.queue = queue;
    }

    /**
     * Hands a new table to the engine: new flows use it from the engine's next duty cycle.
     *
     * @return false when the queue is full (counted): nothing was handed over.
     */
    public boolean offerServices(final ServiceTable table)
    {
        if (queue.offer(table))
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
