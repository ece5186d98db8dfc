package org.inlinetls.packet.build;

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
 * Counts bytes allocated, not time: taking templates and building frames must allocate nothing.
 */
class TcpSegmentBuilderAllocationTest
{
    private static final int FRAMES = 20_000;

    private final FrameParser parser = new FrameParser();
    private final ParsedFrame ipv4Frame = new ParsedFrame();
    private final ParsedFrame ipv6Frame = new ParsedFrame();
    private final TcpSegmentBuilder builder = new TcpSegmentBuilder();
    private final UnsafeBuffer ipv4 = new UnsafeBuffer(new byte[512]);
    private final UnsafeBuffer ipv6 = new UnsafeBuffer(new byte[512]);
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[2048]);
    private final byte[] payloadArray = new byte[1400];
    private final UnsafeBuffer payloadBuffer = new UnsafeBuffer(new byte[1400]);

    @Test
    void shouldBuildFramesWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "allocation counting not supported by this JVM");

        final long seed = Long.getLong("seed", System.nanoTime());
        System.out.println(getClass().getSimpleName() + " seed=" + seed + " (replay with -Dseed=" + seed + ")");
        final Random random = new Random(seed);
        template(ipv4, ipv4Frame, false, random);
        template(ipv6, ipv6Frame, true, random);

        long bytes = run();
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            bytes += run();
            fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
        }

        assertTrue(bytes > 4L * FRAMES * 54, "every build ran: " + bytes);
        // one allocation per frame would be at least 16 B x 20,000; a few dozen bytes per round are the JVM's own
        assertTrue(fewest < 256, fewest + " bytes allocated for " + FRAMES + " frames");
    }

    private long run()
    {
        long bytes = 0;
        for (int i = 0; i < FRAMES; i++)
        {
            final boolean isIpv4 = (i & 1) == 0;
            final UnsafeBuffer in = isIpv4 ? ipv4 : ipv6;
            final ParsedFrame frame = isIpv4 ? ipv4Frame : ipv6Frame;
            switch (i & 3)
            {
                case 0:
                    builder.rstFor(in, frame, true);
                    break;
                case 1:
                    builder.ackFor(in, frame, true, i, 1000 + i).timestamps(i, -i);
                    break;
                case 2:
                    builder.template(in, frame, false).sequenceNumber(i).acknowledgmentNumber(-i)
                        .flags(TcpHeaderFlyweight.ACK | TcpHeaderFlyweight.PSH).window(i)
                        .payload(payloadArray, i & 63, 1000 + (i & 255));
                    break;
                default:
                    builder.template(in, frame, true).sequenceNumber(i).flags(TcpHeaderFlyweight.ACK)
                        .timestamps(i, i + 1).payload(payloadBuffer, i & 63, 1 + (i & 255));
            }
            final int length = builder.build(out, i & 3);
            assertEquals(builder.frameLength(), length);
            bytes += length;
        }
        return bytes;
    }

    private void template(final UnsafeBuffer buffer, final ParsedFrame frame, final boolean isIpv6, final Random random)
    {
        final TemplateFrames.Spec spec = new TemplateFrames.Spec();
        spec.ipv6 = isIpv6;
        spec.vlanTci = isIpv6 ? -1 : 100;
        spec.flags = TcpHeaderFlyweight.ACK | TcpHeaderFlyweight.PSH;
        spec.payloadLength = 200;
        spec.timestamps = true;
        final int length = TemplateFrames.write(buffer, spec, random);
        parser.parse(buffer, 0, length, frame);
    }
}
