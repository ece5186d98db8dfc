package org.inlinetls.packet.rewrite;

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

import java.util.Random;

/**
 * Builds well-formed TCP frames with the flyweights' writers and full checksums, for the rewriter's tests.
 */
final class RewriteTestFrames
{
    static final int CLIENT_IPV4 = 0xC000_020A;
    static final int SERVER_IPV4 = 0xC633_6414;

    private static final int[] NO_TAGS = {};

    private RewriteTestFrames()
    {
    }

    /** What a frame is made of; the TCP options are given as a writer over the header. */
    static final class Spec
    {
        int offset;
        int[] vlanIds = NO_TAGS;
        boolean ipv6;
        int ipv4OptionsBytes;
        int ipv6DestinationOptionHeaders;
        int srcPort = 443;
        int dstPort = 49152;
        int seq = 0x1234_5678;
        int ack = 0x0BAD_F00D;
        int flags = TcpHeaderFlyweight.SYN | TcpHeaderFlyweight.ACK;
        int window = 64240;
        OptionWriter options = tcp -> { };
        int payloadLength;
        int paddingLength;
    }

    /** Appends options to a header being built. */
    interface OptionWriter
    {
        void write(TcpHeaderFlyweight tcp);
    }

    /** A random spec: any offset parity, 0 to 2 tags, IPv4 (with options) or IPv6 (with extension headers). */
    static Spec randomSpec(final Random random)
    {
        final Spec spec = new Spec();
        spec.offset = random.nextInt(4);
        spec.vlanIds = new int[random.nextInt(3)];
        for (int i = 0; i < spec.vlanIds.length; i++)
        {
            spec.vlanIds[i] = random.nextInt(0x10000);
        }
        spec.ipv6 = random.nextBoolean();
        spec.ipv4OptionsBytes = 4 * random.nextInt(11);
        spec.ipv6DestinationOptionHeaders = random.nextInt(3);
        spec.srcPort = random.nextInt(0x10000);
        spec.dstPort = random.nextInt(0x10000);
        spec.seq = random.nextInt();
        spec.ack = random.nextInt();
        spec.flags = random.nextInt(256);
        spec.window = random.nextInt(0x10000);
        final long optionSeed = random.nextLong();
        spec.options = tcp -> appendRandomOptions(new Random(optionSeed), tcp);
        spec.payloadLength = random.nextInt(8) == 0 ? 0 : random.nextInt(400);
        spec.paddingLength = random.nextInt(4) == 0 ? random.nextInt(20) : 0;
        return spec;
    }

    /** NOPs and options in random order, so an MSS may land at any offset parity. */
    static void appendRandomOptions(final Random random, final TcpHeaderFlyweight tcp)
    {
        int room = TcpOption.MAX_OPTIONS_LENGTH;
        final int count = random.nextInt(8);
        for (int i = 0; i < count; i++)
        {
            final int kind = random.nextInt(6);
            final int size = kind == 0 ? TcpOption.MSS_LENGTH : kind == 1 ? TcpOption.WINDOW_SCALE_LENGTH :
                kind == 2 ? TcpOption.SACK_PERMITTED_LENGTH : kind == 3 ? TcpOption.TIMESTAMPS_LENGTH : 1;
            if (size > room)
            {
                continue;
            }
            room -= size;
            switch (kind)
            {
                case 0:
                    tcp.appendMss(random.nextInt(0x10000));
                    break;
                case 1:
                    tcp.appendWindowScale(random.nextInt(15));
                    break;
                case 2:
                    tcp.appendSackPermitted();
                    break;
                case 3:
                    tcp.appendTimestamps(random.nextInt(), random.nextInt());
                    break;
                default:
                    tcp.appendNop();
            }
        }
    }

