package org.inlinetls.packet.frame;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.flyweight.EtherType;
import org.inlinetls.packet.flyweight.IpProtocol;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Feeds random and mutated frames to the parser in buffers sized exactly to the frame, so any read past the frame
 * would throw; run with {@code -Dfuzz.seed=N} to replay a printed seed.
 */
class FrameParserFuzzTest
{
    private static final int ITERATIONS = 20_000;
    private static final long BASE_SEED = Long.getLong("fuzz.seed", 0xF022_0001L);
    private static final int[] ETHER_TYPES = {EtherType.IPV4, EtherType.IPV6, EtherType.VLAN, EtherType.QINQ,
        EtherType.ARP, 0x88CC};
    private static final int[] NEXT_HEADERS = {IpProtocol.HOP_BY_HOP, IpProtocol.IPV6_ROUTING, IpProtocol.AH,
        IpProtocol.IPV6_FRAGMENT, IpProtocol.IPV6_DESTINATION_OPTIONS, IpProtocol.TCP, IpProtocol.IPV6_NO_NEXT_HEADER};

    private final FrameParser parser = new FrameParser();
    private final ParsedFrame parsed = new ParsedFrame();
    private final EnumMap<FrameAnomaly, Integer> seen = new EnumMap<>(FrameAnomaly.class);

    @Test
    void shouldNeverThrowOnRandomBytes()
    {
        for (int i = 0; i < ITERATIONS; i++)
        {
            final long seed = BASE_SEED + i;
            final Random random = new Random(seed);
            final byte[] bytes = new byte[random.nextInt(201)];
            random.nextBytes(bytes);
            steerTowardsDeepLayers(bytes, random);
            parseExactly(bytes, random.nextInt(4), seed);
        }
        assertReachedEveryAnomaly();
    }

    @Test
    void shouldNeverThrowOnMutatedValidFrames()
    {
        for (int i = 0; i < ITERATIONS; i++)
        {
            final long seed = BASE_SEED - i;
            final Random random = new Random(seed);
            final RandomFrame frame = RandomFrame.next(random);
            frame.offset = 0;
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1024]);
            final int length = frame.write(buffer, random);
            final int keep = random.nextBoolean() ? length : random.nextInt(length + 1);
            final byte[] bytes = new byte[Math.min(200, keep)];
            buffer.getBytes(0, bytes);
            final int mutations = 1 + random.nextInt(4);
            for (int m = 0; m < mutations && bytes.length > 0; m++)
            {
                bytes[random.nextInt(bytes.length)] = (byte)random.nextInt(256);
            }
            parseExactly(bytes, random.nextInt(4), seed);
        }
        System.out.println(getClass().getSimpleName() + " mutated frames gave: " + seen);
    }

    private void assertReachedEveryAnomaly()
    {
        for (final FrameAnomaly anomaly : FrameAnomaly.values())
        {
            assertTrue(seen.containsKey(anomaly), "fuzzing never produced " + anomaly + ": " + seen);
        }
    }

    private static void steerTowardsDeepLayers(final byte[] bytes, final Random random)
    {
        if (bytes.length < 14 || random.nextInt(8) == 0)
        {
            return;
        }
        final int etherType = ETHER_TYPES[random.nextInt(ETHER_TYPES.length)];
        bytes[12] = (byte)(etherType >>> 8);
        bytes[13] = (byte)etherType;
        if (bytes.length > 14)
        {
            final int version = random.nextInt(16) == 0 ? random.nextInt(16) : etherType == EtherType.IPV6 ? 6 : 4;
            bytes[14] = (byte)(version << 4 | random.nextInt(16));
        }
        if (etherType == EtherType.IPV6 && bytes.length > 20)
        {
            bytes[18] = 0;
            bytes[19] = (byte)random.nextInt(bytes.length);
            bytes[20] = (byte)NEXT_HEADERS[random.nextInt(NEXT_HEADERS.length)];
        }
        if (etherType == EtherType.IPV4 && bytes.length > 23)
        {
            bytes[16] = 0;
            bytes[17] = (byte)random.nextInt(bytes.length);
            if (random.nextInt(8) != 0)
            {
                bytes[20] = 0;
                bytes[21] = 0;
            }
            bytes[23] = IpProtocol.TCP;
        }
    }

    private void parseExactly(final byte[] frame, final int offset, final long seed)
    {
        final byte[] backing = new byte[offset + frame.length];
        System.arraycopy(frame, 0, backing, offset, frame.length);
        final UnsafeBuffer buffer = new UnsafeBuffer(backing);
        try
        {
            final FrameAnomaly anomaly = parser.parse(buffer, offset, frame.length, parsed);
            seen.merge(anomaly, 1, Integer::sum);
            assertEquals(anomaly, parsed.anomaly);
            if (parsed.isTcp())
            {
                assertTrue(parsed.payloadOffset + parsed.payloadLength <= offset + frame.length);
                assertTrue(parsed.payloadLength >= 0);
                assertTrue(parsed.tcpHeaderLength >= 20 && parsed.tcpHeaderLength <= 60);
            }
            parser.parse(buffer, offset, frame.length + 17, parsed);
        }
        catch (final RuntimeException | AssertionError ex)
        {
            throw new AssertionError("seed=" + seed + " length=" + frame.length + " offset=" + offset, ex);
        }
    }
}
