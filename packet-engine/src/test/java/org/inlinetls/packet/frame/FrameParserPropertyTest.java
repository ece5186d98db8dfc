package org.inlinetls.packet.frame;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.flyweight.IpProtocol;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.Ipv6HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpOption;
import org.inlinetls.packet.flyweight.TcpOptionIterator;
import org.inlinetls.packet.flyweight.VlanTagFlyweight;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * parse(write(x)) == x for random frames; run with {@code -Dframe.seed=N} to replay a printed seed.
 */
class FrameParserPropertyTest
{
    private static final int ITERATIONS = 5000;
    private static final long BASE_SEED = Long.getLong("frame.seed", 0x5EED_0001L);

    private final FrameParser parser = new FrameParser();
    private final ParsedFrame parsed = new ParsedFrame();
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final VlanTagFlyweight tag = new VlanTagFlyweight();
    private final Ipv4HeaderFlyweight ipv4 = new Ipv4HeaderFlyweight();
    private final Ipv6HeaderFlyweight ipv6 = new Ipv6HeaderFlyweight();
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();
    private final TcpOptionIterator iterator = new TcpOptionIterator();

    @Test
    void shouldParseWhatWasWritten()
    {
        for (int i = 0; i < ITERATIONS; i++)
        {
            final long seed = BASE_SEED + i;
            final Random random = new Random(seed);
            final RandomFrame frame = RandomFrame.next(random);
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[frame.offset + 1024]);
            final int length = frame.write(buffer, random);
            final UnsafeBuffer exact = new UnsafeBuffer(buffer.byteArray(), 0, frame.offset + length);
            try
            {
                verify(exact, frame);
            }
            catch (final AssertionError ex)
            {
                throw new AssertionError("seed=" + seed + " " + frame + ": " + ex.getMessage(), ex);
            }
        }
    }

    private void verify(final UnsafeBuffer buffer, final RandomFrame f)
    {
        assertEquals(FrameAnomaly.NONE, parser.parse(buffer, f.offset, f.length, parsed));
        verifyEthernet(buffer, f);
        if (f.ipv6)
        {
            verifyIpv6(buffer, f);
        }
        else
        {
            verifyIpv4(buffer, f);
        }
        assertEquals(f.protocol, parsed.ipProtocol);
        assertEquals(f.l4Offset, parsed.l4Offset);
        if (f.protocol == IpProtocol.TCP)
        {
            verifyTcp(buffer, f);
        }
        else
        {
            assertEquals(8 + f.payloadLength, parsed.l4Length);
            assertEquals(-1, parsed.tcpHeaderLength);
            assertFalse(parsed.isTcp());
        }
    }

    private void verifyEthernet(final UnsafeBuffer buffer, final RandomFrame f)
    {
        ethernet.wrap(buffer, f.offset, f.length);
        assertEquals(f.dstMac, ethernet.destinationMac());
        assertEquals(f.srcMac, ethernet.sourceMac());
        assertEquals(f.tcis.length, ethernet.tagCount());
        assertEquals(f.tcis.length, parsed.vlanCount);
        assertEquals(f.l3Offset, ethernet.l3Offset());
        assertEquals(f.l3Offset, parsed.l3Offset);
        assertEquals(ethernet.innerEtherType(), parsed.etherType);
        for (int i = 0; i < f.tcis.length; i++)
        {
            assertEquals(f.tcis[i], tag.wrap(buffer, ethernet.tagOffset(i)).tci());
        }
        assertEquals(f.tcis.length > 0 ? f.tcis[0] & 0xFFF : -1, parsed.outerVlanId);
        assertEquals(f.tcis.length > 1 ? f.tcis[1] & 0xFFF : -1, parsed.innerVlanId);
    }

    private void verifyIpv4(final UnsafeBuffer buffer, final RandomFrame f)
    {
        ipv4.wrap(buffer, parsed.l3Offset, parsed.l3Length);
        assertEquals(4, parsed.ipVersion);
        assertEquals(4, ipv4.version());
        assertEquals(20 + f.ipv4OptionsBytes, ipv4.headerLength());
        assertEquals(f.ipv4OptionsBytes, ipv4.optionsLength());
        assertEquals(f.tos, ipv4.typeOfService());
        assertEquals(f.identification, ipv4.identification());
        assertEquals((f.identification & 1) == 0, ipv4.dontFragment());
        assertFalse(ipv4.isFragment());
        assertEquals(f.ttl, ipv4.ttl());
        assertEquals(f.protocol, ipv4.protocol());
        assertEquals(f.ipv4Src, ipv4.sourceAddress());
        assertEquals(f.ipv4Dst, ipv4.destinationAddress());
        assertEquals(parsed.l3Length, ipv4.totalLength());
        assertTrue(Checksums.verifyIpv4HeaderChecksum(buffer, parsed.l3Offset, ipv4.headerLength()));
    }

    private void verifyIpv6(final UnsafeBuffer buffer, final RandomFrame f)
    {
        ipv6.wrap(buffer, parsed.l3Offset, parsed.l3Length);
        assertEquals(6, parsed.ipVersion);
        assertEquals(6, ipv6.version());
        assertEquals(f.tos, ipv6.trafficClass());
        assertEquals(f.flowLabel, ipv6.flowLabel());
        assertEquals(f.ttl, ipv6.hopLimit());
        assertEquals(f.srcHigh, ipv6.sourceAddressHigh());
        assertEquals(f.srcLow, ipv6.sourceAddressLow());
        assertEquals(f.dstHigh, ipv6.destinationAddressHigh());
        assertEquals(f.dstLow, ipv6.destinationAddressLow());
        assertEquals(parsed.l3Length - 40, ipv6.payloadLength());
        assertEquals(Ipv6HeaderFlyweight.WALK_OK, ipv6.walkExtensionHeaders());
        assertEquals(f.protocol, ipv6.upperLayerProtocol());
        assertEquals(f.l3Offset + 40 + f.extensionBytes, ipv6.upperLayerOffset());
    }

    private void verifyTcp(final UnsafeBuffer buffer, final RandomFrame f)
    {
        assertTrue(parsed.isTcp());
        assertEquals(f.tcpHeaderLength, parsed.tcpHeaderLength);
        assertEquals(f.tcpHeaderLength + f.payloadLength, parsed.l4Length);
        assertEquals(f.l4Offset + f.tcpHeaderLength, parsed.payloadOffset);
        assertEquals(f.payloadLength, parsed.payloadLength);
        assertEquals(f.srcPort, parsed.srcPort);
        assertEquals(f.dstPort, parsed.dstPort);
        tcp.wrap(buffer, parsed.l4Offset, parsed.l4Length);
        assertEquals(f.srcPort, tcp.sourcePort());
        assertEquals(f.dstPort, tcp.destinationPort());
        assertEquals(f.seq, tcp.sequenceNumber());
        assertEquals(f.ack, tcp.acknowledgmentNumber());
        assertEquals(f.flags, tcp.flags());
        assertEquals(f.window, tcp.window());
        assertEquals(f.urgent, tcp.urgentPointer());
        assertTrue(tcp.hasWellFormedOptions());
        verifyOptions(f);
        final boolean valid = f.ipv6 ?
            Checksums.verifyTcpChecksumIpv6(buffer, parsed.l3Offset, parsed.l4Offset, parsed.l4Length) :
            Checksums.verifyTcpChecksumIpv4(buffer, parsed.l3Offset, parsed.l4Offset, parsed.l4Length);
        assertTrue(valid, "TCP checksum");
    }

    private void verifyOptions(final RandomFrame f)
    {
        iterator.reset(tcp);
        int index = 0;
        while (iterator.next())
        {
            if (iterator.kind() == TcpOption.EOL)
            {
                break;
            }
            final int[] expected = f.options.get(index++);
            assertEquals(expected[0], iterator.kind());
            assertEquals(RandomFrame.optionSize(expected), iterator.length());
            assertArrayEquals(expected, readOption(iterator.offset(), expected), Arrays.toString(expected));
        }
        assertFalse(iterator.isMalformed());
        assertEquals(f.options.size(), index);
        verifyFirstOfEachKind(f);
    }

    private int[] readOption(final int at, final int[] expected)
    {
        final int[] actual = new int[expected.length];
        actual[0] = tcp.buffer().getByte(at) & 0xFF;
        switch (actual[0])
        {
            case TcpOption.MSS:
                actual[1] = tcp.buffer().getShort(at + 2, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF;
                break;
            case TcpOption.WINDOW_SCALE:
                actual[1] = tcp.buffer().getByte(at + 2) & 0xFF;
                break;
            default:
                for (int i = 1; i < actual.length; i++)
                {
                    actual[i] = tcp.buffer().getInt(at + 2 + 4 * (i - 1), java.nio.ByteOrder.BIG_ENDIAN);
                }
        }
        return actual;
    }

    private void verifyFirstOfEachKind(final RandomFrame f)
    {
        assertEquals(first(f, TcpOption.MSS) == null ? -1 : first(f, TcpOption.MSS)[1], tcp.mss());
        assertEquals(first(f, TcpOption.WINDOW_SCALE) == null ? -1 : first(f, TcpOption.WINDOW_SCALE)[1],
            tcp.windowScale());
        assertEquals(first(f, TcpOption.SACK_PERMITTED) != null, tcp.sackPermitted());
        final int[] ts = first(f, TcpOption.TIMESTAMPS);
        assertEquals(ts != null, tcp.hasTimestamps());
        assertEquals(ts == null ? 0 : ts[1], tcp.timestampValue());
        assertEquals(ts == null ? 0 : ts[2], tcp.timestampEchoReply());
        final int[] sack = first(f, TcpOption.SACK);
        assertEquals(sack == null ? 0 : (sack.length - 1) / 2, tcp.sackBlockCount());
        for (int i = 0; i < tcp.sackBlockCount(); i++)
        {
            assertEquals(sack[1 + 2 * i], tcp.sackLeftEdge(i));
            assertEquals(sack[2 + 2 * i], tcp.sackRightEdge(i));
        }
    }

    private static int[] first(final RandomFrame f, final int kind)
    {
        for (final int[] option : f.options)
        {
            if (option[0] == kind)
            {
                return option;
            }
        }
        return null;
    }
}
