package org.inlinetls.modes.direct;

/**
 * Holds the bytes one flow's appliance injects toward the client and decides, without I/O, what to (re)transmit.
 * <p>
 * In direct mode the appliance's handshake flight, TLS 1.3 NewSessionTicket and close_notify occupy positions in the
 * server→client sequence space that the server never sees (DESIGN §4, §7), so nobody else will retransmit them. This
 * is a small TCP sender for exactly those bytes:
 * <ul>
 *     <li>a bounded ring of unacknowledged and unsent bytes, numbered from the sequence number given at
 *     {@link #reset(int)}; all sequence arithmetic is modulo 2<sup>32</sup> ({@code a - b} on {@code int}s);</li>
 *     <li>new segments of at most one MSS, inside the window the client advertised measured from the oldest
 *     unacknowledged byte; a segment never crosses the end of the ring (a wrapped range is sent as two segments);</li>
 *     <li>RFC 6298 retransmission timer: SRTT/RTTVAR from one timed, never retransmitted segment at a time (Karn),
 *     RTO = SRTT + max(G, 4·RTTVAR) clamped to [min, max], 1 s before the first sample, doubled per expiry up to the
 *     maximum; the oldest unacknowledged segment is resent on expiry;</li>
 *     <li>RFC 5681 fast retransmit on the third duplicate ACK, once per window of data (the RFC 6582 "recover"
 *     point), and NewReno-style resend of the next hole on a partial ACK after a retransmission; there is no
 *     congestion window: the injected flight is at most the ring and goes out as fast as the client's window
 *     allows;</li>
 *     <li>a persist timer while the client's window is zero: one-byte probes at the RTO;</li>
 *     <li>{@link #hasGivenUp()} once the oldest byte timed out more than the configured number of times in a row; the
 *     flow logic turns that into a reset.</li>
 * </ul>
 * A timer expires when {@code deadlineNs - nowNs <= 0}: an engine that wakes exactly at {@link #nextDeadlineNs()}
 * must find the timer expired, or it would be handed the same deadline again.
 * <p>
 * A segment the {@link SegmentSink} refuses stays due (a refused retransmission leaves no timer running), so an
 * engine whose transmit port was full polls again without waiting for {@link #nextDeadlineNs()}.
 * <p>
 * Single writer; nothing is allocated after construction, so instances can be pooled and {@link #reset(int)} per flow.
 */
public final class InjectedStreamSender
{
    /** Default ring capacity: a full TLS handshake flight with a certificate chain fits. */
    public static final int DEFAULT_CAPACITY_BYTES = 16 * 1024;
    /** RFC 6298 §2.1: the RTO before any RTT sample. */
    public static final long DEFAULT_INITIAL_RTO_NS = 1_000_000_000L;
    /** Lower bound of the computed RTO (Linux's 200 ms rather than RFC 6298's conservative 1 s). */
    public static final long DEFAULT_MIN_RTO_NS = 200_000_000L;
    /** RFC 6298 §2.5: upper bound of the RTO, also the cap of the backoff. */
    public static final long DEFAULT_MAX_RTO_NS = 60_000_000_000L;
    /** Clock granularity G of RFC 6298 §2; the engine's timer wheel tick. */
    public static final long DEFAULT_CLOCK_GRANULARITY_NS = 1_000_000L;
    /** Consecutive timeouts tolerated; from the initial 1 s RTO the 7th expiry, 123 s after sending, gives up. */
    public static final int DEFAULT_MAX_RETRANSMISSIONS = 6;
    /** Returned by {@link #nextDeadlineNs()} when no timer runs. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;
    /** RFC 5681 §3.2: duplicate ACKs that trigger fast retransmit. */
    public static final int DUPLICATE_ACK_THRESHOLD = 3;

    private final byte[] ring;
    private final long initialRtoNs;
    private final long minRtoNs;
    private final long maxRtoNs;
    private final long clockGranularityNs;
    private final int maxRetransmissions;

    private int headIndex;
    private int sndUna;
    private int sndNxt;
    private int endSeq;

