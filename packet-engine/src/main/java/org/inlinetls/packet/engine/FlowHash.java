package org.inlinetls.packet.engine;

import org.agrona.DirectBuffer;
import org.inlinetls.packet.flyweight.EtherType;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.flyweight.IpProtocol;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.Ipv6HeaderFlyweight;

import java.nio.ByteOrder;

/**
 * Symmetric flow hash of a raw Ethernet frame, used to shard flows over workers so that both directions of a
 * connection meet on the same thread.
 * <p>
 * The key is the IPv4 or IPv6 address pair, the IP protocol and, for TCP and UDP, the port pair; VLAN tags (up to
 * {@link EthernetFlyweight#MAX_VLAN_TAGS}) are stepped over and IPv6 extension headers walked. Each endpoint
 * (address, port) is mixed on its own and the two mixes are added, so swapping source and destination gives the same
 * hash. Other IP protocols (ICMP, ESP) hash by addresses alone.
 * <p>
 * Frames without a flow key hash to {@link #NO_FLOW_KEY}, which {@link #workerIndex} maps to worker 0: non-IP frames
 * (ARP, LLDP), truncated or malformed headers, and IP fragments (a non-first fragment carries no ports, so all
 * fragments take one fixed lane and keep their order). A flow's fragments may therefore run on a different worker
 * than its unfragmented packets.
 * <p>
 * NAT modes (full proxy, load balancing) change addresses or ports between the two sides, so the two directions of a
 * translated connection do not share a 5-tuple; those modes will need the classifier to supply the key (for
 * example the client-side tuple looked up from the translation table) instead of this header-only hash.
 * <p>
 * One instance per thread (it holds flyweights); no allocation per frame.
 */
public final class FlowHash
{
    /** Hash of a frame with no flow key; always mapped to worker 0. Real flow hashes are never this value. */
    public static final int NO_FLOW_KEY = 0;

    private static final int PORTS_LENGTH = 4;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4HeaderFlyweight ipv4 = new Ipv4HeaderFlyweight();
    private final Ipv6HeaderFlyweight ipv6 = new Ipv6HeaderFlyweight();

    /**
     * @return the symmetric hash of the frame's flow, or {@link #NO_FLOW_KEY}.
     */
    public int hash(final DirectBuffer buffer, final int offset, final int length)
    {
        final EthernetFlyweight eth = ethernet.wrap(buffer, offset, length);
        final int etherType = eth.innerEtherType();
        if (etherType == EtherType.IPV4)
        {
            final int l3Offset = eth.l3Offset();
            return hashIpv4(buffer, l3Offset, offset + length - l3Offset);
        }
        if (etherType == EtherType.IPV6)
        {
            final int l3Offset = eth.l3Offset();
            return hashIpv6(buffer, l3Offset, offset + length - l3Offset);
        }
        return NO_FLOW_KEY;
    }

    /**
     * Maps a hash onto {@code [0, workerCount)} by multiply-shift (uniform for any worker count, no division);
     * {@link #NO_FLOW_KEY} goes to 0.
     */
    public static int workerIndex(final int hash, final int workerCount)
    {
        if (hash == NO_FLOW_KEY)
        {
            return 0;
        }
        return (int)(((hash & 0xFFFF_FFFFL) * workerCount) >>> Integer.SIZE);
    }

    private int hashIpv4(final DirectBuffer buffer, final int l3Offset, final int available)
    {
        if (available < Ipv4HeaderFlyweight.MIN_HEADER_LENGTH)
        {
            return NO_FLOW_KEY;
        }
        final Ipv4HeaderFlyweight ip = ipv4.wrap(buffer, l3Offset, available);
        final int headerLength = ip.headerLength();
        if (ip.version() != Ipv4HeaderFlyweight.VERSION || headerLength < Ipv4HeaderFlyweight.MIN_HEADER_LENGTH
            || headerLength > available || ip.isFragment())
        {
            return NO_FLOW_KEY;
        }
        return finish(ip.protocol(), ip.sourceAddress() & 0xFFFF_FFFFL, 0, ip.destinationAddress() & 0xFFFF_FFFFL, 0,
            buffer, ip.payloadOffset(), available - headerLength);
    }

    private int hashIpv6(final DirectBuffer buffer, final int l3Offset, final int available)
    {
        if (available < Ipv6HeaderFlyweight.HEADER_LENGTH)
        {
            return NO_FLOW_KEY;
        }
        final Ipv6HeaderFlyweight ip = ipv6.wrap(buffer, l3Offset, available);
        if (ip.version() != Ipv6HeaderFlyweight.VERSION || ip.walkExtensionHeaders() != Ipv6HeaderFlyweight.WALK_OK)
        {
            return NO_FLOW_KEY;
        }
        final int l4Offset = ip.upperLayerOffset();
        return finish(
            ip.upperLayerProtocol(),
            ip.sourceAddressHigh(), ip.sourceAddressLow(),
            ip.destinationAddressHigh(), ip.destinationAddressLow(),
            buffer, l4Offset, l3Offset + available - l4Offset);
    }

    private static int finish(
        final int protocol,
        final long sourceHigh,
        final long sourceLow,
        final long destinationHigh,
        final long destinationLow,
        final DirectBuffer buffer,
        final int l4Offset,
        final int l4Available)
    {
        int sourcePort = 0;
        int destinationPort = 0;
        if ((protocol == IpProtocol.TCP || protocol == IpProtocol.UDP) && l4Available >= PORTS_LENGTH)
        {
            sourcePort = buffer.getShort(l4Offset, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            destinationPort = buffer.getShort(l4Offset + Short.BYTES, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        }
        // addition commutes: the same sum whichever endpoint is the source
        final long endpoints = endpoint(sourceHigh, sourceLow, sourcePort) + endpoint(destinationHigh, destinationLow,
            destinationPort);
        final long mixed = mix(endpoints ^ protocol);
        final int hash = (int)(mixed ^ (mixed >>> Integer.SIZE));
        return hash == NO_FLOW_KEY ? 1 : hash;
    }

    private static long endpoint(final long addressHigh, final long addressLow, final int port)
    {
        return mix(mix(mix(addressHigh) ^ addressLow) ^ port);
    }

    /** SplitMix64's finaliser (Steele, Lea, Flood 2014): full avalanche over 64 bits. */
    private static long mix(final long value)
    {
        long z = value + 0x9E37_79B9_7F4A_7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
