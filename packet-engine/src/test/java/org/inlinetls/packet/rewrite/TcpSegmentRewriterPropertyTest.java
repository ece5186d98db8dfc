package org.inlinetls.packet.rewrite;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.checksum.Checksums;
import org.inlinetls.packet.flyweight.Ipv4HeaderFlyweight;
import org.inlinetls.packet.flyweight.TcpHeaderFlyweight;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random frames, random rewrites: the rewritten bytes must equal the same fields written into a copy followed by a
 * full checksum recomputation, which checks the incremental checksums and that no other byte moved.
 */
class TcpSegmentRewriterPropertyTest
{
    private static final int FRAMES = 20_000;
    private static final int BUFFER_LENGTH = 2048;
    private static final int OPERATIONS = 8;

    private final FrameParser parser = new FrameParser();
    private final ParsedFrame frame = new ParsedFrame();
    private final TcpSegmentRewriter rewriter = new TcpSegmentRewriter();
    private final UnsafeBuffer actual = new UnsafeBuffer(new byte[BUFFER_LENGTH]);
    private final UnsafeBuffer expected = new UnsafeBuffer(new byte[BUFFER_LENGTH]);
    private final TcpHeaderFlyweight expectedTcp = new TcpHeaderFlyweight();
    private final Ipv4HeaderFlyweight expectedIpv4 = new Ipv4HeaderFlyweight();
    /** The value the current operation writes, chosen when applying it to the expected copy. */
    private int pendingValue;
    private boolean lastMssValueOffsetIsOdd;

    @Test
    void shouldKeepChecksumsEqualToFullRecomputationAndTouchNothingElse()
    {
        final long seed = Long.getLong("rewrite.seed", System.nanoTime());
        System.out.println("TcpSegmentRewriterPropertyTest seed=" + seed + " (replay: -Drewrite.seed=" + seed + ")");
        final Random random = new Random(seed);
        int clamped = 0;
        int oddClamped = 0;
        for (int i = 0; i < FRAMES; i++)
        {
            final long frameSeed = random.nextLong();
            final String context = "seed=" + seed + " frame=" + i + " frameSeed=" + frameSeed;
            final int changes = checkOneFrame(new Random(frameSeed), context);
            if ((changes & TcpSegmentRewriter.MSS) != 0)
            {
                clamped++;
                oddClamped += lastMssValueOffsetIsOdd ? 1 : 0;
            }
        }
        // the generator must reach both parities of the MSS value, or the odd-offset path is untested
        assertTrue(oddClamped > 100 && clamped - oddClamped > 100, "clamped=" + clamped + " odd=" + oddClamped);
    }


    private int checkOneFrame(final Random random, final String context)
    {
        actual.setMemory(0, BUFFER_LENGTH, (byte)0);
        final RewriteTestFrames.Spec spec = RewriteTestFrames.randomSpec(random);
        final int length = RewriteTestFrames.write(actual, spec, random);
        assertEquals(FrameAnomaly.NONE, parser.parse(actual, spec.offset, length, frame), context);
        assertTrue(frame.isTcp(), context);
        expected.putBytes(0, actual, 0, BUFFER_LENGTH);
        expectedTcp.wrap(expected, frame.l4Offset, frame.l4Length);
        expectedIpv4.wrap(expected, frame.l3Offset);

        rewriter.wrap(actual, frame);
        int expectedChanges = 0;
        final int start = random.nextInt(OPERATIONS);
        final int count = random.nextInt(OPERATIONS + 1);
        for (int n = 0; n < count; n++)
        {
            final int operation = (start + n * 3) % OPERATIONS;
            if (operation >= 6 && frame.ipVersion != 4)
            {
                continue;
            }
            final int want = applyToExpected(operation, random);
            final int got = applyToActual(operation);
            assertEquals(want, got, context + " operation=" + operation);
            expectedChanges |= want;
        }

        if (frame.ipVersion == 4)
        {
            Checksums.writeIpv4HeaderChecksum(expected, frame.l3Offset, expectedIpv4.headerLength());
            Checksums.writeTcpChecksumIpv4(expected, frame.l3Offset, frame.l4Offset, frame.l4Length);
            assertTrue(Checksums.verifyIpv4HeaderChecksum(actual, frame.l3Offset, expectedIpv4.headerLength()),
                context);
            assertTrue(Checksums.verifyTcpChecksumIpv4(actual, frame.l3Offset, frame.l4Offset, frame.l4Length),
                context);
        }
        else
        {
            Checksums.writeTcpChecksumIpv6(expected, frame.l3Offset, frame.l4Offset, frame.l4Length);
            assertTrue(Checksums.verifyTcpChecksumIpv6(actual, frame.l3Offset, frame.l4Offset, frame.l4Length),
                context);
        }
        assertArrayEquals(expected.byteArray(), actual.byteArray(), context);
        assertEquals(expectedChanges, rewriter.changes(), context);
        return expectedChanges;
    }