    private long srttNs;
    private long rttvarNs;
    private long rtoNs;
    private boolean hasRttSample;
    private boolean isTiming;
    private int timedEndSeq;
    private long timedSentNs;

    private boolean isTimerRunning;
    private long deadlineNs;
    private int consecutiveTimeouts;
    private boolean hasGivenUp;

    private boolean isRetransmitPending;
    private boolean isProbeDue;
    private boolean isInRecovery;
    private int recoverSeq;
    private int duplicateAcks;
    private int lastWindowBytes;

    private long bytesSent;
    private long bytesRetransmitted;
    private long timeouts;
    private long fastRetransmits;
    private long windowProbes;
    private long invalidAcks;

    /**
     * A sender with the defaults, a {@link #DEFAULT_CAPACITY_BYTES} ring and a stream starting at {@code initialSeq}.
     *
     * @param initialSeq sequence number of the first injected byte.
     */
    public InjectedStreamSender(final int initialSeq)
    {
        this(DEFAULT_CAPACITY_BYTES, DEFAULT_INITIAL_RTO_NS, DEFAULT_MIN_RTO_NS, DEFAULT_MAX_RTO_NS,
            DEFAULT_CLOCK_GRANULARITY_NS, DEFAULT_MAX_RETRANSMISSIONS);
        reset(initialSeq);
    }

    /**
     * A sender with explicit configuration; call {@link #reset(int)} to place its stream (it starts at 0).
     *
     * @param capacityBytes      of the ring: unacknowledged plus unsent bytes.
     * @param initialRtoNs       RTO before the first RTT sample.
     * @param minRtoNs           lower bound of the computed RTO.
     * @param maxRtoNs           upper bound of the computed and backed-off RTO.
     * @param clockGranularityNs G of RFC 6298.
     * @param maxRetransmissions consecutive timeouts tolerated; the next one gives up.
     */
    public InjectedStreamSender(
        final int capacityBytes,
        final long initialRtoNs,
        final long minRtoNs,
        final long maxRtoNs,
        final long clockGranularityNs,
        final int maxRetransmissions)
    {
        if (capacityBytes <= 0)
        {
            throw new IllegalArgumentException("capacityBytes must be positive: " + capacityBytes);
        }
        if (minRtoNs <= 0 || maxRtoNs < minRtoNs || initialRtoNs < minRtoNs || initialRtoNs > maxRtoNs)
        {
            throw new IllegalArgumentException(
                "need 0 < minRtoNs <= initialRtoNs <= maxRtoNs: " + minRtoNs + ", " + initialRtoNs + ", " + maxRtoNs);
        }
        if (clockGranularityNs < 0 || maxRetransmissions < 0)
        {
            throw new IllegalArgumentException(
                "clockGranularityNs and maxRetransmissions must not be negative: " + clockGranularityNs + ", " +
                maxRetransmissions);
        }
        this.ring = new byte[capacityBytes];
        this.initialRtoNs = initialRtoNs;
        this.minRtoNs = minRtoNs;
        this.maxRtoNs = maxRtoNs;
        this.clockGranularityNs = clockGranularityNs;
        this.maxRetransmissions = maxRetransmissions;
        reset(0);
    }

    /**
     * Forget everything and start an empty stream whose first byte will carry {@code initialSeq}.
     *
     * @param initialSeq sequence number of the first injected byte.
     */
    public void reset(final int initialSeq)
    {
        headIndex = 0;
        sndUna = initialSeq;
        sndNxt = initialSeq;
        endSeq = initialSeq;
        srttNs = 0;
        rttvarNs = 0;
        rtoNs = initialRtoNs;
        hasRttSample = false;
        isTiming = false;
        isTimerRunning = false;
        deadlineNs = NO_DEADLINE;
        consecutiveTimeouts = 0;
        hasGivenUp = false;
        isRetransmitPending = false;
        isProbeDue = false;
        isInRecovery = false;
        recoverSeq = initialSeq;
        duplicateAcks = 0;
        lastWindowBytes = -1;
        bytesSent = 0;
        bytesRetransmitted = 0;
        timeouts = 0;
        fastRetransmits = 0;
        windowProbes = 0;
        invalidAcks = 0;
    }

