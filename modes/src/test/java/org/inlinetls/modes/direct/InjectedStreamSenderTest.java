package org.inlinetls.modes.direct;

import org.junit.jupiter.api.Test;

import static org.inlinetls.modes.direct.InjectedStreamSender.NO_DEADLINE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InjectedStreamSenderTest
{
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000 * MS;
    private static final int MSS = 1000;
    private static final int ISN = 1000;
    private static final int WINDOW = 64 * 1024;

    private final RecordingSegmentSink sink = new RecordingSegmentSink(64, 2048);
    private long nowNs = 5 * SECOND;

    private static byte[] pattern(final int lengthBytes, final int start)
    {
        final byte[] bytes = new byte[lengthBytes];
        for (int i = 0; i < lengthBytes; i++)
        {
            bytes[i] = (byte)(start + i * 7);
        }
        return bytes;
    }

    private static InjectedStreamSender sender(final int capacityBytes, final long maxRtoNs, final int maxRetx)
    {
        return new InjectedStreamSender(capacityBytes, SECOND, 200 * MS, maxRtoNs, MS, maxRetx);
    }

    private InjectedStreamSender sending(final int initialSeq, final int lengthBytes)
    {
        final InjectedStreamSender sender = new InjectedStreamSender(initialSeq);
        assertTrue(sender.append(pattern(lengthBytes, 0), 0, lengthBytes));
        return sender;
    }

    @Test
    void shouldSendSegmentsWithinMssAndWindow()
    {
        final byte[] flight = pattern(5000, 3);
        final InjectedStreamSender sender = new InjectedStreamSender(ISN);
        assertTrue(sender.append(flight, 0, flight.length));

        assertEquals(3, sender.poll(nowNs, sink, MSS, 2500));
        assertEquals(ISN, sink.seqs[0]);
        assertEquals(ISN + 1000, sink.seqs[1]);
        assertEquals(ISN + 2000, sink.seqs[2]);
        assertEquals(1000, sink.lengths[0]);
        assertEquals(500, sink.lengths[2]);
        assertFalse(sink.retransmissions[2]);
        for (int i = 0; i < 3; i++)
        {
            for (int b = 0; b < sink.lengths[i]; b++)
            {
                assertEquals(flight[i * MSS + b], sink.payloads[i][b]);
            }
        }
        assertEquals(ISN + 2500, sender.nextSeq());
        assertEquals(2500, sender.unackedBytes());
        assertEquals(2500, sender.unsentBytes());
        assertEquals(2500, sender.bytesSent());
        assertEquals(nowNs + SECOND, sender.nextDeadlineNs());

        assertEquals(0, sender.poll(nowNs, sink, MSS, 2500), "window full");
        assertEquals(1, sender.poll(nowNs, sink, MSS, 3000), "window grew by 500");
        assertEquals(500, sink.lengths[3]);
    }

    @Test
    void shouldReleaseAcknowledgedBytesAndFreeTheBuffer()
    {
        final InjectedStreamSender sender = sender(4096, 60 * SECOND, 6);
        sender.reset(ISN);
        assertTrue(sender.append(pattern(4096, 0), 0, 4096));
        assertFalse(sender.append(new byte[1], 0, 1), "ring full");
        sender.poll(nowNs, sink, MSS, WINDOW);
        assertFalse(sender.isFullyAcknowledged());

        assertEquals(4096, sender.onAck(ISN + 4096, WINDOW, nowNs + 50 * MS));
        assertTrue(sender.isFullyAcknowledged());
        assertEquals(4096, sender.freeBytes());
        assertEquals(0, sender.unackedBytes());
        assertEquals(NO_DEADLINE, sender.nextDeadlineNs());
        assertTrue(sender.append(pattern(4096, 1), 0, 4096));
    }

    @Test
    void shouldReleasePartiallyAcknowledgedSegmentAndRestartTimer()
    {
        final InjectedStreamSender sender = sending(ISN, 2000);
        sender.poll(nowNs, sink, MSS, WINDOW);

        assertEquals(1500, sender.onAck(ISN + 1500, WINDOW, nowNs + 100 * MS));
        assertEquals(500, sender.unackedBytes());
        assertEquals(ISN + 1500, sender.unackedSeq());
        assertEquals(nowNs + 100 * MS + sender.rtoNs(), sender.nextDeadlineNs());

        nowNs = sender.nextDeadlineNs();
        sink.clear();
        assertEquals(1, sender.poll(nowNs, sink, MSS, WINDOW));
        assertEquals(ISN + 1500, sink.seqs[0]);
        assertEquals(500, sink.lengths[0]);
        assertTrue(sink.retransmissions[0]);
    }

    @Test
    void shouldBackOffExponentiallyUpToTheMaximum()
    {
        final InjectedStreamSender sender = sender(4096, 8 * SECOND, 10);
        sender.reset(ISN);
        sender.append(pattern(100, 0), 0, 100);
        sender.poll(nowNs, sink, MSS, WINDOW);

        final long[] expectedRtoNs = { 2 * SECOND, 4 * SECOND, 8 * SECOND, 8 * SECOND };
        for (int i = 0; i < expectedRtoNs.length; i++)
        {
            final long deadlineNs = sender.nextDeadlineNs();
            assertEquals(0, sender.poll(deadlineNs - 1, sink, MSS, WINDOW), "not yet due");
            nowNs = deadlineNs;
            sink.clear();
            assertEquals(1, sender.poll(nowNs, sink, MSS, WINDOW));
            assertTrue(sink.retransmissions[0]);
            assertEquals(ISN, sink.seqs[0]);
            assertEquals(expectedRtoNs[i], sender.rtoNs());
            assertEquals(nowNs + expectedRtoNs[i], sender.nextDeadlineNs());
            assertEquals(i + 1, sender.timeouts());
        }
        assertEquals(400, sender.bytesRetransmitted());
        assertEquals(100, sender.bytesSent());
    }

    @Test
    void shouldEstimateRttPerRfc6298()
    {
        final InjectedStreamSender sender = sending(ISN, 300);
        assertEquals(SECOND, sender.rtoNs(), "RFC 6298 2.1 initial RTO");

        sender.poll(nowNs, sink, 100, WINDOW);
        sender.onAck(ISN + 100, WINDOW, nowNs + 100 * MS);
        assertEquals(100 * MS, sender.srttNs(), "2.2: SRTT = R");
        assertEquals(50 * MS, sender.rttvarNs(), "2.2: RTTVAR = R/2");
        assertEquals(300 * MS, sender.rtoNs(), "2.2: RTO = SRTT + max(G, 4 RTTVAR)");

        // second segment was sent at nowNs but not timed (one sample at a time); time the third
        nowNs += SECOND;
        sender.onAck(ISN + 200, WINDOW, nowNs);
        assertEquals(100 * MS, sender.srttNs(), "untimed segment gives no sample");
        sender.append(pattern(100, 0), 0, 100);
        sender.poll(nowNs, sink, 100, WINDOW);
        sender.onAck(ISN + 300, WINDOW, nowNs + 200 * MS);
        sender.onAck(ISN + 400, WINDOW, nowNs + 200 * MS);
        // 2.3: RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5, SRTT = 7/8 * 100 + 1/8 * 200 = 112.5
        assertEquals(62_500_000L, sender.rttvarNs());
        assertEquals(112_500_000L, sender.srttNs());
        assertEquals(362_500_000L, sender.rtoNs());
    }

    @Test
    void shouldClampRtoToMinimumAndSkipSamplesOfRetransmittedSegments()
    {
        final InjectedStreamSender sender = sending(ISN, 200);
        sender.poll(nowNs, sink, 100, WINDOW);
        sender.onAck(ISN + 100, WINDOW, nowNs + 10 * MS);
        assertEquals(10 * MS, sender.srttNs());
        assertEquals(200 * MS, sender.rtoNs(), "10 + max(1, 20) = 30 ms raised to the 200 ms minimum");

        nowNs = sender.nextDeadlineNs();
        sender.poll(nowNs, sink, 100, WINDOW);
        assertEquals(400 * MS, sender.rtoNs());
        sender.onAck(ISN + 200, WINDOW, nowNs + 5 * SECOND);
        assertEquals(10 * MS, sender.srttNs(), "Karn: no sample from a retransmitted segment");
        assertEquals(400 * MS, sender.rtoNs(), "backoff kept until a valid sample");
    }

    @Test
    void shouldFastRetransmitOnceAfterThreeDuplicateAcks()
    {
        final InjectedStreamSender sender = sending(ISN, 5000);
        sender.poll(nowNs, sink, MSS, WINDOW);
        sender.onAck(ISN + 1000, WINDOW, nowNs + 10 * MS);
        sink.clear();

        for (int i = 1; i <= 6; i++)
        {
            sender.onAck(ISN + 1000, WINDOW, nowNs + 10 * MS + i);
            final int segments = sender.poll(nowNs + 10 * MS + i, sink, MSS, WINDOW);
            assertEquals(i == 3 ? 1 : 0, segments, "duplicate ACK " + i);
        }
        assertEquals(1, sender.fastRetransmits());
        assertEquals(ISN + 1000, sink.seqs[0]);
        assertTrue(sink.retransmissions[0]);

        // partial ACK: the next hole is resent at once
        sink.clear();
        sender.onAck(ISN + 2000, WINDOW, nowNs + 20 * MS);
        assertEquals(1, sender.poll(nowNs + 20 * MS, sink, MSS, WINDOW));
        assertEquals(ISN + 2000, sink.seqs[0]);
        assertEquals(1, sender.fastRetransmits());

        // three more duplicates inside the same window: still no second fast retransmit
        for (int i = 0; i < 3; i++)
        {
            sender.onAck(ISN + 2000, WINDOW, nowNs + 30 * MS);
        }
        assertEquals(1, sender.fastRetransmits());

        // recovery over; a loss in the next window may be fast retransmitted again
        sender.onAck(ISN + 5000, WINDOW, nowNs + 40 * MS);
        sender.append(pattern(3000, 0), 0, 3000);
        sender.poll(nowNs + 40 * MS, sink, MSS, WINDOW);
        for (int i = 0; i < 3; i++)
        {
            sender.onAck(ISN + 5000, WINDOW, nowNs + 50 * MS);
        }
        assertEquals(2, sender.fastRetransmits());
        assertEquals(2000, sender.bytesRetransmitted(), "one fast retransmit and one partial-ACK resend polled");
    }

    @Test
    void shouldNotCountDuplicateAcksThatChangeTheWindow()
    {
        final InjectedStreamSender sender = sending(ISN, 3000);
        sender.poll(nowNs, sink, MSS, WINDOW);
        for (int i = 0; i < 3; i++)
        {
            sender.onAck(ISN, WINDOW - 100 * i, nowNs);
        }
        assertEquals(0, sender.fastRetransmits());
    }

    @Test
    void shouldWrapSequenceNumbersAround32Bits()
    {
        final int isn = -1000; // 0xFFFFFC18
        final InjectedStreamSender sender = sending(isn, 3000);
        assertEquals(3, sender.poll(nowNs, sink, MSS, WINDOW));
        assertEquals(-1000, sink.seqs[0]);
        assertEquals(0, sink.seqs[1]);
        assertEquals(1000, sink.seqs[2]);
        assertEquals(2000, sender.nextSeq());

        assertEquals(0, sender.onAck(-2000, WINDOW, nowNs), "older than SND.UNA");
        assertEquals(1500, sender.onAck(500, WINDOW, nowNs + MS));
        assertEquals(1500, sender.unackedBytes());
        assertEquals(0, sender.onAck(2001, WINDOW, nowNs + MS));
        assertEquals(1, sender.invalidAcks());
        assertEquals(1500, sender.onAck(2000, WINDOW, nowNs + MS));
        assertTrue(sender.isFullyAcknowledged());
    }

    @Test
    void shouldIgnoreAckBeyondSentDataAndCountIt()
    {
        final InjectedStreamSender sender = sending(ISN, 3000);
        sender.poll(nowNs, sink, MSS, 2000);
        assertEquals(0, sender.onAck(ISN + 2500, WINDOW, nowNs), "appended but never sent");
        assertEquals(0, sender.onAck(ISN + Integer.MAX_VALUE, WINDOW, nowNs));
        assertEquals(2, sender.invalidAcks());
        assertEquals(2000, sender.unackedBytes());
    }

    @Test
    void shouldWaitOnZeroWindowThenProbeAndSendOnWindowUpdate()
    {
        final InjectedStreamSender sender = sending(ISN, 3000);
        assertEquals(0, sender.poll(nowNs, sink, MSS, 0));
        assertEquals(nowNs + SECOND, sender.nextDeadlineNs(), "persist timer");
        assertEquals(0, sender.poll(nowNs + SECOND - 1, sink, MSS, 0));

        nowNs += SECOND;
        assertEquals(1, sender.poll(nowNs, sink, MSS, 0));
        assertEquals(1, sink.lengths[0]);
        assertEquals(ISN, sink.seqs[0]);
        assertEquals(1, sender.windowProbes());
        assertEquals(nowNs + SECOND, sender.nextDeadlineNs(), "the probe is in flight under the RTO");

        assertEquals(1, sender.onAck(ISN + 1, 0, nowNs + 10 * MS), "probe accepted, window still closed");
        assertEquals(0, sender.poll(nowNs + 10 * MS, sink, MSS, 0));

        sender.onAck(ISN + 1, 4000, nowNs + 20 * MS);
        sink.clear();
        assertEquals(3, sender.poll(nowNs + 20 * MS, sink, MSS, 4000));
        assertEquals(ISN + 1, sink.seqs[0]);
        assertEquals(999, sink.lengths[2]);
        assertEquals(0, sender.unsentBytes());
        assertEquals(nowNs + 20 * MS + sender.rtoNs(), sender.nextDeadlineNs());
    }

    @Test
    void shouldGiveUpAfterMaxRetransmissions()
    {
        final InjectedStreamSender sender = sender(4096, 60 * SECOND, 3);
        sender.reset(ISN);
        sender.append(pattern(100, 0), 0, 100);
        sender.poll(nowNs, sink, MSS, WINDOW);
        for (int i = 0; i < 3; i++)
        {
            nowNs = sender.nextDeadlineNs();
            assertEquals(1, sender.poll(nowNs, sink, MSS, WINDOW));
            assertFalse(sender.hasGivenUp());
        }
        nowNs = sender.nextDeadlineNs();
        assertEquals(0, sender.poll(nowNs, sink, MSS, WINDOW));
        assertTrue(sender.hasGivenUp());
        assertEquals(3, sender.timeouts());
        assertEquals(NO_DEADLINE, sender.nextDeadlineNs());
        assertFalse(sender.append(new byte[1], 0, 1));

        sender.reset(ISN);
        assertFalse(sender.hasGivenUp());
    }

    @Test
    void shouldResetTheGiveUpCountWhenAcksProgress()
    {
        final InjectedStreamSender sender = sender(4096, 60 * SECOND, 2);
        sender.reset(ISN);
        sender.append(pattern(3000, 0), 0, 3000);
        sender.poll(nowNs, sink, MSS, WINDOW);
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < 2; i++)
            {
                nowNs = sender.nextDeadlineNs();
                sender.poll(nowNs, sink, MSS, WINDOW);
            }
            sender.onAck(ISN + 1000 * (round + 1), WINDOW, nowNs + MS);
        }
        assertFalse(sender.hasGivenUp());
        assertEquals(4, sender.timeouts());
    }

    @Test
    void shouldSplitSegmentsAtTheEndOfTheRingAndKeepBytesInOrder()
    {
        final InjectedStreamSender sender = sender(4096, 60 * SECOND, 6);
        sender.reset(ISN);
        final byte[] first = pattern(3000, 11);
        final byte[] second = pattern(3000, 77);
        sender.append(first, 0, first.length);
        sender.poll(nowNs, sink, MSS, WINDOW);
        sender.onAck(ISN + 2000, WINDOW, nowNs + MS);
        assertTrue(sender.append(second, 0, second.length));
        assertFalse(sender.append(new byte[97], 0, 97));

        sink.clear();
        sender.poll(nowNs + MS, sink, 1500, WINDOW);
        final byte[] expected = new byte[3000];
        System.arraycopy(second, 0, expected, 0, 3000);
        final byte[] sent = new byte[3000];
        int position = 0;
        for (int i = 0; i < sink.count; i++)
        {
            assertEquals(ISN + 3000 + position, sink.seqs[i]);
            System.arraycopy(sink.payloads[i], 0, sent, position, sink.lengths[i]);
            position += sink.lengths[i];
        }
        assertEquals(3000, position);
        assertArrayEquals(expected, sent);
        assertEquals(3, sink.count, "1096 bytes up to the ring's end, then 1500 and 404");
    }

    @Test
    void shouldLeaveRefusedSegmentsForTheNextPoll()
    {
        final InjectedStreamSender sender = sending(ISN, 2000);
        sink.refuse = true;
        assertEquals(0, sender.poll(nowNs, sink, MSS, WINDOW));
        assertEquals(ISN, sender.nextSeq());
        sink.refuse = false;
        assertEquals(2, sender.poll(nowNs, sink, MSS, WINDOW));

        nowNs = sender.nextDeadlineNs();
        sink.refuse = true;
        assertEquals(0, sender.poll(nowNs, sink, MSS, WINDOW));
        sink.refuse = false;
        sink.clear();
        assertEquals(1, sender.poll(nowNs, sink, MSS, WINDOW));
        assertTrue(sink.retransmissions[0]);
        assertEquals(1, sender.timeouts());
    }
}
