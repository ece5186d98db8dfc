package org.inlinetls.packet.frame;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.flyweight.EtherType;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.flyweight.IpProtocol;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.Ipv6ExtensionHeaderFlyweight;
import org.inlinetls.packet.flyweight.Ipv6HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.flyweight.VlanTagFlyweight;

/**
 * Builds test frames with the flyweights' writers.
 */
final class TestFrames
{
    static final long CLIENT_MAC = 0x0200_0000_0001L;
    static final long SERVER_MAC = 0x0200_0000_0002L;
    static final int CLIENT_IPV4 = 0xC000_020A;
    static final int SERVER_IPV4 = 0xC633_6414;
    static final long IPV6_PREFIX = 0x2001_0DB8_0000_0000L;
    static final int CLIENT_PORT = 49152;
    static final int SERVER_PORT = 443;

    private TestFrames()
    {
    }

    /** Writes Ethernet with tags (first tag 802.1ad when there are two) and returns the L3 offset. */
    static int writeEthernet(final UnsafeBuffer buffer, final int offset, final int etherType, final int... vlanIds)
    {
        final EthernetFlyweight ethernet = new EthernetFlyweight().wrap(buffer, offset);
        ethernet.destinationMac(SERVER_MAC).sourceMac(CLIENT_MAC);
        final VlanTagFlyweight tag = new VlanTagFlyweight();
        for (int i = 0; i < vlanIds.length; i++)
        {
            final int tpid = i == 0 && vlanIds.length > 1 ? EtherType.QINQ : EtherType.VLAN;
            tag.wrap(buffer, ethernet.tagOffset(i)).tpid(tpid).tci(vlanIds[i]).encapsulatedType(etherType);
        }
        if (vlanIds.length == 0)
        {
            ethernet.etherType(etherType);
        }
        return offset + EthernetFlyweight.HEADER_LENGTH + vlanIds.length * VlanTagFlyweight.TAG_LENGTH;
    }

    /** Writes an IPv4 header (options filled with NOPs) with a valid checksum and returns the L4 offset. */
    static int writeIpv4(final UnsafeBuffer buffer, final int l3, final int protocol, final int optionsBytes,
        final int l4Length)
    {
        final int headerLength = Ipv4HeaderFlyweight.MIN_HEADER_LENGTH + optionsBytes;
        new Ipv4HeaderFlyweight().wrap(buffer, l3)
            .versionAndIhl(4, headerLength / 4)
            .typeOfService(0)
            .totalLength(headerLength + l4Length)
            .identification(0x1C46)
            .flagsAndFragmentOffset(Ipv4HeaderFlyweight.FLAG_DF)
            .ttl(64)
            .protocol(protocol)
            .sourceAddress(CLIENT_IPV4)
            .destinationAddress(SERVER_IPV4);
        buffer.setMemory(l3 + Ipv4HeaderFlyweight.OPTIONS_OFFSET, optionsBytes, (byte)1);
        Checksums.writeIpv4HeaderChecksum(buffer, l3, headerLength);
        return l3 + headerLength;
    }

    /** Writes an IPv6 fixed header and returns the offset after it. */
    static int writeIpv6(final UnsafeBuffer buffer, final int l3, final int nextHeader, final int payloadLength)
    {
        new Ipv6HeaderFlyweight().wrap(buffer, l3)
            .versionClassFlow(6, 0, 0x12345)
            .payloadLength(payloadLength)
            .nextHeader(nextHeader)
            .hopLimit(64)
            .sourceAddress(IPV6_PREFIX, 1)
            .destinationAddress(IPV6_PREFIX, 2);
        return l3 + Ipv6HeaderFlyweight.HEADER_LENGTH;
    }

    /** Writes an extension header of {@code type} with the smallest length and returns the offset after it. */
    static int writeExtension(final UnsafeBuffer buffer, final int offset, final int type, final int nextHeader)
    {
        final int hdrExtLen = type == IpProtocol.AH ? 1 : 0;
        final int length = Ipv6ExtensionHeaderFlyweight.headerLength(type, hdrExtLen);
        buffer.setMemory(offset, length, (byte)0);
        new Ipv6ExtensionHeaderFlyweight().wrap(buffer, offset).nextHeader(nextHeader).hdrExtLen(hdrExtLen);
        return offset + length;
    }

    /** Writes a TCP header with MSS, SACK-permitted, timestamps, NOP and window scale; returns its length. */
    static int writeTcpSyn(final UnsafeBuffer buffer, final int l4)
    {
        return new TcpHeaderFlyweight().wrap(buffer, l4)
            .sourcePort(CLIENT_PORT)
            .destinationPort(SERVER_PORT)
            .sequenceNumber(0x12345678)
            .acknowledgmentNumber(0)
            .flags(TcpHeaderFlyweight.SYN)
            .window(64240)
            .checksum(0)
            .urgentPointer(0)
            .beginOptions()
            .appendMss(1460)
            .appendSackPermitted()
            .appendTimestamps(0x0A1B2C3D, 0)
            .appendNop()
            .appendWindowScale(7)
            .endOptions();
    }

    /** An IPv4 TCP frame: {@code vlanIds} tags, SYN options, {@code payloadLength} bytes; returns its length. */
    static int ipv4TcpFrame(final UnsafeBuffer buffer, final int payloadLength, final int... vlanIds)
    {
        final int l3 = writeEthernet(buffer, 0, EtherType.IPV4, vlanIds);
        final int l4 = writeIpv4(buffer, l3, IpProtocol.TCP, 0, 40 + payloadLength);
        final int tcpLength = writeTcpSyn(buffer, l4) + payloadLength;
        Checksums.writeTcpChecksumIpv4(buffer, l3, l4, tcpLength);
        return l4 + tcpLength;
    }

    /** An IPv6 TCP frame with the given extension headers in order; returns its length. */
    static int ipv6TcpFrame(final UnsafeBuffer buffer, final int payloadLength, final int... extensionTypes)
    {
        final int l3 = writeEthernet(buffer, 0, EtherType.IPV6);
        int cursor = l3 + Ipv6HeaderFlyweight.HEADER_LENGTH;
        for (int i = 0; i < extensionTypes.length; i++)
        {
            final int next = i + 1 < extensionTypes.length ? extensionTypes[i + 1] : IpProtocol.TCP;
            cursor = writeExtension(buffer, cursor, extensionTypes[i], next);
        }
        final int tcpLength = writeTcpSyn(buffer, cursor) + payloadLength;
        final int first = extensionTypes.length > 0 ? extensionTypes[0] : IpProtocol.TCP;
        writeIpv6(buffer, l3, first, cursor + tcpLength - l3 - Ipv6HeaderFlyweight.HEADER_LENGTH);
        Checksums.writeTcpChecksumIpv6(buffer, l3, cursor, tcpLength);
        return cursor + tcpLength;
    }
}