    /**
     * Queue bytes behind those already injected, all or nothing.
     *
     * @param src         holding the bytes.
     * @param offset      of the first byte in {@code src}.
     * @param lengthBytes to queue.
     * @return false, queuing nothing, if the ring has less room than {@code lengthBytes} or the sender gave up.
     */
    public boolean append(final byte[] src, final int offset, final int lengthBytes)
    {
        if (lengthBytes < 0 || lengthBytes > freeBytes() || hasGivenUp)
        {
            return false;
        }
        final int capacity = ring.length;
        final int tailIndex = index(endSeq);
        final int firstBytes = Math.min(lengthBytes, capacity - tailIndex);
        System.arraycopy(src, offset, ring, tailIndex, firstBytes);
        System.arraycopy(src, offset + firstBytes, ring, 0, lengthBytes - firstBytes);
        endSeq += lengthBytes;
        return true;
    }

    /**
     * Offer what is due to {@code sink}: the pending retransmission first, then new bytes the window allows.
     *
     * @param nowNs           the cycle's clock.
     * @param sink            taking the segments.
     * @param mssBytes        largest payload per segment.
     * @param peerWindowBytes the client's receive window, counted from {@link #unackedSeq()}.
     * @return segments taken by the sink, for the duty cycle's work count.
     */
    public int poll(final long nowNs, final SegmentSink sink, final int mssBytes, final int peerWindowBytes)
    {
        if (hasGivenUp || mssBytes <= 0)
        {
            return 0;
        }
        if (isTimerRunning && deadlineNs - nowNs <= 0)
        {
            onTimerExpired(nowNs);
            if (hasGivenUp)
            {
                return 0;
            }
        }

        int segments = 0;
        if (isRetransmitPending)
        {
            final int lengthBytes = Math.min(mssBytes, contiguousBytes(sndUna, sndNxt - sndUna));
            if (lengthBytes > 0)
            {
                if (!sink.onSegment(sndUna, ring, index(sndUna), lengthBytes, true))
                {
                    return 0;
                }
                bytesRetransmitted += lengthBytes;
                segments++;
                startTimer(nowNs);
            }
            isRetransmitPending = false;
        }

        segments += sendNewBytes(nowNs, sink, mssBytes, peerWindowBytes - (sndNxt - sndUna));

        if (!isTimerRunning && !isProbeDue && sndNxt == sndUna && endSeq != sndNxt && peerWindowBytes <= 0)
        {
            startTimer(nowNs); // persist timer: the window is closed, nothing is in flight to bring an update
        }

        return segments;
    }

    /**
     * Process the acknowledgment number and window of a segment from the client, already in this stream's space.
     *
     * @param ackSeq      acknowledgment number.
     * @param windowBytes receive window the segment advertised (scaled).
     * @param nowNs       the cycle's clock.
     * @return bytes newly acknowledged and released from the ring.
     */
    public int onAck(final int ackSeq, final int windowBytes, final long nowNs)
    {
        if (ackSeq - sndNxt > 0)
        {
            invalidAcks++; // RFC 9293 §3.10.7.4: acknowledges something not yet sent; ignore the segment's ACK
            return 0;
        }
        final int ackedBytes = ackSeq - sndUna;
        if (ackedBytes < 0)
        {
            return 0; // older than what we know, e.g. reordered
        }
        if (ackedBytes == 0)
        {
            onDuplicateAck(windowBytes);
            lastWindowBytes = windowBytes;
            return 0;
        }

        headIndex = index(ackSeq);
        sndUna = ackSeq;
        lastWindowBytes = windowBytes;
        duplicateAcks = 0;
        consecutiveTimeouts = 0;

        if (isTiming && ackSeq - timedEndSeq >= 0)
        {
            isTiming = false;
            updateRtt(nowNs - timedSentNs);
        }

        if (isInRecovery)
        {
            if (ackSeq - recoverSeq >= 0)
            {
                isInRecovery = false;
                isRetransmitPending = false;
            }
            else
            {
                isRetransmitPending = true; // partial ACK: the next hole was lost too (RFC 6582 §3.2 step 3)
            }
        }

        if (sndUna == sndNxt)
        {
            stopTimer();
            isRetransmitPending = false;
            if (sndUna == endSeq)
            {
                headIndex = 0; // keep the next flight contiguous in the ring
            }
        }
        else
        {
            startTimer(nowNs); // RFC 6298 §5.3
        }

        return ackedBytes;
    }

