package org.inlinetls.packet.tcp;

import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.ACK;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.FIN;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.PSH;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.SYN;
import static org.inlinetls.packet.tcp.TcpControlBlock.MAX_WINDOW_FIELD;
import static org.inlinetls.packet.tcp.TcpEndpoint.NO_DEADLINE;

/**
 * The output half of a {@link TcpEndpoint}: runs the retransmission, persist and TIME-WAIT timers, then turns what
 * the control block owes (RST, SYN, duplicate ACKs, retransmissions, probes, new data within the windows, FIN, ACKs)
 * into frames. With SACK, every ACK carries the receiver's blocks, and in fast recovery the holes the scoreboard
 * says are lost go first, then new data, then a rescue retransmission, all within cwnd less the pipe (RFC 6675 §5).
 */
final class TcpSender
{
    /** Bytes of NOP, NOP, kind and length before the SACK blocks. */
    private static final int SACK_OPTION_BASE_SPACE = 4;
    private static final int SACK_BLOCK_SPACE = 8;
    private static final int TIMESTAMPS_MAX_SACK_BLOCKS = 3;
    private static final int MAX_RECOVERY_SENDS_PER_POLL = 256;

    private final TcpControlBlock tcb;
    private final TcpFrameWriter writer;
    private final byte[] payloadScratch;
    private final int[] sackEdges = new int[2 * org.inlinetls.packet.flyweight.TcpOption.MAX_SACK_BLOCKS];
    /** Payload bytes per segment this poll: the send MSS less the SACK option the ACKs carry now. */
    private int segmentBytes;

    TcpSender(final TcpControlBlock tcb)
    {
        this.tcb = tcb;
        this.writer = new TcpFrameWriter(tcb.config, tcb.config.mss);
        this.payloadScratch = new byte[tcb.config.mss];
    }

    /**
     * Runs due timers and offers the frames now due to {@code sink}, stopping at the first refused one.
     *
     * @return the number of frames taken by the sink.
     */
    int poll(final long nowNs, final FrameSink sink)
    {
        runTimers(nowNs);
        int frames = 0;
        if (tcb.rstPending)
        {
            final int length = writer.writeSegment(tcb.rstSeq, tcb.rstAck, tcb.rstFlags, 0, false, 0, 0, null, 0,
                null, 0);
            if (!sink.send(writer.buffer(), 0, length))
            {
                return frames;
            }
            tcb.rstPending = false;
            tcb.counters.resetsSent++;
            frames++;
        }
        if (tcb.state == TcpState.SYN_SENT || tcb.state == TcpState.SYN_RECEIVED)
        {
            if (tcb.sndNxt == tcb.iss && sendSyn(nowNs, sink))
            {
                frames++;
            }
            return frames;
        }
        if (!tcb.state.isSynchronized())
        {
            return frames;
        }
        segmentBytes = Math.max(1, tcb.sendMss - sackOptionSpace());
        while (tcb.dupAcksOwed > 0)
        {
            if (!sendSegment(nowNs, sink, tcb.sndMax, 0, false))
            {
                return frames;
            }
            tcb.dupAcksOwed--;
            frames++;
        }
        if (tcb.state.sendsData())
        {
            final int sent = sendData(nowNs, sink);
            if (sent < 0)
            {
                return frames - sent - 1;
            }
            frames += sent;
        }
        if (tcb.ackNow || isWindowUpdateDue())
        {
            if (!sendSegment(nowNs, sink, tcb.sndMax, 0, false))
            {
                return frames;
            }
            frames++;
        }
        updatePersist(nowNs);
        return frames;
    }

