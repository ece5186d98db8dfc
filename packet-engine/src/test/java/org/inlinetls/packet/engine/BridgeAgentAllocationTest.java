package org.inlinetls.packet.engine;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.port.FaultInjectingPort;
import org.inlinetls.packet.port.FaultProfile;
import org.inlinetls.packet.port.FrameHandler;
import org.inlinetls.packet.port.InMemoryPort;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Counts bytes allocated, not time: the steady-state data path must allocate nothing per frame.
 */
class BridgeAgentAllocationTest
{
    private static final int FRAMES = 20_000;

    @Test
    void shouldForwardFramesThroughFaultsWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "allocation counting not supported by this JVM");

        final InMemoryPort outside = new InMemoryPort("outside", 1 << 20);
        final InMemoryPort inside = new InMemoryPort("inside", 1 << 20);
        final CountersManager manager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
        final CachedNanoClock clock = new CachedNanoClock();
        final FaultInjectingPort faultyInside =
            new FaultInjectingPort(inside, new FaultProfile(7, 3, 1, 3, 4, 0, 1_000), 64, 2048);
        final BridgeAgent agent = new BridgeAgent(outside, faultyInside, new PortCounters(manager, "outside"),
            new PortCounters(manager, "inside"), FrameClassifier.BRIDGE_ALL, MalformedPolicy.defaults(), clock, 64);
        final UnsafeBuffer request = new UnsafeBuffer(SampleFrames.clientTcp(1, 1400));
        final UnsafeBuffer malformed = new UnsafeBuffer(new byte[20]);
        final FrameHandler discard = (buffer, offset, length, ts) -> { };

        run(agent, outside, inside, clock, request, malformed, discard);
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            run(agent, outside, inside, clock, request, malformed, discard);
            fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
        }

        // one allocation per frame would be at least 16 B x 20,000; a few dozen bytes per round are the JVM's own
        assertTrue(fewest < 256, fewest + " bytes allocated for " + FRAMES + " frames");
    }

    private static void run(final BridgeAgent agent, final InMemoryPort outside, final InMemoryPort inside,
        final CachedNanoClock clock, final UnsafeBuffer request, final UnsafeBuffer malformed,
        final FrameHandler discard)
    {
        for (int i = 0; i < FRAMES; i++)
        {
            clock.advance(500);
            final UnsafeBuffer frame = (i & 63) == 0 ? malformed : request;
            outside.inject(frame, 0, frame.capacity(), 0);
            agent.doWork();
            inside.drainSent(discard, 16);
        }
    }
}