    /**
     * Whether every appended byte has been acknowledged.
     *
     * @return true when nothing is unsent or in flight.
     */
    public boolean isFullyAcknowledged()
    {
        return sndUna == endSeq;
    }

    /**
     * Whether the oldest byte timed out more than the configured number of times in a row: the flow must be reset.
     *
     * @return true once given up; only {@link #reset(int)} clears it.
     */
    public boolean hasGivenUp()
    {
        return hasGivenUp;
    }

    /**
     * Sequence number of the next byte never sent before.
     *
     * @return SND.NXT.
     */
    public int nextSeq()
    {
        return sndNxt;
    }

    /**
     * Sequence number of the oldest byte not acknowledged.
     *
     * @return SND.UNA.
     */
    public int unackedSeq()
    {
        return sndUna;
    }

    /**
     * Sequence number following the last appended byte.
     *
     * @return where the next appended byte will go.
     */
    public int endSeq()
    {
        return endSeq;
    }

    /**
     * Bytes sent and not yet acknowledged.
     *
     * @return SND.NXT - SND.UNA.
     */
    public int unackedBytes()
    {
        return sndNxt - sndUna;
    }

    /**
     * Bytes appended and not yet sent.
     *
     * @return bytes waiting for the window.
     */
    public int unsentBytes()
    {
        return endSeq - sndNxt;
    }

    /**
     * Room left in the ring for {@link #append}.
     *
     * @return capacity minus unacknowledged and unsent bytes.
     */
    public int freeBytes()
    {
        return ring.length - (endSeq - sndUna);
    }

    /**
     * When the retransmission or persist timer expires, for the engine's timer wheel.
     *
     * @return the deadline, or {@link #NO_DEADLINE} when no timer runs.
     */
    public long nextDeadlineNs()
    {
        return isTimerRunning ? deadlineNs : NO_DEADLINE;
    }

    /**
     * Current retransmission timeout, backoff included.
     *
     * @return RTO in nanoseconds.
     */
    public long rtoNs()
    {
        return rtoNs;
    }

    /**
     * Smoothed round-trip time, 0 before the first sample.
     *
     * @return SRTT in nanoseconds.
     */
    public long srttNs()
    {
        return srttNs;
    }

    /**
     * Round-trip time variation, 0 before the first sample.
     *
     * @return RTTVAR in nanoseconds.
     */
    public long rttvarNs()
    {
        return rttvarNs;
    }

    /**
     * New bytes sent, window probes included, retransmissions not.
     *
     * @return bytes.
     */
    public long bytesSent()
    {
        return bytesSent;
    }

    /**
     * Bytes sent again, by timeout, fast retransmit or partial ACK.
     *
     * @return bytes.
     */
    public long bytesRetransmitted()
    {
        return bytesRetransmitted;
    }

    /**
     * Retransmission timer expiries with data in flight.
     *
     * @return count.
     */
    public long timeouts()
    {
        return timeouts;
    }

    /**
     * Fast retransmits triggered by duplicate ACKs.
     *
     * @return count.
     */
    public long fastRetransmits()
    {
        return fastRetransmits;
    }

    /**
     * One-byte probes sent into a zero window.
     *
     * @return count.
     */
    public long windowProbes()
    {
        return windowProbes;
    }

    /**
     * ACKs ignored because they acknowledged bytes never sent.
     *
     * @return count.
     */
    public long invalidAcks()
    {
        return invalidAcks;
    }

