package org.inlinetls.modes.direct;

import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * One direction of a simulated cable with a seeded fault model: base delay plus jitter (jitter reorders), loss and
 * duplication. Frames are copied when sent.
 */
final class SimLink
{
    private record InFlight(byte[] bytes, long deliverAtNs, long order)
    {
    }

    private final PriorityQueue<InFlight> queue = new PriorityQueue<>((a, b) -> a.deliverAtNs != b.deliverAtNs ?
        Long.compare(a.deliverAtNs, b.deliverAtNs) : Long.compare(a.order, b.order));
    private final SplittableRandom random;
    private final double loss;
    private final double duplicate;
    private final long delayNs;
    private final long jitterNs;
    private long order;
    long sent;
    long lost;

    SimLink(final long seed, final double loss, final double duplicate, final long delayNs, final long jitterNs)
    {
        this.random = new SplittableRandom(seed);
        this.loss = loss;
        this.duplicate = duplicate;
        this.delayNs = delayNs;
        this.jitterNs = jitterNs;
    }

    void send(final byte[] frame, final long nowNs)
    {
        sent++;
        if (random.nextDouble() < loss)
        {
            lost++;
            return;
        }
        schedule(frame, nowNs);
        if (random.nextDouble() < duplicate)
        {
            schedule(frame.clone(), nowNs);
        }
    }

    private void schedule(final byte[] frame, final long nowNs)
    {
        final long jitter = jitterNs == 0 ? 0 : random.nextLong(jitterNs);
        queue.add(new InFlight(frame, nowNs + delayNs + jitter, order++));
    }

    /** @return frames delivered (those due at or before now). */
    int deliver(final long nowNs, final Consumer<byte[]> to)
    {
        int n = 0;
        while (!queue.isEmpty() && queue.peek().deliverAtNs() - nowNs <= 0)
        {
            to.accept(queue.poll().bytes());
            n++;
        }
        return n;
    }

    long nextDeliveryNs()
    {
        return queue.isEmpty() ? Long.MAX_VALUE : queue.peek().deliverAtNs();
    }

    @Override
    public String toString()
    {
        return String.format("loss=%.3f dup=%.3f delay=%dus jitter=%dus sent=%d lost=%d", loss, duplicate,
            delayNs / 1000, jitterNs / 1000, sent, lost);
    }
}
