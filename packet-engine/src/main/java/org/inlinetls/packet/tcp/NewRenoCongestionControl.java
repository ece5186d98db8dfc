package org.inlinetls.packet.tcp;

/**
 * RFC 5681 slow start and congestion avoidance, fast retransmit on the third duplicate ACK, and RFC 6582 NewReno
 * fast recovery with partial-ACK retransmission; all in bytes.
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

    void start(final int mss, final int iss)
    {
        this.mss = mss;
        // RFC 5681 §3.1 equation (1)
        this.cwndBytes = mss > 2190 ? 2L * mss : mss > 1095 ? 3L * mss : 4L * mss;
        this.recover = iss;
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
     * A duplicate ACK (RFC 5681 §2 definition, checked by the caller).
     *
     * @return true when the segment at SND.UNA is to be retransmitted now (fast retransmit).
     */
    boolean onDuplicateAck(final int ack, final long flightBytes, final int sndMax)
    {
        dupAcks++;
        if (inRecovery)
        {
            cwndBytes += mss;
            return false;
        }
        // RFC 6582 §3.2 step 2: no new recovery while the ACK does not cover 'recover'
        if (dupAcks == DUP_ACK_THRESHOLD && ack - 1 - recover > 0)
        {
            ssthreshBytes = Math.max(flightBytes / 2, 2L * mss);
            recover = sndMax - 1;
            cwndBytes = ssthreshBytes + (long)DUP_ACK_THRESHOLD * mss;
            inRecovery = true;
            return true;
        }
        return false;
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
