package org.inlinetls.packet.flyweight;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4HeaderFlyweightTest
{
    /** The header from Wikipedia's "IPv4 header checksum" example. */
    private static final byte[] HEADER = {
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, (byte)0xB8, 0x61,
        (byte)0xC0, (byte)0xA8, 0x00, 0x01, (byte)0xC0, (byte)0xA8, 0x00, (byte)0xC7};

    private final Ipv4HeaderFlyweight ip = new Ipv4HeaderFlyweight();

    @Test
    void shouldReadEveryFieldOfAKnownHeader()
    {
        ip.wrap(new UnsafeBuffer(HEADER), 0);

        assertEquals(4, ip.version());
        assertEquals(5, ip.ihl());
        assertEquals(20, ip.headerLength());
        assertEquals(0, ip.optionsLength());
        assertEquals(0, ip.typeOfService());
        assertEquals(0x73, ip.totalLength());
        assertEquals(0, ip.identification());
        assertTrue(ip.dontFragment());
        assertFalse(ip.moreFragments());
        assertEquals(0, ip.fragmentOffset());
        assertFalse(ip.isFragment());
        assertEquals(64, ip.ttl());
        assertEquals(IpProtocol.UDP, ip.protocol());
        assertEquals(0xB861, ip.headerChecksum());
        assertEquals(0xC0A8_0001, ip.sourceAddress());
        assertEquals(0xC0A8_00C7, ip.destinationAddress());
        assertEquals(20, ip.payloadOffset());
    }

    @Test
    void shouldSplitTypeOfServiceIntoDscpAndEcn()
    {
        ip.wrap(new UnsafeBuffer(new byte[20]), 0).typeOfService((46 << 2) | 3);

        assertEquals(46, ip.dscp());
        assertEquals(3, ip.ecn());
    }

    @Test
    void shouldReadFragmentFields()
    {
        ip.wrap(new UnsafeBuffer(new byte[20]), 0).flagsAndFragmentOffset(Ipv4HeaderFlyweight.FLAG_MF | 185);

        assertTrue(ip.moreFragments());
        assertFalse(ip.dontFragment());
        assertEquals(185, ip.fragmentOffset());
        assertTrue(ip.isFragment());
        ip.flagsAndFragmentOffset(7);
        assertTrue(ip.isFragment());
        ip.flagsAndFragmentOffset(Ipv4HeaderFlyweight.FLAG_DF);
        assertFalse(ip.isFragment());
    }

    @Test
    void shouldRoundTripRandomHeaders()
    {
        final long seed = 0x1F4_0001L;
        final Random random = new Random(seed);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[80]);
        for (int i = 0; i < 2000; i++)
        {
            final int offset = random.nextInt(20);
            final int ihl = 5 + random.nextInt(11);
            final int tos = random.nextInt(256);
            final int total = random.nextInt(0x10000);
            final int id = random.nextInt(0x10000);
            final int flags = random.nextInt(0x10000);
            final int ttl = random.nextInt(256);
            final int protocol = random.nextInt(256);
            final int checksum = random.nextInt(0x10000);
            final int src = random.nextInt();
            final int dst = random.nextInt();
            ip.wrap(buffer, offset).versionAndIhl(4, ihl).typeOfService(tos).totalLength(total).identification(id)
                .flagsAndFragmentOffset(flags).ttl(ttl).protocol(protocol).headerChecksum(checksum)
                .sourceAddress(src).destinationAddress(dst);

            final String message = "seed=" + seed + " i=" + i;
            ip.wrap(buffer, offset, ihl * 4);
            assertEquals(4, ip.version(), message);
            assertEquals(ihl, ip.ihl(), message);
            assertEquals(ihl * 4 - 20, ip.optionsLength(), message);
            assertEquals(tos, ip.typeOfService(), message);
            assertEquals(total, ip.totalLength(), message);
            assertEquals(id, ip.identification(), message);
            assertEquals(flags, ip.flagsAndFragmentOffset(), message);
            assertEquals(flags & 0x1FFF, ip.fragmentOffset(), message);
            assertEquals((flags & 0x2000) != 0, ip.moreFragments(), message);
            assertEquals(ttl, ip.ttl(), message);
            assertEquals(protocol, ip.protocol(), message);
            assertEquals(checksum, ip.headerChecksum(), message);
            assertEquals(src, ip.sourceAddress(), message);
            assertEquals(dst, ip.destinationAddress(), message);
        }
    }
}
