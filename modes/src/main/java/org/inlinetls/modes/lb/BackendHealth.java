package org.inlinetls.modes.lb;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The up/down state of each backend of a pool, written by one health checker thread and read by the data-path
 * threads without locks.
 * <p>
 * Each backend has an int <em>stamp</em>: bit 0 is 1 while the backend is up, the bits above count its falls.
 * A flow records the stamp of its backend when it opens; while {@link #isCurrent(int, int)} holds, the backend has
 * stayed up since. A backend that went down and came back between two segments of the flow has another stamp, so
 * the data path resets that flow too (the backend lost its connection state either way).
 * <p>
 * Backends start up: a freshly started appliance serves at once, and a backend that is down from the start is
 * taken out after {@code fall} failed checks like any other.
 */
public final class BackendHealth
{
    private static final int UP_BIT = 1;

    private final AtomicIntegerArray stamps;

    /** @param backendCount the size of the pool; every backend starts up. */
    public BackendHealth(final int backendCount)
    {
        stamps = new AtomicIntegerArray(backendCount);
        for (int i = 0; i < backendCount; i++)
        {
            stamps.set(i, UP_BIT);
        }
    }

    public int backendCount()
    {
        return stamps.length();
    }

    /** Whether backend {@code id} takes new flows. */
    public boolean isUp(final int id)
    {
        return (stamps.getAcquire(id) & UP_BIT) != 0;
    }

    /** The backend's current stamp, recorded by a flow when it opens. */
    public int stamp(final int id)
    {
        return stamps.getAcquire(id);
    }

    /** Whether the backend has stayed up since {@code stamp} was read: false means reset the flow. */
    public boolean isCurrent(final int id, final int stamp)
    {
        return (stamp & UP_BIT) != 0 && stamps.getAcquire(id) == stamp;
    }

    /**
     * Publishes a backend's state; only the health checker's thread calls this (single writer).
     *
     * @return true when the state changed.
     */
    public boolean publish(final int id, final boolean up)
    {
        final int stamp = stamps.get(id);
        final boolean wasUp = (stamp & UP_BIT) != 0;
        if (wasUp == up)
        {
            return false;
        }
        // going down starts a new generation, so stamps of flows opened before the fall never match again
        stamps.setRelease(id, up ? stamp | UP_BIT : (stamp + 2) & ~UP_BIT);
        return true;
    }
}
