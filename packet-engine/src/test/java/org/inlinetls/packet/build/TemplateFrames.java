package org.inlinetls.packet.build;

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

import java.util.Random;

/**
 * Writes "received" frames for the builder's tests to take templates from, with the flyweights' writers.
 */
final class TemplateFrames
{
    static final long CLIENT_MAC = 0x0200_0000_0001L;
    static final long SERVER_MAC = 0x0200_0000_0002L;
    static final int CLIENT_IPV4 = 0xC000_020A;
    static final int SERVER_IPV4 = 0xC633_6414;
    static final long IPV6_PREFIX = 0x2001_0DB8_0000_0000L;
    static final int CLIENT_PORT = 49_152;
    static final int SERVER_PORT = 443;

    private TemplateFrames()
    {
    }

    /** What a received frame is made of; defaults are a client-to-server IPv4 ACK without tag or options. */
    static final class Spec
    {
        int offset;
        boolean ipv6;
        int vlanTci = -1;
        int ipv4OptionsBytes;
        int ipv6ExtensionHeaders;
        int tos;
        int flowLabel = 0x1_2345;
        int ttl = 57;
        long srcMac = CLIENT_MAC;
        long dstMac = SERVER_MAC;
        int srcIpv4 = CLIENT_IPV4;
        int dstIpv4 = SERVER_IPV4;
        long srcIpv6Low = 0x10;
        long dstIpv6Low = 0x20;
        int srcPort = CLIENT_PORT;
        int dstPort = SERVER_PORT;
        int seq = 0x1000;
        int ack = 0x2000;
        int flags = TcpHeaderFlyweight.ACK;
        int window = 501;
        boolean timestamps;
        int payloadLength;
    }

    /** A random spec: either IP version, with or without a tag, IP options or extension headers, any flags. */
    static Spec randomSpec(final Random random)
    {
        final Spec spec = new Spec();
        spec.offset = random.nextInt(4);
        spec.ipv6 = random.nextBoolean();
        spec.vlanTci = random.nextBoolean() ? random.nextInt(0x10000) : -1;
        spec.ipv4OptionsBytes = 4 * random.nextInt(3);
        spec.ipv6ExtensionHeaders = random.nextInt(2);
        spec.tos = random.nextInt(256);
        spec.flowLabel = random.nextInt(0x10_0000);
        spec.ttl = 1 + random.nextInt(255);
        spec.srcMac = random.nextLong() & 0xFFFF_FFFF_FFFFL;
        spec.dstMac = random.nextLong() & 0xFFFF_FFFF_FFFFL;
        spec.srcIpv4 = random.nextInt();
        spec.dstIpv4 = random.nextInt();
        spec.srcIpv6Low = random.nextLong();
        spec.dstIpv6Low = random.nextLong();
        spec.srcPort = random.nextInt(0x10000);
        spec.dstPort = random.nextInt(0x10000);
        spec.seq = random.nextInt();
        spec.ack = random.nextInt();
        spec.flags = random.nextInt(256);
        spec.window = random.nextInt(0x10000);
        spec.timestamps = random.nextBoolean();
        spec.payloadLength = random.nextInt(4) == 0 ? 0 : random.nextInt(300);
        return spec;
    }

    /** Writes the frame with valid checksums and random payload; returns its length. */
    static int write(final UnsafeBuffer buffer, final Spec spec, final Random random)
    {
        final int etherType = spec.ipv6 ? EtherType.IPV6 : EtherType.IPV4;
        final EthernetFlyweight ethernet = new EthernetFlyweight().wrap(buffer, spec.offset);
        ethernet.destinationMac(spec.dstMac).sourceMac(spec.srcMac);
        int l3 = spec.offset + EthernetFlyweight.HEADER_LENGTH;
        if (spec.vlanTci >= 0)
        {
            new VlanTagFlyweight().wrap(buffer, ethernet.tagOffset(0))
                .tpid(EtherType.VLAN).tci(spec.vlanTci).encapsulatedType(etherType);
            l3 += VlanTagFlyweight.TAG_LENGTH;
        }
        else
        {
            ethernet.etherType(etherType);
        }
        int l4 = spec.ipv6 ? l3 + Ipv6HeaderFlyweight.HEADER_LENGTH : l3 + 20 + spec.ipv4OptionsBytes;
        if (spec.ipv6 && spec.ipv6ExtensionHeaders > 0)
        {
            fill(buffer, l4, Ipv6ExtensionHeaderFlyweight.MIN_LENGTH, random);
            new Ipv6ExtensionHeaderFlyweight().wrap(buffer, l4).nextHeader(IpProtocol.TCP).hdrExtLen(0);
            l4 += Ipv6ExtensionHeaderFlyweight.MIN_LENGTH;
        }
        final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight().wrap(buffer, l4);
        buffer.putByte(l4 + TcpHeaderFlyweight.DATA_OFFSET_OFFSET, (byte)0);
        tcp.sourcePort(spec.srcPort).destinationPort(spec.dstPort).sequenceNumber(spec.seq)
            .acknowledgmentNumber(spec.ack).flags(spec.flags).window(spec.window).checksum(0).urgentPointer(0)
            .beginOptions();
        if (spec.timestamps)
        {
            tcp.appendNop().appendNop().appendTimestamps(random.nextInt(), random.nextInt());
        }
        final int tcpLength = tcp.endOptions() + spec.payloadLength;
        fill(buffer, l4 + tcpLength - spec.payloadLength, spec.payloadLength, random);
        if (spec.ipv6)
        {
            new Ipv6HeaderFlyweight().wrap(buffer, l3)
                .versionClassFlow(6, spec.tos, spec.flowLabel)
                .payloadLength(l4 + tcpLength - l3 - Ipv6HeaderFlyweight.HEADER_LENGTH)
                .nextHeader(spec.ipv6ExtensionHeaders > 0 ? IpProtocol.IPV6_DESTINATION_OPTIONS : IpProtocol.TCP)
                .hopLimit(spec.ttl)
                .sourceAddress(IPV6_PREFIX, spec.srcIpv6Low)
                .destinationAddress(IPV6_PREFIX, spec.dstIpv6Low);
            Checksums.writeTcpChecksumIpv6(buffer, l3, l4, tcpLength);
        }
        else
        {
            final int headerLength = 20 + spec.ipv4OptionsBytes;
            for (int i = 0; i < spec.ipv4OptionsBytes; i++)
            {
                buffer.putByte(l3 + 20 + i, (byte)1);
            }
            new Ipv4HeaderFlyweight().wrap(buffer, l3)
                .versionAndIhl(4, headerLength / 4)
                .typeOfService(spec.tos)
                .totalLength(headerLength + tcpLength)
                .identification(random.nextInt(0x10000))
                .flagsAndFragmentOffset(0)
                .ttl(spec.ttl)
                .protocol(IpProtocol.TCP)
                .sourceAddress(spec.srcIpv4)
                .destinationAddress(spec.dstIpv4);
            Checksums.writeIpv4HeaderChecksum(buffer, l3, headerLength);
            Checksums.writeTcpChecksumIpv4(buffer, l3, l4, tcpLength);
        }
        return l4 + tcpLength - spec.offset;
    }

    static void fill(final UnsafeBuffer buffer, final int offset, final int length, final Random random)
    {
        for (int i = 0; i < length; i++)
        {
            buffer.putByte(offset + i, (byte)random.nextInt(256));
        }
    }
}
