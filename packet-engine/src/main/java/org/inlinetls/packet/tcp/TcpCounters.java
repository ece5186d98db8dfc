package org.inlinetls.packet.tcp;

/**
 * What one {@link TcpEndpoint} has done, for assertions and per-flow figures; read on the endpoint's thread.
 */
public final class TcpCounters
{
    long segmentsSent;
    long segmentsReceived;
    long retransmissions;
    long timeouts;
    long fastRetransmits;
    long duplicateAcks;
    long outOfOrderSegments;
    long checksumErrors;
    long framesIgnored;
    long resetsSent;
    long sackRetransmissions;
    long sackRenegings;
    long dsacksReceived;
    long tailLossProbes;
    long rackLossMarks;
    long lostRetransmits;
    long reorderingRaises;

    public long segmentsSent()
    {
        return segmentsSent;
    }

    public long segmentsReceived()
    {
        return segmentsReceived;
    }

    /** Segments (SYN, data, FIN) sent again, by timeout, fast retransmit or partial ACK. */
    public long retransmissions()
    {
        return retransmissions;
    }

    /** Expiries of the retransmission timer. */
    public long timeouts()
    {
        return timeouts;
    }

    public long fastRetransmits()
    {
        return fastRetransmits;
    }

    /** Duplicate ACKs received, RFC 5681 §2 definition. */
    public long duplicateAcks()
    {
        return duplicateAcks;
    }

    /** Segments received beyond RCV.NXT. */
    public long outOfOrderSegments()
    {
        return outOfOrderSegments;
    }

    /** Frames for this connection dropped for a bad IPv4 header or TCP checksum. */
    public long checksumErrors()
    {
        return checksumErrors;
    }

    /** Frames not for this connection, not TCP, or malformed. */
    public long framesIgnored()
    {
        return framesIgnored;
    }

    public long resetsSent()
    {
        return resetsSent;
    }

    /** Holes retransmitted in SACK-based loss recovery (RFC 6675 NextSeg rules 1 and 3). */
    public long sackRetransmissions()
    {
        return sackRetransmissions;
    }

    /** Cumulative ACKs that stopped inside a range the peer had SACKed: the peer reneged, the scoreboard was reset. */
    public long sackRenegings()
    {
        return sackRenegings;
    }

    /** RFC 2883 D-SACK blocks received: the peer got a segment twice, most often because we resent it needlessly. */
    public long dsacksReceived()
    {
        return dsacksReceived;
    }

    /** RFC 8985 §7 tail loss probes sent instead of waiting for the retransmission timeout. */
    public long tailLossProbes()
    {
        return tailLossProbes;
    }

    /** Times the RACK reordering timer expired with holes below SACKed data: they were marked lost (RFC 8985 §6). */
    public long rackLossMarks()
    {
        return rackLossMarks;
    }

    /** Retransmissions found lost because data sent after them was SACKed first; they were sent again. */
    public long lostRetransmits()
    {
        return lostRetransmits;
    }

    /** Times the reordering degree (the duplicate threshold) was raised after data arrived out of order. */
    public long reorderingRaises()
    {
        return reorderingRaises;
    }

    @Override
    public String toString()
    {
        return "sent=" + segmentsSent + " received=" + segmentsReceived + " retransmissions=" + retransmissions +
            " timeouts=" + timeouts + " fastRetransmits=" + fastRetransmits + " dupAcks=" + duplicateAcks +
            " outOfOrder=" + outOfOrderSegments + " checksumErrors=" + checksumErrors + " resets=" + resetsSent +
            " sackRetransmissions=" + sackRetransmissions + " sackRenegings=" + sackRenegings +
            " dsacks=" + dsacksReceived + " tlps=" + tailLossProbes + " rackMarks=" + rackLossMarks +
            " lostRetransmits=" + lostRetransmits + " reorderingRaises=" + reorderingRaises;
    }
}
