package org.inlinetls.packet.flyweight;

import org.agrona.DirectBuffer;

/**
 * Flyweight over an Ethernet II header (IEEE 802.3 clause 3.1.1, RFC 894), with helpers to step over VLAN tags.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     Destination MAC (48)                      |
 *  +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                               |                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *  |                       Source MAC (48)                         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   EtherType or TPID (16)      |  [TCI (16) if TPID is a tag]  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  ... up to 2 tags (802.1ad S-TAG, then 802.1Q C-TAG) ...      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * The frame check sequence is not part of frames handed to user space and is not modelled.
 */
public final class EthernetFlyweight extends AbstractFlyweight
{
    public static final int MAC_LENGTH = 6;
    public static final int DESTINATION_MAC_OFFSET = 0;
    public static final int SOURCE_MAC_OFFSET = 6;
    public static final int ETHER_TYPE_OFFSET = 12;
    public static final int HEADER_LENGTH = 14;
    /** Most tags the helpers step over: one S-TAG and one C-TAG (IEEE 802.1ad). */
    public static final int MAX_VLAN_TAGS = 2;
    /** Returned by the tag helpers when the frame ends inside a header or tag. */
    public static final int TRUNCATED = -1;

    /** Wraps a header at {@code offset}; the frame runs to the end of the buffer. */
    public EthernetFlyweight wrap(final DirectBuffer buffer, final int offset)
    {
        return wrap(buffer, offset, buffer.capacity() - offset);
    }

    /** Wraps a frame of {@code length} bytes at {@code offset}. */
    public EthernetFlyweight wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        wrapBuffer(buffer, offset, length);
        return this;
    }

    /** Destination MAC in the low 48 bits. */
    public long destinationMac()
    {
        return mac(DESTINATION_MAC_OFFSET);
    }

    public EthernetFlyweight destinationMac(final long mac)
    {
        putMac(DESTINATION_MAC_OFFSET, mac);
        return this;
    }

    /** Source MAC in the low 48 bits. */
    public long sourceMac()
    {
        return mac(SOURCE_MAC_OFFSET);
    }

    public EthernetFlyweight sourceMac(final long mac)
    {
        putMac(SOURCE_MAC_OFFSET, mac);
        return this;
    }

    /** Copies the 6 bytes of the destination MAC into {@code dst}. */
    public void getDestinationMac(final byte[] dst, final int dstOffset)
    {
        getBytes(DESTINATION_MAC_OFFSET, dst, dstOffset, MAC_LENGTH);
    }

    public EthernetFlyweight putDestinationMac(final byte[] src, final int srcOffset)
    {
        putBytes(DESTINATION_MAC_OFFSET, src, srcOffset, MAC_LENGTH);
        return this;
    }

    /** Copies the 6 bytes of the source MAC into {@code dst}. */
    public void getSourceMac(final byte[] dst, final int dstOffset)
    {
        getBytes(SOURCE_MAC_OFFSET, dst, dstOffset, MAC_LENGTH);
    }

    public EthernetFlyweight putSourceMac(final byte[] src, final int srcOffset)
    {
        putBytes(SOURCE_MAC_OFFSET, src, srcOffset, MAC_LENGTH);
        return this;
    }

    /** The outer EtherType, which is a TPID when the frame is tagged. */
    public int etherType()
    {
        return uint16(ETHER_TYPE_OFFSET);
    }

    public EthernetFlyweight etherType(final int etherType)
    {
        putUint16(ETHER_TYPE_OFFSET, etherType);
        return this;
    }

    /** Absolute offset of the {@code index}-th tag's TPID, for wrapping a {@link VlanTagFlyweight}. */
    public int tagOffset(final int index)
    {
        return offset + ETHER_TYPE_OFFSET + index * VlanTagFlyweight.TAG_LENGTH;
    }

    /** Number of VLAN tags (0 to {@link #MAX_VLAN_TAGS}) before the inner EtherType, or {@link #TRUNCATED}. */
    public int tagCount()
    {
        if (length < HEADER_LENGTH)
        {
            return TRUNCATED;
        }
        int count = 0;
        int typeOffset = ETHER_TYPE_OFFSET;
        while (count < MAX_VLAN_TAGS && EtherType.isVlanTag(uint16(typeOffset)))
        {
            typeOffset += VlanTagFlyweight.TAG_LENGTH;
            if (typeOffset + Short.BYTES > length)
            {
                return TRUNCATED;
            }
            count++;
        }
        return count;
    }

    /** EtherType after up to {@link #MAX_VLAN_TAGS} tags, or {@link #TRUNCATED}. */
    public int innerEtherType()
    {
        final int count = tagCount();
        return TRUNCATED == count ? TRUNCATED : uint16(ETHER_TYPE_OFFSET + count * VlanTagFlyweight.TAG_LENGTH);
    }

    /** Absolute offset of the network-layer header after up to {@link #MAX_VLAN_TAGS} tags, or {@link #TRUNCATED}. */
    public int l3Offset()
    {
        final int count = tagCount();
        return TRUNCATED == count ? TRUNCATED : offset + HEADER_LENGTH + count * VlanTagFlyweight.TAG_LENGTH;
    }
}