    /** Sends retransmissions, probes and new data; returns the count sent, or -(count + 1) when the sink refused. */
    private int sendData(final long nowNs, final FrameSink sink)
    {
        int frames = 0;
        final int dataEnd = tcb.dataEndSeq();
        final boolean sackRecovery = tcb.sackOn && tcb.congestion.inRecovery();
        if (sackRecovery)
        {
            tcb.retransmitHead = false; // the scoreboard's first hole is retransmitted below, with the others
            final int sent = retransmitHoles(nowNs, sink, lostEnd());
            if (sent < 0)
            {
                return sent;
            }
            frames += sent;
        }
        if (tcb.retransmitHead || tcb.probePending)
        {
            final int seq = tcb.retransmitHead ? tcb.sndUna : tcb.sndNxt;
            final int room = tcb.retransmitHead ?
                tcb.scoreboard.holeEnd(seq, seq + segmentBytes, tcb.sndUna) - seq : 1;
            final int whole = Math.max(0, Math.min(room, dataEnd - seq));
            final int length = tcb.retransmitHead ? retransmissionLength(seq, whole) : whole;
            final boolean fin = tcb.closeRequested && seq + length == dataEnd;
            if (length > 0 || fin)
            {
                if (!sendSegment(nowNs, sink, seq, length, fin))
                {
                    return -(frames + 1);
                }
                frames++;
            }
            tcb.retransmitHead = false;
            tcb.probePending = false;
        }
        if (tcb.tlpPending)
        {
            if (!sendProbe(nowNs, sink, dataEnd))
            {
                return -(frames + 1);
            }
            frames++;
        }
        boolean newData = false;
        while (true)
        {
            int room = segmentBytes;
            if (tcb.sackOn && tcb.sndNxt - tcb.sndMax < 0)
            {
                // sending again after a timeout with the scoreboard kept: skip what the peer SACKed
                tcb.sndNxt = tcb.scoreboard.nextUnsacked(tcb.sndNxt, tcb.sndMax, tcb.sndUna);
                room = Math.min(room, tcb.scoreboard.holeEnd(tcb.sndNxt, tcb.sndMax, tcb.sndUna) - tcb.sndNxt);
                if (room <= 0)
                {
                    room = segmentBytes; // at SND.MAX: new data
                }
            }
            final int unsent = dataEnd - tcb.sndNxt;
            final long inFlight = tcb.sndNxt - tcb.sndUna;
            final long usable = sackRecovery ?
                Math.min(tcb.sndWnd - inFlight, tcb.congestion.cwndBytes() - pipeBytes(lostEnd())) :
                Math.min(tcb.sndWnd, tcb.congestion.cwndBytes() + tcb.congestion.limitedTransmitBytes()) - inFlight;
            final int length = (int)Math.max(0, Math.min(Math.min(room, unsent), usable));
            final boolean fin = tcb.closeRequested && unsent >= 0 && length == unsent;
            final boolean worthSending = length > 0 &&
                (length == room || length == unsent || inFlight == 0 || length >= tcb.sndWnd / 2);
            if (!worthSending && !(fin && unsent == 0 && (!sackRecovery || usable > 0)))
            {
                if (sackRecovery && !newData)
                {
                    // RFC 6675 NextSeg rule 3: nothing lost to resend and no new data, so resend a hole below the
                    // highest SACKed byte that was not resent yet
                    final int sent = retransmitHoles(nowNs, sink, tcb.scoreboard.highestSackedEnd(tcb.sndUna));
                    return sent < 0 ? -(frames - sent) : frames + sent;
                }
                return frames;
            }
            newData = true;
            if (!sendSegment(nowNs, sink, tcb.sndNxt, length, fin))
            {
                return -(frames + 1);
            }
            frames++;
        }
    }

    /**
     * RFC 8985 §7.3 tail loss probe, outside cwnd: new data when the peer's window has room, else the last segment
     * again; in recovery, the hole at SND.UNA.
     *
     * @return false when the sink refused (the probe stays due).
     */
    private boolean sendProbe(final long nowNs, final FrameSink sink, final int dataEnd)
    {
        final int una = tcb.sndUna;
        final long newRoom = Math.min(Math.min(segmentBytes, dataEnd - tcb.sndMax), tcb.sndWnd - (tcb.sndMax - una));
        final boolean finSent = tcb.closeRequested && tcb.sndMax - dataEnd == 1;
        final int seq;
        final int length;
        if (tcb.congestion.inRecovery() || tcb.sndNxt != tcb.sndMax)
        {
            seq = una;
            length = retransmissionLength(una,
                Math.max(0, Math.min(tcb.scoreboard.holeEnd(una, una + segmentBytes, una), dataEnd) - una));
        }
        else if (newRoom > 0)
        {
            seq = tcb.sndMax;
            length = (int)newRoom;
        }
        else
        {
            final int top = finSent ? dataEnd : tcb.sndMax;
            seq = top - Math.min(segmentBytes, top - una);
            length = retransmissionLength(seq, top - seq);
        }
        final boolean fin = finSent && seq + length == dataEnd ||
            tcb.closeRequested && seq == tcb.sndMax && seq + length == dataEnd;
        if (length > 0 || fin)
        {
            if (!sendSegment(nowNs, sink, seq, length, fin))
            {
                return false;
            }
            tcb.lossDetector.onProbeSent(nowNs);
            return true;
        }
        tcb.tlpPending = false;
        return true;
    }

