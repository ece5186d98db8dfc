package org.inlinetls.packet.flyweight;

import org.agrona.DirectBuffer;

/**
 * Flyweight over an ARP packet for Ethernet hardware and IPv4 protocol addresses (RFC 826).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        Hardware Type          |        Protocol Type          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     HLEN      |     PLEN      |          Operation            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                Sender Hardware Address (48)                   |
 *  +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                               | Sender Protocol Address (32)  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                               |                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *  |                Target Hardware Address (48)                   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                Target Protocol Address (32)                   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * Address offsets are those of HLEN 6 / PLEN 4; other sizes only have the fixed part and {@link #packetLength()}.
 */
public final class ArpFlyweight extends AbstractFlyweight
{
    public static final int HARDWARE_TYPE_OFFSET = 0;
    public static final int PROTOCOL_TYPE_OFFSET = 2;
    public static final int HARDWARE_LENGTH_OFFSET = 4;
    public static final int PROTOCOL_LENGTH_OFFSET = 5;
    public static final int OPERATION_OFFSET = 6;
    public static final int SENDER_HARDWARE_ADDRESS_OFFSET = 8;
    public static final int SENDER_PROTOCOL_ADDRESS_OFFSET = 14;
    public static final int TARGET_HARDWARE_ADDRESS_OFFSET = 18;
    public static final int TARGET_PROTOCOL_ADDRESS_OFFSET = 24;
    /** Fixed part before the addresses. */
    public static final int FIXED_LENGTH = 8;
    /** Length of an Ethernet/IPv4 ARP packet. */
    public static final int ETHERNET_IPV4_LENGTH = 28;

    /** ares_hrd$Ethernet, IANA "Hardware Types". */
    public static final int HARDWARE_TYPE_ETHERNET = 1;
    /** ares_op$REQUEST, RFC 826. */
    public static final int OPERATION_REQUEST = 1;
    /** ares_op$REPLY, RFC 826. */
    public static final int OPERATION_REPLY = 2;

    /** Wraps an ARP packet at {@code offset}; it runs to the end of the buffer. */
    public ArpFlyweight wrap(final DirectBuffer buffer, final int offset)
    {
        return wrap(buffer, offset, buffer.capacity() - offset);
    }

    public ArpFlyweight wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        wrapBuffer(buffer, offset, length);
        return this;
    }

    public int hardwareType()
    {
        return uint16(HARDWARE_TYPE_OFFSET);
    }

    public ArpFlyweight hardwareType(final int value)
    {
        putUint16(HARDWARE_TYPE_OFFSET, value);
        return this;
    }

    public int protocolType()
    {
        return uint16(PROTOCOL_TYPE_OFFSET);
    }

    public ArpFlyweight protocolType(final int value)
    {
        putUint16(PROTOCOL_TYPE_OFFSET, value);
        return this;
    }

    public int hardwareLength()
    {
        return uint8(HARDWARE_LENGTH_OFFSET);
    }

    public ArpFlyweight hardwareLength(final int value)
    {
        putUint8(HARDWARE_LENGTH_OFFSET, value);
        return this;
    }

    public int protocolLength()
    {
        return uint8(PROTOCOL_LENGTH_OFFSET);
    }

    public ArpFlyweight protocolLength(final int value)
    {
        putUint8(PROTOCOL_LENGTH_OFFSET, value);
        return this;
    }

    public int operation()
    {
        return uint16(OPERATION_OFFSET);
    }

    public ArpFlyweight operation(final int value)
    {
        putUint16(OPERATION_OFFSET, value);
        return this;
    }

    /** Length the fixed part says the packet has: 8 + 2 * (HLEN + PLEN); read only when 8 bytes are present. */
    public int packetLength()
    {
        return FIXED_LENGTH + 2 * (hardwareLength() + protocolLength());
    }

    /** Sender MAC in the low 48 bits. */
    public long senderHardwareAddress()
    {
        return mac(SENDER_HARDWARE_ADDRESS_OFFSET);
    }

    public ArpFlyweight senderHardwareAddress(final long mac)
    {
        putMac(SENDER_HARDWARE_ADDRESS_OFFSET, mac);
        return this;
    }

    public int senderProtocolAddress()
    {
        return int32(SENDER_PROTOCOL_ADDRESS_OFFSET);
    }

    public ArpFlyweight senderProtocolAddress(final int address)
    {
        putInt32(SENDER_PROTOCOL_ADDRESS_OFFSET, address);
        return this;
    }

    /** Target MAC in the low 48 bits. */
    public long targetHardwareAddress()
    {
        return mac(TARGET_HARDWARE_ADDRESS_OFFSET);
    }

    public ArpFlyweight targetHardwareAddress(final long mac)
    {
        putMac(TARGET_HARDWARE_ADDRESS_OFFSET, mac);
        return this;
    }

    public int targetProtocolAddress()
    {
        return int32(TARGET_PROTOCOL_ADDRESS_OFFSET);
    }

    public ArpFlyweight targetProtocolAddress(final int address)
    {
        putInt32(TARGET_PROTOCOL_ADDRESS_OFFSET, address);
        return this;
    }

    /** True when the packet is Ethernet/IPv4 ARP with the usual address sizes. */
    public boolean isEthernetIpv4()
    {
        return hardwareType() == HARDWARE_TYPE_ETHERNET && protocolType() == EtherType.IPV4 &&
            hardwareLength() == EthernetFlyweight.MAC_LENGTH && protocolLength() == Integer.BYTES;
    }
}
