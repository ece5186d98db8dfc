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
import org.inlinetls.packet.flyweight.TcpOption;
import org.inlinetls.packet.flyweight.VlanTagFlyweight;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A random well-formed frame: the values chosen, and the bytes written from them with the flyweights' writers.
 */
final class RandomFrame
{
    private static final int[] EXTENSION_TYPES = {
        IpProtocol.HOP_BY_HOP, IpProtocol.IPV6_ROUTING, IpProtocol.IPV6_DESTINATION_OPTIONS, IpProtocol.AH,
        IpProtocol.MOBILITY};
    private static final int[] OTHER_PROTOCOLS = {IpProtocol.UDP, IpProtocol.ICMP, IpProtocol.ICMPV6, 132};

    int offset;
    long dstMac;
    long srcMac;
    int[] tcis;
    boolean ipv6;
    int tos;
    int identification;
    int ttl;
    int ipv4Src;
    int ipv4Dst;
    int ipv4OptionsBytes;
    long srcHigh;
    long srcLow;
    long dstHigh;
    long dstLow;
    int flowLabel;
    int extensionBytes;
    int protocol;
    int srcPort;
    int dstPort;
    int seq;
    int ack;
    int flags;
    int window;
    int urgent;
    final List<int[]> options = new ArrayList<>();
    int tcpHeaderLength;
    int payloadLength;
    int paddingLength;

    int l3Offset;
    int l4Offset;
    int length;

    static RandomFrame next(final Random random)
    {
        final RandomFrame f = new RandomFrame();
        f.offset = random.nextInt(8);
        f.dstMac = random.nextLong() & 0xFFFF_FFFF_FFFFL;
        f.srcMac = random.nextLong() & 0xFFFF_FFFF_FFFFL;
        f.tcis = new int[random.nextInt(3)];
        for (int i = 0; i < f.tcis.length; i++)
        {
            f.tcis[i] = random.nextInt(0x10000);
        }
        f.ipv6 = random.nextBoolean();
        f.tos = random.nextInt(256);
        f.identification = random.nextInt(0x10000);
        f.ttl = random.nextInt(256);
        f.ipv4Src = random.nextInt();
        f.ipv4Dst = random.nextInt();
        f.ipv4OptionsBytes = 4 * random.nextInt(11);
        f.srcHigh = random.nextLong();
        f.srcLow = random.nextLong();
        f.dstHigh = random.nextLong();
        f.dstLow = random.nextLong();
        f.flowLabel = random.nextInt(0x10_0000);
        f.protocol = random.nextInt(8) == 0 ? OTHER_PROTOCOLS[random.nextInt(OTHER_PROTOCOLS.length)] : IpProtocol.TCP;
        f.srcPort = random.nextInt(0x10000);
        f.dstPort = random.nextInt(0x10000);
        f.seq = random.nextInt();
        f.ack = random.nextInt();
        f.flags = random.nextInt(256);
        f.window = random.nextInt(0x10000);
        f.urgent = random.nextInt(0x10000);
        f.payloadLength = random.nextInt(8) == 0 ? 0 : random.nextInt(300);
        f.paddingLength = random.nextInt(4) == 0 ? random.nextInt(20) : 0;
        chooseOptions(random, f.options);
        return f;
    }

    private static void chooseOptions(final Random random, final List<int[]> options)
    {
        int room = TcpOption.MAX_OPTIONS_LENGTH;
        final int count = random.nextInt(8);
        for (int i = 0; i < count; i++)
        {
            final int[] option = randomOption(random);
            final int size = optionSize(option);
            if (size <= room)
            {
                options.add(option);
                room -= size;
            }
        }
    }

    private static int[] randomOption(final Random random)
    {
        switch (random.nextInt(6))
        {
            case 0:
                return new int[]{TcpOption.MSS, random.nextInt(0x10000)};
            case 1:
                return new int[]{TcpOption.WINDOW_SCALE, random.nextInt(15)};
            case 2:
                return new int[]{TcpOption.SACK_PERMITTED};
            case 3:
                return new int[]{TcpOption.TIMESTAMPS, random.nextInt(), random.nextInt()};
            case 4:
                final int[] sack = new int[1 + 2 * (1 + random.nextInt(TcpOption.MAX_SACK_BLOCKS))];
                sack[0] = TcpOption.SACK;
                for (int i = 1; i < sack.length; i++)
                {
                    sack[i] = random.nextInt();
                }
                return sack;
            default:
                return new int[]{TcpOption.NOP};
        }
    }

