package org.inlinetls.packet.tcp;

import org.agrona.DirectBuffer;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.Ipv6HeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;

/**
 * Decides whether a received frame is a well-formed, unfragmented TCP segment of one connection (addresses and ports
 * of the peer toward us) with correct IPv4 header and TCP checksums; fills {@link #parsed()} on the way.
 */
final class InboundSegmentFilter
{
    /** What {@link #accept} found. */
    enum Outcome
    {
        SEGMENT,
        NOT_OURS,
        BAD_CHECKSUM
    }

    private final FrameParser parser = new FrameParser();
    private final ParsedFrame parsed = new ParsedFrame();
    private final byte[] localAddress;
    private final byte[] remoteAddress;
    private final int localPort;
    private final int remotePort;

    InboundSegmentFilter(final TcpConfig config)
    {
        this.localAddress = config.localAddress.clone();
        this.remoteAddress = config.remoteAddress.clone();
        this.localPort = config.localPort;
        this.remotePort = config.remotePort;
    }

    ParsedFrame parsed()
    {
        return parsed;
    }

    Outcome accept(final DirectBuffer buffer, final int offset, final int length)
    {
        if (parser.parse(buffer, offset, length, parsed) != FrameAnomaly.NONE || !parsed.isTcp() || parsed.fragment ||
            !isAddressedHere(buffer))
        {
            return Outcome.NOT_OURS;
        }
        return hasValidChecksums(buffer) ? Outcome.SEGMENT : Outcome.BAD_CHECKSUM;
    }

    private boolean isAddressedHere(final DirectBuffer buffer)
    {
        if (parsed.dstPort != localPort || parsed.srcPort != remotePort)
        {
            return false;
        }
        final int sourceAt;
        final int destinationAt;
        if (parsed.ipVersion == Ipv4HeaderFlyweight.VERSION && localAddress.length == 4)
        {
            sourceAt = parsed.l3Offset + Ipv4HeaderFlyweight.SOURCE_ADDRESS_OFFSET;
            destinationAt = parsed.l3Offset + Ipv4HeaderFlyweight.DESTINATION_ADDRESS_OFFSET;
        }
        else if (parsed.ipVersion == Ipv6HeaderFlyweight.VERSION && localAddress.length == 16)
        {
            sourceAt = parsed.l3Offset + Ipv6HeaderFlyweight.SOURCE_ADDRESS_OFFSET;
            destinationAt = parsed.l3Offset + Ipv6HeaderFlyweight.DESTINATION_ADDRESS_OFFSET;
        }
        else
        {
            return false;
        }
        for (int i = 0; i < localAddress.length; i++)
        {
            if (buffer.getByte(sourceAt + i) != remoteAddress[i] ||
                buffer.getByte(destinationAt + i) != localAddress[i])
            {
                return false;
            }
        }
        return true;
    }

    private boolean hasValidChecksums(final DirectBuffer buffer)
    {
        if (parsed.ipVersion == Ipv4HeaderFlyweight.VERSION)
        {
            return Checksums.verifyIpv4HeaderChecksum(buffer, parsed.l3Offset, parsed.l4Offset - parsed.l3Offset) &&
                Checksums.verifyTcpChecksumIpv4(buffer, parsed.l3Offset, parsed.l4Offset, parsed.l4Length);
        }
        return Checksums.verifyTcpChecksumIpv6(buffer, parsed.l3Offset, parsed.l4Offset, parsed.l4Length);
    }
}
