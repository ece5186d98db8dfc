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
 * into frames.
 */
final class TcpSender
{
    private final TcpControlBlock tcb;
    private final TcpFrameWriter writer;
    private final byte[] payloadScratch;

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
            final int length = writer.writeSegment(tcb.rstSeq, tcb.rstAck, tcb.rstFlags, 0, false, 0, 0, null, 0);
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
        if (tcb.retransmitHead || tcb.probePending)
        {
            final int seq = tcb.retransmitHead ? tcb.sndUna : tcb.sndNxt;
            final int length = Math.max(0, Math.min(tcb.retransmitHead ? tcb.sendMss : 1, dataEnd - seq));
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
        while (true)
        {
            final int unsent = dataEnd - tcb.sndNxt;
            final long inFlight = tcb.sndNxt - tcb.sndUna;
            final long usable = Math.min(tcb.sndWnd, tcb.congestion.cwndBytes()) - inFlight;
            final int length = (int)Math.max(0, Math.min(Math.min(tcb.sendMss, unsent), usable));
            final boolean fin = tcb.closeRequested && unsent >= 0 && length == unsent;
            final boolean worthSending = length > 0 &&
                (length == tcb.sendMss || length == unsent || inFlight == 0 || length >= tcb.sndWnd / 2);
            if (!worthSending && !(fin && unsent == 0))
            {
                return frames;
            }
            if (!sendSegment(nowNs, sink, tcb.sndNxt, length, fin))
            {
                return -(frames + 1);
            }
            frames++;
        }
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
        final int frameLength = writer.writeSegment(seq, tcb.rcvNxt, flags, windowField, tcb.timestampsOn,
            tcb.tsValue(nowNs), tcb.tsRecent, payloadScratch, length);
        if (!sink.send(writer.buffer(), 0, frameLength))
        {
            return false;
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
        if (++tcb.consecutiveTimeouts > tcb.config.maxRetransmissions)
        {
            tcb.enterAborted(AbortReason.RETRANSMISSION_TIMEOUT);
            return;
        }
        tcb.rto.backOff();
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
