package org.inlinetls.modes.direct;

import java.lang.management.ManagementFactory;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InjectedStreamSenderAllocationTest
{
    private static final long MS = 1_000_000L;
    private static final int ROUNDS = 20_000;
    private static final int WINDOWS = 3;
    private static final long NOISE_BYTES = 64;
    private static final int MSS = 1000;
    private static final int WINDOW = 64 * 1024;

    private final byte[] flight = new byte[4000];
    private final RecordingSegmentSink sink = new RecordingSegmentSink(16, MSS);
    private long nowNs;

    @Test
    void shouldNotAllocateWhileSendingAckingAndRetransmitting()
    {
        final InjectedStreamSender sender = new InjectedStreamSender(12345);
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();

        long segments = run(sender, ROUNDS);
        threads.getThreadAllocatedBytes(threadId);
        // a JIT or safepoint event can land a few hundred bytes in one window now and then; an allocation per round
        // would show in every window as at least ROUNDS * 16 bytes, so the quietest of a few windows is the figure
        long fewestAllocatedBytes = Long.MAX_VALUE;
        final StringBuilder windows = new StringBuilder();
        for (int w = 0; w < WINDOWS; w++)
        {
            final long before = threads.getThreadAllocatedBytes(threadId);
            segments += run(sender, ROUNDS);
            final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
            fewestAllocatedBytes = Math.min(fewestAllocatedBytes, allocated);
            windows.append(w == 0 ? "" : ", ").append(allocated);
        }

        System.out.println("InjectedStreamSender: bytes allocated per window of " + ROUNDS + " rounds of append, " +
            "send, partial ACK, duplicate ACKs, fast retransmit, timeout and full ACK: " + windows);
        assertTrue(fewestAllocatedBytes <= NOISE_BYTES, "allocated " + windows + " bytes");
        assertEquals((1L + WINDOWS) * ROUNDS * 7, segments);
        assertEquals((1L + WINDOWS) * ROUNDS, sender.fastRetransmits());
        assertEquals((1L + WINDOWS) * ROUNDS, sender.timeouts());
    }

    /** Per round: 4 new segments, ACK of the first, 3 duplicates, fast retransmit, timeout, resend, full ACK. */
    private long run(final InjectedStreamSender sender, final int rounds)
    {
        long segments = 0;
        for (int r = 0; r < rounds; r++)
        {
            flight[0] = (byte)r;
            sender.append(flight, 0, flight.length);
            segments += sender.poll(nowNs, sink, MSS, WINDOW);
            final int una = sender.unackedSeq();
            nowNs += 10 * MS;
            sender.onAck(una + 1000, WINDOW, nowNs);
            for (int i = 0; i < 3; i++)
            {
                sender.onAck(una + 1000, WINDOW, nowNs);
            }
            segments += sender.poll(nowNs, sink, MSS, WINDOW);
            nowNs = sender.nextDeadlineNs();
            segments += sender.poll(nowNs, sink, MSS, WINDOW);
            sender.onAck(una + 3000, WINDOW, nowNs);
            segments += sender.poll(nowNs, sink, MSS, WINDOW);
            sender.onAck(sender.nextSeq(), WINDOW, nowNs);
            sink.clear();
        }
        return segments;
    }
}
