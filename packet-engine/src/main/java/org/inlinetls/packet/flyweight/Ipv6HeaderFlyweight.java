package org.inlinetls.packet.flyweight;

import org.agrona.DirectBuffer;

/**
 * Flyweight over an IPv6 fixed header (RFC 8200 §3) that also walks the extension header chain to the upper layer.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version| Traffic Class |              Flow Label               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Payload Length        |  Next Header  |   Hop Limit   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                                                               |
 *  +                  Source Address (128, offset 8)               +
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                                                               |
 *  +               Destination Address (128, offset 24)            +
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * Addresses are read as two longs each (high = first 8 bytes) or copied out into a caller's array.
 */
public final class Ipv6HeaderFlyweight extends AbstractFlyweight
{
    public static final int VERSION_CLASS_FLOW_OFFSET = 0;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SOURCE_ADDRESS_OFFSET = 8;
    public static final int DESTINATION_ADDRESS_OFFSET = 24;
    public static final int ADDRESS_LENGTH = 16;
    public static final int HEADER_LENGTH = 40;
    public static final int VERSION = 6;
    public static final int FLOW_LABEL_MASK = 0xF_FFFF;

    /** {@link #walkExtensionHeaders()}: the upper-layer header (or No Next Header, or ESP) was reached. */
    public static final int WALK_OK = 0;
    /** {@link #walkExtensionHeaders()}: a Fragment header was found; the walk stopped after it. */
    public static final int WALK_FRAGMENT = 1;
    /** {@link #walkExtensionHeaders()}: an extension header runs past the payload or the wrapped bytes. */
    public static final int WALK_OVERRUN = 2;

    private int upperLayerProtocol = -1;
    private int upperLayerOffset = -1;
    private int fragmentHeaderOffset = -1;

    /** Wraps a header at {@code offset}; the packet runs to the end of the buffer. */
    public Ipv6HeaderFlyweight wrap(final DirectBuffer buffer, final int offset)
    {
        return wrap(buffer, offset, buffer.capacity() - offset);
    }

