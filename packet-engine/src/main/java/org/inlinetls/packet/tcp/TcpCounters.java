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

    @Override
    public String toString()
    {
        return "sent=" + segmentsSent + " received=" + segmentsReceived + " retransmissions=" + retransmissions +
            " timeouts=" + timeouts + " fastRetransmits=" + fastRetransmits + " dupAcks=" + duplicateAcks +
            " outOfOrder=" + outOfOrderSegments + " checksumErrors=" + checksumErrors + " resets=" + resetsSent;
    }
}
