package org.inlinetls.packet.tcp;

import org.agrona.DirectBuffer;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.ParsedFrame;

import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.ACK;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.FIN;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.RST;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.SYN;
import static org.inlinetls.packet.tcp.TcpEndpoint.NO_DEADLINE;

/**
 * The input half of a {@link TcpEndpoint}: segment arrival processing of RFC 9293 §3.10.7 per state, ACK processing
 * with duplicate-ACK detection for congestion control, reassembly and FIN handling.
 */
final class TcpReceiver
{
    private static final int TIMESTAMPS_SPACE = 12;
    private static final int MAX_OWED_DUP_ACKS = 16;

    private final TcpControlBlock tcb;
    private final InboundSegmentFilter filter;
    private final ParsedFrame parsed;
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();

    TcpReceiver(final TcpControlBlock tcb)
    {
        this.tcb = tcb;
        this.filter = new InboundSegmentFilter(tcb.config);
        this.parsed = filter.parsed();
    }

    /** Takes one received frame; frames for other connections, malformed ones and bad checksums are ignored. */
    void onFrame(final DirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        switch (filter.accept(buffer, offset, length))
        {
            case NOT_OURS:
                tcb.counters.framesIgnored++;
                return;
            case BAD_CHECKSUM:
                tcb.counters.checksumErrors++;
                return;
            default:
                break;
        }
        tcp.wrap(buffer, parsed.l4Offset, parsed.l4Length);
        tcb.counters.segmentsReceived++;
        final int flags = tcp.flags();
        switch (tcb.state)
        {
            case CLOSED:
                replyReset(flags);
                break;
            case LISTEN:
                onListenSegment(flags);
                break;
            case SYN_SENT:
                onSynSentSegment(flags, nowNs);
                break;
            default:
                onSynchronizedSegment(buffer, flags, nowNs);
                break;
        }
    }

    private void onListenSegment(final int flags)
    {
        if ((flags & RST) != 0)
        {
            return;
        }
        if ((flags & ACK) != 0)
        {
            replyReset(flags);
            return;
        }
        if ((flags & SYN) != 0)
        {
            acceptSyn();
            tcb.sndUna = tcb.iss;
            tcb.sndNxt = tcb.iss;
            tcb.sndMax = tcb.iss;
            tcb.state = TcpState.SYN_RECEIVED;
        }
    }

    private void onSynSentSegment(final int flags, final long nowNs)
    {
        final int ack = tcp.acknowledgmentNumber();
        final boolean hasAck = (flags & ACK) != 0;
        if (hasAck && (ack - tcb.iss <= 0 || ack - tcb.sndMax > 0))
        {
            replyReset(flags);
            return;
        }
        if ((flags & RST) != 0)
        {
            if (hasAck)
            {
                tcb.enterAborted(AbortReason.CONNECTION_REFUSED);
            }
            return;
        }
        if ((flags & SYN) == 0)
        {
            return;
        }
        acceptSyn();
        if (!hasAck)
        {
            tcb.state = TcpState.SYN_RECEIVED; // simultaneous open: SYN-ACK next
            tcb.sndNxt = tcb.iss;
            return;
        }
        sampleRtt(ack, nowNs);
        tcb.sndUna = ack;
        tcb.lossDetector.start();
        tcb.sndWnd = tcp.window(); // never scaled in a SYN (RFC 7323 §2.2)
        tcb.sndWl1 = tcp.sequenceNumber();
        tcb.sndWl2 = ack;
        tcb.rtoDeadlineNs = NO_DEADLINE;
        tcb.consecutiveTimeouts = 0;
        tcb.state = TcpState.ESTABLISHED;
        tcb.ackNow = true;
    }

    /** Records the peer's SYN: IRS and the options both sides agreed on. */
    private void acceptSyn()
    {
        tcb.irs = tcp.sequenceNumber();
        tcb.rcvNxt = tcb.irs + 1;
        final int peerShift = tcp.windowScale();
        tcb.windowScaleOn = tcb.config.windowScale && peerShift >= 0;
        tcb.sndShift = tcb.windowScaleOn ? Math.min(peerShift, 14) : 0;
        tcb.rcvShift = tcb.windowScaleOn ? tcb.offeredShift : 0;
        tcb.timestampsOn = tcb.config.timestamps && tcp.hasTimestamps();
        tcb.tsRecent = tcb.timestampsOn ? tcp.timestampValue() : 0;
        tcb.peerSackPermitted = tcp.sackPermitted();
        tcb.sackOn = tcb.config.sackPermitted && tcb.peerSackPermitted;
        tcb.scoreboard.clear();
        tcb.sackReporter.reset();
        final int peerMss = tcp.mss() > 0 ? tcp.mss() :
            (tcb.config.isIpv6() ? TcpConfig.DEFAULT_PEER_MSS_IPV6 : TcpConfig.DEFAULT_PEER_MSS_IPV4);
        tcb.sendMss = Math.max(1, Math.min(peerMss, tcb.config.mss) - (tcb.timestampsOn ? TIMESTAMPS_SPACE : 0));
        tcb.sndWnd = tcp.window();
        tcb.sndWl1 = tcb.irs;
        tcb.congestion.start(tcb.sendMss, tcb.iss, tcb.sackOn);
    }

