package org.inlinetls.packet.tcp;

import static org.inlinetls.packet.tcp.TcpEndpoint.NO_DEADLINE;

/**
 * Loss detection beyond RFC 6675's duplicate threshold, for SACK connections, so that the common losses are repaired
 * without a retransmission timeout and reordering is not mistaken for loss:
 * <ul>
 * <li>RACK (RFC 8985 §6) in a form that needs no per-segment send times: when SACKs show data above a hole, a timer
 * of one reordering window (reo_wnd: a quarter of the minimum RTT, widened on D-SACK up to SRTT, §6.2.4; at least
 * 1 ms) is armed; when it expires, every byte still unSACKed below what was SACKed then is lost. Data goes out in
 * order, so the hole went out before the SACKed bytes: this is RACK's "sent before a delivered segment and older than
 * RTT + reo_wnd" for original transmissions.</li>
 * <li>TLP (RFC 8985 §7): with data in flight and no ACK progress for PTO = 2 * SRTT (plus 50 ms with one segment in
 * flight for a delayed ACK, at least 10 ms, at most the RTO), send one probe: new data if the peer's window allows,
 * else the last segment again (or, in recovery, the hole at SND.UNA). Its SACK lets RACK find the loss.</li>
 * <li>Lost retransmissions: in recovery, when data sent after the retransmission of the hole at SND.UNA is SACKed
 * while that hole is not, the retransmission was lost and the holes are sent again (Linux's lost-retransmit
 * detection).</li>
 * <li>Reordering: when never-retransmitted data is SACKed or ACKed below the highest SACKed byte, the distance in
 * segments raises DupThresh (Linux's tp->reordering) so the same reordering does not trigger a fast retransmit
 * again.</li>
 * </ul>
 * Everything works on the control block's primitive fields: nothing is allocated.
 */
final class TcpLossDetector
{
    private static final long MIN_REO_WND_NS = 1_000_000L;
    private static final long MIN_PTO_NS = 10_000_000L;
    /** WCDelAckT: RFC 8985 suggests 200 ms, the most a delayed ACK may take; Linux delays 40 ms in practice. */
    private static final long DELAYED_ACK_ALLOWANCE_NS = 50_000_000L;
    private static final int MAX_REO_WND_MULTIPLIER = 16;

    private final TcpControlBlock tcb;
    /** A probe was sent and no ACK has made progress since: no second one (RFC 8985 §7.2). */
    private boolean probeOutstanding;

    TcpLossDetector(final TcpControlBlock tcb)
    {
        this.tcb = tcb;
    }

    /** The connection is synchronized: all marks start at SND.UNA. */
    void start()
    {
        tcb.retransmittedHighSeq = tcb.sndUna;
        tcb.rackLostEnd = tcb.sndUna;
        tcb.rackPendingEnd = tcb.sndUna;
        tcb.rackDeadlineNs = NO_DEADLINE;
        tcb.tlpDeadlineNs = NO_DEADLINE;
        tcb.headRxtPending = false;
        probeOutstanding = false;
    }

    /** The reordering window of RFC 8985 §6.2.4. */
    long reoWndNs()
    {
        final long srttNs = tcb.rto.srttNs();
        final long scaled = tcb.reoWndMultiplier * (tcb.rto.minRttNs() / 4);
        return Math.max(MIN_REO_WND_NS, srttNs > 0 ? Math.min(scaled, srttNs) : scaled);
    }

    /** The probe timeout of RFC 8985 §7.2. */
    long ptoNs(final long flightBytes)
    {
        final long srttNs = tcb.rto.srttNs();
        if (srttNs == 0)
        {
            return tcb.rto.rtoNs();
        }
        long pto = 2 * srttNs;
        if (flightBytes <= tcb.sendMss)
        {
            pto += DELAYED_ACK_ALLOWANCE_NS;
        }
        return Math.min(Math.max(pto, MIN_PTO_NS), tcb.rto.rtoNs());
    }

    /** A segment covering {@code [seq, end)} went out; retransmissions move the retransmitted mark. */
    void onSent(final long nowNs, final int seq, final int end)
    {
        if (seq - tcb.sndMax < 0 && end - tcb.retransmittedHighSeq > 0)
        {
            tcb.retransmittedHighSeq = end;
        }
        // restarted by new data (RFC 8985 §7.2), started by anything else sent when not running
        final boolean newData = end - tcb.sndMax > 0;
        if (tcb.sackOn && !probeOutstanding && !tcb.tlpPending && tcb.state.isSynchronized() &&
            (newData || tcb.tlpDeadlineNs == NO_DEADLINE))
        {
            tcb.tlpDeadlineNs = nowNs + ptoNs((newData ? end : tcb.sndMax) - tcb.sndUna);
        }
    }

    /** In SACK recovery the hole at SND.UNA is being retransmitted: remember SND.MAX to see the resend lost. */
    void onHeadRetransmitted(final int seq)
    {
        if (seq == tcb.sndUna)
        {
            tcb.headRxtPending = true;
            tcb.headRxtSeq = seq;
            tcb.headRxtMark = tcb.sndMax;
        }
    }

    /**
     * A SACK block newly covered {@code [left, right)} when the highest SACKed end was {@code highestBefore}: data
     * that was never resent arriving below it is reordering, by that many segments.
     */
    void onNewlySacked(final int left, final int highestBefore)
    {
        noteReordering(left, highestBefore);
    }

