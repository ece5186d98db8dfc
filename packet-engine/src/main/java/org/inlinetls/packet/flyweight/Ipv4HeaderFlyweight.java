package org.inlinetls.packet.flyweight;

import org.agrona.DirectBuffer;

/**
 * Flyweight over an IPv4 header (RFC 791 §3.1, DSCP/ECN per RFC 2474 and RFC 3168).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |   DSCP    |ECN|          Total Length         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Identification        |R|D|M|      Fragment Offset    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       Source Address                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Destination Address                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Options (IHL*4 - 20 bytes)                 |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * Addresses are ints in network order (192.0.2.1 is {@code 0xC0000201}).
 */
public final class Ipv4HeaderFlyweight extends AbstractFlyweight
{
    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int IDENTIFICATION_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SOURCE_ADDRESS_OFFSET = 12;
    public static final int DESTINATION_ADDRESS_OFFSET = 16;
    public static final int OPTIONS_OFFSET = 20;

    public static final int VERSION = 4;
    /** Header without options: IHL 5. */
    public static final int MIN_HEADER_LENGTH = 20;
    /** IHL 15. */
    public static final int MAX_HEADER_LENGTH = 60;
    public static final int MIN_IHL = 5;

    /** Reserved flag, must be zero (RFC 791; RFC 3514 notwithstanding). */
    public static final int FLAG_RESERVED = 0x8000;
    /** Don't Fragment. */
    public static final int FLAG_DF = 0x4000;
    /** More Fragments. */
    public static final int FLAG_MF = 0x2000;
    /** Fragment offset in 8-octet units. */
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    /** Wraps a header at {@code offset}; the packet runs to the end of the buffer. */
    public Ipv4HeaderFlyweight wrap(final DirectBuffer buffer, final int offset)
    {
        return wrap(buffer, offset, buffer.capacity() - offset);
    }

    public Ipv4HeaderFlyweight wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        wrapBuffer(buffer, offset, length);
        return this;
    }

    public int version()
    {
        return uint8(VERSION_IHL_OFFSET) >>> 4;
    }

    /** Internet header length in 32-bit words. */
    public int ihl()
    {
        return uint8(VERSION_IHL_OFFSET) & 0xF;
    }

    public Ipv4HeaderFlyweight versionAndIhl(final int version, final int ihl)
    {
        putUint8(VERSION_IHL_OFFSET, (version << 4) | (ihl & 0xF));
        return this;
    }

    /** Header length in bytes, IHL * 4. */
    public int headerLength()
    {
        return ihl() << 2;
    }

    /** Bytes of options after the fixed 20-byte header. */
    public int optionsLength()
    {
        return headerLength() - MIN_HEADER_LENGTH;
    }

    /** The whole second byte: DSCP and ECN. */
    public int typeOfService()
    {
        return uint8(TOS_OFFSET);
    }

    public Ipv4HeaderFlyweight typeOfService(final int value)
    {
        putUint8(TOS_OFFSET, value);
        return this;
    }

    public int dscp()
    {
        return typeOfService() >>> 2;
    }

    public int ecn()
    {
        return typeOfService() & 0x3;
    }

    public int totalLength()
    {
        return uint16(TOTAL_LENGTH_OFFSET);
    }

    public Ipv4HeaderFlyweight totalLength(final int value)
    {
        putUint16(TOTAL_LENGTH_OFFSET, value);
        return this;
    }

    public int identification()
    {
        return uint16(IDENTIFICATION_OFFSET);
    }

    public Ipv4HeaderFlyweight identification(final int value)
    {
        putUint16(IDENTIFICATION_OFFSET, value);
        return this;
    }

    /** The 16-bit word of flags and fragment offset. */
    public int flagsAndFragmentOffset()
    {
        return uint16(FLAGS_FRAGMENT_OFFSET);
    }

    public Ipv4HeaderFlyweight flagsAndFragmentOffset(final int value)
    {
        putUint16(FLAGS_FRAGMENT_OFFSET, value);
        return this;
    }

    public boolean dontFragment()
    {
        return (flagsAndFragmentOffset() & FLAG_DF) != 0;
    }

    public boolean moreFragments()
    {
        return (flagsAndFragmentOffset() & FLAG_MF) != 0;
    }

    /** Fragment offset in 8-octet units. */
    public int fragmentOffset()
    {
        return flagsAndFragmentOffset() & FRAGMENT_OFFSET_MASK;
    }

    /** True when MF is set or the fragment offset is not zero, RFC 791 §3.2. */
    public boolean isFragment()
    {
        return (flagsAndFragmentOffset() & (FLAG_MF | FRAGMENT_OFFSET_MASK)) != 0;
    }

    public int ttl()
    {
        return uint8(TTL_OFFSET);
    }

    public Ipv4HeaderFlyweight ttl(final int value)
    {
        putUint8(TTL_OFFSET, value);
        return this;
    }

    public int protocol()
    {
        return uint8(PROTOCOL_OFFSET);
    }

    public Ipv4HeaderFlyweight protocol(final int value)
    {
        putUint8(PROTOCOL_OFFSET, value);
        return this;
    }

    public int headerChecksum()
    {
        return uint16(CHECKSUM_OFFSET);
    }

    public Ipv4HeaderFlyweight headerChecksum(final int value)
    {
        putUint16(CHECKSUM_OFFSET, value);
        return this;
    }

    public int sourceAddress()
    {
        return int32(SOURCE_ADDRESS_OFFSET);
    }

    public Ipv4HeaderFlyweight sourceAddress(final int address)
    {
        putInt32(SOURCE_ADDRESS_OFFSET, address);
        return this;
    }

    public int destinationAddress()
    {
        return int32(DESTINATION_ADDRESS_OFFSET);
    }

    public Ipv4HeaderFlyweight destinationAddress(final int address)
    {
        putInt32(DESTINATION_ADDRESS_OFFSET, address);
        return this;
    }

    /** Absolute offset of the byte after the header (IHL * 4). */
    public int payloadOffset()
    {
        return offset + headerLength();
    }
}