    private void onTimerExpired(final long nowNs)
    {
        if (sndNxt == sndUna)
        {
            isTimerRunning = false;
            isProbeDue = endSeq != sndNxt; // persist timer: poll sends one byte into the closed window
            return;
        }

        if (consecutiveTimeouts >= maxRetransmissions)
        {
            hasGivenUp = true;
            stopTimer();
            return;
        }
        timeouts++;
        consecutiveTimeouts++;
        rtoNs = Math.min(rtoNs << 1, maxRtoNs); // RFC 6298 §5.5
        isTiming = false; // Karn: no sample from anything sent before the retransmission
        isRetransmitPending = true;
        isInRecovery = true;
        recoverSeq = sndNxt;
        duplicateAcks = 0;
        isTimerRunning = false; // restarted when the retransmission is taken
    }

    private void onDuplicateAck(final int windowBytes)
    {
        // RFC 5681 §2 "duplicate": data outstanding, same (non-zero) window, no advance
        if (sndNxt == sndUna || windowBytes != lastWindowBytes || windowBytes == 0)
        {
            duplicateAcks = 0;
            return;
        }
        if (++duplicateAcks == DUPLICATE_ACK_THRESHOLD && !isInRecovery)
        {
            fastRetransmits++;
            isTiming = false;
            isRetransmitPending = true;
            isInRecovery = true;
            recoverSeq = sndNxt; // RFC 6582 §3.2 step 1: no second fast retransmit until all of this is acked
        }
    }

    private int sendNewBytes(final long nowNs, final SegmentSink sink, final int mssBytes, final int usableBytes)
    {
        int segments = 0;
        int usable = usableBytes;
        final boolean isProbe = isProbeDue && usable <= 0 && sndNxt == sndUna;
        if (isProbe)
        {
            usable = 1; // RFC 9293 §3.8.6.1: one byte beyond the zero window
        }
        while (usable > 0 && endSeq != sndNxt)
        {
            final int lengthBytes = Math.min(Math.min(mssBytes, usable), contiguousBytes(sndNxt, endSeq - sndNxt));
            final boolean wasIdle = sndNxt == sndUna;
            if (!sink.onSegment(sndNxt, ring, index(sndNxt), lengthBytes, false))
            {
                return segments;
            }
            if (!isTiming && !isInRecovery)
            {
                isTiming = true;
                timedSentNs = nowNs;
                timedEndSeq = sndNxt + lengthBytes;
            }
            sndNxt += lengthBytes;
            bytesSent += lengthBytes;
            usable -= lengthBytes;
            segments++;
            if (!isTimerRunning || wasIdle)
            {
                startTimer(nowNs); // RFC 6298 §5.1; also replaces a persist timer
            }
        }
        if (isProbe && segments > 0)
        {
            windowProbes++;
        }
        isProbeDue = isProbeDue && segments == 0 && endSeq != sndNxt;
        return segments;
    }

    private void updateRtt(final long rttNs)
    {
        final long sampleNs = Math.max(rttNs, 0);
        if (!hasRttSample)
        {
            hasRttSample = true;
            srttNs = sampleNs; // RFC 6298 §2.2
            rttvarNs = sampleNs >> 1;
        }
        else
        {
            rttvarNs = (3 * rttvarNs + Math.abs(srttNs - sampleNs)) >> 2; // RFC 6298 §2.3, beta = 1/4
            srttNs = (7 * srttNs + sampleNs) >> 3; // alpha = 1/8
        }
        rtoNs = Math.min(Math.max(srttNs + Math.max(clockGranularityNs, rttvarNs << 2), minRtoNs), maxRtoNs);
    }

    private void startTimer(final long nowNs)
    {
        isTimerRunning = true;
        deadlineNs = nowNs + rtoNs;
    }

    private void stopTimer()
    {
        isTimerRunning = false;
        deadlineNs = NO_DEADLINE;
    }

    private int index(final int seq)
    {
        final int index = headIndex + (seq - sndUna);
        return index >= ring.length ? index - ring.length : index;
    }

    private int contiguousBytes(final int seq, final int availableBytes)
    {
        return Math.min(availableBytes, ring.length - index(seq));
    }
}
