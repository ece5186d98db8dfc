package org.inlinetls.packet.engine;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.packet.counter.LatencyHistogram;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.port.FrameHandler;
import org.inlinetls.packet.port.InMemoryPort;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The bridge records one processing time per frame (from the end of the previous frame of the batch, or the start
 * of the receive call, to the frame's verdict) into its latency histogram, without allocating.
 */
class BridgeAgentLatencyTest
{
    private static CountersManager newManager()
    {
        return new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
    }

    @Test
    void shouldRecordOneTimePerFrameOfEitherSideAndMalformedOnesToo()
    {
        final InMemoryPort outside = new InMemoryPort("outside", 1 << 20);
        final InMemoryPort inside = new InMemoryPort("inside", 1 << 20);
        final CountersManager manager = newManager();
        final LatencyHistogram latency = new LatencyHistogram(manager, "bridge");
        final long[] nowNs = {0};
        final NanoClock clock = () -> nowNs[0] += 1_000;   // every read is 1 us after the one before
        final BridgeAgent agent = new BridgeAgent(outside, inside, new PortCounters(manager, "outside"),
            new PortCounters(manager, "inside"), FrameClassifier.BRIDGE_ALL, MalformedPolicy.defaults(), clock, 64,
            latency);
        final UnsafeBuffer request = new UnsafeBuffer(SampleFrames.clientTcp(1, 100));
        final UnsafeBuffer response = new UnsafeBuffer(SampleFrames.serverTcp(1, 1000));
        for (int i = 0; i < 3; i++)
        {
            outside.inject(request, 0, request.capacity(), 0);
        }
        outside.inject(new UnsafeBuffer(new byte[20]), 0, 20, 0);   // malformed: timed as well
        inside.inject(response, 0, response.capacity(), 0);
        inside.inject(response, 0, response.capacity(), 0);

        agent.doWork();

        assertEquals(6, latency.count());
        // each frame: one clock read after it, 1 us after the read before it (<= 1024 ns bucket)
        assertEquals(6, latency.bucketCount(LatencyHistogram.bucketIndex(1_000)));
        assertEquals(6_000, latency.sumNs());

        agent.doWork();   // idle: nothing recorded
        assertEquals(6, latency.count());
    }

    @Test
    void shouldRecordNothingWithoutAHistogramAndReadTheClockOncePerCycle()
    {
        final InMemoryPort outside = new InMemoryPort("outside", 1 << 20);
        final InMemoryPort inside = new InMemoryPort("inside", 1 << 20);
        final CountersManager manager = newManager();
        final long[] reads = {0};
        final NanoClock clock = () -> ++reads[0];
        final BridgeAgent agent = new BridgeAgent(outside, inside, new PortCounters(manager, "outside"),
            new PortCounters(manager, "inside"), FrameClassifier.BRIDGE_ALL, MalformedPolicy.defaults(), clock, 64);
        final long afterConstruction = reads[0];
        final UnsafeBuffer request = new UnsafeBuffer(SampleFrames.clientTcp(1, 100));
        outside.inject(request, 0, request.capacity(), 0);
        outside.inject(request, 0, request.capacity(), 0);
        agent.doWork();
        assertEquals(1, reads[0] - afterConstruction);
    }

    @Test
    void shouldForwardAndTimeFramesWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "allocation counting not supported by this JVM");
        final InMemoryPort outside = new InMemoryPort("outside", 1 << 20);
        final InMemoryPort inside = new InMemoryPort("inside", 1 << 20);
        final CountersManager manager = newManager();
        final LatencyHistogram latency = new LatencyHistogram(manager, "bridge");
        final CachedNanoClock cycleClock = new CachedNanoClock();
        final long[] step = {0};
        final NanoClock clock = () -> cycleClock.nanoTime() + (step[0] += 97);   // times spread over buckets
        final BridgeAgent agent = new BridgeAgent(outside, inside, new PortCounters(manager, "outside"),
            new PortCounters(manager, "inside"), FrameClassifier.BRIDGE_ALL, MalformedPolicy.defaults(), clock, 64,
            latency);
        final UnsafeBuffer request = new UnsafeBuffer(SampleFrames.clientTcp(1, 1400));
        final FrameHandler discard = (buffer, offset, length, ts) -> { };
        final int frames = 20_000;

        run(agent, outside, inside, cycleClock, request, discard, frames);
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            run(agent, outside, inside, cycleClock, request, discard, frames);
            fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
        }
        assertTrue(fewest < 256, fewest + " bytes allocated for " + frames + " frames");
        assertEquals(4L * frames, latency.count());
    }

    private static void run(final BridgeAgent agent, final InMemoryPort outside, final InMemoryPort inside,
        final CachedNanoClock clock, final UnsafeBuffer request, final FrameHandler discard, final int frames)
    {
        for (int i = 0; i < frames; i++)
        {
            clock.advance(500);
            outside.inject(request, 0, request.capacity(), 0);
            agent.doWork();
            inside.drainSent(discard, 16);
        }
    }
}
