package org.inlinetls.packet.flyweight;

import org.agrona.DirectBuffer;

/**
 * Flyweight over the common start of an IPv6 extension header, with the Fragment header's fields (RFC 8200 §4).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Next Header  |  Hdr Ext Len  |  header-specific data ...     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Fragment header (RFC 8200 §4.5), always 8 bytes:
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         Identification                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * Hdr Ext Len counts 8-octet units after the first 8 octets, except for AH (RFC 4302 §2.2) where it counts
 * 4-octet units minus 2.
 */
public final class Ipv6ExtensionHeaderFlyweight extends AbstractFlyweight
{
    public static final int NEXT_HEADER_OFFSET = 0;
    public static final int HDR_EXT_LEN_OFFSET = 1;
    public static final int FRAGMENT_OFFSET_FLAGS_OFFSET = 2;
    public static final int FRAGMENT_IDENTIFICATION_OFFSET = 4;
    /** Smallest extension header and the size of a Fragment header. */
    public static final int MIN_LENGTH = 8;
    public static final int FRAGMENT_HEADER_LENGTH = 8;
    /** Fragment offset (in 8-octet units) occupies the top 13 bits of its word. */
    public static final int FRAGMENT_OFFSET_SHIFT = 3;
    public static final int FRAGMENT_MORE_FLAG = 0x1;

    /** Wraps the extension header at {@code offset}. */
    public Ipv6ExtensionHeaderFlyweight wrap(final DirectBuffer buffer, final int offset)
    {
        return wrap(buffer, offset, buffer.capacity() - offset);
    }

    public Ipv6ExtensionHeaderFlyweight wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        wrapBuffer(buffer, offset, length);
        return this;
    }

    /**
     * Length in bytes of an extension header of type {@code protocol} whose Hdr Ext Len is {@code hdrExtLen}.
     *
     * @param protocol  an extension header type, see {@link IpProtocol#isIpv6ExtensionHeader(int)}.
     * @param hdrExtLen the second byte of the header (ignored for the Fragment header).
     * @return the length in bytes.
     */
    public static int headerLength(final int protocol, final int hdrExtLen)
    {
        if (protocol == IpProtocol.IPV6_FRAGMENT)
        {
            return FRAGMENT_HEADER_LENGTH;
        }
        if (protocol == IpProtocol.AH)
        {
            return (hdrExtLen + 2) << 2;
        }
        return (hdrExtLen + 1) << 3;
    }

    public int nextHeader()
    {
        return uint8(NEXT_HEADER_OFFSET);
    }

    public Ipv6ExtensionHeaderFlyweight nextHeader(final int value)
    {
        putUint8(NEXT_HEADER_OFFSET, value);
        return this;
    }

    public int hdrExtLen()
    {
        return uint8(HDR_EXT_LEN_OFFSET);
    }

    public Ipv6ExtensionHeaderFlyweight hdrExtLen(final int value)
    {
        putUint8(HDR_EXT_LEN_OFFSET, value);
        return this;
    }

    /** Fragment header: offset in 8-octet units. */
    public int fragmentOffset()
    {
        return uint16(FRAGMENT_OFFSET_FLAGS_OFFSET) >>> FRAGMENT_OFFSET_SHIFT;
    }

    /** Fragment header: the M flag. */
    public boolean moreFragments()
    {
        return (uint16(FRAGMENT_OFFSET_FLAGS_OFFSET) & FRAGMENT_MORE_FLAG) != 0;
    }

    /** Fragment header: writes offset and M flag (reserved bits zero). */
    public Ipv6ExtensionHeaderFlyweight fragmentOffsetAndFlag(final int fragmentOffset, final boolean more)
    {
        putUint16(FRAGMENT_OFFSET_FLAGS_OFFSET, (fragmentOffset << FRAGMENT_OFFSET_SHIFT) | (more ? 1 : 0));
        return this;
    }

    /** Fragment header: identification. */
    public int fragmentIdentification()
    {
        return int32(FRAGMENT_IDENTIFICATION_OFFSET);
    }

    public Ipv6ExtensionHeaderFlyweight fragmentIdentification(final int value)
    {
        putInt32(FRAGMENT_IDENTIFICATION_OFFSET, value);
        return this;
    }
}
