package org.inlinetls.packet.tcp;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.RST;

/**
 * One deterministic userspace TCP connection over Ethernet frames (RFC 9293), for simulations of the appliance and
 * for its full-proxy mode: no threads, no clock of its own, no randomness beyond the seeded ISN.
 * <p>
 * Drive it with {@link #onFrame} for every frame that may be addressed to it, {@link #poll} to take the frames it
 * wants sent, and {@link #nextDeadlineNs()} for when its timers next need a {@code poll}. Call {@code poll} after each
 * {@code onFrame}, {@code write}, {@code read} and {@code close} too: those only record what is due.
 * <p>
 * Implemented: three-way handshake (and simultaneous open) with MSS, window scale and timestamps (RFC 7323; the RTT
 * is measured on one timed segment at a time rather than from TSecr); SACK when both ends offer it
 * ({@link TcpConfig#sackPermitted(boolean)}): RFC 2018 blocks on every ACK while data is held out of order, most
 * recent first, RFC 2883 D-SACK for duplicates, and RFC 6675 loss recovery from a scoreboard that is only advisory
 * (data is freed by the cumulative ACK alone; a timeout or a reneging peer clears it), completed by
 * {@link TcpLossDetector}: RACK-style time-based loss marking and RFC 8985 tail loss probes (so most losses are
 * repaired without a retransmission timeout), lost-retransmission detection, and a DupThresh raised for the reordering
 * seen, with the reordering window widened on D-SACK; reassembly within the receive
 * window; RFC 6298 RTO with Karn's rule and back-off; RFC 5681 slow start, congestion avoidance and fast retransmit
 * with RFC 6582 NewReno recovery (without SACK); zero-window probes;
 * sender-side silly window avoidance (RFC 9293 §3.8.6.2.1, without its override timer: a short segment goes when
 * nothing is in flight); RST handling with RFC 5961 challenge ACKs; the close states and a configurable TIME-WAIT;
 * giving up after {@link TcpConfig#maxRetransmissions(int)} timeouts in a row. Every ACK is sent at once, one per
 * out-of-order segment, so the peer sees duplicate ACKs. Urgent data and PAWS are not implemented.
 */
public final class TcpEndpoint
{
    /** A deadline that is not set. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    private final TcpControlBlock tcb;
    private final TcpReceiver receiver;
    private final TcpSender sender;

    public TcpEndpoint(final TcpConfig config)
    {
        this.tcb = new TcpControlBlock(config.validate());
        this.receiver = new TcpReceiver(tcb);
        this.sender = new TcpSender(tcb);
    }

    /** Takes one received frame; frames for other connections, malformed ones and bad checksums are ignored. */
    public void onFrame(final DirectBuffer buffer, final int offset, final int length, final long nowNs)
    {
        receiver.onFrame(buffer, offset, length, nowNs);
    }

    /**
     * Runs due timers and offers the frames now due to {@code sink}, stopping at the first refused one.
     *
     * @return the number of frames taken by the sink.
     */
    public int poll(final long nowNs, final FrameSink sink)
    {
        return sender.poll(nowNs, sink);
    }

    /** Active open: the SYN goes out on the next {@link #poll}. */
    public void connect(final long nowNs)
    {
        requireState(TcpState.CLOSED);
        tcb.sndUna = tcb.iss;
        tcb.sndNxt = tcb.iss;
        tcb.sndMax = tcb.iss;
        tcb.state = TcpState.SYN_SENT;
    }

    /** Passive open: waits for a SYN from the configured remote address and port. */
    public void listen()
    {
        requireState(TcpState.CLOSED);
        tcb.state = TcpState.LISTEN;
    }

    /** Copies as much of {@code src} as the send buffer takes; 0 once closed, aborted or after {@link #close()}. */
    public int write(final byte[] src, final int offset, final int length)
    {
        return isWritable() ? tcb.sendBuffer.write(src, offset, length) : 0;
    }

    /** As {@link #write(byte[], int, int)} from a buffer. */
    public int write(final DirectBuffer src, final int offset, final int length)
    {
        return isWritable() ? tcb.sendBuffer.write(src, offset, length) : 0;
    }

    /** Drains up to {@code length} bytes received in order; each byte is returned exactly once. */
    public int read(final byte[] dst, final int offset, final int length)
    {
        return tcb.receiveBuffer.read(dst, offset, length);
    }

    /** As {@link #read(byte[], int, int)} into a buffer. */
    public int read(final MutableDirectBuffer dst, final int offset, final int length)
    {
        return tcb.receiveBuffer.read(dst, offset, length);
    }

    /** Orderly close: the FIN follows the data already written. */
    public void close()
    {
        if (tcb.closeRequested)
        {
            return;
        }
        switch (tcb.state)
        {
            case LISTEN:
            case SYN_SENT:
                tcb.enterClosed();
                break;
            case ESTABLISHED:
                tcb.closeRequested = true;
                tcb.state = TcpState.FIN_WAIT_1;
                break;
            case CLOSE_WAIT:
                tcb.closeRequested = true;
                tcb.state = TcpState.LAST_ACK;
                break;
            case SYN_RECEIVED:
                tcb.closeRequested = true; // FIN_WAIT_1 once established
                break;
            default:
                break;
        }
    }

