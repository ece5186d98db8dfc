package org.inlinetls.packet.frame;

/**
 * The offsets and key fields of one frame, filled in place by {@link FrameParser}; one instance is reused per agent.
 * <p>
 * All offsets are absolute offsets into the buffer that was parsed. Fields of layers that were not reached hold
 * {@code -1} (offsets, ports) or {@code 0} (versions, counts).
 */
public final class ParsedFrame
{
    public int frameOffset;
    public int frameLength;

    /** Number of 802.1Q / 802.1ad tags skipped (0, 1 or 2). */
    public int vlanCount;
    /** VLAN id of the outermost tag, or -1. */
    public int outerVlanId;
    /** VLAN id of the second tag when there are two, or -1. */
    public int innerVlanId;
    /** EtherType after any VLAN tags. */
    public int etherType;

    /** 4, 6 or 0 when the frame is not IP. */
    public int ipVersion;
    public int l3Offset;
    /**
     * Length of the IP packet as its header says (IPv4 total length, IPv6 40 + payload length); for ARP, the length
     * its HLEN and PLEN call for.
     */
    public int l3Length;
    /** Upper-layer protocol after IPv6 extension headers, or -1. */
    public int ipProtocol;
    /** Set for IPv4 packets with MF or a non-zero fragment offset, and IPv6 packets with a Fragment header. */
    public boolean fragment;

    public int l4Offset;
    /** Bytes of the upper layer (header and payload) as the IP lengths say, excluding Ethernet padding, or -1. */
    public int l4Length;
    /** TCP header length in bytes including options, or -1. */
    public int tcpHeaderLength;
    public int srcPort;
    public int dstPort;
    /** TCP payload offset, or -1 when the frame is not a well-formed TCP segment. */
    public int payloadOffset;
    /** TCP payload length from the IP lengths (Ethernet padding excluded), or -1. */
    public int payloadLength;

    /** Why parsing stopped early, or {@link FrameAnomaly#NONE}. */
    public FrameAnomaly anomaly = FrameAnomaly.NONE;

    public boolean isTcp()
    {
        return ipProtocol == 6 && tcpHeaderLength > 0 && anomaly == FrameAnomaly.NONE;
    }

    public void reset(final int offset, final int length)
    {
        frameOffset = offset;
        frameLength = length;
        vlanCount = 0;
        outerVlanId = -1;
        innerVlanId = -1;
        etherType = -1;
        ipVersion = 0;
        l3Offset = -1;
        l3Length = -1;
        ipProtocol = -1;
        fragment = false;
        l4Offset = -1;
        l4Length = -1;
        tcpHeaderLength = -1;
        srcPort = -1;
        dstPort = -1;
        payloadOffset = -1;
        payloadLength = -1;
        anomaly = FrameAnomaly.NONE;
    }
}
