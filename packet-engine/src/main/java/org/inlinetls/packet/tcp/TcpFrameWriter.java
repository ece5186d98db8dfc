package org.inlinetls.packet.tcp;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.build.TcpSegmentBuilder;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.flyweight.EtherType;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.flyweight.IpProtocol;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.Ipv6HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;

/**
 * Writes one endpoint's outgoing frames into its one frame buffer: SYN and SYN-ACK with their options (MSS, window
 * scale, SACK-permitted, timestamps) here, every later segment through {@link TcpSegmentBuilder}, templated once from
 * a SYN written by this class (the builder lays out the timestamps and SACK options, all that follows the SYN).
 */
final class TcpFrameWriter
{
    private static final int TTL = TcpSegmentBuilder.DEFAULT_TTL;

    private final TcpConfig config;
    private final UnsafeBuffer frame;
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4HeaderFlyweight ipv4 = new Ipv4HeaderFlyweight();
    private final Ipv6HeaderFlyweight ipv6 = new Ipv6HeaderFlyweight();
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();
    private final TcpSegmentBuilder builder = new TcpSegmentBuilder();

    TcpFrameWriter(final TcpConfig config, final int maxPayloadBytes)
    {
        this.config = config;
        this.frame = new UnsafeBuffer(new byte[EthernetFlyweight.HEADER_LENGTH + Ipv6HeaderFlyweight.HEADER_LENGTH +
            TcpHeaderFlyweight.MAX_HEADER_LENGTH + maxPayloadBytes]);
        final int length = writeSyn(0, 0, TcpHeaderFlyweight.SYN, 0, -1, -1, false, false, 0, 0);
        final ParsedFrame parsed = new ParsedFrame();
        if (new FrameParser().parse(frame, 0, length, parsed) != FrameAnomaly.NONE)
        {
            throw new IllegalStateException("template SYN does not parse: " + parsed.anomaly);
        }
        builder.template(frame, parsed, false);
    }

    UnsafeBuffer buffer()
    {
        return frame;
    }

    /**
     * Writes a SYN or SYN-ACK at offset 0.
     *
     * @param mss        MSS option value, or -1 for none.
     * @param shift      window scale shift to offer, or -1 for none.
     * @return the frame length.
     */
    int writeSyn(
        final int seq,
        final int ack,
        final int flags,
        final int window,
        final int mss,
        final int shift,
        final boolean sackPermitted,
        final boolean timestamps,
        final int tsVal,
        final int tsEcr)
    {
        final int l3Offset = EthernetFlyweight.HEADER_LENGTH;
        final boolean v6 = config.isIpv6();
        final int l3Length = v6 ? Ipv6HeaderFlyweight.HEADER_LENGTH : Ipv4HeaderFlyweight.MIN_HEADER_LENGTH;
        final int l4Offset = l3Offset + l3Length;
        ethernet.wrap(frame, 0).destinationMac(config.remoteMac).sourceMac(config.localMac)
            .etherType(v6 ? EtherType.IPV6 : EtherType.IPV4);
        frame.putByte(l4Offset + TcpHeaderFlyweight.DATA_OFFSET_OFFSET, (byte)0);
        final TcpHeaderFlyweight header = tcp.wrap(frame, l4Offset)
            .sourcePort(config.localPort)
            .destinationPort(config.remotePort)
            .sequenceNumber(seq)
            .acknowledgmentNumber(ack)
            .flags(flags)
            .window(window)
            .checksum(0)
            .urgentPointer(0)
            .beginOptions();
        if (mss >= 0)
        {
            header.appendMss(mss);
        }
        if (timestamps)
        {
            if (sackPermitted)
            {
                header.appendSackPermitted();
            }
            else
            {
                header.appendNop().appendNop();
            }
            header.appendTimestamps(tsVal, tsEcr);
        }
        else if (sackPermitted)
        {
            header.appendNop().appendNop().appendSackPermitted();
        }
        if (shift >= 0)
        {
            header.appendNop().appendWindowScale(shift);
        }
        final int tcpLength = header.endOptions();
        if (v6)
        {
            ipv6.wrap(frame, l3Offset)
                .versionClassFlow(Ipv6HeaderFlyweight.VERSION, 0, 0)
                .payloadLength(tcpLength)
                .nextHeader(IpProtocol.TCP)
                .hopLimit(TTL)
                .putSourceAddress(config.localAddress, 0)
                .putDestinationAddress(config.remoteAddress, 0);
            Checksums.writeTcpChecksumIpv6(frame, l3Offset, l4Offset, tcpLength);
        }
        else
        {
            ipv4.wrap(frame, l3Offset)
                .versionAndIhl(Ipv4HeaderFlyweight.VERSION, Ipv4HeaderFlyweight.MIN_IHL)
                .typeOfService(0)
                .totalLength(Ipv4HeaderFlyweight.MIN_HEADER_LENGTH + tcpLength)
                .identification(0)
                .flagsAndFragmentOffset(Ipv4HeaderFlyweight.FLAG_DF)
                .ttl(TTL)
                .protocol(IpProtocol.TCP)
                .headerChecksum(0)
                .sourceAddress(ipv4Int(config.localAddress))
                .destinationAddress(ipv4Int(config.remoteAddress));
            Checksums.writeIpv4HeaderChecksum(frame, l3Offset, Ipv4HeaderFlyweight.MIN_HEADER_LENGTH);
            Checksums.writeTcpChecksumIpv4(frame, l3Offset, l4Offset, tcpLength);
        }
        return l4Offset + tcpLength;
    }

    /**
     * Writes a segment after the handshake (or a RST) at offset 0.
     *
     * @param payload    bytes to send from index 0, or null.
     * @param sackEdges  SACK block edges in pairs, or null.
     * @param sackBlocks blocks to take from {@code sackEdges}; 0 for none.
     * @return the frame length.
     */
    int writeSegment(
        final int seq,
        final int ack,
        final int flags,
        final int window,
        final boolean timestamps,
        final int tsVal,
        final int tsEcr,
        final byte[] payload,
        final int payloadLength,
        final int[] sackEdges,
        final int sackBlocks)
    {
        builder.clearSegment().sequenceNumber(seq).acknowledgmentNumber(ack).flags(flags).window(window);
        if (timestamps)
        {
            builder.timestamps(tsVal, tsEcr);
        }
        if (sackBlocks > 0)
        {
            builder.sackBlocks(sackEdges, sackBlocks);
        }
        if (payloadLength > 0)
        {
            builder.payload(payload, 0, payloadLength);
        }
        final int length = builder.build(frame, 0);
        if (length == TcpSegmentBuilder.REFUSED)
        {
            throw new IllegalStateException("segment of " + payloadLength + " bytes does not fit the frame buffer");
        }
        return length;
    }

    private static int ipv4Int(final byte[] address)
    {
        return (address[0] & 0xFF) << 24 | (address[1] & 0xFF) << 16 | (address[2] & 0xFF) << 8 | address[3] & 0xFF;
    }
}
