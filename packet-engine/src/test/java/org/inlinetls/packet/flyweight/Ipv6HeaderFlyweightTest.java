package org.inlinetls.packet.flyweight;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv6HeaderFlyweightTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
    private final Ipv6HeaderFlyweight ip = new Ipv6HeaderFlyweight();
    private final Ipv6ExtensionHeaderFlyweight extension = new Ipv6ExtensionHeaderFlyweight();

    @Test
    void shouldReadAndWriteFixedHeaderFields()
    {
        ip.wrap(buffer, 2).versionClassFlow(6, 0xB8, 0xFEDCB).payloadLength(1234).nextHeader(IpProtocol.TCP)
            .hopLimit(255).sourceAddress(0x2001_0DB8_0000_0000L, 1L).destinationAddress(-1L, 0x8000_0000_0000_0000L);

        assertEquals(6, ip.version());
        assertEquals(0xB8, ip.trafficClass());
        assertEquals(0xFEDCB, ip.flowLabel());
        assertEquals(1234, ip.payloadLength());
        assertEquals(IpProtocol.TCP, ip.nextHeader());
        assertEquals(255, ip.hopLimit());
        assertEquals(0x2001_0DB8_0000_0000L, ip.sourceAddressHigh());
        assertEquals(1L, ip.sourceAddressLow());
        assertEquals(-1L, ip.destinationAddressHigh());
        assertEquals(0x8000_0000_0000_0000L, ip.destinationAddressLow());
        assertEquals((byte)0x6B, buffer.getByte(2));
        assertEquals((byte)0x8F, buffer.getByte(3));
    }

    @Test
    void shouldCopyAddressesInAndOut()
    {
        final byte[] address = new byte[16];
        for (int i = 0; i < 16; i++)
        {
            address[i] = (byte)(0xF0 + i);
        }
        ip.wrap(buffer, 0).putSourceAddress(address, 0).putDestinationAddress(address, 0);
        final byte[] out = new byte[17];
        ip.getDestinationAddress(out, 1);
        final byte[] copy = new byte[16];
        System.arraycopy(out, 1, copy, 0, 16);

        assertArrayEquals(address, copy);
        assertEquals(0xF0F1_F2F3_F4F5_F6F7L, ip.sourceAddressHigh());
        ip.getSourceAddress(copy, 0);
        assertArrayEquals(address, copy);
    }

    @Test
    void shouldWalkStraightToUpperLayerWithoutExtensions()
    {
        writeHeader(IpProtocol.TCP, 20);

        assertEquals(Ipv6HeaderFlyweight.WALK_OK, ip.walkExtensionHeaders());
        assertEquals(IpProtocol.TCP, ip.upperLayerProtocol());
        assertEquals(40, ip.upperLayerOffset());
        assertEquals(-1, ip.fragmentHeaderOffset());
    }

    @Test
    void shouldSkipEachExtensionTypeWithItsLengthUnit()
    {
        int cursor = 40;
        cursor = writeExtension(cursor, IpProtocol.HOP_BY_HOP, IpProtocol.IPV6_ROUTING, 1);
        cursor = writeExtension(cursor, IpProtocol.IPV6_ROUTING, IpProtocol.AH, 0);
        cursor = writeExtension(cursor, IpProtocol.AH, IpProtocol.IPV6_DESTINATION_OPTIONS, 4);
        cursor = writeExtension(cursor, IpProtocol.IPV6_DESTINATION_OPTIONS, IpProtocol.UDP, 2);
        writeHeader(IpProtocol.HOP_BY_HOP, cursor - 40 + 8);

        assertEquals(Ipv6HeaderFlyweight.WALK_OK, ip.walkExtensionHeaders());
        assertEquals(IpProtocol.UDP, ip.upperLayerProtocol());
        assertEquals(40 + 16 + 8 + 24 + 24, ip.upperLayerOffset());
    }

    @Test
    void shouldStopAtNoNextHeaderAndEsp()
    {
        writeExtension(40, IpProtocol.IPV6_DESTINATION_OPTIONS, IpProtocol.IPV6_NO_NEXT_HEADER, 0);
        writeHeader(IpProtocol.IPV6_DESTINATION_OPTIONS, 8);
        assertEquals(Ipv6HeaderFlyweight.WALK_OK, ip.walkExtensionHeaders());
        assertEquals(IpProtocol.IPV6_NO_NEXT_HEADER, ip.upperLayerProtocol());
        assertEquals(48, ip.upperLayerOffset());

        writeHeader(IpProtocol.ESP, 8);
        assertEquals(Ipv6HeaderFlyweight.WALK_OK, ip.walkExtensionHeaders());
        assertEquals(IpProtocol.ESP, ip.upperLayerProtocol());
    }

    @Test
    void shouldStopAtFragmentHeader()
    {
        writeExtension(40, IpProtocol.HOP_BY_HOP, IpProtocol.IPV6_FRAGMENT, 0);
        extension.wrap(buffer, 48).nextHeader(IpProtocol.TCP).hdrExtLen(0).fragmentOffsetAndFlag(185, true)
            .fragmentIdentification(0xCAFEBABE);
        writeHeader(IpProtocol.HOP_BY_HOP, 16 + 100);

        assertEquals(Ipv6HeaderFlyweight.WALK_FRAGMENT, ip.walkExtensionHeaders());
        assertEquals(48, ip.fragmentHeaderOffset());
        assertEquals(IpProtocol.TCP, ip.upperLayerProtocol());
        assertEquals(56, ip.upperLayerOffset());
        assertEquals(185, extension.fragmentOffset());
        assertTrue(extension.moreFragments());
        assertEquals(0xCAFEBABE, extension.fragmentIdentification());
        extension.fragmentOffsetAndFlag(8191, false);
        assertEquals(8191, extension.fragmentOffset());
        assertFalse(extension.moreFragments());
    }

    @Test
    void shouldDetectOverrunOfPayloadLength()
    {
        writeExtension(40, IpProtocol.HOP_BY_HOP, IpProtocol.TCP, 1);
        writeHeader(IpProtocol.HOP_BY_HOP, 15);

        assertEquals(Ipv6HeaderFlyweight.WALK_OVERRUN, ip.walkExtensionHeaders());
        assertEquals(IpProtocol.HOP_BY_HOP, ip.upperLayerProtocol());
        assertEquals(40, ip.upperLayerOffset());
    }

    @Test
    void shouldDetectOverrunOfWrappedLength()
    {
        writeExtension(40, IpProtocol.HOP_BY_HOP, IpProtocol.TCP, 1);
        writeHeader(IpProtocol.HOP_BY_HOP, 400);
        ip.wrap(buffer, 0, 55);

        assertEquals(Ipv6HeaderFlyweight.WALK_OVERRUN, ip.walkExtensionHeaders());
        ip.wrap(buffer, 0, 30);
        assertEquals(Ipv6HeaderFlyweight.WALK_OVERRUN, ip.walkExtensionHeaders());
        assertEquals(-1, ip.upperLayerOffset());
    }

    @Test
    void shouldWalkRandomChains()
    {
        final int[] types = {IpProtocol.HOP_BY_HOP, IpProtocol.IPV6_ROUTING, IpProtocol.AH,
            IpProtocol.IPV6_DESTINATION_OPTIONS, IpProtocol.MOBILITY, IpProtocol.HIP, IpProtocol.SHIM6};
        final long seed = 0x1F6_0001L;
        final Random random = new Random(seed);
        for (int i = 0; i < 2000; i++)
        {
            int cursor = 40;
            int first = IpProtocol.TCP;
            int previous = -1;
            final int count = random.nextInt(6);
            for (int h = 0; h < count; h++)
            {
                final int type = types[random.nextInt(types.length)];
                if (previous < 0)
                {
                    first = type;
                }
                else
                {
                    buffer.putByte(previous, (byte)type);
                }
                previous = cursor;
                cursor = writeExtension(cursor, type, IpProtocol.TCP, random.nextInt(4));
            }
            writeHeader(first, cursor - 40 + random.nextInt(50));

            assertEquals(Ipv6HeaderFlyweight.WALK_OK, ip.walkExtensionHeaders(), "seed=" + seed + " i=" + i);
            assertEquals(IpProtocol.TCP, ip.upperLayerProtocol(), "seed=" + seed + " i=" + i);
            assertEquals(cursor, ip.upperLayerOffset(), "seed=" + seed + " i=" + i);
        }
    }

    @Test
    void shouldComputeExtensionHeaderLengths()
    {
        assertEquals(8, Ipv6ExtensionHeaderFlyweight.headerLength(IpProtocol.HOP_BY_HOP, 0));
        assertEquals(2048, Ipv6ExtensionHeaderFlyweight.headerLength(IpProtocol.IPV6_ROUTING, 255));
        assertEquals(12, Ipv6ExtensionHeaderFlyweight.headerLength(IpProtocol.AH, 1));
        assertEquals(1028, Ipv6ExtensionHeaderFlyweight.headerLength(IpProtocol.AH, 255));
        assertEquals(8, Ipv6ExtensionHeaderFlyweight.headerLength(IpProtocol.IPV6_FRAGMENT, 200));
        assertTrue(IpProtocol.isIpv6ExtensionHeader(IpProtocol.IPV6_FRAGMENT));
        assertFalse(IpProtocol.isIpv6ExtensionHeader(IpProtocol.IPV6_NO_NEXT_HEADER));
        assertFalse(IpProtocol.isIpv6ExtensionHeader(IpProtocol.ESP));
        assertFalse(IpProtocol.isIpv6ExtensionHeader(IpProtocol.TCP));
    }

    private void writeHeader(final int nextHeader, final int payloadLength)
    {
        ip.wrap(buffer, 0).versionClassFlow(6, 0, 0).payloadLength(payloadLength).nextHeader(nextHeader);
        ip.wrap(buffer, 0, 40 + payloadLength);
    }

    private int writeExtension(final int offset, final int type, final int nextHeader, final int hdrExtLen)
    {
        extension.wrap(buffer, offset).nextHeader(nextHeader).hdrExtLen(hdrExtLen);
        return offset + Ipv6ExtensionHeaderFlyweight.headerLength(type, hdrExtLen);
    }
}