    /** Writes the frame with random payload and padding and valid checksums; returns its length. */
    static int write(final UnsafeBuffer buffer, final Spec spec, final Random random)
    {
        final int l3 = writeEthernet(buffer, spec);
        int l4 = spec.ipv6 ? l3 + Ipv6HeaderFlyweight.HEADER_LENGTH : l3 + 20 + spec.ipv4OptionsBytes;
        if (spec.ipv6)
        {
            for (int i = 0; i < spec.ipv6DestinationOptionHeaders; i++)
            {
                final int next = i + 1 < spec.ipv6DestinationOptionHeaders ?
                    IpProtocol.IPV6_DESTINATION_OPTIONS : IpProtocol.TCP;
                fill(buffer, l4, Ipv6ExtensionHeaderFlyweight.MIN_LENGTH, random);
                new Ipv6ExtensionHeaderFlyweight().wrap(buffer, l4).nextHeader(next).hdrExtLen(0);
                l4 += Ipv6ExtensionHeaderFlyweight.MIN_LENGTH;
            }
        }
        final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight().wrap(buffer, l4);
        buffer.putByte(l4 + TcpHeaderFlyweight.DATA_OFFSET_OFFSET, (byte)0);
        tcp.sourcePort(spec.srcPort).destinationPort(spec.dstPort).sequenceNumber(spec.seq)
            .acknowledgmentNumber(spec.ack).flags(spec.flags).window(spec.window).checksum(0)
            .urgentPointer(random.nextInt(0x10000)).beginOptions();
        spec.options.write(tcp);
        final int tcpLength = tcp.endOptions() + spec.payloadLength;
        fill(buffer, l4 + tcpLength - spec.payloadLength, spec.payloadLength, random);
        if (spec.ipv6)
        {
            final int first = spec.ipv6DestinationOptionHeaders > 0 ? IpProtocol.IPV6_DESTINATION_OPTIONS :
                IpProtocol.TCP;
            new Ipv6HeaderFlyweight().wrap(buffer, l3)
                .versionClassFlow(6, random.nextInt(256), random.nextInt(0x10_0000))
                .payloadLength(l4 + tcpLength - l3 - Ipv6HeaderFlyweight.HEADER_LENGTH)
                .nextHeader(first)
                .hopLimit(64)
                .sourceAddress(random.nextLong(), random.nextLong())
                .destinationAddress(random.nextLong(), random.nextLong());
            Checksums.writeTcpChecksumIpv6(buffer, l3, l4, tcpLength);
        }
        else
        {
            final int headerLength = 20 + spec.ipv4OptionsBytes;
            fill(buffer, l3 + 20, spec.ipv4OptionsBytes, random);
            new Ipv4HeaderFlyweight().wrap(buffer, l3)
                .versionAndIhl(4, headerLength / 4)
                .typeOfService(random.nextInt(256))
                .totalLength(headerLength + tcpLength)
                .identification(random.nextInt(0x10000))
                .flagsAndFragmentOffset(Ipv4HeaderFlyweight.FLAG_DF)
                .ttl(1 + random.nextInt(255))
                .protocol(IpProtocol.TCP)
                .sourceAddress(random.nextInt())
                .destinationAddress(random.nextInt());
            Checksums.writeIpv4HeaderChecksum(buffer, l3, headerLength);
            Checksums.writeTcpChecksumIpv4(buffer, l3, l4, tcpLength);
        }
        fill(buffer, l4 + tcpLength, spec.paddingLength, random);
        return l4 + tcpLength + spec.paddingLength - spec.offset;
    }

    private static int writeEthernet(final UnsafeBuffer buffer, final Spec spec)
    {
        final EthernetFlyweight ethernet = new EthernetFlyweight().wrap(buffer, spec.offset);
        ethernet.destinationMac(0x0200_0000_0002L).sourceMac(0x0200_0000_0001L);
        final int etherType = spec.ipv6 ? EtherType.IPV6 : EtherType.IPV4;
        final VlanTagFlyweight tag = new VlanTagFlyweight();
        for (int i = 0; i < spec.vlanIds.length; i++)
        {
            final int tpid = i == 0 && spec.vlanIds.length > 1 ? EtherType.QINQ : EtherType.VLAN;
            tag.wrap(buffer, ethernet.tagOffset(i)).tpid(tpid).tci(spec.vlanIds[i]).encapsulatedType(etherType);
        }
        if (spec.vlanIds.length == 0)
        {
            ethernet.etherType(etherType);
        }
        return spec.offset + EthernetFlyweight.HEADER_LENGTH + spec.vlanIds.length * VlanTagFlyweight.TAG_LENGTH;
    }

    private static void fill(final UnsafeBuffer buffer, final int offset, final int length, final Random random)
    {
        for (int i = 0; i < length; i++)
        {
            buffer.putByte(offset + i, (byte)random.nextInt(256));
        }
    }
}