    /** Sends a RST (on the next {@link #poll}) when connected, and ends the connection now. */
    public void abort()
    {
        if (tcb.state == TcpState.CLOSED)
        {
            return;
        }
        if (tcb.state != TcpState.LISTEN && tcb.state != TcpState.SYN_SENT)
        {
            tcb.queueReset(tcb.sndMax, 0, RST);
        }
        tcb.enterAborted(AbortReason.LOCAL_ABORT);
    }

    /**
     * Gives the buffers' arrays back to their {@link BufferPool} whatever they hold: for an owner done with this
     * endpoint (closed, aborted or dropped), which must not read or write it afterwards.
     */
    public void releaseMemory()
    {
        tcb.sendBuffer.releaseMemory();
        tcb.receiveBuffer.releaseMemory(true);
    }

    /** Whether a buffer's array is borrowed now: bytes wait for an acknowledgment or for the application. */
    public boolean holdsMemory()
    {
        return tcb.sendBuffer.holdsMemory() || tcb.receiveBuffer.holdsMemory();
    }

    public TcpState state()
    {
        return tcb.state;
    }

    public boolean isEstablished()
    {
        return tcb.state == TcpState.ESTABLISHED;
    }

    /** True in CLOSED, whether after a clean close, an abort, or before opening. */
    public boolean isClosed()
    {
        return tcb.state == TcpState.CLOSED;
    }

    public boolean isAborted()
    {
        return tcb.abortReason != AbortReason.NONE;
    }

    public AbortReason abortReason()
    {
        return tcb.abortReason;
    }

    /** True when the peer's FIN has been received in order and every byte before it has been read. */
    public boolean isEndOfStream()
    {
        return tcb.peerFinConsumed && tcb.receiveBuffer.readableBytes() == 0;
    }

    public int readableBytes()
    {
        return tcb.receiveBuffer.readableBytes();
    }

    /** Room left in the send buffer. */
    public int writableBytes()
    {
        return isWritable() ? tcb.sendBuffer.freeBytes() : 0;
    }

    /** Bytes received in order so far (read or not). */
    public long bytesDelivered()
    {
        return tcb.receiveBuffer.nextOffset();
    }

    /** Bytes written that the peer has acknowledged. */
    public long bytesAcknowledged()
    {
        return tcb.sendBuffer.headOffset();
    }

    /** True when everything written has been acknowledged. */
    public boolean isSendBufferEmpty()
    {
        return tcb.sendBuffer.headOffset() == tcb.sendBuffer.tailOffset();
    }

    public TcpCounters counters()
    {
        return tcb.counters;
    }

    public long rtoNs()
    {
        return tcb.rto.rtoNs();
    }

    public long congestionWindowBytes()
    {
        return tcb.congestion.cwndBytes();
    }

    /** Payload bytes per segment toward the peer, after options; 0 before the handshake. */
    public int sendMss()
    {
        return tcb.sendMss;
    }

    /** Earliest timer (retransmission, RACK, tail loss probe, persist, TIME-WAIT), or {@link #NO_DEADLINE}. */
    public long nextDeadlineNs()
    {
        final long lossDetectionNs = Math.min(tcb.rackDeadlineNs, tcb.tlpDeadlineNs);
        return Math.min(Math.min(tcb.rtoDeadlineNs, lossDetectionNs),
            Math.min(tcb.persistDeadlineNs, tcb.timeWaitDeadlineNs));
    }

    /** Human-readable state for assertion messages. */
    @Override
    public String toString()
    {
        return "TcpEndpoint{" + tcb.config.localPort + "->" + tcb.config.remotePort + " " + tcb.state +
            " abort=" + tcb.abortReason +
            " una=" + Integer.toUnsignedString(tcb.sndUna - tcb.iss) +
            " nxt=" + Integer.toUnsignedString(tcb.sndNxt - tcb.iss) +
            " max=" + Integer.toUnsignedString(tcb.sndMax - tcb.iss) +
            " wnd=" + tcb.sndWnd + " cwnd=" + tcb.congestion.cwndBytes() + " rto=" + tcb.rto.rtoNs() +
            " delivered=" + bytesDelivered() + " acked=" + bytesAcknowledged() + "/" + tcb.sendBuffer.tailOffset() +
            " " + tcb.counters + "}";
    }

    private boolean isWritable()
    {
        final TcpState state = tcb.state;
        return !tcb.closeRequested && tcb.abortReason == AbortReason.NONE &&
            (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED || state == TcpState.ESTABLISHED ||
            state == TcpState.CLOSE_WAIT || state == TcpState.LISTEN);
    }

    private void requireState(final TcpState expected)
    {
        if (tcb.state != expected || tcb.abortReason != AbortReason.NONE)
        {
            throw new IllegalStateException("expected " + expected + " but " + tcb.state + " abort=" + tcb.abortReason);
        }
    }
}
