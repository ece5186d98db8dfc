package org.inlinetls.packet.tcp;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * A point-to-point link between side 0 and side 1 with a seeded fault model: delay with jitter (which reorders),
 * loss, duplication, corruption of one byte, and refusal of a send as a full port would.
 */
final class SimulatedWire
{
    static final class Faults
    {
        double lossRate;
        double duplicateRate;
        double corruptRate;
        double refuseRate;
        long baseDelayNs = 1_000_000L;
        long jitterNs;
        /** Chance per frame of holding it back until {@link #reorderWindowFrames} later frames overtook it. */
        double reorderRate;
        int reorderWindowFrames = 4;
        /** A held frame goes out at the latest this long after it was sent, as the appliance's fault port does. */
        long maxHoldNs = 2_000_000L;

        @Override
        public String toString()
        {
            return String.format("loss=%.3f dup=%.3f corrupt=%.4f refuse=%.3f delayNs=%d jitterNs=%d reorder=%.3f/%d",
                lossRate, duplicateRate, corruptRate, refuseRate, baseDelayNs, jitterNs, reorderRate,
                reorderWindowFrames);
        }
    }

    private static final class InFlight
    {
        final byte[] bytes;
        final int toSide;
        final long deliverAtNs;
        final long order;

        InFlight(final byte[] bytes, final int toSide, final long deliverAtNs, final long order)
        {
            this.bytes = bytes;
            this.toSide = toSide;
            this.deliverAtNs = deliverAtNs;
            this.order = order;
        }
    }

    /** A frame held back for reordering: released after {@code framesLeft} later frames or at {@code releaseAtNs}. */
    private static final class Held
    {
        final byte[] bytes;
        final int toSide;
        final long releaseAtNs;
        int framesLeft;

        Held(final byte[] bytes, final int toSide, final long releaseAtNs, final int framesLeft)
        {
            this.bytes = bytes;
            this.toSide = toSide;
            this.releaseAtNs = releaseAtNs;
            this.framesLeft = framesLeft;
        }
    }

    private final List<Held> held = new ArrayList<>();
    long framesReordered;
    private final PriorityQueue<InFlight> queue = new PriorityQueue<>((a, b) ->
        a.deliverAtNs != b.deliverAtNs ? Long.compare(a.deliverAtNs, b.deliverAtNs) : Long.compare(a.order, b.order));
    private final SplittableRandom random;
    private final Faults faults;
    private final boolean[] cut = new boolean[2];
    @SuppressWarnings("unchecked")
    private final java.util.Set<Long>[] dropIndices = new java.util.Set[]{ new java.util.HashSet<Long>(),
        new java.util.HashSet<Long>() };
    private final long[] sentToward = new long[2];
    private final List<byte[]> captured = new ArrayList<>();
    private boolean capture;
    private long order;
    private long nowNs;
    private boolean refusedSinceCheck;
    long framesSent;
    long framesLost;

    SimulatedWire(final long seed, final Faults faults)
    {
        this.random = new SplittableRandom(seed);
        this.faults = faults;
    }

    /** From now on, drop everything sent toward {@code side}. */
    void cut(final int toSide)
    {
        cut[toSide] = true;
    }

    void capture(final boolean enabled)
    {
        capture = enabled;
    }

    List<byte[]> captured()
    {
        return captured;
    }

    void now(final long nowNs)
    {
        this.nowNs = nowNs;
    }

    /** True once after any send was refused: the caller polls again without moving the clock. */
    boolean takeRefused()
    {
        final boolean refused = refusedSinceCheck;
        refusedSinceCheck = false;
        return refused;
    }

    /** The sink through which side {@code fromSide} sends. */
    FrameSink sinkFrom(final int fromSide)
    {
        return (buffer, offset, length) -> send(1 - fromSide, buffer, offset, length);
    }

    /** Drops the frame with this index (0-based, counting every frame sent toward {@code toSide}). */
    void dropFrame(final int toSide, final long index)
    {
        dropIndices[toSide].add(index);
    }

    private boolean send(final int toSide, final DirectBuffer buffer, final int offset, final int length)
    {
        if (faults.refuseRate > 0 && random.nextDouble() < faults.refuseRate)
        {
            refusedSinceCheck = true;
            return false;
        }
        framesSent++;
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        if (capture)
        {
            captured.add(bytes.clone());
        }
        final boolean dropped = dropIndices[toSide].remove(sentToward[toSide]++);
        if (dropped || cut[toSide] || random.nextDouble() < faults.lossRate)
        {
            framesLost++;
            return true;
        }
        if (faults.reorderRate > 0 && random.nextDouble() < faults.reorderRate)
        {
            framesReordered++;
            held.add(new Held(bytes, toSide, nowNs + faults.maxHoldNs, faults.reorderWindowFrames));
            return true;
        }
        enqueue(toSide, bytes);
        releaseHeld(toSide, false, nowNs);
        if (random.nextDouble() < faults.duplicateRate)
        {
            enqueue(toSide, bytes.clone());
        }
        return true;
    }

    private void enqueue(final int toSide, final byte[] bytes)
    {
        if (random.nextDouble() < faults.corruptRate)
        {
            final int at = random.nextInt(bytes.length);
            bytes[at] ^= (byte)(1 + random.nextInt(255));
        }
        final long jitter = faults.jitterNs > 0 ? random.nextLong(faults.jitterNs + 1) : 0;
        queue.add(new InFlight(bytes, toSide, nowNs + faults.baseDelayNs + jitter, order++));
    }

    /** Counts one frame sent toward {@code toSide} past the held ones and enqueues those whose time has come. */
    private void releaseHeld(final int toSide, final boolean timeOnly, final long atNs)
    {
        for (int i = 0; i < held.size(); i++)
        {
            final Held frame = held.get(i);
            if (!timeOnly && frame.toSide == toSide)
            {
                frame.framesLeft--;
            }
            if (frame.framesLeft <= 0 || frame.releaseAtNs - atNs <= 0)
            {
                held.remove(i--);
                queue.add(new InFlight(frame.bytes, frame.toSide, atNs + faults.baseDelayNs, order++));
            }
        }
    }

    /** Hands every frame due by {@code nowNs} to its endpoint; returns how many. */
    int deliver(final long nowNs, final TcpEndpoint[] endpoints)
    {
        releaseHeld(-1, true, nowNs);
        int delivered = 0;
        final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
        while (!queue.isEmpty() && queue.peek().deliverAtNs - nowNs <= 0)
        {
            final InFlight frame = queue.poll();
            view.wrap(frame.bytes);
            endpoints[frame.toSide].onFrame(view, 0, frame.bytes.length, nowNs);
            delivered++;
        }
        return delivered;
    }

    long nextDeliveryNs()
    {
        long next = queue.isEmpty() ? TcpEndpoint.NO_DEADLINE : queue.peek().deliverAtNs;
        for (int i = 0; i < held.size(); i++)
        {
            next = Math.min(next, held.get(i).releaseAtNs);
        }
        return next;
    }
}
