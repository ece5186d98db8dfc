package org.inlinetls.packet.engine;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.CachedNanoClock;
import org.HdrHistogram.Histogram;
import org.inlinetls.packet.port.FrameHandler;
import org.inlinetls.packet.port.InMemoryPort;
import org.inlinetls.packet.port.PacketPort;

/**
 * Runs the engine offline over a capture: each frame of the input is handed to the engine on the side its source
 * MAC belongs to, with the clock set to the frame's timestamp, and whatever the engine sends on either side is
 * written to the output in order. A plain bridge therefore reproduces its input frame for frame.
 * <p>
 * Direction: frames whose source MAC is the outside host's enter on the outside port, all others on the inside
 * port. The outside MAC is given, or learnt from the first frame (a capture usually starts with the client).
 * Callers that know each frame's side (two legs captured at the appliance) {@link #feed} frames themselves.
 * <p>
 * Latency: the engine's processing time per input frame, {@link System#nanoTime()} around each
 * {@link Agent#doWork()} call that did work while the frame was handled (the output capture's writing is not
 * counted), is recorded into a preallocated log-linear histogram (HdrHistogram, 3 significant digits), which
 * allocates nothing per frame.
 */
public final class OfflineReplay
{
    private static final int RING_BYTES = 1 << 22;
    private static final int MAX_IDLE_CYCLES = 4;
    private static final long DRAIN_STEP_NS = 1_000_000L;
    /** Longest per-frame time the histogram tells apart; longer ones count as this. */
    public static final long MAX_LATENCY_NS = 10_000_000_000L;

    private final CachedNanoClock clock = new CachedNanoClock();
    private final InMemoryPort outside = new InMemoryPort("outside", RING_BYTES);
    private final InMemoryPort inside = new InMemoryPort("inside", RING_BYTES);
    private long outsideMac;
    private long framesIn;
    private long framesOut;
    private final Histogram latencyNs = new Histogram(MAX_LATENCY_NS, 3);
    private Agent engine;
    private PacketPort output;
    private final FrameHandler toOutput = (buffer, offset, length, ts) ->
    {
        if (output.send(buffer, offset, length))
        {
            framesOut++;
        }
    };

    /**
     * @param outsideMac the client-side host's MAC as a 48-bit number, or -1 to learn it from the first frame.
     */
    public OfflineReplay(final long outsideMac)
    {
        this.outsideMac = outsideMac;
    }

    /** The clock the engine must use: it follows the input's timestamps. */
    public CachedNanoClock clock()
    {
        return clock;
    }

    /** The engine's outside port. */
    public PacketPort outsidePort()
    {
        return outside;
    }

    /** The engine's inside port. */
    public PacketPort insidePort()
    {
        return inside;
    }

    public long framesIn()
    {
        return framesIn;
    }

    public long framesOut()
    {
        return framesOut;
    }

    /** The engine's processing time per input frame, in nanoseconds (see the class comment). */
    public Histogram latencyHistogram()
    {
        return latencyNs;
    }

    /**
     * Feeds every frame of {@code input} through {@code engine} and writes what it sends to {@code output}.
     *
     * @param engine the agent built over {@link #outsidePort()}, {@link #insidePort()} and {@link #clock()}.
     * @param output receives the frames, stamped by a clock that should read {@link #clock()}.
     */
    public void run(final PacketPort input, final Agent engine, final PacketPort output)
    {
        start(engine, output);
        final FrameHandler feed = (buffer, offset, length, timestampNs) ->
        {
            final long sourceMac = length >= 12 ? sourceMac(buffer, offset) : -2;
            if (outsideMac == -1)
            {
                outsideMac = sourceMac;
            }
            feed(sourceMac == outsideMac ? Side.OUTSIDE : Side.INSIDE, buffer, offset, length, timestampNs);
        };
        while (!input.isEndOfStream())
        {
            if (input.receive(feed, 1) == 0 && input.isEndOfStream())
            {
                break;
            }
        }
        finish();
    }

    /** Starts a replay whose frames the caller {@link #feed}s; {@link #finish()} ends it. */
    public void start(final Agent engine, final PacketPort output)
    {
        this.engine = engine;
        this.output = output;
    }

    /**
     * Hands one frame to the engine on {@code side} at {@code timestampNs} (the clock moves there, never back), runs
     * the engine until it is idle and writes what it sent.
     */
    public void feed(final Side side, final DirectBuffer buffer, final int offset, final int length,
        final long timestampNs)
    {
        if (timestampNs - clock.nanoTime() > 0)
        {
            clock.update(timestampNs);
        }
        framesIn++;
        (side == Side.OUTSIDE ? outside : inside).inject(buffer, offset, length, clock.nanoTime());
        latencyNs.recordValue(Math.min(runEngine(), MAX_LATENCY_NS));
    }

    /** Lets the engine's timers run a few more steps, writes what they sent and flushes the output. */
    public void finish()
    {
        for (int i = 0; i < MAX_IDLE_CYCLES; i++)
        {
            clock.update(clock.nanoTime() + DRAIN_STEP_NS);
            runEngine();
        }
        output.flush(clock.nanoTime());
    }

    /** @return the nanoseconds spent in {@code doWork()} calls that did work. */
    private long runEngine()
    {
        long busyNs = 0;
        try
        {
            int idle = 0;
            while (idle < MAX_IDLE_CYCLES)
            {
                final long startNs = System.nanoTime();
                final int work = engine.doWork();
                if (work > 0)
                {
                    busyNs += System.nanoTime() - startNs;
                }
                final int drained = outside.drainSent(toOutput, Integer.MAX_VALUE) +
                    inside.drainSent(toOutput, Integer.MAX_VALUE);
                idle = work + drained == 0 ? idle + 1 : 0;
            }
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("engine failed during replay", ex);
        }
        return busyNs;
    }

    private static long sourceMac(final DirectBuffer buffer, final int offset)
    {
        return ((buffer.getShort(offset + 6, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFFL) << 32) |
            (buffer.getInt(offset + 8, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL);
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff} into a 48-bit number. */
    public static long parseMac(final String text)
    {
        final String[] parts = text.split("[:-]");
        if (parts.length != 6)
        {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        long mac = 0;
        for (final String part : parts)
        {
            mac = (mac << 8) | Integer.parseInt(part, 16);
        }
        return mac;
    }
}
