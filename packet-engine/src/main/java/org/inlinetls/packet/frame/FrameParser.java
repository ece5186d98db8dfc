package org.inlinetls.packet.frame;

import org.agrona.DirectBuffer;
import org.inlinetls.packet.flyweight.ArpFlyweight;
import org.inlinetls.packet.flyweight.EtherType;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.flyweight.IpProtocol;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.Ipv6HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpOptionIterator;
import org.inlinetls.packet.flyweight.VlanTagFlyweight;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Walks a frame from Ethernet through up to two VLAN tags, ARP, IPv4 or IPv6 (with extension headers) to TCP, filling
 * a {@link ParsedFrame} in place; one instance per agent, nothing allocated, nothing thrown for any input.
 * <p>
 * Every read is bounds-checked against the frame and the buffer's capacity first. Lengths above the IP layer come
 * from the IP headers, so Ethernet padding after the IP packet is ignored. What each anomaly means:
 * <ul>
 * <li>{@code TRUNCATED_*}: the frame ends inside the fixed part of that layer's header (for TCP: fewer than 20
 * bytes of segment as the IP lengths say; for ARP: fewer bytes than its HLEN/PLEN call for).</li>
 * <li>{@code BAD_IP_VERSION}: the version nibble disagrees with the EtherType.</li>
 * <li>{@code BAD_IPV4_IHL}: IHL below 5, or the header runs past the frame.</li>
 * <li>{@code BAD_IPV4_TOTAL_LENGTH}: total length below the header length or beyond the frame.</li>
 * <li>{@code BAD_IPV6_PAYLOAD_LENGTH}: 40 + payload length beyond the frame (also jumbograms, RFC 2675).</li>
 * <li>{@code IPV6_EXTENSION_OVERRUN}: an extension header runs past the payload length.</li>
 * <li>{@code IPV4_FRAGMENT} / {@code IPV6_FRAGMENT}: MF or a fragment offset, or a Fragment header (atomic
 * fragments included); L4 is not parsed.</li>
 * <li>{@code BAD_TCP_DATA_OFFSET}: data offset below 5 or the header runs past the segment.</li>
 * <li>{@code TCP_OPTIONS_OVERRUN}: an option's length byte is missing, below 2, or runs past the header.</li>
 * </ul>
 * Frames that are not IP or ARP, and IP packets that are not TCP, parse with {@link FrameAnomaly#NONE}.
 */
public final class FrameParser
{
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv4HeaderFlyweight ipv4 = new Ipv4HeaderFlyweight();
    private final Ipv6HeaderFlyweight ipv6 = new Ipv6HeaderFlyweight();
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();
    private final TcpOptionIterator options = new TcpOptionIterator();

    /**
     * Parses the frame at {@code [offset, offset + length)} of {@code buffer}.
     *
     * @param buffer holding the frame.
     * @param offset of the frame's first byte (destination MAC).
     * @param length of the frame as captured, without FCS; bytes beyond the buffer's capacity are treated as missing.
     * @param out    reset and filled with what was found.
     * @return the anomaly, also stored in {@code out.anomaly}.
     */
    public FrameAnomaly parse(final DirectBuffer buffer, final int offset, final int length, final ParsedFrame out)
    {
        out.reset(offset, length);
        final int capacity = buffer.capacity();
        final boolean inside = offset >= 0 && length >= 0 && offset <= capacity;
        final int end = inside ? offset + Math.min(length, capacity - offset) : 0;
        final FrameAnomaly anomaly = inside ? parseEthernet(buffer, offset, end, out) : FrameAnomaly.TRUNCATED_ETHERNET;
        out.anomaly = anomaly;
        return anomaly;
    }

    private FrameAnomaly parseEthernet(
        final DirectBuffer buffer, final int offset, final int end, final ParsedFrame out)
    {
        if (end - offset < EthernetFlyweight.HEADER_LENGTH)
        {
            return FrameAnomaly.TRUNCATED_ETHERNET;
        }
        int typeOffset = offset + EthernetFlyweight.ETHER_TYPE_OFFSET;
        int etherType = uint16(buffer, typeOffset);
        while (out.vlanCount < EthernetFlyweight.MAX_VLAN_TAGS && EtherType.isVlanTag(etherType))
        {
            if (end - typeOffset < VlanTagFlyweight.TAG_LENGTH + Short.BYTES)
            {
                return FrameAnomaly.TRUNCATED_VLAN;
            }
            final int vlanId = uint16(buffer, typeOffset + VlanTagFlyweight.TCI_OFFSET) & VlanTagFlyweight.VID_MASK;
            if (out.vlanCount == 0)
            {
                out.outerVlanId = vlanId;
            }
            else
            {
                out.innerVlanId = vlanId;
            }
            out.vlanCount++;
            typeOffset += VlanTagFlyweight.TAG_LENGTH;
            etherType = uint16(buffer, typeOffset);
        }
        out.etherType = etherType;
        final int l3Offset = typeOffset + Short.BYTES;
        switch (etherType)
        {
            case EtherType.IPV4:
                return parseIpv4(buffer, l3Offset, end, out);
            case EtherType.IPV6:
                return parseIpv6(buffer, l3Offset, end, out);
            case EtherType.ARP:
                return parseArp(buffer, l3Offset, end, out);
            default:
                return FrameAnomaly.NONE;
        }
    }

    private FrameAnomaly parseArp(final DirectBuffer buffer, final int l3Offset, final int end, final ParsedFrame out)
    {
        out.l3Offset = l3Offset;
        final int available = end - l3Offset;
        if (available < ArpFlyweight.FIXED_LENGTH)
        {
            return FrameAnomaly.TRUNCATED_ARP;
        }
        final int packetLength = arp.wrap(buffer, l3Offset, available).packetLength();
        out.l3Length = packetLength;
        return packetLength > available ? FrameAnomaly.TRUNCATED_ARP : FrameAnomaly.NONE;
    }

    private FrameAnomaly parseIpv4(final DirectBuffer buffer, final int l3Offset, final int end, final ParsedFrame out)
    {
        out.l3Offset = l3Offset;
        final int available = end - l3Offset;
        if (available < Ipv4HeaderFlyweight.MIN_HEADER_LENGTH)
        {
            return FrameAnomaly.TRUNCATED_IPV4;
        }
        final Ipv4HeaderFlyweight ip = ipv4.wrap(buffer, l3Offset, available);
        if (ip.version() != Ipv4HeaderFlyweight.VERSION)
        {
            return FrameAnomaly.BAD_IP_VERSION;
        }
        out.ipVersion = Ipv4HeaderFlyweight.VERSION;
        final int headerLength = ip.headerLength();
        if (ip.ihl() < Ipv4HeaderFlyweight.MIN_IHL || headerLength > available)
        {
            return FrameAnomaly.BAD_IPV4_IHL;
        }
        final int totalLength = ip.totalLength();
        out.l3Length = totalLength;
        if (totalLength < headerLength || totalLength > available)
        {
            return FrameAnomaly.BAD_IPV4_TOTAL_LENGTH;
        }
        out.ipProtocol = ip.protocol();
        if (ip.isFragment())
        {
            out.fragment = true;
            return FrameAnomaly.IPV4_FRAGMENT;
        }
        return parseL4(buffer, l3Offset + headerLength, totalLength - headerLength, out);
    }

    private FrameAnomaly parseIpv6(final DirectBuffer buffer, final int l3Offset, final int end, final ParsedFrame out)
    {
        out.l3Offset = l3Offset;
        final int available = end - l3Offset;
        if (available < Ipv6HeaderFlyweight.HEADER_LENGTH)
        {
            return FrameAnomaly.TRUNCATED_IPV6;
        }
        final Ipv6HeaderFlyweight ip = ipv6.wrap(buffer, l3Offset, available);
        if (ip.version() != Ipv6HeaderFlyweight.VERSION)
        {
            return FrameAnomaly.BAD_IP_VERSION;
        }
        out.ipVersion = Ipv6HeaderFlyweight.VERSION;
        final int packetLength = Ipv6HeaderFlyweight.HEADER_LENGTH + ip.payloadLength();
        out.l3Length = packetLength;
        if (packetLength > available)
        {
            return FrameAnomaly.BAD_IPV6_PAYLOAD_LENGTH;
        }
        final int walk = ip.walkExtensionHeaders();
        if (walk == Ipv6HeaderFlyweight.WALK_OVERRUN)
        {
            return FrameAnomaly.IPV6_EXTENSION_OVERRUN;
        }
        out.ipProtocol = ip.upperLayerProtocol();
        if (walk == Ipv6HeaderFlyweight.WALK_FRAGMENT)
        {
            out.fragment = true;
            return FrameAnomaly.IPV6_FRAGMENT;
        }
        final int l4Offset = ip.upperLayerOffset();
        return parseL4(buffer, l4Offset, l3Offset + packetLength - l4Offset, out);
    }

    private FrameAnomaly parseL4(
        final DirectBuffer buffer, final int l4Offset, final int l4Length, final ParsedFrame out)
    {
        out.l4Offset = l4Offset;
        out.l4Length = l4Length;
        return out.ipProtocol == IpProtocol.TCP ? parseTcp(buffer, l4Offset, l4Length, out) : FrameAnomaly.NONE;
    }

    private FrameAnomaly parseTcp(
        final DirectBuffer buffer, final int l4Offset, final int l4Length, final ParsedFrame out)
    {
        if (l4Length < TcpHeaderFlyweight.MIN_HEADER_LENGTH)
        {
            return FrameAnomaly.TRUNCATED_TCP;
        }
        final TcpHeaderFlyweight header = tcp.wrap(buffer, l4Offset, l4Length);
        out.srcPort = header.sourcePort();
        out.dstPort = header.destinationPort();
        final int headerLength = header.headerLength();
        if (header.dataOffset() < TcpHeaderFlyweight.MIN_DATA_OFFSET || headerLength > l4Length)
        {
            return FrameAnomaly.BAD_TCP_DATA_OFFSET;
        }
        final TcpOptionIterator it = options.reset(buffer, l4Offset + TcpHeaderFlyweight.OPTIONS_OFFSET,
            l4Offset + headerLength);
        while (it.next())
        {
            // validates each option in turn
        }
        if (it.isMalformed())
        {
            return FrameAnomaly.TCP_OPTIONS_OVERRUN;
        }
        out.tcpHeaderLength = headerLength;
        out.payloadOffset = l4Offset + headerLength;
        out.payloadLength = l4Length - headerLength;
        return FrameAnomaly.NONE;
    }

    private static int uint16(final DirectBuffer buffer, final int index)
    {
        return buffer.getShort(index, BIG_ENDIAN) & 0xFFFF;
    }
}
