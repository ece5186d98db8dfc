package org.inlinetls.packet.flyweight;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArpFlyweightTest
{
    /** An ARP request for 192.168.1.1 from 00:11:22:33:44:55 / 192.168.1.100. */
    private static final byte[] REQUEST = {
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, (byte)192, (byte)168, 1, 100,
        0, 0, 0, 0, 0, 0, (byte)192, (byte)168, 1, 1};

    private final ArpFlyweight arp = new ArpFlyweight();

    @Test
    void shouldReadEveryFieldOfARequest()
    {
        arp.wrap(new UnsafeBuffer(REQUEST), 0);

        assertEquals(ArpFlyweight.HARDWARE_TYPE_ETHERNET, arp.hardwareType());
        assertEquals(EtherType.IPV4, arp.protocolType());
        assertEquals(6, arp.hardwareLength());
        assertEquals(4, arp.protocolLength());
        assertEquals(ArpFlyweight.OPERATION_REQUEST, arp.operation());
        assertEquals(0x0011_2233_4455L, arp.senderHardwareAddress());
        assertEquals(0xC0A8_0164, arp.senderProtocolAddress());
        assertEquals(0L, arp.targetHardwareAddress());
        assertEquals(0xC0A8_0101, arp.targetProtocolAddress());
        assertEquals(ArpFlyweight.ETHERNET_IPV4_LENGTH, arp.packetLength());
        assertTrue(arp.isEthernetIpv4());
    }

    @Test
    void shouldWriteAReplyByteForByte()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[40]);
        arp.wrap(buffer, 5)
            .hardwareType(1).protocolType(EtherType.IPV4).hardwareLength(6).protocolLength(4)
            .operation(ArpFlyweight.OPERATION_REPLY)
            .senderHardwareAddress(0x0200_0000_0002L).senderProtocolAddress(0xC0A8_0101)
            .targetHardwareAddress(0x0011_2233_4455L).targetProtocolAddress(0xC0A8_0164);

        final byte[] expected = {
            0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
            0x02, 0, 0, 0, 0, 0x02, (byte)192, (byte)168, 1, 1,
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, (byte)192, (byte)168, 1, 100};
        final byte[] actual = new byte[28];
        buffer.getBytes(5, actual);
        assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(actual));
        assertEquals(0x0200_0000_0002L, arp.senderHardwareAddress());
        assertEquals(0x0011_2233_4455L, arp.targetHardwareAddress());
    }

    @Test
    void shouldComputeLengthForOtherAddressSizes()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[8]);
        arp.wrap(buffer, 0).hardwareType(6).protocolType(EtherType.IPV4).hardwareLength(20).protocolLength(4);

        assertEquals(8 + 48, arp.packetLength());
        assertFalse(arp.isEthernetIpv4());
    }
}