    private void onSynchronizedSegment(final DirectBuffer buffer, final int flags, final long nowNs)
    {
        final int seq = tcp.sequenceNumber();
        final int payloadLength = parsed.payloadLength;
        final boolean syn = (flags & SYN) != 0;
        final boolean fin = (flags & FIN) != 0;
        if (tcb.state == TcpState.SYN_RECEIVED && syn && (flags & ACK) == 0 && seq == tcb.irs)
        {
            tcb.sndNxt = tcb.iss; // the peer did not get our SYN-ACK
            return;
        }
        final int segmentLength = payloadLength + (syn ? 1 : 0) + (fin ? 1 : 0);
        final int window = tcb.receiveBuffer.windowBytes();
        if (!isAcceptable(seq, segmentLength, window))
        {
            if ((flags & RST) == 0)
            {
                tcb.ackNow = true;
                if (tcb.sackOn && payloadLength > 0 && seq + payloadLength - tcb.rcvNxt <= 0)
                {
                    tcb.sackReporter.onDuplicate(seq, seq + payloadLength); // RFC 2883
                }
                if (tcb.state == TcpState.TIME_WAIT && fin)
                {
                    tcb.timeWaitDeadlineNs = nowNs + tcb.config.timeWaitNs;
                }
            }
            return;
        }
        if ((flags & RST) != 0)
        {
            if (tcb.state == TcpState.TIME_WAIT)
            {
                return; // RFC 1337: no TIME-WAIT assassination
            }
            if (seq == tcb.rcvNxt)
            {
                tcb.enterAborted(AbortReason.RESET_RECEIVED);
            }
            else
            {
                tcb.ackNow = true; // RFC 5961 §3.2 challenge ACK
            }
            return;
        }
        if (syn)
        {
            tcb.ackNow = true; // RFC 5961 §4.2 challenge ACK
            return;
        }
        if ((flags & ACK) == 0)
        {
            return;
        }
        updateTsRecent(seq);
        if (!processAck(flags, seq, payloadLength, nowNs))
        {
            return;
        }
        if (payloadLength > 0 && tcb.state.acceptsData())
        {
            receiveText(buffer, seq, payloadLength);
        }
        else if (segmentLength > 0)
        {
            tcb.ackNow = true; // text or FIN seen before, or in a state that takes no more: say where we are
        }
        if (fin)
        {
            final int finSeq = seq + payloadLength;
            if (tcb.state.acceptsData() && finSeq - tcb.rcvNxt <= window && !tcb.peerFinKnown)
            {
                tcb.peerFinKnown = true;
                tcb.peerFinSeq = finSeq;
            }
            if (tcb.state == TcpState.TIME_WAIT)
            {
                // RFC 9293 §3.10.7.4: a retransmitted FIN restarts the 2 MSL timeout
                tcb.timeWaitDeadlineNs = nowNs + tcb.config.timeWaitNs;
            }
            tcb.ackNow = true;
        }
        consumeFinIfReached(nowNs);
    }

    /**
     * The acceptability test, made as lenient as Linux's {@code tcp_sequence()}: the segment must not end before the
     * last ACK sent (RCV.WUP) nor begin beyond the right edge of the window. RFC 9293's stricter table drops pure
     * ACKs whose SEG.SEQ lags RCV.NXT, which happens when the peer's ACKs carry a SND.NXT rewound by a timeout; the
     * text of an accepted segment is still trimmed to the window.
     */
    private boolean isAcceptable(final int seq, final int segmentLength, final int window)
    {
        return seq + segmentLength - tcb.lastAckSent >= 0 && seq - (tcb.rcvNxt + window) <= 0;
    }

    private void updateTsRecent(final int seq)
    {
        if (tcb.timestampsOn && tcp.hasTimestamps())
        {
            final int value = tcp.timestampValue();
            if (value - tcb.tsRecent >= 0 && seq - tcb.lastAckSent <= 0)
            {
                tcb.tsRecent = value;
            }
        }
    }

