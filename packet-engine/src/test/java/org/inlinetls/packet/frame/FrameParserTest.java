package org.inlinetls.packet.frame;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.flyweight.ArpFlyweight;
import org.inlinetls.packet.flyweight.EtherType;
import org.inlinetls.packet.flyweight.IpProtocol;
import org.junit.jupiter.api.Test;

import static org.inlinetls.packet.frame.TestFrames.ipv4TcpFrame;
import static org.inlinetls.packet.frame.TestFrames.ipv6TcpFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameParserTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[2048]);
    private final FrameParser parser = new FrameParser();
    private final ParsedFrame frame = new ParsedFrame();

    @Test
    void shouldParseIpv4TcpFrame()
    {
        final int length = ipv4TcpFrame(buffer, 100);

        assertEquals(FrameAnomaly.NONE, parser.parse(buffer, 0, length, frame));
        assertTrue(frame.isTcp());
        assertEquals(0, frame.vlanCount);
        assertEquals(-1, frame.outerVlanId);
        assertEquals(EtherType.IPV4, frame.etherType);
        assertEquals(4, frame.ipVersion);
        assertEquals(14, frame.l3Offset);
        assertEquals(20 + 40 + 100, frame.l3Length);
        assertEquals(IpProtocol.TCP, frame.ipProtocol);
        assertFalse(frame.fragment);
        assertEquals(34, frame.l4Offset);
        assertEquals(140, frame.l4Length);
        assertEquals(40, frame.tcpHeaderLength);
        assertEquals(TestFrames.CLIENT_PORT, frame.srcPort);
        assertEquals(TestFrames.SERVER_PORT, frame.dstPort);
        assertEquals(74, frame.payloadOffset);
        assertEquals(100, frame.payloadLength);
        assertTrue(Checksums.verifyTcpChecksumIpv4(buffer, frame.l3Offset, frame.l4Offset, frame.l4Length));
    }

    @Test
    void shouldParseAtNonZeroOffset()
    {
        final UnsafeBuffer shifted = new UnsafeBuffer(new byte[2048]);
        final int length = ipv4TcpFrame(buffer, 7);
        shifted.putBytes(33, buffer, 0, length);

        assertEquals(FrameAnomaly.NONE, parser.parse(shifted, 33, length, frame));
        assertEquals(33, frame.frameOffset);
        assertEquals(33 + 14, frame.l3Offset);
        assertEquals(33 + 74, frame.payloadOffset);
        assertEquals(7, frame.payloadLength);
    }

    @Test
    void shouldIgnoreEthernetPaddingWhenComputingPayloadLength()
    {
        final int length = ipv4TcpFrame(buffer, 0);
        buffer.setMemory(length, 6, (byte)0x55);

        assertEquals(FrameAnomaly.NONE, parser.parse(buffer, 0, length + 6, frame));
        assertEquals(0, frame.payloadLength);
        assertEquals(40, frame.l4Length);
    }

    @Test
    void shouldStepOverOneVlanTag()
    {
        final int length = ipv4TcpFrame(buffer, 10, 0x2064);

        assertEquals(FrameAnomaly.NONE, parser.parse(buffer, 0, length, frame));
        assertEquals(1, frame.vlanCount);
        assertEquals(0x064, frame.outerVlanId);
        assertEquals(-1, frame.innerVlanId);
        assertEquals(EtherType.IPV4, frame.etherType);
        assertEquals(18, frame.l3Offset);
        assertEquals(10, frame.payloadLength);
    }

    @Test
    void shouldStepOverQinQTags()
    {
        final int length = ipv4TcpFrame(buffer, 10, 100, 4095);

        assertEquals(FrameAnomaly.NONE, parser.parse(buffer, 0, length, frame));
        assertEquals(2, frame.vlanCount);
        assertEquals(100, frame.outerVlanId);
        assertEquals(4095, frame.innerVlanId);
        assertEquals(22, frame.l3Offset);
        assertTrue(frame.isTcp());
    }

    @Test
    void shouldTreatAThirdTagAsAnUnknownEtherType()
    {
        final int l3 = TestFrames.writeEthernet(buffer, 0, EtherType.VLAN, 1, 2);
        buffer.putShort(l3, (short)5);
        buffer.putShort(l3 + 2, (short)EtherType.IPV4);

        assertEquals(FrameAnomaly.NONE, parser.parse(buffer, 0, l3 + 64, frame));
        assertEquals(2, frame.vlanCount);
        assertEquals(EtherType.VLAN, frame.etherType);
        assertEquals(0, frame.ipVersion);
        assertFalse(frame.isTcp());
    }

    @Test
    void shouldParseIpv6TcpFrame()
    {
        final int length = ipv6TcpFrame(buffer, 33);

        assertEquals(FrameAnomaly.NONE, parser.parse(buffer, 0, length, frame));
        assertEquals(6, frame.ipVersion);
        assertEquals(EtherType.IPV6, frame.etherType);
        assertEquals(40 + 40 + 33, frame.l3Length);
        assertEquals(14 + 40, frame.l4Offset);
        assertEquals(40, frame.tcpHeaderLength);
        assertEquals(33, frame.payloadLength);
        assertTrue(frame.isTcp());
        assertTrue(Checksums.verifyTcpChecksumIpv6(buffer, frame.l3Offset, frame.l4Offset, frame.l4Length));
    }

    @Test
    void shouldSkipIpv6ExtensionHeaders()
    {
        final int length = ipv6TcpFrame(buffer, 5, IpProtocol.HOP_BY_HOP, IpProtocol.IPV6_DESTINATION_OPTIONS,
            IpProtocol.IPV6_ROUTING, IpProtocol.AH, IpProtocol.IPV6_DESTINATION_OPTIONS);

        assertEquals(FrameAnomaly.NONE, parser.parse(buffer, 0, length, frame));
        assertEquals(IpProtocol.TCP, frame.ipProtocol);
        assertEquals(14 + 40 + 8 + 8 + 8 + 12 + 8, frame.l4Offset);
        assertEquals(5, frame.payloadLength);
        assertTrue(frame.isTcp());
    }

    @Test
    void shouldAcceptNoNextHeader()
    {
        final int l3 = TestFrames.writeEthernet(buffer, 0, EtherType.IPV6);
        final int end = TestFrames.writeExtension(
            buffer, l3 + 40, IpProtocol.HOP_BY_HOP, IpProtocol.IPV6_NO_NEXT_HEADER);
        TestFrames.writeIpv6(buffer, l3, IpProtocol.HOP_BY_HOP, end - l3 - 40);

        assertEquals(FrameAnomaly.NONE, parser.parse(buffer, 0, end, frame));
        assertEquals(IpProtocol.IPV6_NO_NEXT_HEADER, frame.ipProtocol);
        assertEquals(end, frame.l4Offset);
        assertEquals(0, frame.l4Length);
        assertEquals(-1, frame.tcpHeaderLength);
    }

    @Test
    void shouldParseNonTcpIpv4WithoutAnomaly()
    {
        final int l3 = TestFrames.writeEthernet(buffer, 0, EtherType.IPV4);
        final int l4 = TestFrames.writeIpv4(buffer, l3, IpProtocol.UDP, 4, 8);

        assertEquals(FrameAnomaly.NONE, parser.parse(buffer, 0, l4 + 8, frame));
        assertEquals(IpProtocol.UDP, frame.ipProtocol);
        assertEquals(l4, frame.l4Offset);
        assertEquals(8, frame.l4Length);
        assertEquals(-1, frame.tcpHeaderLength);
        assertEquals(-1, frame.srcPort);
        assertEquals(-1, frame.payloadLength);
        assertFalse(frame.isTcp());
    }

    @Test
    void shouldParseArp()
    {
        final int l3 = TestFrames.writeEthernet(buffer, 0, EtherType.ARP, 7);
        new ArpFlyweight().wrap(buffer, l3).hardwareType(1).protocolType(EtherType.IPV4)
            .hardwareLength(6).protocolLength(4).operation(ArpFlyweight.OPERATION_REQUEST);

        assertEquals(FrameAnomaly.NONE, parser.parse(buffer, 0, l3 + 28 + 18, frame));
        assertEquals(EtherType.ARP, frame.etherType);
        assertEquals(l3, frame.l3Offset);
        assertEquals(28, frame.l3Length);
        assertEquals(0, frame.ipVersion);
        assertEquals(7, frame.outerVlanId);
    }

    @Test
    void shouldBridgeUnknownEtherTypes()
    {
        TestFrames.writeEthernet(buffer, 0, 0x88CC);

        assertEquals(FrameAnomaly.NONE, parser.parse(buffer, 0, 60, frame));
        assertEquals(0x88CC, frame.etherType);
        assertEquals(-1, frame.l3Offset);
    }

    @Test
    void shouldNotAllocateWhileParsing()
    {
        final int ipv4Length = ipv4TcpFrame(buffer, 100, 5);
        final UnsafeBuffer ipv6Buffer = new UnsafeBuffer(new byte[512]);
        final int ipv6Length = ipv6TcpFrame(ipv6Buffer, 100, IpProtocol.HOP_BY_HOP, IpProtocol.AH);
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();
        parseMany(ipv4Length, ipv6Buffer, ipv6Length);
        threads.getThreadAllocatedBytes(threadId);

        final long before = threads.getThreadAllocatedBytes(threadId);
        parseMany(ipv4Length, ipv6Buffer, ipv6Length);
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;

        assertEquals(0, allocated);
    }

    private void parseMany(final int ipv4Length, final UnsafeBuffer ipv6Buffer, final int ipv6Length)
    {
        for (int i = 0; i < 20_000; i++)
        {
            parser.parse(buffer, 0, ipv4Length, frame);
            parser.parse(ipv6Buffer, 0, ipv6Length, frame);
            assertTrue(Checksums.verifyTcpChecksumIpv4(buffer, 18, 38, 140));
        }
    }

    @Test
    void shouldResetFieldsBetweenFrames()
    {
        parser.parse(buffer, 0, ipv4TcpFrame(buffer, 3, 9, 10), frame);
        TestFrames.writeEthernet(buffer, 0, 0x88CC);

        parser.parse(buffer, 0, 60, frame);

        assertEquals(0, frame.vlanCount);
        assertEquals(-1, frame.outerVlanId);
        assertEquals(-1, frame.innerVlanId);
        assertEquals(-1, frame.l4Offset);
        assertEquals(-1, frame.payloadLength);
        assertEquals(-1, frame.ipProtocol);
    }
}
