package org.inlinetls.packet.frame;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.flyweight.EtherType;
import org.inlinetls.packet.flyweight.IpProtocol;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.Ipv6ExtensionHeaderFlyweight;
import org.inlinetls.packet.flyweight.Ipv6HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.inlinetls.packet.frame.TestFrames.ipv4TcpFrame;
import static org.inlinetls.packet.frame.TestFrames.ipv6TcpFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrameParserAnomalyTest
{
    private static final int IPV4_L3 = 14;
    private static final int IPV4_L4 = 34;
    private static final int IPV6_L3 = 14;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[2048]);
    private final FrameParser parser = new FrameParser();
    private final ParsedFrame frame = new ParsedFrame();
    private final Ipv4HeaderFlyweight ipv4 = new Ipv4HeaderFlyweight();
    private final Ipv6HeaderFlyweight ipv6 = new Ipv6HeaderFlyweight();
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();

    private FrameAnomaly parse(final int length)
    {
        final FrameAnomaly anomaly = parser.parse(buffer, 0, length, frame);
        assertEquals(anomaly, frame.anomaly);
        if (anomaly != FrameAnomaly.NONE)
        {
            assertFalse(frame.isTcp());
            assertEquals(-1, frame.payloadLength);
        }
        return anomaly;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 6, 13})
    void shouldReportTruncatedEthernet(final int length)
    {
        ipv4TcpFrame(buffer, 0);
        assertEquals(FrameAnomaly.TRUNCATED_ETHERNET, parse(length));
        assertEquals(FrameAction.DROP, frame.anomaly.defaultAction());
    }

    @Test
    void shouldReportTruncatedEthernetForOffsetsOutsideTheBuffer()
    {
        assertEquals(FrameAnomaly.TRUNCATED_ETHERNET, parser.parse(buffer, -1, 60, frame));
        assertEquals(FrameAnomaly.TRUNCATED_ETHERNET, parser.parse(buffer, 2049, 60, frame));
        assertEquals(FrameAnomaly.TRUNCATED_ETHERNET, parser.parse(buffer, 0, -5, frame));
        assertEquals(FrameAnomaly.TRUNCATED_ETHERNET, parser.parse(buffer, 2040, 60, frame));
        assertEquals(
            FrameAnomaly.TRUNCATED_ETHERNET, parser.parse(buffer, Integer.MAX_VALUE, Integer.MAX_VALUE, frame));
    }

    @Test
    void shouldClampLengthToBufferCapacity()
    {
        final UnsafeBuffer small = new UnsafeBuffer(new byte[30]);
        small.putShort(12, (short)0x0008);
        assertEquals(FrameAnomaly.TRUNCATED_IPV4, parser.parse(small, 0, 1000, frame));
    }

    @ParameterizedTest
    @ValueSource(ints = {14, 15, 17, 19, 21})
    void shouldReportTruncatedVlan(final int length)
    {
        ipv4TcpFrame(buffer, 0, 1, 2);
        assertEquals(FrameAnomaly.TRUNCATED_VLAN, parse(length));
    }

    @ParameterizedTest
    @ValueSource(ints = {14, 21, 22, 41})
    void shouldReportTruncatedArp(final int length)
    {
        final int l3 = TestFrames.writeEthernet(buffer, 0, EtherType.ARP);
        buffer.putByte(l3 + 4, (byte)6);
        buffer.putByte(l3 + 5, (byte)4);
        assertEquals(FrameAnomaly.TRUNCATED_ARP, parse(length));
        assertEquals(FrameAnomaly.NONE, parse(42));
    }

    @ParameterizedTest
    @ValueSource(ints = {14, 15, 33})
    void shouldReportTruncatedIpv4(final int length)
    {
        ipv4TcpFrame(buffer, 0);
        assertEquals(FrameAnomaly.TRUNCATED_IPV4, parse(length));
        assertEquals(IPV4_L3, frame.l3Offset);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 5, 6, 7, 15})
    void shouldReportBadIpVersionForIpv4EtherType(final int version)
    {
        final int length = ipv4TcpFrame(buffer, 0);
        buffer.putByte(IPV4_L3, (byte)((version << 4) | 5));
        assertEquals(FrameAnomaly.BAD_IP_VERSION, parse(length));
        assertEquals(0, frame.ipVersion);
    }

    @Test
    void shouldReportBadIpVersionForIpv6EtherType()
    {
        final int length = ipv6TcpFrame(buffer, 0);
        buffer.putByte(IPV6_L3, (byte)0x45);
        assertEquals(FrameAnomaly.BAD_IP_VERSION, parse(length));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4})
    void shouldReportIhlBelowFive(final int ihl)
    {
        final int length = ipv4TcpFrame(buffer, 0);
        ipv4.wrap(buffer, IPV4_L3).versionAndIhl(4, ihl);
        assertEquals(FrameAnomaly.BAD_IPV4_IHL, parse(length));
    }

    @Test
    void shouldReportIhlBeyondFrame()
    {
        ipv4TcpFrame(buffer, 0);
        ipv4.wrap(buffer, IPV4_L3).versionAndIhl(4, 15);
        assertEquals(FrameAnomaly.BAD_IPV4_IHL, parse(IPV4_L3 + 59));
    }

    @Test
    void shouldReportTotalLengthBelowHeaderLength()
    {
        final int length = ipv4TcpFrame(buffer, 0);
        ipv4.wrap(buffer, IPV4_L3).totalLength(19);
        assertEquals(FrameAnomaly.BAD_IPV4_TOTAL_LENGTH, parse(length));
    }

    @Test
    void shouldReportTotalLengthBeyondFrame()
    {
        final int length = ipv4TcpFrame(buffer, 10);
        assertEquals(FrameAnomaly.BAD_IPV4_TOTAL_LENGTH, parse(length - 1));
        assertEquals(70, frame.l3Length);
    }

    @ParameterizedTest
    @ValueSource(ints = {Ipv4HeaderFlyweight.FLAG_MF, 1, 0x1FFF, Ipv4HeaderFlyweight.FLAG_MF | 185})
    void shouldReportIpv4Fragments(final int flagsAndOffset)
    {
        final int length = ipv4TcpFrame(buffer, 10);
        ipv4.wrap(buffer, IPV4_L3).flagsAndFragmentOffset(flagsAndOffset);
        assertEquals(FrameAnomaly.IPV4_FRAGMENT, parse(length));
        assertTrue(frame.fragment);
        assertEquals(IpProtocol.TCP, frame.ipProtocol);
        assertEquals(-1, frame.l4Offset);
        assertEquals(-1, frame.srcPort);
    }

    @Test
    void shouldNotTreatDontFragmentAsFragment()
    {
        final int length = ipv4TcpFrame(buffer, 10);
        ipv4.wrap(buffer, IPV4_L3)
            .flagsAndFragmentOffset(Ipv4HeaderFlyweight.FLAG_DF | Ipv4HeaderFlyweight.FLAG_RESERVED);
        assertEquals(FrameAnomaly.NONE, parse(length));
        assertFalse(frame.fragment);
    }

    @ParameterizedTest
    @ValueSource(ints = {14, 20, 53})
    void shouldReportTruncatedIpv6(final int length)
    {
        ipv6TcpFrame(buffer, 0);
        assertEquals(FrameAnomaly.TRUNCATED_IPV6, parse(length));
    }

    @Test
    void shouldReportIpv6PayloadLengthBeyondFrame()
    {
        final int length = ipv6TcpFrame(buffer, 4);
        assertEquals(FrameAnomaly.BAD_IPV6_PAYLOAD_LENGTH, parse(length - 1));
        assertEquals(6, frame.ipVersion);
    }

    @Test
    void shouldReportJumbogramAsExtensionOverrun()
    {
        final int length = ipv6TcpFrame(buffer, 4, IpProtocol.HOP_BY_HOP);
        ipv6.wrap(buffer, IPV6_L3).payloadLength(0);
        assertEquals(FrameAnomaly.IPV6_EXTENSION_OVERRUN, parse(length));
        assertEquals(-1, frame.ipProtocol);
    }

    @Test
    void shouldReportExtensionHeaderOverrunningPayloadLength()
    {
        final int length = ipv6TcpFrame(buffer, 0, IpProtocol.HOP_BY_HOP, IpProtocol.IPV6_ROUTING);
        new Ipv6ExtensionHeaderFlyweight().wrap(buffer, IPV6_L3 + 48).hdrExtLen(10);
        assertEquals(FrameAnomaly.IPV6_EXTENSION_OVERRUN, parse(length));
    }

    @Test
    void shouldReportAhOverrunWithFourOctetUnits()
    {
        final int length = ipv6TcpFrame(buffer, 0, IpProtocol.AH);
        new Ipv6ExtensionHeaderFlyweight().wrap(buffer, IPV6_L3 + 40).hdrExtLen(12);
        assertEquals(FrameAnomaly.IPV6_EXTENSION_OVERRUN, parse(length));
        new Ipv6ExtensionHeaderFlyweight().wrap(buffer, IPV6_L3 + 40).hdrExtLen(11);
        assertEquals(FrameAnomaly.TRUNCATED_TCP, parse(length));
        assertEquals(IPV6_L3 + 40 + 52, frame.l4Offset);
    }

    @Test
    void shouldReportExtensionHeaderCutShortByPayloadLength()
    {
        final int l3 = TestFrames.writeEthernet(buffer, 0, EtherType.IPV6);
        TestFrames.writeIpv6(buffer, l3, IpProtocol.IPV6_DESTINATION_OPTIONS, 6);
        assertEquals(FrameAnomaly.IPV6_EXTENSION_OVERRUN, parse(l3 + 60));
    }

    @Test
    void shouldReportIpv6Fragment()
    {
        final int length = ipv6TcpFrame(buffer, 10, IpProtocol.HOP_BY_HOP, IpProtocol.IPV6_FRAGMENT);
        assertEquals(FrameAnomaly.IPV6_FRAGMENT, parse(length));
        assertTrue(frame.fragment);
        assertEquals(IpProtocol.TCP, frame.ipProtocol);
        assertEquals(-1, frame.l4Offset);
    }

    @Test
    void shouldReportFragmentHeaderOverrunAsOverrun()
    {
        final int l3 = TestFrames.writeEthernet(buffer, 0, EtherType.IPV6);
        TestFrames.writeIpv6(buffer, l3, IpProtocol.IPV6_FRAGMENT, 4);
        assertEquals(FrameAnomaly.IPV6_EXTENSION_OVERRUN, parse(l3 + 44));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 19})
    void shouldReportTruncatedTcpOverIpv4(final int tcpBytes)
    {
        final int l3 = TestFrames.writeEthernet(buffer, 0, EtherType.IPV4);
        TestFrames.writeIpv4(buffer, l3, IpProtocol.TCP, 0, tcpBytes);
        assertEquals(FrameAnomaly.TRUNCATED_TCP, parse(l3 + 20 + tcpBytes + 10));
        assertEquals(IpProtocol.TCP, frame.ipProtocol);
        assertEquals(l3 + 20, frame.l4Offset);
    }

    @Test
    void shouldReportTruncatedTcpOverIpv6()
    {
        final int length = ipv6TcpFrame(buffer, 0);
        ipv6.wrap(buffer, IPV6_L3).payloadLength(19);
        assertEquals(FrameAnomaly.TRUNCATED_TCP, parse(length));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4})
    void shouldReportDataOffsetBelowFive(final int dataOffset)
    {
        final int length = ipv4TcpFrame(buffer, 10);
        tcp.wrap(buffer, IPV4_L4).dataOffset(dataOffset);
        assertEquals(FrameAnomaly.BAD_TCP_DATA_OFFSET, parse(length));
        assertEquals(TestFrames.CLIENT_PORT, frame.srcPort);
    }

    @Test
    void shouldReportDataOffsetBeyondSegment()
    {
        final int l3 = TestFrames.writeEthernet(buffer, 0, EtherType.IPV4);
        final int l4 = TestFrames.writeIpv4(buffer, l3, IpProtocol.TCP, 0, 36);
        TestFrames.writeTcpSyn(buffer, l4);
        assertEquals(FrameAnomaly.BAD_TCP_DATA_OFFSET, parse(l4 + 40));
    }

    @Test
    void shouldReportOptionLengthBelowTwo()
    {
        final int length = ipv4TcpFrame(buffer, 0);
        buffer.putByte(IPV4_L4 + 21, (byte)1);
        assertEquals(FrameAnomaly.TCP_OPTIONS_OVERRUN, parse(length));
        buffer.putByte(IPV4_L4 + 21, (byte)0);
        assertEquals(FrameAnomaly.TCP_OPTIONS_OVERRUN, parse(length));
    }

    @Test
    void shouldReportOptionOverrunningHeader()
    {
        final int length = ipv4TcpFrame(buffer, 10);
        buffer.putByte(IPV4_L4 + 38, (byte)4);
        assertEquals(FrameAnomaly.TCP_OPTIONS_OVERRUN, parse(length));
    }

    @Test
    void shouldReportOptionWithoutLengthByte()
    {
        final int length = ipv4TcpFrame(buffer, 10);
        buffer.setMemory(IPV4_L4 + 20, 19, (byte)TcpOption.NOP);
        buffer.putByte(IPV4_L4 + 39, (byte)2);
        assertEquals(FrameAnomaly.TCP_OPTIONS_OVERRUN, parse(length));
    }

    @Test
    void shouldStopOptionValidationAtEndOfOptionList()
    {
        final int length = ipv4TcpFrame(buffer, 10);
        buffer.putByte(IPV4_L4 + 20, (byte)0);
        buffer.putByte(IPV4_L4 + 21, (byte)0);
        assertEquals(FrameAnomaly.NONE, parse(length));
        assertEquals(40, frame.tcpHeaderLength);
    }
}