    /** RFC 9293 §3.10.7.4, fifth step; returns false when the segment is to be dropped. */
    private boolean processAck(final int flags, final int seq, final int payloadLength, final long nowNs)
    {
        final int ack = tcp.acknowledgmentNumber();
        if (tcb.state == TcpState.SYN_RECEIVED)
        {
            if (ack - tcb.sndUna <= 0 || ack - tcb.sndMax > 0)
            {
                replyReset(flags);
                return false;
            }
            tcb.state = tcb.closeRequested ? TcpState.FIN_WAIT_1 : TcpState.ESTABLISHED;
            tcb.lossDetector.start();
            tcb.sndWnd = (long)tcp.window() << tcb.sndShift;
            tcb.sndWl1 = seq;
            tcb.sndWl2 = ack;
        }
        if (ack - tcb.sndMax > 0)
        {
            tcb.ackNow = true;
            return false;
        }
        if (ack - tcb.sndUna < 0)
        {
            return true;
        }
        tcb.consecutiveTimeouts = 0;
        final boolean wasInRecovery = tcb.congestion.inRecovery();
        final long offeredWindow = (long)tcp.window() << tcb.sndShift;
        if (ack == tcb.sndUna)
        {
            final long newlySacked = tcb.sackOn ? takeSackBlocks(nowNs) : 0;
            // RFC 6675 §2: with SACK, an ACK that SACKs new data counts as a duplicate even when it carries data
            final boolean isDuplicate = tcb.sndMax != tcb.sndUna && (newlySacked > 0 ||
                payloadLength == 0 && (flags & (SYN | FIN)) == 0 && offeredWindow == tcb.sndWnd);
            if (isDuplicate)
            {
                tcb.counters.duplicateAcks++;
                if (tcb.congestion.onDuplicateAck(ack, tcb.sndMax - tcb.sndUna, tcb.sndMax, tcb.reorderingSegments))
                {
                    tcb.counters.fastRetransmits++;
                    tcb.retransmitHead = true;
                }
            }
        }
        else
        {
            onAckAdvance(ack, nowNs);
            if (tcb.sackOn)
            {
                takeSackBlocks(nowNs);
            }
        }
        if (tcb.sackOn && !tcb.congestion.inRecovery() && tcb.sndMax != tcb.sndUna &&
            tcb.scoreboard.lossBoundary(tcb.sndUna, tcb.sendMss, tcb.reorderingSegments) != tcb.sndUna &&
            tcb.congestion.enterRecovery(ack, tcb.sndMax - tcb.sndUna, tcb.sndMax))
        {
            tcb.counters.fastRetransmits++; // RFC 6675 §5 step 4: IsLost(SND.UNA) before three duplicate ACKs
        }
        if (tcb.congestion.inRecovery() && (!wasInRecovery || tcb.highRxt - tcb.sndUna < 0))
        {
            tcb.highRxt = tcb.sndUna; // RFC 6675 §5 step 4: HighRxt starts at the hole at SND.UNA
        }
        if (tcb.sndWl1 - seq < 0 || (tcb.sndWl1 == seq && ack - tcb.sndWl2 >= 0 &&
            (!tcb.config.windowGrowsOnStaleAck || ack != tcb.sndWl2 || offeredWindow > tcb.sndWnd)))
        {
            tcb.sndWnd = offeredWindow;
            tcb.sndWl1 = seq;
            tcb.sndWl2 = ack;
        }
        if (tcb.sndWnd > 0)
        {
            tcb.persistDeadlineNs = NO_DEADLINE;
            tcb.persistBackoff = 0;
        }
        return tcb.state != TcpState.CLOSED;
    }

    private void onAckAdvance(final int ack, final long nowNs)
    {
        long dataAcked = ack - tcb.sndUna;
        if (tcb.sndUna == tcb.iss)
        {
            dataAcked--; // our SYN
        }
        final boolean finAcked = tcb.closeRequested && ack == tcb.dataEndSeq() + 1;
        if (finAcked)
        {
            dataAcked--;
        }
        tcb.sendBuffer.discard(dataAcked); // only the cumulative ACK frees data: SACK is advisory
        sampleRtt(ack, nowNs);
        final int oldUna = tcb.sndUna;
        final int highestSackedBefore = tcb.scoreboard.highestSackedEnd(oldUna);
        tcb.sndUna = ack;
        if (tcb.sackOn && tcb.scoreboard.onCumulativeAck(ack))
        {
            tcb.counters.sackRenegings++;
        }
        tcb.lossDetector.onAckAdvanced(oldUna, ack, highestSackedBefore, nowNs);
        if (tcb.sndNxt - tcb.sndUna < 0)
        {
            tcb.sndNxt = tcb.sndUna;
        }
        if (tcb.congestion.onNewAck(ack, dataAcked, tcb.sndMax - tcb.sndUna))
        {
            tcb.retransmitHead = true;
        }
        tcb.rtoDeadlineNs = tcb.sndUna == tcb.sndMax ? NO_DEADLINE : nowNs + tcb.rto.rtoNs();
        if (finAcked)
        {
            switch (tcb.state)
            {
                case FIN_WAIT_1:
                    tcb.state = TcpState.FIN_WAIT_2;
                    break;
                case CLOSING:
                    tcb.enterTimeWait(nowNs);
                    break;
                case LAST_ACK:
                    tcb.enterClosed();
                    break;
                default:
                    break;
            }
        }
    }