    static int optionSize(final int[] option)
    {
        switch (option[0])
        {
            case TcpOption.MSS:
                return TcpOption.MSS_LENGTH;
            case TcpOption.WINDOW_SCALE:
                return TcpOption.WINDOW_SCALE_LENGTH;
            case TcpOption.SACK_PERMITTED:
                return TcpOption.SACK_PERMITTED_LENGTH;
            case TcpOption.TIMESTAMPS:
                return TcpOption.TIMESTAMPS_LENGTH;
            case TcpOption.SACK:
                return TcpOption.sackLength((option.length - 1) / 2);
            default:
                return 1;
        }
    }

    /** Writes the frame into {@code buffer} and returns its length, padding included. */
    int write(final UnsafeBuffer buffer, final Random random)
    {
        l3Offset = writeEthernet(buffer);
        final int l3HeaderEnd = ipv6 ? writeIpv6Headers(buffer, random) : l3Offset + 20 + ipv4OptionsBytes;
        l4Offset = l3HeaderEnd;
        final int l4Length = protocol == IpProtocol.TCP ? writeTcp(buffer) + payloadLength : 8 + payloadLength;
        if (protocol != IpProtocol.TCP)
        {
            fillRandom(buffer, l4Offset, 8, random);
        }
        fillRandom(buffer, l4Offset + l4Length - payloadLength, payloadLength, random);
        if (ipv6)
        {
            new Ipv6HeaderFlyweight().wrap(buffer, l3Offset).payloadLength(l3HeaderEnd - l3Offset - 40 + l4Length);
        }
        else
        {
            writeIpv4(buffer, random, l4Length);
        }
        final int ipEnd = l4Offset + l4Length;
        if (protocol == IpProtocol.TCP)
        {
            writeChecksum(buffer, l4Length);
        }
        fillRandom(buffer, ipEnd, paddingLength, random);
        length = ipEnd + paddingLength - offset;
        return length;
    }

    private void writeChecksum(final UnsafeBuffer buffer, final int l4Length)
    {
        if (ipv6)
        {
            Checksums.writeTcpChecksumIpv6(buffer, l3Offset, l4Offset, l4Length);
        }
        else
        {
            Checksums.writeTcpChecksumIpv4(buffer, l3Offset, l4Offset, l4Length);
        }
    }

    private int writeEthernet(final UnsafeBuffer buffer)
    {
        final EthernetFlyweight ethernet = new EthernetFlyweight().wrap(buffer, offset);
        ethernet.destinationMac(dstMac).sourceMac(srcMac);
        final int etherType = ipv6 ? EtherType.IPV6 : EtherType.IPV4;
        final VlanTagFlyweight tag = new VlanTagFlyweight();
        for (int i = 0; i < tcis.length; i++)
        {
            tag.wrap(buffer, ethernet.tagOffset(i)).tpid(i == 0 && tcis.length == 2 ? EtherType.QINQ : EtherType.VLAN)
                .tci(tcis[i]).encapsulatedType(etherType);
        }
        if (tcis.length == 0)
        {
            ethernet.etherType(etherType);
        }
        return offset + EthernetFlyweight.HEADER_LENGTH + tcis.length * VlanTagFlyweight.TAG_LENGTH;
    }

    private void writeIpv4(final UnsafeBuffer buffer, final Random random, final int l4Length)
    {
        final int headerLength = 20 + ipv4OptionsBytes;
        fillRandom(buffer, l3Offset + 20, ipv4OptionsBytes, random);
        new Ipv4HeaderFlyweight().wrap(buffer, l3Offset)
            .versionAndIhl(4, headerLength / 4)
            .typeOfService(tos)
            .totalLength(headerLength + l4Length)
            .identification(identification)
            .flagsAndFragmentOffset((identification & 1) == 0 ? Ipv4HeaderFlyweight.FLAG_DF : 0)
            .ttl(ttl)
            .protocol(protocol)
            .sourceAddress(ipv4Src)
            .destinationAddress(ipv4Dst);
        Checksums.writeIpv4HeaderChecksum(buffer, l3Offset, headerLength);
    }

