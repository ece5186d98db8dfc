package org.inlinetls.packet.flyweight;

import org.agrona.DirectBuffer;

/**
 * Flyweight over one IEEE 802.1Q / 802.1ad tag, wrapped at its TPID, with the EtherType that follows it.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  TPID (0x8100 or 0x88A8)      | PCP |D|        VID            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Encapsulated EtherType / TPID|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * The 16-bit TCI holds the priority code point (3 bits), drop eligible indicator (1 bit) and VLAN id (12 bits).
 */
public final class VlanTagFlyweight extends AbstractFlyweight
{
    public static final int TPID_OFFSET = 0;
    public static final int TCI_OFFSET = 2;
    public static final int ENCAPSULATED_TYPE_OFFSET = 4;
    /** Bytes a tag adds to a frame. */
    public static final int TAG_LENGTH = 4;

    public static final int PCP_SHIFT = 13;
    public static final int PCP_MASK = 0x7;
    public static final int DEI_MASK = 0x1000;
    public static final int VID_MASK = 0x0FFF;

    /** Wraps the tag whose TPID is at {@code offset}. */
    public VlanTagFlyweight wrap(final DirectBuffer buffer, final int offset)
    {
        wrapBuffer(buffer, offset, TAG_LENGTH + Short.BYTES);
        return this;
    }

    public int tpid()
    {
        return uint16(TPID_OFFSET);
    }

    public VlanTagFlyweight tpid(final int tpid)
    {
        putUint16(TPID_OFFSET, tpid);
        return this;
    }

    /** Tag control information: PCP, DEI and VID together. */
    public int tci()
    {
        return uint16(TCI_OFFSET);
    }

    public VlanTagFlyweight tci(final int tci)
    {
        putUint16(TCI_OFFSET, tci);
        return this;
    }

    /** Priority code point (IEEE 802.1p class), 0 to 7. */
    public int pcp()
    {
        return (tci() >>> PCP_SHIFT) & PCP_MASK;
    }

    public VlanTagFlyweight pcp(final int pcp)
    {
        return tci((tci() & ~(PCP_MASK << PCP_SHIFT)) | ((pcp & PCP_MASK) << PCP_SHIFT));
    }

    /** Drop eligible indicator (formerly CFI). */
    public boolean dei()
    {
        return (tci() & DEI_MASK) != 0;
    }

    public VlanTagFlyweight dei(final boolean dei)
    {
        return tci(dei ? tci() | DEI_MASK : tci() & ~DEI_MASK);
    }

    /** VLAN identifier, 0 to 4095. */
    public int vlanId()
    {
        return tci() & VID_MASK;
    }

    public VlanTagFlyweight vlanId(final int vlanId)
    {
        return tci((tci() & ~VID_MASK) | (vlanId & VID_MASK));
    }

    /** The EtherType (or next TPID) after this tag. */
    public int encapsulatedType()
    {
        return uint16(ENCAPSULATED_TYPE_OFFSET);
    }

    public VlanTagFlyweight encapsulatedType(final int etherType)
    {
        putUint16(ENCAPSULATED_TYPE_OFFSET, etherType);
        return this;
    }
}
