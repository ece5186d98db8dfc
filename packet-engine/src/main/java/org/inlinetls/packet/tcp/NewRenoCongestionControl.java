package org.inlinetls.packet.tcp;

/**
 * RFC 5681 slow start and congestion avoidance, fast retransmit on the third duplicate ACK, and RFC 6582 NewReno
 * fast recovery with partial-ACK retransmission; all in bytes. With SACK ({@link #sackMode}) recovery follows RFC 6675
 * instead: cwnd is set to ssthresh on entry and neither inflated nor deflated, the sender's pipe estimate decides what
 * may be sent, and partial ACKs ask for nothing (the scoreboard says which holes to fill).
 */
final class NewRenoCongestionControl
{
    static final int DUP_ACK_THRESHOLD = 3;

    private int mss;
    private long cwndBytes;
    private long ssthreshBytes = Long.MAX_VALUE;
    private int dupAcks;
    private boolean inRecovery;
    /** Highest sequence number sent when recovery (or the last timeout) began, RFC 6582 §3.2. */
    private int recover;
    private boolean sackMode;

    void start(final int mss, final int iss, final boolean sack)
    {
        this.mss = mss;
        this.sackMode = sack;
        // RFC 5681 §3.1 equation (1)
        this.cwndBytes = mss > 2190 ? 2L * mss : mss > 1095 ? 3L * mss : 4L * mss;
        // RFC 6582 initialises recover to the ISS; one less, so that an ACK of just the SYN "covers more than recover"
        // and a loss of the very first data segment may still start fast recovery
        this.recover = iss - 1;
    }

    long cwndBytes()
    {
        return cwndBytes;
    }

    long ssthreshBytes()
    {
        return ssthreshBytes;
    }

    boolean inRecovery()
    {
        return inRecovery;
    }

    /**
     * RFC 3042 Limited Transmit, used with SACK: bytes beyond cwnd that new data may take on the first two duplicate
     * ACKs, so a small window still collects the ACKs a fast retransmit needs.
     */
    long limitedTransmitBytes()
    {
        return sackMode && !inRecovery ? (long)Math.min(dupAcks, DUP_ACK_THRESHOLD - 1) * mss : 0;
    }

    /**
     * A duplicate ACK (RFC 5681 §2 definition, checked by the caller).
     *
     * @return true when the segment at SND.UNA is to be retransmitted now (fast retransmit).
     */
    boolean onDuplicateAck(final int ack, final long flightBytes, final int sndMax)
    {
        return onDuplicateAck(ack, flightBytes, sndMax, DUP_ACK_THRESHOLD);
    }

    /** As {@link #onDuplicateAck(int, long, int)} with a duplicate threshold raised for reordering (SACK only). */
    boolean onDuplicateAck(final int ack, final long flightBytes, final int sndMax, final int threshold)
    {
        dupAcks++;
        if (inRecovery)
        {
            if (!sackMode)
            {
                cwndBytes += mss;
            }
            return false;
        }
        return dupAcks == threshold && enterRecovery(ack, flightBytes, sndMax);
    }

    /**
     * Enters fast recovery unless already in it or the ACK does not cover the last recovery point (RFC 6582 §3.2
     * step 2, RFC 6675 §5 step 4); with SACK, also called when the scoreboard says SND.UNA is lost (IsLost).
     *
     * @return true when recovery began and the first lost segment is to be retransmitted now.
     */
    boolean enterRecovery(final int ack, final long flightBytes, final int sndMax)
    {
        if (inRecovery || ack - 1 - recover <= 0)
        {
            return false;
        }
        ssthreshBytes = Math.max(flightBytes / 2, 2L * mss);
        recover = sndMax - 1;
        cwndBytes = sackMode ? ssthreshBytes : ssthreshBytes + (long)DUP_ACK_THRESHOLD * mss;
        inRecovery = true;
        return true;
    }

    /**
     * An ACK that moved SND.UNA forward by {@code ackedBytes} to {@code ack}.
     *
     * @return true when a partial ACK in recovery asks for the next hole to be retransmitted (RFC 6582 §3.2 step 5).
     */
    boolean onNewAck(final int ack, final long ackedBytes, final long flightAfterBytes)
    {
        dupAcks = 0;
        if (inRecovery)
        {
            if (ack - recover > 0)
            {
                cwndBytes = Math.min(ssthreshBytes, Math.max(flightAfterBytes, mss) + mss);
                inRecovery = false;
                return false;
            }
            if (sackMode)
            {
                return false;
            }
            cwndBytes = Math.max(cwndBytes - ackedBytes, 0) + (ackedBytes >= mss ? mss : 0);
            cwndBytes = Math.max(cwndBytes, mss);
            return true;
        }
        if (cwndBytes < ssthreshBytes)
        {
            cwndBytes += Math.min(ackedBytes, mss);
        }
        else
        {
            cwndBytes += Math.max(1, (long)mss * mss / cwndBytes);
        }
        return false;
    }

    /** The retransmission timer expired: RFC 5681 §3.1 equation (4), loss window of one segment. */
    void onTimeout(final long flightBytes, final int sndMax)
    {
        ssthreshBytes = Math.max(flightBytes / 2, 2L * mss);
        cwndBytes = mss;
        dupAcks = 0;
        inRecovery = false;
        recover = sndMax - 1;
    }
}