    private int writeIpv6Headers(final UnsafeBuffer buffer, final Random random)
    {
        final int count = random.nextInt(4);
        int cursor = l3Offset + Ipv6HeaderFlyweight.HEADER_LENGTH;
        int previousNextHeaderOffset = l3Offset + Ipv6HeaderFlyweight.NEXT_HEADER_OFFSET;
        final Ipv6ExtensionHeaderFlyweight extension = new Ipv6ExtensionHeaderFlyweight();
        for (int i = 0; i < count; i++)
        {
            final int type = EXTENSION_TYPES[random.nextInt(EXTENSION_TYPES.length)];
            final int hdrExtLen = type == IpProtocol.AH ? 1 + random.nextInt(4) : random.nextInt(3);
            final int extLength = Ipv6ExtensionHeaderFlyweight.headerLength(type, hdrExtLen);
            fillRandom(buffer, cursor, extLength, random);
            extension.wrap(buffer, cursor).hdrExtLen(hdrExtLen);
            buffer.putByte(previousNextHeaderOffset, (byte)type);
            previousNextHeaderOffset = cursor;
            cursor += extLength;
        }
        buffer.putByte(previousNextHeaderOffset, (byte)protocol);
        extensionBytes = cursor - l3Offset - Ipv6HeaderFlyweight.HEADER_LENGTH;
        final int nextHeader = buffer.getByte(l3Offset + Ipv6HeaderFlyweight.NEXT_HEADER_OFFSET) & 0xFF;
        new Ipv6HeaderFlyweight().wrap(buffer, l3Offset)
            .versionClassFlow(6, tos, flowLabel)
            .nextHeader(nextHeader)
            .hopLimit(ttl)
            .sourceAddress(srcHigh, srcLow)
            .destinationAddress(dstHigh, dstLow);
        return cursor;
    }

    private int writeTcp(final UnsafeBuffer buffer)
    {
        final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight().wrap(buffer, l4Offset);
        buffer.putByte(l4Offset + TcpHeaderFlyweight.DATA_OFFSET_OFFSET, (byte)0);
        tcp.sourcePort(srcPort).destinationPort(dstPort).sequenceNumber(seq).acknowledgmentNumber(ack)
            .flags(flags).window(window).checksum(0).urgentPointer(urgent).beginOptions();
        for (final int[] option : options)
        {
            appendOption(tcp, option);
        }
        tcpHeaderLength = tcp.endOptions();
        return tcpHeaderLength;
    }

    private static void appendOption(final TcpHeaderFlyweight tcp, final int[] option)
    {
        switch (option[0])
        {
            case TcpOption.MSS:
                tcp.appendMss(option[1]);
                break;
            case TcpOption.WINDOW_SCALE:
                tcp.appendWindowScale(option[1]);
                break;
            case TcpOption.SACK_PERMITTED:
                tcp.appendSackPermitted();
                break;
            case TcpOption.TIMESTAMPS:
                tcp.appendTimestamps(option[1], option[2]);
                break;
            case TcpOption.SACK:
                final int[] edges = new int[option.length - 1];
                System.arraycopy(option, 1, edges, 0, edges.length);
                tcp.appendSack(edges, edges.length / 2);
                break;
            default:
                tcp.appendNop();
        }
    }

    static void fillRandom(final UnsafeBuffer buffer, final int offset, final int length, final Random random)
    {
        for (int i = 0; i < length; i++)
        {
            buffer.putByte(offset + i, (byte)random.nextInt(256));
        }
    }

    @Override
    public String toString()
    {
        return "RandomFrame{offset=" + offset + ", tags=" + tcis.length + ", ipv6=" + ipv6 + ", protocol=" + protocol +
            ", options=" + options.size() + ", payload=" + payloadLength + ", padding=" + paddingLength + "}";
    }
}
