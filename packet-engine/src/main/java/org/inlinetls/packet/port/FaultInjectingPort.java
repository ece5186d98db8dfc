package org.inlinetls.packet.port;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * A decorator that loses, duplicates, reorders and delays the frames sent through any port, deterministically from
 * a seed (Aeron's {@code LossGenerator} idea, applied at the frame level). Received frames pass untouched.
 * <p>
 * Held frames are copied into a fixed pool of slots; when the pool is full, or a frame is larger than a slot, the
 * frame goes out at once without reordering or delay. Nothing is allocated per frame.
 */
public final class FaultInjectingPort implements PacketPort
{
    private final PacketPort delegate;
    private final FaultProfile profile;
    private final SplittableRandom random;
    private final double lossChance;
    private final double duplicateChance;
    private final double reorderChance;
    private final int slotBytes;
    private final UnsafeBuffer[] slotBuffers;
    private final int[] slotLength;
    private final long[] slotDueNs;
    private final long[] slotDueSequence;
    private final boolean[] slotUsed;
    private int slotsInUse;
    private long nowNs;
    private long sendSequence;

    private long framesLost;
    private long framesDuplicated;
    private long framesReordered;
    private long framesDelayed;
    private long holdOverflows;
    private long delegateFailures;

    /**
     * @param delegate  the port frames finally go to.
     * @param profile   the faults.
     * @param slots     how many frames may be held at once.
     * @param slotBytes the largest frame that can be held.
     */
    public FaultInjectingPort(final PacketPort delegate, final FaultProfile profile, final int slots, final int slotBytes)
    {
        this.delegate = delegate;
        this.profile = profile;
        this.random = new SplittableRandom(profile.seed());
        this.lossChance = profile.lossPercent() / 100.0;
        this.duplicateChance = profile.duplicatePercent() / 100.0;
        this.reorderChance = profile.reorderPercent() / 100.0;
        this.slotBytes = slotBytes;
        this.slotBuffers = new UnsafeBuffer[slots];
        this.slotLength = new int[slots];
        this.slotDueNs = new long[slots];
        this.slotDueSequence = new long[slots];
        this.slotUsed = new boolean[slots];
        final ByteBuffer memory = ByteBuffer.allocateDirect(slots * slotBytes);
        for (int i = 0; i < slots; i++)
        {
            slotBuffers[i] = new UnsafeBuffer(memory, i * slotBytes, slotBytes);
        }
    }

    @Override
    public String name()
    {
        return delegate.name();
    }

    public FaultProfile profile()
    {
        return profile;
    }

    @Override
    public int receive(final FrameHandler handler, final int limit)
    {
        return delegate.receive(handler, limit);
    }

    @Override
    public boolean send(final DirectBuffer buffer, final int offset, final int length)
    {
        sendSequence++;
        if (random.nextDouble() < lossChance)
        {
            framesLost++;
            releaseOvertaken();
            return true;
        }
        final int copies = random.nextDouble() < duplicateChance ? 2 : 1;
        if (copies == 2)
        {
            framesDuplicated++;
        }
        final boolean reorder = random.nextDouble() < reorderChance;
        for (int i = 0; i < copies; i++)
        {
            sendOne(buffer, offset, length, reorder && i == 0);
        }
        releaseOvertaken();
        return true;
    }

    private void sendOne(final DirectBuffer buffer, final int offset, final int length, final boolean reorder)
    {
        final long delayNs = profile.delayNs();
        if ((reorder || delayNs > 0) && hold(buffer, offset, length, reorder))
        {
            return;
        }
        if (!delegate.send(buffer, offset, length))
        {
            delegateFailures++;
        }
    }

    private boolean hold(final DirectBuffer buffer, final int offset, final int length, final boolean reorder)
    {
        if (length > slotBytes || slotsInUse == slotUsed.length)
        {
            holdOverflows++;
            return false;
        }
        for (int i = 0; i < slotUsed.length; i++)
        {
            if (!slotUsed[i])
            {
                slotUsed[i] = true;
                slotsInUse++;
                slotBuffers[i].putBytes(0, buffer, offset, length);
                slotLength[i] = length;
                slotDueNs[i] = nowNs + profile.delayNs() + (reorder ? profile.maxHoldNs() : 0);
                slotDueSequence[i] = reorder ? sendSequence + profile.reorderWindow() : Long.MAX_VALUE;
                if (reorder)
                {
                    framesReordered++;
                }
                else
                {
                    framesDelayed++;
                }
                return true;
            }
        }
        return false;
    }

    /** Sends held frames that enough later frames have overtaken. */
    private void releaseOvertaken()
    {
        if (slotsInUse == 0)
        {
            return;
        }
        for (int i = 0; i < slotUsed.length; i++)
        {
            if (slotUsed[i] && slotDueSequence[i] <= sendSequence)
            {
                release(i);
            }
        }
    }

    private void release(final int slot)
    {
        slotUsed[slot] = false;
        slotsInUse--;
        if (!delegate.send(slotBuffers[slot], 0, slotLength[slot]))
        {
            delegateFailures++;
        }
    }

    @Override
    public int flush(final long nowNs)
    {
        this.nowNs = nowNs;
        int work = 0;
        if (slotsInUse > 0)
        {
            work += releaseDue(nowNs);
        }
        return work + delegate.flush(nowNs);
    }

    /** Releases due frames oldest first, so delayed frames keep their order. */
    private int releaseDue(final long nowNs)
    {
        int released = 0;
        int oldest;
        while ((oldest = oldestHeld()) >= 0 && slotDueNs[oldest] - nowNs <= 0)
        {
            release(oldest);
            released++;
        }
        return released;
    }

    private int oldestHeld()
    {
        int oldest = -1;
        for (int i = 0; i < slotUsed.length; i++)
        {
            if (slotUsed[i] && (oldest < 0 || slotDueNs[i] - slotDueNs[oldest] < 0))
            {
                oldest = i;
            }
        }
        return oldest;
    }

    /** Sends every held frame now, oldest due first, e.g. before closing. */
    public void releaseAll()
    {
        int oldest;
        while ((oldest = oldestHeld()) >= 0)
        {
            release(oldest);
        }
    }

    public long framesLost()
    {
        return framesLost;
    }

    public long framesDuplicated()
    {
        return framesDuplicated;
    }

    public long framesReordered()
    {
        return framesReordered;
    }

    public long framesDelayed()
    {
        return framesDelayed;
    }

    public long holdOverflows()
    {
        return holdOverflows;
    }

    @Override
    public boolean isEndOfStream()
    {
        return delegate.isEndOfStream();
    }

    @Override
    public long rxErrors()
    {
        return delegate.rxErrors();
    }

    @Override
    public long txErrors()
    {
        return delegate.txErrors() + delegateFailures;
    }

    @Override
    public void close()
    {
        releaseAll();
        delegate.close();
    }
}