    /**
     * How much of a retransmission of {@code length} bytes at {@code seq} goes: all of it, or with
     * {@link TcpConfig#retransmitWithinWindow} what lies below the right edge of the peer's window (Linux's
     * {@code __tcp_retransmit_skb}: nothing past the edge, except a whole segment at SND.UNA when there is no room at
     * all, which serves as the zero-window probe).
     */
    private int retransmissionLength(final int seq, final int length)
    {
        if (!tcb.config.retransmitWithinWindow)
        {
            return length;
        }
        final long room = (long)(tcb.sndUna - seq) + tcb.sndWnd;
        if (room <= 0)
        {
            return seq == tcb.sndUna ? length : 0;
        }
        return (int)Math.min(length, room);
    }

    /**
     * RFC 6675 NextSeg rule 1 (and rule 3 with {@code limit} the highest SACKed byte): resends the unSACKed bytes
     * from HighRxt up to {@code limit}, hole by hole, while cwnd less the pipe allows.
     *
     * @return segments sent, or -(count + 1) when the sink refused.
     */
    private int retransmitHoles(final long nowNs, final FrameSink sink, final int limit)
    {
        final SackScoreboard scoreboard = tcb.scoreboard;
        final int dataEnd = tcb.dataEndSeq();
        int frames = 0;
        for (int i = 0; i < MAX_RECOVERY_SENDS_PER_POLL; i++)
        {
            final int una = tcb.sndUna;
            final int from = tcb.highRxt - una > 0 ? tcb.highRxt : una;
            final int seq = scoreboard.nextUnsacked(from, limit, una);
            if (seq - una >= limit - una)
            {
                break;
            }
            final int end = scoreboard.holeEnd(seq, limit, una);
            final int whole = Math.max(0, Math.min(segmentBytes, Math.min(end, dataEnd) - seq));
            final int length = retransmissionLength(seq, whole);
            if (length == 0 && whole > 0)
            {
                break; // past the peer's window (Linux: -EAGAIN, the retransmit queue stops there)
            }
            final boolean fin = tcb.closeRequested && seq + length == dataEnd && end - dataEnd > 0;
            if (length == 0 && !fin)
            {
                break;
            }
            if (tcb.congestion.cwndBytes() - pipeBytes(lostEnd()) < Math.max(1, length))
            {
                break;
            }
            if (!sendSegment(nowNs, sink, seq, length, fin))
            {
                return -(frames + 1);
            }
            tcb.lossDetector.onHeadRetransmitted(seq);
            tcb.highRxt = seq + length + (fin ? 1 : 0);
            tcb.counters.sackRetransmissions++;
            frames++;
        }
        return frames;
    }

    /**
     * The end of what counts as lost in SACK recovery: below the scoreboard's IsLost boundary, and the first segment
     * of the hole at SND.UNA (what a partial ACK says is lost, RFC 6582's rule in SACK terms).
     */
    private int lostEnd()
    {
        final int una = tcb.sndUna;
        final int boundary = tcb.scoreboard.lossBoundary(una, tcb.sendMss, tcb.reorderingSegments);
        final int head = tcb.scoreboard.holeEnd(una, tcb.sndMax, una);
        final int headLost = head - una > segmentBytes ? una + segmentBytes : head;
        final int lost = boundary - una > headLost - una ? boundary : headLost;
        final int rack = tcb.rackLostEnd;
        return rack - una > lost - una && rack - tcb.sndMax <= 0 ? rack : lost;
    }