    /**
     * Merges the segment's SACK blocks into the scoreboard and tells the loss detector what they show (D-SACK,
     * reordering, data SACKed above holes); returns the bytes newly SACKed.
     */
    private long takeSackBlocks(final long nowNs)
    {
        final int blocks = tcp.sackBlockCount();
        if (blocks > 0 && isDsack(blocks))
        {
            tcb.counters.dsacksReceived++;
            tcb.lossDetector.onDsack();
        }
        final SackScoreboard scoreboard = tcb.scoreboard;
        final int una = tcb.sndUna;
        long newlySacked = 0;
        for (int b = 0; b < blocks; b++)
        {
            final int left = tcp.sackLeftEdge(b);
            final int right = tcp.sackRightEdge(b);
            final int highestBefore = scoreboard.highestSackedEnd(una);
            final int firstNew = scoreboard.nextUnsacked(left - una > 0 ? left : una, right, una);
            final long added = scoreboard.add(left, right, una, tcb.sndMax);
            if (added > 0)
            {
                newlySacked += added;
                tcb.lossDetector.onNewlySacked(firstNew, highestBefore);
            }
        }
        if (newlySacked > 0)
        {
            tcb.lossDetector.onProgress(nowNs);
        }
        tcb.lossDetector.afterSack(nowNs);
        return newlySacked;
    }

    /** RFC 2883 §4: the first block reports a duplicate when the ACK covers it or the second block contains it. */
    private boolean isDsack(final int blocks)
    {
        final int left = tcp.sackLeftEdge(0);
        final int right = tcp.sackRightEdge(0);
        if (right - left <= 0)
        {
            return false;
        }
        if (right - tcp.acknowledgmentNumber() <= 0)
        {
            return true;
        }
        return blocks > 1 && left - tcp.sackLeftEdge(1) >= 0 && right - tcp.sackRightEdge(1) <= 0;
    }

    private void sampleRtt(final int ack, final long nowNs)
    {
        if (tcb.rttTiming && ack - tcb.rttSeq >= 0)
        {
            tcb.rto.onSample(nowNs - tcb.rttStartNs);
            tcb.rttTiming = false;
        }
    }

    private void receiveText(final DirectBuffer buffer, final int seq, final int payloadLength)
    {
        final int relative = seq - tcb.rcvNxt;
        final long streamOffset = tcb.receiveBuffer.nextOffset() + relative;
        final boolean kept = tcb.receiveBuffer.insert(relative, buffer, parsed.payloadOffset, payloadLength);
        if (tcb.sackOn)
        {
            if (relative > 0 && kept)
            {
                tcb.sackReporter.onOutOfOrder(streamOffset);
            }
            else if (relative < 0)
            {
                tcb.sackReporter.onDuplicate(seq, seq + Math.min(payloadLength, -relative)); // RFC 2883
            }
        }
        tcb.rcvNxt = tcb.irs + 1 + (int)tcb.receiveBuffer.nextOffset();
        if (relative > 0)
        {
            tcb.counters.outOfOrderSegments++;
            tcb.dupAcksOwed = Math.min(MAX_OWED_DUP_ACKS, tcb.dupAcksOwed + 1);
        }
        else
        {
            tcb.ackNow = true; // also when it fills a gap, RFC 5681 §4.2
        }
    }

    private void consumeFinIfReached(final long nowNs)
    {
        if (!tcb.peerFinKnown || tcb.peerFinConsumed || tcb.rcvNxt != tcb.peerFinSeq)
        {
            return;
        }
        tcb.peerFinConsumed = true;
        tcb.rcvNxt = tcb.peerFinSeq + 1;
        tcb.ackNow = true;
        switch (tcb.state)
        {
            case ESTABLISHED:
                tcb.state = TcpState.CLOSE_WAIT;
                break;
            case FIN_WAIT_1:
                tcb.state = TcpState.CLOSING;
                break;
            case FIN_WAIT_2:
                tcb.enterTimeWait(nowNs);
                break;
            default:
                break;
        }
    }

    /** RFC 9293 §3.10.7.1: the RST that answers the current segment, unless it is itself a RST. */
    private void replyReset(final int flags)
    {
        if ((flags & RST) != 0)
        {
            return;
        }
        if ((flags & ACK) != 0)
        {
            tcb.queueReset(tcp.acknowledgmentNumber(), 0, RST);
        }
        else
        {
            final int length = parsed.payloadLength + ((flags & SYN) != 0 ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0);
            tcb.queueReset(0, tcp.sequenceNumber() + length, RST | ACK);
        }
    }
}
