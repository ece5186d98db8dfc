package org.inlinetls.packet.port;

import org.agrona.DirectBuffer;

/**
 * One side of the engine's frame I/O: a NIC, a capture file, an in-memory queue, or a decorator of another port.
 * <p>
 * A port has one owning thread: the agent that polls it. Implementations never throw from {@link #receive} or
 * {@link #send}; they count their own errors and report them through {@link #rxErrors()} / {@link #txErrors()}.
 */
public interface PacketPort extends AutoCloseable
{
    /** Name used in logs and counters, e.g. the interface name. */
    String name();

    /**
     * Delivers up to {@code limit} waiting frames to the handler without blocking.
     *
     * @return the number of frames delivered.
     */
    int receive(FrameHandler handler, int limit);

    /**
     * Sends (or queues for the next {@link #flush}) one frame; the bytes are copied or written before returning.
     *
     * @return false when the frame could not be sent; the caller counts it.
     */
    boolean send(DirectBuffer buffer, int offset, int length);

    /**
     * Pushes out queued frames and runs the port's timers (delayed frames of a fault injector); called once per
     * duty cycle.
     *
     * @param nowNs the engine's clock for this cycle.
     * @return work done, 0 when idle.
     */
    default int flush(final long nowNs)
    {
        return 0;
    }

    /**
     * Frames {@link #send} can still accept without a {@link #flush}: the engine takes no more frames per cycle from
     * the opposite port than this, so a full transmit queue holds frames back in the receive ring (back-pressure)
     * instead of dropping frames the engine already accepted.
     */
    default int txRoom()
    {
        return Integer.MAX_VALUE;
    }

    /**
     * Frames dropped below this port before it could see them (a full kernel ring), as last sampled by
     * {@link #flush}; 0 when the port has no such counter.
     */
    default long kernelDrops()
    {
        return 0;
    }

    /** True when a finite source (a capture file) has delivered its last frame. */
    default boolean isEndOfStream()
    {
        return false;
    }

    /** Receive errors seen so far (native errors, corrupt records). */
    default long rxErrors()
    {
        return 0;
    }

    /** Transmit errors seen so far. */
    default long txErrors()
    {
        return 0;
    }

    @Override
    void close();
}