    /**
     * RFC 6675 SetPipe: bytes in flight, counting unSACKed bytes once unless lost, and again when retransmitted.
     */
    private long pipeBytes(final int lostEnd)
    {
        final SackScoreboard scoreboard = tcb.scoreboard;
        final int una = tcb.sndUna;
        final long unsacked = (tcb.sndMax - una) - scoreboard.sackedBytes();
        final long lost = (lostEnd - una) - scoreboard.sackedBytesBelow(lostEnd, una);
        final int resent = tcb.highRxt - una > 0 ? tcb.highRxt : una;
        final long retransmitted = (resent - una) - scoreboard.sackedBytesBelow(resent, una);
        return Math.max(0, unsacked - lost + retransmitted);
    }

    /** Option bytes the SACK blocks of an ACK sent now take, so data plus options stay within the MSS. */
    private int sackOptionSpace()
    {
        if (!tcb.sackOn || !tcb.sackReporter.hasBlocks(tcb.receiveBuffer))
        {
            return 0;
        }
        final int blocks = Math.min(maxSackBlocks(), tcb.receiveBuffer.outOfOrderRangeCount() + 1);
        return SACK_OPTION_BASE_SPACE + SACK_BLOCK_SPACE * blocks;
    }

    private int maxSackBlocks()
    {
        return tcb.timestampsOn ? TIMESTAMPS_MAX_SACK_BLOCKS : org.inlinetls.packet.flyweight.TcpOption.MAX_SACK_BLOCKS;
    }

    private boolean sendSyn(final long nowNs, final FrameSink sink)
    {
        final boolean synAck = tcb.state == TcpState.SYN_RECEIVED;
        final int shift = (synAck ? tcb.windowScaleOn : tcb.config.windowScale) ? tcb.offeredShift : -1;
        final boolean timestamps = synAck ? tcb.timestampsOn : tcb.config.timestamps;
        final boolean sack = tcb.config.sackPermitted && (!synAck || tcb.peerSackPermitted);
        final int window = Math.min(tcb.receiveBuffer.windowBytes(), MAX_WINDOW_FIELD);
        final int length = writer.writeSyn(tcb.iss, synAck ? tcb.rcvNxt : 0, synAck ? SYN | ACK : SYN, window,
            tcb.config.mss, shift, sack, timestamps, tcb.tsValue(nowNs), synAck ? tcb.tsRecent : 0);
        if (!sink.send(writer.buffer(), 0, length))
        {
            return false;
        }
        tcb.counters.segmentsSent++;
        if (tcb.sndMax == tcb.iss)
        {
            tcb.rttTiming = true;
            tcb.rttSeq = tcb.iss + 1;
            tcb.rttStartNs = nowNs;
        }
        else
        {
            tcb.counters.retransmissions++;
        }
        tcb.sndNxt = tcb.iss + 1;
        tcb.sndMax = tcb.iss + 1;
        tcb.lastAckSent = tcb.rcvNxt;
        tcb.lastWindowAdvertised = window;
        tcb.ackNow = false;
        if (tcb.rtoDeadlineNs == NO_DEADLINE)
        {
            tcb.rtoDeadlineNs = nowNs + tcb.rto.rtoNs();
        }
        return true;
    }

    private boolean sendSegment(final long nowNs, final FrameSink sink, final int seq, final int length,
        final boolean fin)
    {
        if (length > 0)
        {
            tcb.sendBuffer.copyOut(tcb.sendBuffer.headOffset() + (seq - tcb.sndUna), payloadScratch, 0, length);
        }
        final int windowField = (int)(tcb.advertisableWindowBytes() >> tcb.rcvShift);
        final int flags = ACK | (fin ? FIN : 0) | (length > 0 && seq + length == tcb.dataEndSeq() ? PSH : 0);
        final int sackBlocks = tcb.sackOn && tcb.sackReporter.hasBlocks(tcb.receiveBuffer) ?
            tcb.sackReporter.fill(tcb.receiveBuffer, tcb.irs + 1, sackEdges, maxSackBlocks()) : 0;
        final int frameLength = writer.writeSegment(seq, tcb.rcvNxt, flags, windowField, tcb.timestampsOn,
            tcb.tsValue(nowNs), tcb.tsRecent, payloadScratch, length, sackEdges, sackBlocks);
        if (!sink.send(writer.buffer(), 0, frameLength))
        {
            return false;
        }
        if (sackBlocks > 0)
        {
            tcb.sackReporter.onSent();
        }
        tcb.counters.segmentsSent++;
        tcb.lastAckSent = tcb.rcvNxt;
        tcb.lastWindowAdvertised = (long)windowField << tcb.rcvShift;
        tcb.ackNow = false;
        final int end = seq + length + (fin ? 1 : 0);
        if (end != seq)
        {
            onSequenceSent(nowNs, seq, end);
        }
        return true;
    }

