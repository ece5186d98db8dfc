package org.inlinetls.packet.build;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.flyweight.EthernetFlyweight;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.Ipv6HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.flyweight.VlanTagFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.ACK;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.FIN;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.PSH;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.RST;
import static org.inlinetls.packet.flyweight.TcpHeaderFlyweight.SYN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Builds seeded random and RFC 9293 §3.10.7 cases, then parses them back and verifies every field and checksum.
 */
class TcpSegmentBuilderTest
{
    private static final int FLAG_CHOICES = ACK | PSH | RST | FIN | SYN;
    private static final int RUNS = 2_000;

    private final FrameParser parser = new FrameParser();
    private final ParsedFrame received = new ParsedFrame();
    private final ParsedFrame built = new ParsedFrame();
    private final TcpSegmentBuilder builder = new TcpSegmentBuilder();
    private final UnsafeBuffer in = new UnsafeBuffer(new byte[2048]);
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[2048]);
    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4HeaderFlyweight ipv4 = new Ipv4HeaderFlyweight();
    private final Ipv6HeaderFlyweight ipv6 = new Ipv6HeaderFlyweight();
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();
    private long seed;
    private Random random;

    @BeforeEach
    void seed()
    {
        seed = Long.getLong("seed", System.nanoTime());
        System.out.println(getClass().getSimpleName() + " seed=" + seed + " (replay with -Dseed=" + seed + ")");
        random = new Random(seed);
    }

    @Test
    void shouldBuildFramesThatParseCleanlyWithEveryFieldAsRequested()
    {
        final byte[] payloadArray = new byte[1500];
        for (int run = 0; run < RUNS; run++)
        {
            final TemplateFrames.Spec spec = TemplateFrames.randomSpec(random);
            receive(spec);
            final boolean reverse = random.nextBoolean();
            final int seq = random.nextInt();
            final int ack = random.nextInt();
            final int flags = random.nextInt(256) & FLAG_CHOICES;
            final int window = random.nextInt(0x10000);
            builder.template(in, received, reverse).sequenceNumber(seq).acknowledgmentNumber(ack).flags(flags)
                .window(window).maxSegmentSize(1460);
            final boolean timestamps = random.nextBoolean();
            final int tsVal = random.nextInt();
            final int tsEcr = random.nextInt();
            if (timestamps)
            {
                builder.timestamps(tsVal, tsEcr);
            }
            final int payloadLength = random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(1460);
            final int payloadOffset = random.nextInt(payloadArray.length - payloadLength + 1);
            TemplateFrames.fill(new UnsafeBuffer(payloadArray), payloadOffset, payloadLength, random);
            if (payloadLength > 0 && random.nextBoolean())
            {
                builder.payload(payloadArray, payloadOffset, payloadLength);
            }
            else if (payloadLength > 0)
            {
                builder.payload(new UnsafeBuffer(payloadArray), payloadOffset, payloadLength);
            }
            final int outOffset = random.nextInt(4);
            final int expectedLength = builder.frameLength();
            final int length = builder.build(out, outOffset);
            final String where = "seed=" + seed + " run=" + run;

            assertEquals(expectedLength, length, where);
            assertEquals(FrameAnomaly.NONE, parser.parse(out, outOffset, length, built), where);
            assertTrue(built.isTcp(), where);
            assertEquals(length, built.frameLength, where);
            assertAddressing(spec, reverse, where);
            assertChecksumsVerify(where);

            tcp.wrap(out, built.l4Offset, built.l4Length);
            assertEquals(seq, tcp.sequenceNumber(), where);
            assertEquals(ack, tcp.acknowledgmentNumber(), where);
            assertEquals(flags, tcp.flags(), where);
            assertEquals(window, tcp.window(), where);
            assertEquals(0, tcp.urgentPointer(), where);
            assertEquals(timestamps, tcp.hasTimestamps(), where);
            assertEquals(timestamps ? 32 : 20, built.tcpHeaderLength, where);
            if (timestamps)
            {
                assertEquals(tsVal, tcp.timestampValue(), where);
                assertEquals(tsEcr, tcp.timestampEchoReply(), where);
            }
            assertEquals(payloadLength, built.payloadLength, where);
            final byte[] actual = new byte[payloadLength];
            out.getBytes(built.payloadOffset, actual);
            final byte[] expected = new byte[payloadLength];
            System.arraycopy(payloadArray, payloadOffset, expected, 0, payloadLength);
            assertArrayEquals(expected, actual, where);
        }
    }

    @Test
    void shouldSwapMacsAddressesAndPortsWhenReversed()
    {
        for (final boolean isIpv6 : new boolean[]{false, true})
        {
            final TemplateFrames.Spec spec = new TemplateFrames.Spec();
            spec.ipv6 = isIpv6;
            spec.vlanTci = 0x2000 | 42;
            receive(spec);

            builder.template(in, received, true).flags(ACK);
            final int length = builder.build(out, 0);
            assertEquals(FrameAnomaly.NONE, parser.parse(out, 0, length, built));
            ethernet.wrap(out, 0, length);
            assertEquals(TemplateFrames.SERVER_MAC, ethernet.sourceMac());
            assertEquals(TemplateFrames.CLIENT_MAC, ethernet.destinationMac());
            assertEquals(TemplateFrames.SERVER_PORT, built.srcPort);
            assertEquals(TemplateFrames.CLIENT_PORT, built.dstPort);
            assertEquals(42, built.outerVlanId);
            assertEquals(0x2000 | 42, new VlanTagFlyweight().wrap(out, ethernet.tagOffset(0)).tci());
            if (isIpv6)
            {
                ipv6.wrap(out, built.l3Offset, built.l3Length);
                assertEquals(0x20, ipv6.sourceAddressLow());
                assertEquals(0x10, ipv6.destinationAddressLow());
                assertEquals(0, ipv6.flowLabel(), "a reply has its own flow");
            }
            else
            {
                ipv4.wrap(out, built.l3Offset, built.l3Length);
                assertEquals(TemplateFrames.SERVER_IPV4, ipv4.sourceAddress());
                assertEquals(TemplateFrames.CLIENT_IPV4, ipv4.destinationAddress());
            }
            assertChecksumsVerify("ipv6=" + isIpv6);
        }
    }

    @Test
    void shouldTakeIpDefaultsUnlessToldOtherwise()
    {
        final TemplateFrames.Spec spec = new TemplateFrames.Spec();
        spec.tos = 0xB8 | 0x3;
        spec.ttl = 51;
        receive(spec);
        builder.nextIdentification(0xFFFF).template(in, received, false).flags(ACK);

        int length = builder.build(out, 0);
        parser.parse(out, 0, length, built);
        ipv4.wrap(out, built.l3Offset, built.l3Length);
        assertEquals(TcpSegmentBuilder.DEFAULT_TTL, ipv4.ttl());
        assertTrue(ipv4.dontFragment());
        assertEquals(0xFFFF, ipv4.identification());
        assertEquals(0xB8, ipv4.typeOfService(), "DSCP kept, ECN cleared");

        assertEquals(length, builder.build(out, 0));
        assertEquals(0, ipv4.identification(), "the counter wraps");

        builder.identification(7).ttlFromTemplate().dontFragment(false).build(out, 0);
        assertEquals(7, ipv4.identification());
        assertEquals(51, ipv4.ttl());
        assertFalse(ipv4.dontFragment());
        builder.build(out, 0);
        assertEquals(1, ipv4.identification(), "an explicit id is for one frame");
        assertTrue(Checksums.verifyIpv4HeaderChecksum(out, built.l3Offset, 20));
        assertEquals(length, builder.frameLength());
    }

    @Test
    void shouldAnswerAnAcknowledgingSegmentWithRstAtItsAck()
    {
        final TemplateFrames.Spec spec = new TemplateFrames.Spec();
        spec.flags = ACK | PSH;
        spec.payloadLength = 100;
        receive(spec);

        assertTrue(builder.rstFor(in, received, true));
        buildAndParse();
        assertEquals(spec.ack, tcp.sequenceNumber());
        assertEquals(RST, tcp.flags());
        assertEquals(0, tcp.acknowledgmentNumber());
        assertEquals(0, tcp.window());
        assertEquals(TemplateFrames.CLIENT_PORT, built.dstPort);
    }

    @Test
    void shouldAnswerASynWithRstAckAtSeqPlusOne()
    {
        final TemplateFrames.Spec spec = new TemplateFrames.Spec();
        spec.flags = SYN;
        spec.seq = 0xFFFF_FFFF;
        receive(spec);

        assertTrue(builder.rstFor(in, received, true));
        buildAndParse();
        assertEquals(0, tcp.sequenceNumber());
        assertEquals(0, tcp.acknowledgmentNumber(), "SEG.SEQ + 1 wraps to 0");
        assertEquals(RST | ACK, tcp.flags());
    }

    @Test
    void shouldAnswerDataAndFinWithoutAckWithRstAckAtTheSegmentEnd()
    {
        final TemplateFrames.Spec spec = new TemplateFrames.Spec();
        spec.ipv6 = true;
        spec.flags = FIN | PSH;
        spec.payloadLength = 37;
        receive(spec);

        assertTrue(builder.rstFor(in, received, true));
        buildAndParse();
        assertEquals(0, tcp.sequenceNumber());
        assertEquals(spec.seq + 37 + 1, tcp.acknowledgmentNumber());
        assertEquals(RST | ACK, tcp.flags());

        spec.flags = PSH;
        receive(spec);
        assertTrue(builder.rstFor(in, received, true));
        buildAndParse();
        assertEquals(spec.seq + 37, tcp.acknowledgmentNumber());
    }

    @Test
    void shouldNeverAnswerARst()
    {
        final TemplateFrames.Spec spec = new TemplateFrames.Spec();
        spec.flags = RST | ACK;
        receive(spec);
        assertFalse(builder.rstFor(in, received, true));
    }

    @Test
    void shouldAddressRstOnwardWhenNotReversed()
    {
        final TemplateFrames.Spec spec = new TemplateFrames.Spec();
        receive(spec);
        assertTrue(builder.rstFor(in, received, false));
        buildAndParse();
        assertEquals(TemplateFrames.SERVER_PORT, built.dstPort);
        assertEquals(spec.ack, tcp.sequenceNumber());
    }

    @Test
    void shouldAcknowledgeAWholeSegmentWithTimestamps()
    {
        final TemplateFrames.Spec spec = new TemplateFrames.Spec();
        spec.vlanTci = 7;
        spec.flags = ACK | PSH | FIN;
        spec.payloadLength = 517;
        receive(spec);

        builder.ackFor(in, received, true, 0x5555_0000, 1024).timestamps(11, 22);
        buildAndParse();
        assertEquals(0x5555_0000, tcp.sequenceNumber());
        assertEquals(spec.seq + 518, tcp.acknowledgmentNumber());
        assertEquals(ACK, tcp.flags());
        assertEquals(1024, tcp.window());
        assertEquals(11, tcp.timestampValue());
        assertEquals(22, tcp.timestampEchoReply());
        assertEquals(0, built.payloadLength);
    }

    @Test
    void shouldCarrySackBlocksAfterTheTimestampsAndDropThemOnTheNextTemplate()
    {
        final TemplateFrames.Spec spec = new TemplateFrames.Spec();
        receive(spec);
        builder.ackFor(in, received, true, 100, 512).timestamps(5, 6)
            .sackBlocks(new int[] {1_000, 2_000, 0xFFFF_FF00, 0x0000_0100, 7, 9, 11, 13}, 4);
        buildAndParse();
        assertEquals(5, tcp.timestampValue());
        assertEquals(3, tcp.sackBlockCount(), "three blocks fit with timestamps");
        assertEquals(1_000, tcp.sackLeftEdge(0));
        assertEquals(2_000, tcp.sackRightEdge(0));
        assertEquals(0xFFFF_FF00, tcp.sackLeftEdge(1));
        assertEquals(0x0000_0100, tcp.sackRightEdge(1));
        assertEquals(7, tcp.sackLeftEdge(2));
        assertEquals(20 + 12 + 4 + 24, tcp.headerLength());

        builder.template(in, received, true).flags(ACK);
        buildAndParse();
        assertEquals(0, tcp.sackBlockCount());
    }

    @Test
    void shouldRefuseABufferTooSmallAndWriteNothing()
    {
        final TemplateFrames.Spec spec = new TemplateFrames.Spec();
        spec.ipv6 = true;
        spec.vlanTci = 1;
        receive(spec);
        builder.template(in, received, true).flags(ACK | PSH).timestamps(1, 2).payload(new byte[100], 0, 100);
        final int needed = builder.frameLength();
        assertEquals(14 + 4 + 40 + 32 + 100, needed);

        final UnsafeBuffer small = new UnsafeBuffer(new byte[needed + 2]);
        small.setMemory(0, small.capacity(), (byte)0x5A);
        assertEquals(TcpSegmentBuilder.REFUSED, builder.build(small, 3));
        for (int i = 0; i < small.capacity(); i++)
        {
            assertEquals(0x5A, small.getByte(i));
        }
        assertEquals(TcpSegmentBuilder.REFUSED, builder.build(small, -1));
        assertEquals(needed, builder.build(small, 2));
        assertEquals(FrameAnomaly.NONE, parser.parse(small, 2, needed, built));
    }

    @Test
    void shouldRefuseAPayloadAboveTheMss()
    {
        final TemplateFrames.Spec spec = new TemplateFrames.Spec();
        receive(spec);
        builder.template(in, received, true).flags(ACK).maxSegmentSize(1000).payload(new byte[1001], 0, 1001);
        assertEquals(TcpSegmentBuilder.REFUSED, builder.build(out, 0));
        builder.payload(new byte[1001], 1, 1000);
        assertEquals(14 + 20 + 20 + 1000, builder.build(out, 0));
    }

    @Test
    void shouldRejectTemplatesThatAreNotSingleTaggedTcp()
    {
        final TemplateFrames.Spec spec = new TemplateFrames.Spec();
        receive(spec);
        received.anomaly = FrameAnomaly.TRUNCATED_TCP;
        assertThrows(IllegalArgumentException.class, () -> builder.template(in, received, false));
        assertThrows(IllegalStateException.class, () -> new TcpSegmentBuilder().build(out, 0));
    }

    private void receive(final TemplateFrames.Spec spec)
    {
        final int length = TemplateFrames.write(in, spec, random);
        assertEquals(FrameAnomaly.NONE, parser.parse(in, spec.offset, length, received), "seed=" + seed);
    }

    private void buildAndParse()
    {
        final int length = builder.build(out, 1);
        assertEquals(FrameAnomaly.NONE, parser.parse(out, 1, length, built));
        tcp.wrap(out, built.l4Offset, built.l4Length);
        assertChecksumsVerify("seed=" + seed);
    }

    private void assertAddressing(final TemplateFrames.Spec spec, final boolean reverse, final String where)
    {
        ethernet.wrap(out, built.frameOffset, built.frameLength);
        assertEquals(reverse ? spec.dstMac : spec.srcMac, ethernet.sourceMac(), where);
        assertEquals(reverse ? spec.srcMac : spec.dstMac, ethernet.destinationMac(), where);
        assertEquals(spec.vlanTci >= 0 ? 1 : 0, built.vlanCount, where);
        if (spec.vlanTci >= 0)
        {
            assertEquals(spec.vlanTci, new VlanTagFlyweight().wrap(out, ethernet.tagOffset(0)).tci(), where);
        }
        assertEquals(spec.ipv6 ? 6 : 4, built.ipVersion, where);
        assertEquals(reverse ? spec.dstPort : spec.srcPort, built.srcPort, where);
        assertEquals(reverse ? spec.srcPort : spec.dstPort, built.dstPort, where);
        if (spec.ipv6)
        {
            ipv6.wrap(out, built.l3Offset, built.l3Length);
            assertEquals(reverse ? spec.dstIpv6Low : spec.srcIpv6Low, ipv6.sourceAddressLow(), where);
            assertEquals(reverse ? spec.srcIpv6Low : spec.dstIpv6Low, ipv6.destinationAddressLow(), where);
            assertEquals(TemplateFrames.IPV6_PREFIX, ipv6.sourceAddressHigh(), where);
            assertEquals(TcpSegmentBuilder.DEFAULT_TTL, ipv6.hopLimit(), where);
            assertEquals(spec.tos & 0xFC, ipv6.trafficClass(), where);
            assertEquals(reverse ? 0 : spec.flowLabel, ipv6.flowLabel(), where);
            assertEquals(6, ipv6.nextHeader(), where);
        }
        else
        {
            ipv4.wrap(out, built.l3Offset, built.l3Length);
            assertEquals(reverse ? spec.dstIpv4 : spec.srcIpv4, ipv4.sourceAddress(), where);
            assertEquals(reverse ? spec.srcIpv4 : spec.dstIpv4, ipv4.destinationAddress(), where);
            assertEquals(5, ipv4.ihl(), where);
            assertEquals(TcpSegmentBuilder.DEFAULT_TTL, ipv4.ttl(), where);
            assertTrue(ipv4.dontFragment(), where);
            assertEquals(spec.tos & 0xFC, ipv4.typeOfService(), where);
        }
    }

    private void assertChecksumsVerify(final String where)
    {
        if (built.ipVersion == 4)
        {
            assertTrue(Checksums.verifyIpv4HeaderChecksum(out, built.l3Offset, Ipv4HeaderFlyweight.MIN_HEADER_LENGTH),
                where);
            assertTrue(Checksums.verifyTcpChecksumIpv4(out, built.l3Offset, built.l4Offset, built.l4Length), where);
        }
        else
        {
            assertTrue(Checksums.verifyTcpChecksumIpv6(out, built.l3Offset, built.l4Offset, built.l4Length), where);
        }
    }
}
