package org.inlinetls.packet.port;

import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.engine.SampleFrames;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultInjectingPortTest
{
    private static final int FRAMES = 20_000;

    @Test
    void shouldGiveTheSameFaultsForTheSameSeed()
    {
        final FaultProfile profile = new FaultProfile(42, 3, 1, 3, 4, 0, 2_000_000);
        assertEquals(sendAll(profile), sendAll(profile));
        assertNotEquals(sendAll(profile), sendAll(new FaultProfile(43, 3, 1, 3, 4, 0, 2_000_000)));
    }

    @Test
    void shouldLoseRoughlyTheConfiguredShare()
    {
        final long seed = System.nanoTime();
        final List<Integer> out = sendAll(FaultProfile.lossAndReorder(seed, 3, 0, 1));
        final double lossPercent = 100.0 * (FRAMES - out.size()) / FRAMES;
        assertTrue(lossPercent > 2.4 && lossPercent < 3.6, "seed " + seed + ": lost " + lossPercent + "%");
    }

    @Test
    void shouldReorderWithoutLosingOrDuplicatingAnything()
    {
        final long seed = System.nanoTime();
        final List<Integer> out = sendAll(FaultProfile.lossAndReorder(seed, 0, 5, 4));
        assertEquals(FRAMES, out.size(), "seed " + seed);
        assertEquals(FRAMES, new TreeSet<>(out).size(), "seed " + seed);
        int outOfOrder = 0;
        for (int i = 1; i < out.size(); i++)
        {
            if (out.get(i) < out.get(i - 1))
            {
                outOfOrder++;
                assertTrue(out.get(i - 1) - out.get(i) <= 4 + 1, "seed " + seed + ": overtaken by too many");
            }
        }
        assertTrue(outOfOrder > FRAMES * 0.03, "seed " + seed + ": only " + outOfOrder + " reordered");
    }

    @Test
    void shouldDuplicateFrames()
    {
        final List<Integer> out = sendAll(new FaultProfile(5, 0, 10, 0, 1, 0, 0));
        final int duplicates = out.size() - FRAMES;
        assertTrue(duplicates > FRAMES * 0.08 && duplicates < FRAMES * 0.12, "duplicates " + duplicates);
    }

    @Test
    void shouldReleaseAHeldFrameAfterMaxHoldEvenWithoutLaterTraffic()
    {
        final InMemoryPort sink = new InMemoryPort("sink", 1 << 16);
        final FaultInjectingPort port = new FaultInjectingPort(sink, FaultProfile.lossAndReorder(1, 0, 100, 8), 16,
            2048);
        port.flush(0);
        final byte[] frame = SampleFrames.clientTcp(1, 10);
        port.send(new UnsafeBuffer(frame), 0, frame.length);
        assertEquals(0, count(sink));
        port.flush(FaultProfile.DEFAULT_MAX_HOLD_NS - 1);
        assertEquals(0, count(sink));
        port.flush(FaultProfile.DEFAULT_MAX_HOLD_NS);
        assertEquals(1, count(sink));
    }

    @Test
    void shouldDelayEveryFrameKeepingOrder()
    {
        final InMemoryPort sink = new InMemoryPort("sink", 1 << 20);
        final FaultInjectingPort port = new FaultInjectingPort(sink, new FaultProfile(1, 0, 0, 0, 1, 1_000, 0), 64,
            2048);
        port.flush(0);
        for (int i = 0; i < 10; i++)
        {
            final byte[] frame = SampleFrames.clientTcp(i, 10);
            port.send(new UnsafeBuffer(frame), 0, frame.length);
        }
        assertEquals(0, sink.sentBacklogBytes());
        port.flush(999);
        assertEquals(0, sink.sentBacklogBytes());
        port.flush(1_000);
        final List<Integer> seqs = new ArrayList<>();
        sink.drainSent((buffer, offset, length, ts) -> seqs.add(buffer.getInt(offset + 38,
            java.nio.ByteOrder.BIG_ENDIAN)), 100);
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), seqs);
    }

    private static List<Integer> sendAll(final FaultProfile profile)
    {
        final InMemoryPort sink = new InMemoryPort("sink", 1 << 24);
        final FaultInjectingPort port = new FaultInjectingPort(sink, profile, 256, 2048);
        final List<Integer> seqs = new ArrayList<>();
        final FrameHandler collect = (buffer, offset, length, ts) ->
            seqs.add(buffer.getInt(offset + 38, java.nio.ByteOrder.BIG_ENDIAN));
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[0]);
        long nowNs = 0;
        for (int i = 0; i < FRAMES; i++)
        {
            final byte[] frame = SampleFrames.clientTcp(i, 0);
            buffer.wrap(frame);
            port.flush(nowNs);
            port.send(buffer, 0, frame.length);
            nowNs += 1_000;
            sink.drainSent(collect, Integer.MAX_VALUE);
        }
        port.releaseAll();
        sink.drainSent(collect, Integer.MAX_VALUE);
        return seqs;
    }

    private static int count(final InMemoryPort sink)
    {
        return sink.drainSent((buffer, offset, length, ts) -> { }, 100);
    }
}