    public Ipv6HeaderFlyweight wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        wrapBuffer(buffer, offset, length);
        upperLayerProtocol = -1;
        upperLayerOffset = -1;
        fragmentHeaderOffset = -1;
        return this;
    }

    public int version()
    {
        return uint8(VERSION_CLASS_FLOW_OFFSET) >>> 4;
    }

    public int trafficClass()
    {
        return (int32(VERSION_CLASS_FLOW_OFFSET) >>> 20) & 0xFF;
    }

    public int flowLabel()
    {
        return int32(VERSION_CLASS_FLOW_OFFSET) & FLOW_LABEL_MASK;
    }

    /** Writes the first word: version, traffic class and flow label. */
    public Ipv6HeaderFlyweight versionClassFlow(final int version, final int trafficClass, final int flowLabel)
    {
        putInt32(VERSION_CLASS_FLOW_OFFSET, (version << 28) | ((trafficClass & 0xFF) << 20) |
            (flowLabel & FLOW_LABEL_MASK));
        return this;
    }

    /** Bytes after the fixed header, extension headers included. */
    public int payloadLength()
    {
        return uint16(PAYLOAD_LENGTH_OFFSET);
    }

    public Ipv6HeaderFlyweight payloadLength(final int value)
    {
        putUint16(PAYLOAD_LENGTH_OFFSET, value);
        return this;
    }

    public int nextHeader()
    {
        return uint8(NEXT_HEADER_OFFSET);
    }

    public Ipv6HeaderFlyweight nextHeader(final int value)
    {
        putUint8(NEXT_HEADER_OFFSET, value);
        return this;
    }

    public int hopLimit()
    {
        return uint8(HOP_LIMIT_OFFSET);
    }

    public Ipv6HeaderFlyweight hopLimit(final int value)
    {
        putUint8(HOP_LIMIT_OFFSET, value);
        return this;
    }

    public long sourceAddressHigh()
    {
        return int64(SOURCE_ADDRESS_OFFSET);
    }

    public long sourceAddressLow()
    {
        return int64(SOURCE_ADDRESS_OFFSET + Long.BYTES);
    }

    public Ipv6HeaderFlyweight sourceAddress(final long high, final long low)
    {
        putInt64(SOURCE_ADDRESS_OFFSET, high);
        putInt64(SOURCE_ADDRESS_OFFSET + Long.BYTES, low);
        return this;
    }

    public long destinationAddressHigh()
    {
        return int64(DESTINATION_ADDRESS_OFFSET);
    }

    public long destinationAddressLow()
    {
        return int64(DESTINATION_ADDRESS_OFFSET + Long.BYTES);
    }

    public Ipv6HeaderFlyweight destinationAddress(final long high, final long low)
    {
        putInt64(DESTINATION_ADDRESS_OFFSET, high);
        putInt64(DESTINATION_ADDRESS_OFFSET + Long.BYTES, low);
        return this;
    }

    /** Copies the 16 bytes of the source address into {@code dst}. */
    public void getSourceAddress(final byte[] dst, final int dstOffset)
    {
        getBytes(SOURCE_ADDRESS_OFFSET, dst, dstOffset, ADDRESS_LENGTH);
    }

    public Ipv6HeaderFlyweight putSourceAddress(final byte[] src, final int srcOffset)
    {
        putBytes(SOURCE_ADDRESS_OFFSET, src, srcOffset, ADDRESS_LENGTH);
        return this;
    }

    /** Copies the 16 bytes of the destination address into {@code dst}. */
    public void getDestinationAddress(final byte[] dst, final int dstOffset)
    {
        getBytes(DESTINATION_ADDRESS_OFFSET, dst, dstOffset, ADDRESS_LENGTH);
    }

    public Ipv6HeaderFlyweight putDestinationAddress(final byte[] src, final int srcOffset)
    {
        putBytes(DESTINATION_ADDRESS_OFFSET, src, srcOffset, ADDRESS_LENGTH);
        return this;
    }

    /**
     * Walks the extension headers within the payload length and the wrapped bytes, whichever ends first.
     * <p>
     * Hop-by-Hop, Routing, Destination Options, AH and the other uniform-format headers are skipped. The walk stops
     * at the first other type (the upper layer, ESP or No Next Header), after a Fragment header, or when a header
     * would run past the limit. Each step advances at least 8 bytes, so the walk ends on any input.
     *
     * @return {@link #WALK_OK}, {@link #WALK_FRAGMENT} or {@link #WALK_OVERRUN}; see {@link #upperLayerProtocol()}
     * and {@link #upperLayerOffset()} for where it stopped.
     */
    public int walkExtensionHeaders()
    {
        fragmentHeaderOffset = -1;
        if (length < HEADER_LENGTH)
        {
            upperLayerProtocol = -1;
            upperLayerOffset = -1;
            return WALK_OVERRUN;
        }
        final int limit = offset + Math.min(length, HEADER_LENGTH + payloadLength());
        int protocol = nextHeader();
        int cursor = offset + HEADER_LENGTH;
        int result = WALK_OK;
        while (IpProtocol.isIpv6ExtensionHeader(protocol))
        {
            if (limit - cursor < Ipv6ExtensionHeaderFlyweight.MIN_LENGTH)
            {
                result = WALK_OVERRUN;
                break;
            }
            final int hdrExtLen = buffer.getByte(cursor + 1) & 0xFF;
            final int extLength = Ipv6ExtensionHeaderFlyweight.headerLength(protocol, hdrExtLen);
            if (limit - cursor < extLength)
            {
                result = WALK_OVERRUN;
                break;
            }
            final int headerOffset = cursor;
            final int headerType = protocol;
            protocol = buffer.getByte(cursor) & 0xFF;
            cursor += extLength;
            if (headerType == IpProtocol.IPV6_FRAGMENT)
            {
                fragmentHeaderOffset = headerOffset;
                result = WALK_FRAGMENT;
                break;
            }
        }
        upperLayerProtocol = protocol;
        upperLayerOffset = cursor;
        return result;
    }

    /**
     * After {@link #walkExtensionHeaders()}: the protocol of the header where the walk stopped (the upper layer on
     * {@link #WALK_OK}, the Fragment header's Next Header on {@link #WALK_FRAGMENT}, the overrunning header's type on
     * {@link #WALK_OVERRUN}), or -1 before a walk.
     */
    public int upperLayerProtocol()
    {
        return upperLayerProtocol;
    }

    /** After {@link #walkExtensionHeaders()}: absolute offset where the walk stopped, or -1 before a walk. */
    public int upperLayerOffset()
    {
        return upperLayerOffset;
    }

    /** After {@link #walkExtensionHeaders()}: absolute offset of the Fragment header, or -1 if none was found. */
    public int fragmentHeaderOffset()
    {
        return fragmentHeaderOffset;
    }
}