    private void onSequenceSent(final long nowNs, final int seq, final int end)
    {
        tcb.lossDetector.onSent(nowNs, seq, end);
        if (seq - tcb.sndMax < 0)
        {
            tcb.counters.retransmissions++;
            if (tcb.rttTiming && seq - tcb.rttSeq < 0)
            {
                tcb.rttTiming = false; // Karn: the timed segment was sent again
            }
        }
        if (end - tcb.sndMax > 0)
        {
            if (!tcb.rttTiming && seq - tcb.sndMax >= 0)
            {
                tcb.rttTiming = true;
                tcb.rttSeq = end;
                tcb.rttStartNs = nowNs;
            }
            tcb.sndMax = end;
        }
        if (end - tcb.sndNxt > 0)
        {
            tcb.sndNxt = end;
        }
        if (tcb.rtoDeadlineNs == NO_DEADLINE)
        {
            tcb.rtoDeadlineNs = nowNs + tcb.rto.rtoNs();
        }
    }

    private boolean isWindowUpdateDue()
    {
        if (!tcb.state.acceptsData())
        {
            return false;
        }
        final long grown = tcb.advertisableWindowBytes() - tcb.lastWindowAdvertised;
        return grown >= Math.min(tcb.receiveBuffer.capacity() / 2, tcb.config.mss);
    }

    private void runTimers(final long nowNs)
    {
        if (tcb.timeWaitDeadlineNs != NO_DEADLINE && nowNs - tcb.timeWaitDeadlineNs >= 0)
        {
            tcb.enterClosed();
            return;
        }
        if (tcb.rtoDeadlineNs != NO_DEADLINE && nowNs - tcb.rtoDeadlineNs >= 0)
        {
            onRetransmissionTimeout(nowNs);
        }
        tcb.lossDetector.runTimers(nowNs);
        if (tcb.persistDeadlineNs != NO_DEADLINE && nowNs - tcb.persistDeadlineNs >= 0)
        {
            tcb.persistDeadlineNs = NO_DEADLINE;
            tcb.persistBackoff++;
            tcb.probePending = true;
        }
    }

    private void onRetransmissionTimeout(final long nowNs)
    {
        tcb.rtoDeadlineNs = NO_DEADLINE;
        if (tcb.sndMax == tcb.sndUna)
        {
            return;
        }
        tcb.counters.timeouts++;
        tcb.lossDetector.onTimeout();
        if (++tcb.consecutiveTimeouts > tcb.config.maxRetransmissions)
        {
            tcb.enterAborted(AbortReason.RETRANSMISSION_TIMEOUT);
            return;
        }
        tcb.rto.backOff();
        if (!tcb.config.sackKeptOnTimeout)
        {
            tcb.scoreboard.clear(); // RFC 2018 §8: after a timeout the SACKed bits are turned off
        }
        tcb.highRxt = tcb.sndUna;
        if (tcb.state.isSynchronized())
        {
            tcb.congestion.onTimeout(tcb.sndMax - tcb.sndUna, tcb.sndMax);
            tcb.retransmitHead = true;
        }
        tcb.sndNxt = tcb.sndUna;
        tcb.rttTiming = false;
        tcb.rtoDeadlineNs = nowNs + tcb.rto.rtoNs();
    }

    private void updatePersist(final long nowNs)
    {
        final boolean needed = tcb.state.sendsData() && tcb.sndWnd == 0 && tcb.sndMax == tcb.sndUna &&
            (tcb.dataEndSeq() - tcb.sndNxt > 0 || (tcb.closeRequested && tcb.sndMax != tcb.dataEndSeq() + 1));
        if (!needed)
        {
            tcb.persistDeadlineNs = NO_DEADLINE;
        }
        else if (tcb.persistDeadlineNs == NO_DEADLINE)
        {
            final long backedOff = tcb.rto.rtoNs() << Math.min(tcb.persistBackoff, 16);
            tcb.persistDeadlineNs = nowNs + Math.min(tcb.config.maxRtoNs, backedOff);
        }
    }
}
