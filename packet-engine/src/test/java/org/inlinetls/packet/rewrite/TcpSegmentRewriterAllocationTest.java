package org.inlinetls.packet.rewrite;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Counts bytes allocated, not time: parsing and rewriting a frame must allocate nothing.
 */
class TcpSegmentRewriterAllocationTest
{
    private static final int FRAMES = 20_000;

    private final FrameParser parser = new FrameParser();
    private final ParsedFrame frame = new ParsedFrame();
    private final TcpSegmentRewriter rewriter = new TcpSegmentRewriter();
    private final UnsafeBuffer work = new UnsafeBuffer(new byte[256]);

    @Test
    void shouldRewriteFramesWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "allocation counting not supported by this JVM");

        final UnsafeBuffer ipv4 = template(false);
        final UnsafeBuffer ipv6 = template(true);
        int expected = run(ipv4, ipv6);
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            expected += run(ipv4, ipv6);
            fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
        }

        assertEquals(4 * FRAMES * Integer.bitCount(TcpSegmentRewriter.CHANGED_MASK), expected, "every rewrite ran");
        // one allocation per frame would be at least 16 B x 20,000; a few dozen bytes per round are the JVM's own
        assertTrue(fewest < 256, fewest + " bytes allocated for " + FRAMES + " frames");
    }

    private int run(final UnsafeBuffer ipv4, final UnsafeBuffer ipv6)
    {
        int changes = 0;
        for (int i = 0; i < FRAMES; i++)
        {
            final UnsafeBuffer template = (i & 1) == 0 ? ipv4 : ipv6;
            final int length = template.getInt(template.capacity() - Integer.BYTES);
            work.putBytes(0, template, 0, length);
            parser.parse(work, 0, length, frame);
            rewriter.wrap(work, frame);
            rewriter.destinationPort(80);
            rewriter.sourcePort(50_000 + (i & 7));
            rewriter.addToSequenceNumber(0x7FFF_0000 + i);
            rewriter.addToAcknowledgmentNumber(-i - 1);
            rewriter.window(1000 + i);
            rewriter.clampMss(1380);
            if (frame.ipVersion == 4)
            {
                rewriter.ipv4SourceAddress(0x0A00_0001 + i);
                rewriter.ipv4DestinationAddress(0x0A01_0001 + i);
            }
            else
            {
                changes += 2;
            }
            changes += Integer.bitCount(rewriter.changes());
        }
        return changes;
    }

    /** A SYN with an MSS at an odd offset, its length stored in the last four bytes of the returned buffer. */
    private static UnsafeBuffer template(final boolean ipv6)
    {
        final RewriteTestFrames.Spec spec = new RewriteTestFrames.Spec();
        spec.ipv6 = ipv6;
        spec.vlanIds = new int[]{42};
        spec.flags = TcpHeaderFlyweight.SYN;
        spec.srcPort = 49_152;
        spec.options = tcp -> tcp.appendNop().appendMss(1460).appendWindowScale(7).appendSackPermitted();
        spec.payloadLength = 0;
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final int length = RewriteTestFrames.write(buffer, spec, new Random(42));
        buffer.putInt(buffer.capacity() - Integer.BYTES, length);
        return buffer;
    }
}
