package org.inlinetls.packet.rewrite;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpOption;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.inlinetls.packet.rewrite.TcpSegmentRewriter.ACKNOWLEDGMENT_NUMBER;
import static org.inlinetls.packet.rewrite.TcpSegmentRewriter.DESTINATION_PORT;
import static org.inlinetls.packet.rewrite.TcpSegmentRewriter.IPV4_DESTINATION_ADDRESS;
import static org.inlinetls.packet.rewrite.TcpSegmentRewriter.IPV4_SOURCE_ADDRESS;
import static org.inlinetls.packet.rewrite.TcpSegmentRewriter.MSS;
import static org.inlinetls.packet.rewrite.TcpSegmentRewriter.MSS_ABSENT;
import static org.inlinetls.packet.rewrite.TcpSegmentRewriter.NOT_SYN;
import static org.inlinetls.packet.rewrite.TcpSegmentRewriter.SEQUENCE_NUMBER;
import static org.inlinetls.packet.rewrite.TcpSegmentRewriter.SOURCE_PORT;
import static org.inlinetls.packet.rewrite.TcpSegmentRewriter.WINDOW;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpSegmentRewriterTest
{
    private static final long SEED = 0x5EED_7C9L;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1024]);
    private final ParsedFrame frame = new ParsedFrame();
    private final TcpSegmentRewriter rewriter = new TcpSegmentRewriter();
    private final TcpHeaderFlyweight tcp = new TcpHeaderFlyweight();

    @ParameterizedTest(name = "ipv6={0} frameOffset={1} nops={2}")
    @CsvSource({
        "false, 0, 0", "false, 0, 1", "false, 0, 2", "false, 0, 3",
        "false, 1, 0", "false, 1, 1", "false, 1, 3",
        "true, 0, 0", "true, 0, 1", "true, 1, 2", "true, 1, 3"})
    void shouldClampMssAtAnyAlignment(final boolean ipv6, final int frameOffset, final int nops)
    {
        final RewriteTestFrames.Spec spec = synSpec(ipv6, frameOffset, nops, 1460);
        wrapNew(spec);
        final int valueOffset = tcp.findOption(TcpOption.MSS) + 2;
        assertEquals(nops & 1, (valueOffset - frame.l4Offset) & 1, "MSS value parity within the segment");

        assertEquals(MSS, rewriter.clampMss(1380));

        assertEquals(1380, tcp.mss());
        assertEquals(1380, rewriter.mss());
        assertEquals(MSS, rewriter.changes());
        assertTrue(rewriter.isModified());
        assertChecksumsValid();
    }

    @Test
    void shouldLeaveSmallerOrEqualMssUnchanged()
    {
        wrapNew(synSpec(false, 0, 1, 1200));
        final byte[] before = buffer.byteArray().clone();

        assertEquals(0, rewriter.clampMss(1380));
        assertEquals(0, rewriter.clampMss(1200));

        assertEquals(1200, tcp.mss());
        assertEquals(0, rewriter.changes());
        assertArrayEquals(before, buffer.byteArray());
    }

    @Test
    void shouldReportMissingMssOptionWithoutChangingAnything()
    {
        final RewriteTestFrames.Spec spec = synSpec(false, 0, 0, 0);
        spec.options = t -> t.appendNop().appendWindowScale(7).appendSackPermitted();
        wrapNew(spec);
        final byte[] before = buffer.byteArray().clone();

        assertEquals(MSS_ABSENT, rewriter.clampMss(1380));

        assertEquals(-1, rewriter.mss());
        assertEquals(MSS_ABSENT, rewriter.changes());
        assertFalse(rewriter.isModified());
        assertArrayEquals(before, buffer.byteArray());
    }

    @Test
    void shouldReportMssOptionWithBadLengthAsAbsent()
    {
        final RewriteTestFrames.Spec spec = synSpec(false, 0, 0, 0);
        spec.options = t -> t.appendTimestamps(1, 2).appendSackPermitted();
        wrapNew(spec);
        // turn SACK-permitted (kind 4, length 2) into an MSS of length 2, which is not a valid MSS option
        final int at = tcp.findOption(TcpOption.SACK_PERMITTED);
        buffer.putByte(at, (byte)TcpOption.MSS);
        Checksums.writeTcpChecksumIpv4(buffer, frame.l3Offset, frame.l4Offset, frame.l4Length);
        final byte[] before = buffer.byteArray().clone();

        assertEquals(MSS_ABSENT, rewriter.clampMss(536));
        assertArrayEquals(before, buffer.byteArray());
    }

    @Test
    void shouldNotClampMssOfSegmentWithoutSyn()
    {
        final RewriteTestFrames.Spec spec = synSpec(true, 0, 1, 1460);
        spec.flags = TcpHeaderFlyweight.ACK;
        wrapNew(spec);
        final byte[] before = buffer.byteArray().clone();

        assertEquals(NOT_SYN, rewriter.clampMss(1380));
        assertArrayEquals(before, buffer.byteArray());
    }

    @Test
    void shouldWrapSequenceAndAcknowledgmentNumbersModulo2To32()
    {
        final RewriteTestFrames.Spec spec = synSpec(false, 1, 0, 1460);
        spec.seq = 0xFFFF_FFF0;
        spec.ack = 0x0000_0005;
        wrapNew(spec);

        assertEquals(SEQUENCE_NUMBER, rewriter.addToSequenceNumber(0x20));
        assertEquals(ACKNOWLEDGMENT_NUMBER, rewriter.addToAcknowledgmentNumber(-0x10));

        assertEquals(0x10, tcp.sequenceNumber());
        assertEquals(0xFFFF_FFF5, tcp.acknowledgmentNumber());
        assertChecksumsValid();

        assertEquals(0, rewriter.addToSequenceNumber(0));
        assertEquals(SEQUENCE_NUMBER, rewriter.addToSequenceNumber(-0x20));
        assertEquals(0xFFFF_FFF0, tcp.sequenceNumber());
        assertChecksumsValid();
    }

    @ParameterizedTest(name = "ipv6={0}")
    @CsvSource({"false", "true"})
    void shouldRewritePortsAndBackToTheOriginalBytes(final boolean ipv6)
    {
        final RewriteTestFrames.Spec spec = synSpec(ipv6, 0, 1, 1460);
        spec.srcPort = 49152;
        spec.dstPort = 443;
        spec.payloadLength = 333;
        wrapNew(spec);
        final byte[] before = buffer.byteArray().clone();

        assertEquals(DESTINATION_PORT, rewriter.destinationPort(80));
        assertEquals(0, rewriter.sourcePort(49152));
        assertEquals(80, tcp.destinationPort());
        assertChecksumsValid();

        assertEquals(DESTINATION_PORT, rewriter.destinationPort(443));
        assertArrayEquals(before, buffer.byteArray());
    }

    @Test
    void shouldRewriteEveryTcpFieldOfAnIpv6SegmentOverTheIpv6PseudoHeader()
    {
        final RewriteTestFrames.Spec spec = synSpec(true, 3, 3, 1440);
        spec.ipv6DestinationOptionHeaders = 2;
        spec.vlanIds = new int[]{100, 200};
        spec.payloadLength = 101;
        wrapNew(spec);

        final int changed = rewriter.sourcePort(80) | rewriter.destinationPort(50000) |
            rewriter.addToSequenceNumber(123_456_789) | rewriter.addToAcknowledgmentNumber(-987_654_321) |
            rewriter.window(1024) | rewriter.clampMss(1200);

        assertEquals(SOURCE_PORT | DESTINATION_PORT | SEQUENCE_NUMBER | ACKNOWLEDGMENT_NUMBER | WINDOW | MSS, changed);
        assertEquals(changed, rewriter.changes());
        assertEquals(1200, tcp.mss());
        assertEquals(1024, tcp.window());
        assertTrue(Checksums.verifyTcpChecksumIpv6(buffer, frame.l3Offset, frame.l4Offset, frame.l4Length));
    }

    @Test
    void shouldRewriteIpv4AddressesKeepingBothChecksums()
    {
        final RewriteTestFrames.Spec spec = synSpec(false, 1, 0, 1460);
        spec.ipv4OptionsBytes = 8;
        spec.vlanIds = new int[]{7};
        wrapNew(spec);

        assertEquals(IPV4_SOURCE_ADDRESS, rewriter.ipv4SourceAddress(RewriteTestFrames.CLIENT_IPV4));
        assertEquals(IPV4_DESTINATION_ADDRESS, rewriter.ipv4DestinationAddress(RewriteTestFrames.SERVER_IPV4));
        assertEquals(0, rewriter.ipv4DestinationAddress(RewriteTestFrames.SERVER_IPV4));

        assertEquals(RewriteTestFrames.CLIENT_IPV4, buffer.getInt(frame.l3Offset + 12, BIG_ENDIAN));
        assertEquals(RewriteTestFrames.SERVER_IPV4, buffer.getInt(frame.l3Offset + 16, BIG_ENDIAN));
        assertChecksumsValid();
    }

    @Test
    void shouldRefuseIpv4AddressRewriteOnIpv6Frame()
    {
        wrapNew(synSpec(true, 0, 0, 1460));

        assertThrows(IllegalStateException.class, () -> rewriter.ipv4SourceAddress(RewriteTestFrames.CLIENT_IPV4));
    }

    @Test
    void shouldRefuseFrameThatIsNotATcpSegment()
    {
        final ParsedFrame notTcp = new ParsedFrame();
        notTcp.reset(0, 60);

        assertThrows(IllegalArgumentException.class, () -> rewriter.wrap(buffer, notTcp));
    }

    private RewriteTestFrames.Spec synSpec(final boolean ipv6, final int frameOffset, final int nops, final int mss)
    {
        final RewriteTestFrames.Spec spec = new RewriteTestFrames.Spec();
        spec.ipv6 = ipv6;
        spec.offset = frameOffset;
        spec.flags = TcpHeaderFlyweight.SYN;
        spec.options = t ->
        {
            for (int i = 0; i < nops; i++)
            {
                t.appendNop();
            }
            t.appendMss(mss).appendSackPermitted().appendWindowScale(7);
        };
        return spec;
    }

    private void wrapNew(final RewriteTestFrames.Spec spec)
    {
        buffer.setMemory(0, buffer.capacity(), (byte)0);
        final int length = RewriteTestFrames.write(buffer, spec, new Random(SEED));
        assertEquals(FrameAnomaly.NONE, new FrameParser().parse(buffer, spec.offset, length, frame));
        tcp.wrap(buffer, frame.l4Offset, frame.l4Length);
        rewriter.wrap(buffer, frame);
        assertChecksumsValid();
    }

    private void assertChecksumsValid()
    {
        if (frame.ipVersion == 4)
        {
            final int ihlBytes = (buffer.getByte(frame.l3Offset) & 0xF) << 2;
            assertTrue(Checksums.verifyIpv4HeaderChecksum(buffer, frame.l3Offset, ihlBytes), "IPv4 header checksum");
            assertTrue(Checksums.verifyTcpChecksumIpv4(buffer, frame.l3Offset, frame.l4Offset, frame.l4Length), "TCP");
        }
        else
        {
            assertTrue(Checksums.verifyTcpChecksumIpv6(buffer, frame.l3Offset, frame.l4Offset, frame.l4Length), "TCP");
        }
    }
}
