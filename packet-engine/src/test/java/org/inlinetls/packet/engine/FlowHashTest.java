package org.inlinetls.packet.engine;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FlowHashTest
{
    private static final long SEED = Long.getLong("flowhash.seed", 0x5EED_F10AL);
    private static final int WORKERS = 3;

    private final FlowHash flowHash = new FlowHash();

    @Test
    void shouldHashBothDirectionsOfEveryFlowAlike()
    {
        final Random random = new Random(SEED);
        for (int i = 0; i < 20_000; i++)
        {
            final FlowFrames.Tuple tuple = randomTuple(random);
            final int tags = random.nextInt(3);
            final int forward = hash(FlowFrames.frame(tuple, tags, random.nextInt(64), i));
            final int reverse = hash(FlowFrames.frame(tuple.reversed(), tags, random.nextInt(64), i));
            assertNotEquals(FlowHash.NO_FLOW_KEY, forward, "seed " + SEED + " flow " + i + " " + tuple);
            assertEquals(forward, reverse, "seed " + SEED + " flow " + i + " " + tuple);
        }
    }

    @Test
    void shouldIgnoreVlanTagsAndPayload()
    {
        final FlowFrames.Tuple tuple = new FlowFrames.Tuple(
            FlowFrames.TCP, FlowFrames.ipv4(10, 0, 0, 1), 40000, FlowFrames.ipv4(10, 0, 0, 2), 443);
        final int untagged = hash(FlowFrames.frame(tuple, 0, 0, 1));
        assertEquals(untagged, hash(FlowFrames.frame(tuple, 1, 100, 2)));
        assertEquals(untagged, hash(FlowFrames.frame(tuple, 2, 7, 3)));
    }

    @Test
    void shouldTellFlowsApartByPortsAddressesAndProtocol()
    {
        final Random random = new Random(SEED);
        final Set<Integer> hashes = new HashSet<>();
        final int flows = 10_000;
        for (int i = 0; i < flows; i++)
        {
            hashes.add(hash(FlowFrames.frame(randomTuple(random), 0, 0, i)));
        }
        assertTrue(hashes.size() > flows - 5, hashes.size() + " distinct hashes of " + flows + " flows, seed " + SEED);

        final FlowFrames.Tuple tcp = new FlowFrames.Tuple(
            FlowFrames.TCP, FlowFrames.ipv4(10, 0, 0, 1), 40000, FlowFrames.ipv4(10, 0, 0, 2), 443);
        final FlowFrames.Tuple udp = new FlowFrames.Tuple(
            FlowFrames.UDP, FlowFrames.ipv4(10, 0, 0, 1), 40000, FlowFrames.ipv4(10, 0, 0, 2), 443);
        final FlowFrames.Tuple swappedPorts = new FlowFrames.Tuple(
            FlowFrames.TCP, FlowFrames.ipv4(10, 0, 0, 1), 443, FlowFrames.ipv4(10, 0, 0, 2), 40000);
        assertNotEquals(hash(FlowFrames.frame(tcp, 0, 0, 0)), hash(FlowFrames.frame(udp, 0, 0, 0)));
        assertNotEquals(hash(FlowFrames.frame(tcp, 0, 0, 0)), hash(FlowFrames.frame(swappedPorts, 0, 0, 0)));
    }

    @Test
    void shouldSpreadFlowsEvenlyOverWorkers()
    {
        final Random random = new Random(SEED);
        final int[] perWorker = new int[WORKERS];
        final int flows = 30_000;
        for (int i = 0; i < flows; i++)
        {
            perWorker[FlowHash.workerIndex(hash(FlowFrames.frame(randomTuple(random), 0, 0, i)), WORKERS)]++;
        }
        for (int worker = 0; worker < WORKERS; worker++)
        {
            final double share = perWorker[worker] / (double)flows;
            assertTrue(share > 0.30 && share < 0.37, "worker " + worker + " got " + share + ", seed " + SEED);
        }
    }

    @Test
    void shouldSendFramesWithoutAFlowKeyToWorkerZero()
    {
        assertEquals(FlowHash.NO_FLOW_KEY, hash(SampleFrames.arpRequest()));
        assertEquals(FlowHash.NO_FLOW_KEY, hash(new byte[10]));
        assertEquals(0, FlowHash.workerIndex(FlowHash.NO_FLOW_KEY, WORKERS));

        final FlowFrames.Tuple tuple = new FlowFrames.Tuple(
            FlowFrames.UDP, FlowFrames.ipv4(10, 0, 0, 1), 5000, FlowFrames.ipv4(10, 0, 0, 2), 53);
        final byte[] firstFragment = FlowFrames.frame(tuple, 0, 40, 1);
        firstFragment[14 + 6] = 0x20; // MF, offset 0
        firstFragment[14 + 7] = 0;
        final byte[] laterFragment = FlowFrames.frame(tuple, 0, 40, 2);
        laterFragment[14 + 6] = 0;
        laterFragment[14 + 7] = 6; // offset 48 bytes, last fragment
        assertEquals(FlowHash.NO_FLOW_KEY, hash(firstFragment));
        assertEquals(FlowHash.NO_FLOW_KEY, hash(laterFragment));

        final byte[] truncatedIp = new byte[14 + 12];
        truncatedIp[12] = 0x08;
        truncatedIp[14] = 0x45;
        assertEquals(FlowHash.NO_FLOW_KEY, hash(truncatedIp));
    }

    @Test
    void shouldSendIpv6FragmentsToWorkerZeroAndWalkOtherExtensionHeaders()
    {
        final byte[] source = new byte[16];
        final byte[] destination = new byte[16];
        source[0] = 0x20;
        source[15] = 1;
        destination[0] = 0x20;
        destination[15] = 2;
        final FlowFrames.Tuple tuple = new FlowFrames.Tuple(FlowFrames.UDP, source, 5000, destination, 53);
        final int plain = hash(FlowFrames.frame(tuple, 0, 0, 1));

        assertEquals(plain, hash(withIpv6ExtensionHeader(FlowFrames.frame(tuple, 0, 0, 1), 60)));
        assertEquals(FlowHash.NO_FLOW_KEY, hash(withIpv6ExtensionHeader(FlowFrames.frame(tuple, 0, 0, 1), 44)));
    }

    @Test
    void shouldHashWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "allocation counting not supported by this JVM");
        final Random random = new Random(SEED);
        final UnsafeBuffer[] frames = new UnsafeBuffer[64];
        for (int i = 0; i < frames.length; i++)
        {
            frames[i] = new UnsafeBuffer(FlowFrames.frame(randomTuple(random), random.nextInt(3), 16, i));
        }
        long sink = 0;
        sink += hashAll(frames);
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            sink += hashAll(frames);
            fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
        }
        assertTrue(fewest < 256, fewest + " bytes allocated hashing 64,000 frames (" + sink + ")");
    }

    private long hashAll(final UnsafeBuffer[] frames)
    {
        long sum = 0;
        for (int i = 0; i < 1000; i++)
        {
            for (final UnsafeBuffer frame : frames)
            {
                sum += flowHash.hash(frame, 0, frame.capacity());
            }
        }
        return sum;
    }

    /** Inserts an 8-byte extension header of the given type between the IPv6 header and the UDP header. */
    private static byte[] withIpv6ExtensionHeader(final byte[] frame, final int type)
    {
        final int l3 = 14;
        final byte[] out = new byte[frame.length + 8];
        System.arraycopy(frame, 0, out, 0, l3 + 40);
        System.arraycopy(frame, l3 + 40, out, l3 + 48, frame.length - l3 - 40);
        final int upper = out[l3 + 6];
        out[l3 + 6] = (byte)type;
        out[l3 + 40] = (byte)upper;
        out[l3 + 41] = 0;
        final int payloadLength = ((out[l3 + 4] & 0xFF) << 8 | (out[l3 + 5] & 0xFF)) + 8;
        out[l3 + 4] = (byte)(payloadLength >>> 8);
        out[l3 + 5] = (byte)payloadLength;
        return out;
    }

    private int hash(final byte[] frame)
    {
        return flowHash.hash(new UnsafeBuffer(frame), 0, frame.length);
    }

    static FlowFrames.Tuple randomTuple(final Random random)
    {
        final boolean ipv6 = random.nextInt(4) == 0;
        final byte[] source = new byte[ipv6 ? 16 : 4];
        final byte[] destination = new byte[source.length];
        random.nextBytes(source);
        random.nextBytes(destination);
        final int protocol = random.nextBoolean() ? FlowFrames.TCP : FlowFrames.UDP;
        return new FlowFrames.Tuple(protocol, source, 1024 + random.nextInt(64_000), destination,
            random.nextInt(4) == 0 ? 443 : random.nextInt(65_536));
    }
}