    /** Writes the operation's effect into the expected copy with the flyweights; returns the bit it should report. */
    private int applyToExpected(final int operation, final Random random)
    {
        switch (operation)
        {
            case 0:
                pendingValue = random.nextBoolean() ? (random.nextBoolean() ? 80 : 443) : random.nextInt(0x10000);
                return set(expectedTcp.sourcePort(), pendingValue, TcpSegmentRewriter.SOURCE_PORT,
                    () -> expectedTcp.sourcePort(pendingValue));
            case 1:
                pendingValue = random.nextBoolean() ? (random.nextBoolean() ? 80 : 443) : random.nextInt(0x10000);
                return set(expectedTcp.destinationPort(), pendingValue, TcpSegmentRewriter.DESTINATION_PORT,
                    () -> expectedTcp.destinationPort(pendingValue));
            case 2:
                pendingValue = randomDelta(random);
                expectedTcp.sequenceNumber(expectedTcp.sequenceNumber() + pendingValue);
                return pendingValue == 0 ? 0 : TcpSegmentRewriter.SEQUENCE_NUMBER;
            case 3:
                pendingValue = randomDelta(random);
                expectedTcp.acknowledgmentNumber(expectedTcp.acknowledgmentNumber() + pendingValue);
                return pendingValue == 0 ? 0 : TcpSegmentRewriter.ACKNOWLEDGMENT_NUMBER;
            case 4:
                pendingValue = random.nextInt(4) == 0 ? expectedTcp.window() : random.nextInt(0x10000);
                return set(expectedTcp.window(), pendingValue, TcpSegmentRewriter.WINDOW,
                    () -> expectedTcp.window(pendingValue));
            case 5:
                return clampExpected(random);
            case 6:
                pendingValue = random.nextInt(4) == 0 ? expectedIpv4.sourceAddress() : random.nextInt();
                return set(expectedIpv4.sourceAddress(), pendingValue, TcpSegmentRewriter.IPV4_SOURCE_ADDRESS,
                    () -> expectedIpv4.sourceAddress(pendingValue));
            default:
                pendingValue = random.nextInt(4) == 0 ? expectedIpv4.destinationAddress() : random.nextInt();
                return set(expectedIpv4.destinationAddress(), pendingValue,
                    TcpSegmentRewriter.IPV4_DESTINATION_ADDRESS, () -> expectedIpv4.destinationAddress(pendingValue));
        }
    }

    private int applyToActual(final int operation)
    {
        switch (operation)
        {
            case 0:
                return rewriter.sourcePort(pendingValue);
            case 1:
                return rewriter.destinationPort(pendingValue);
            case 2:
                return rewriter.addToSequenceNumber(pendingValue);
            case 3:
                return rewriter.addToAcknowledgmentNumber(pendingValue);
            case 4:
                return rewriter.window(pendingValue);
            case 5:
                return rewriter.clampMss(pendingValue);
            case 6:
                return rewriter.ipv4SourceAddress(pendingValue);
            default:
                return rewriter.ipv4DestinationAddress(pendingValue);
        }
    }

    private int clampExpected(final Random random)
    {
        final int mss = expectedTcp.mss();
        pendingValue = random.nextInt(3) == 0 ? 1380 : random.nextInt(0x10000);
        if (!expectedTcp.hasFlags(TcpHeaderFlyweight.SYN))
        {
            return TcpSegmentRewriter.NOT_SYN;
        }
        if (mss < 0)
        {
            return TcpSegmentRewriter.MSS_ABSENT;
        }
        if (mss <= pendingValue)
        {
            return 0;
        }
        expectedTcp.rewriteMss(pendingValue);
        lastMssValueOffsetIsOdd = ((expectedTcp.findOption(2) + 2 - frame.l4Offset) & 1) != 0;
        return TcpSegmentRewriter.MSS;
    }

    private static int set(final int oldValue, final int newValue, final int bit, final Runnable write)
    {
        write.run();
        return oldValue == newValue ? 0 : bit;
    }

    private static int randomDelta(final Random random)
    {
        switch (random.nextInt(4))
        {
            case 0:
                return 0;
            case 1:
                return random.nextInt(3000) - 1500;
            default:
                return random.nextInt();
        }
    }
}