    /** The cumulative ACK moved from {@code oldUna} to {@code ack}, {@code highestBefore} being the highest SACK. */
    void onAckAdvanced(final int oldUna, final int ack, final int highestBefore, final long nowNs)
    {
        if (highestBefore - ack > 0)
        {
            noteReordering(oldUna, highestBefore);
        }
        if (tcb.rackLostEnd - ack < 0)
        {
            tcb.rackLostEnd = ack;
        }
        if (tcb.rackPendingEnd - ack < 0)
        {
            tcb.rackPendingEnd = ack;
        }
        if (tcb.retransmittedHighSeq - ack < 0)
        {
            tcb.retransmittedHighSeq = ack;
        }
        if (tcb.headRxtPending && ack - tcb.headRxtSeq > 0)
        {
            tcb.headRxtPending = false;
        }
        onProgress(nowNs);
    }

    /** An ACK advanced SND.UNA or SACKed new data: the probe timer restarts (RFC 8985 §7.2). */
    void onProgress(final long nowNs)
    {
        probeOutstanding = false;
        final long flightBytes = tcb.sndMax - tcb.sndUna;
        tcb.tlpDeadlineNs = tcb.sackOn && flightBytes != 0 ? nowNs + ptoNs(flightBytes) : NO_DEADLINE;
    }

    /** A D-SACK arrived: something was resent needlessly, so widen the reordering window (RFC 8985 §6.2.4). */
    void onDsack()
    {
        if (tcb.reoWndMultiplier < MAX_REO_WND_MULTIPLIER)
        {
            tcb.reoWndMultiplier++;
        }
    }

    /**
     * After an ACK's SACK blocks were taken: arms the RACK timer for newly SACKed data above the holes, and in recovery
     * sees whether the head hole's retransmission was lost.
     */
    void afterSack(final long nowNs)
    {
        final int una = tcb.sndUna;
        if (tcb.scoreboard.rangeCount() == 0)
        {
            return;
        }
        final int highest = tcb.scoreboard.highestSackedEnd(una);
        if (tcb.rackDeadlineNs == NO_DEADLINE && highest - tcb.rackLostEnd > 0)
        {
            tcb.rackPendingEnd = highest;
            tcb.rackDeadlineNs = nowNs + reoWndNs();
        }
        if (tcb.congestion.inRecovery() && tcb.headRxtPending && tcb.headRxtSeq == una &&
            highest - tcb.headRxtMark > 0)
        {
            tcb.headRxtPending = false;
            tcb.highRxt = una; // resend the holes from SND.UNA
            tcb.counters.lostRetransmits++;
        }
    }

    /** Runs the RACK and probe timers; called by the sender's poll. */
    void runTimers(final long nowNs)
    {
        if (tcb.rackDeadlineNs != NO_DEADLINE && nowNs - tcb.rackDeadlineNs >= 0)
        {
            tcb.rackDeadlineNs = NO_DEADLINE;
            onRackTimeout(nowNs);
        }
        if (tcb.tlpDeadlineNs != NO_DEADLINE && nowNs - tcb.tlpDeadlineNs >= 0)
        {
            tcb.tlpDeadlineNs = NO_DEADLINE;
            if (tcb.sndMax != tcb.sndUna && tcb.state.isSynchronized())
            {
                tcb.tlpPending = true;
                probeOutstanding = true;
            }
        }
    }

    /** A retransmission timeout: forget RACK marks and probes; the RTO path resends from SND.UNA. */
    void onTimeout()
    {
        tcb.rackLostEnd = tcb.sndUna;
        tcb.rackPendingEnd = tcb.sndUna;
        tcb.rackDeadlineNs = NO_DEADLINE;
        tcb.tlpDeadlineNs = NO_DEADLINE;
        tcb.tlpPending = false;
        tcb.headRxtPending = false;
        probeOutstanding = false;
    }

    /** Probe sent: the RTO restarts from now (RFC 8985 §7.3). */
    void onProbeSent(final long nowNs)
    {
        tcb.tlpPending = false;
        tcb.counters.tailLossProbes++;
        tcb.rtoDeadlineNs = nowNs + tcb.rto.rtoNs();
    }

    private void onRackTimeout(final long nowNs)
    {
        final int una = tcb.sndUna;
        final int pending = tcb.rackPendingEnd;
        if (pending - una <= 0 || pending - tcb.rackLostEnd <= 0)
        {
            return;
        }
        tcb.rackLostEnd = pending;
        if (tcb.scoreboard.nextUnsacked(una, pending, una) - pending >= 0)
        {
            return; // nothing unSACKed below: nothing lost
        }
        tcb.counters.rackLossMarks++;
        if (!tcb.congestion.inRecovery() && tcb.state.isSynchronized() &&
            tcb.congestion.enterRecovery(una, tcb.sndMax - una, tcb.sndMax))
        {
            tcb.counters.fastRetransmits++;
            tcb.highRxt = una;
        }
        afterSack(nowNs); // SACKs that came in while this timer ran are waited for in turn
    }

    private void noteReordering(final int left, final int highestBefore)
    {
        if (left - tcb.retransmittedHighSeq < 0 || highestBefore - left <= 0 || tcb.sendMss <= 0)
        {
            return;
        }
        final int distance = (int)Math.min(TcpControlBlock.MAX_REORDERING,
            ((long)(highestBefore - left) + tcb.sendMss - 1) / tcb.sendMss);
        if (distance > tcb.reorderingSegments)
        {
            tcb.reorderingSegments = distance;
            tcb.counters.reorderingRaises++;
        }
    }
}
