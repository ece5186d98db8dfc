package org.inlinetls.packet.engine;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.packet.counter.CounterDescriptor;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.port.FaultInjectingPort;
import org.inlinetls.packet.port.FaultProfile;
import org.inlinetls.packet.port.InMemoryPort;
import org.inlinetls.packet.port.PacketPort;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OfflineReplayTest
{
    @Test
    void shouldSendEachFrameToTheSideItsSourceMacBelongsTo()
    {
        final List<byte[]> input = conversation(200);
        final Run run = replay(input, null);
        assertEquals(input.size(), run.output.size());
        for (int i = 0; i < input.size(); i++)
        {
            assertArrayEquals(input.get(i), run.output.get(i), "frame " + i);
        }
        assertEquals(100, run.outside.value(CounterDescriptor.FRAMES_IN));
        assertEquals(100, run.inside.value(CounterDescriptor.FRAMES_IN));
    }

    @Test
    void shouldReplayFaultsDeterministicallyFromTheSeed()
    {
        final List<byte[]> input = conversation(2000);
        final FaultProfile profile = new FaultProfile(99, 5, 2, 5, 3, 0, 1_000_000);
        final Run first = replay(input, profile);
        final Run second = replay(input, profile);
        assertEquals(first.output.size(), second.output.size());
        for (int i = 0; i < first.output.size(); i++)
        {
            assertArrayEquals(first.output.get(i), second.output.get(i), "frame " + i);
        }
        assertNotEquals(input.size(), first.output.size());
        assertTrue(first.output.size() > input.size() * 0.9, "lost far more than 5%: " + first.output.size());
    }

    private static List<byte[]> conversation(final int frames)
    {
        final List<byte[]> input = new ArrayList<>();
        for (int i = 0; i < frames; i++)
        {
            input.add(i % 2 == 0 ? SampleFrames.clientTcp(i, 100 + i % 50) : SampleFrames.serverTcp(i, 1000));
        }
        return input;
    }

    private static Run replay(final List<byte[]> input, final FaultProfile faults)
    {
        final OfflineReplay replay = new OfflineReplay(-1);
        final CountersManager manager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
        final PortCounters outside = new PortCounters(manager, "outside");
        final PortCounters inside = new PortCounters(manager, "inside");
        final PacketPort insidePort = faults == null ? replay.insidePort() :
            new FaultInjectingPort(replay.insidePort(), faults, 64, 2048);
        final PacketPort outsidePort = faults == null ? replay.outsidePort() :
            new FaultInjectingPort(replay.outsidePort(), faults, 64, 2048);
        final BridgeAgent agent = new BridgeAgent(outsidePort, insidePort, outside, inside,
            FrameClassifier.BRIDGE_ALL, MalformedPolicy.defaults(), replay.clock(), 64);

        final InMemoryPort source = new InMemoryPort("in", 1 << 24);
        long stampNs = 1_700_000_000_000_000_000L;
        for (final byte[] frame : input)
        {
            source.inject(new UnsafeBuffer(frame), 0, frame.length, stampNs);
            stampNs += 100_000;
        }
        final InMemoryPort sink = new InMemoryPort("out", 1 << 24);
        replay.run(new FiniteSource(source), agent, sink);

        final List<byte[]> output = new ArrayList<>();
        sink.drainSent((buffer, offset, length, ts) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            output.add(copy);
        }, Integer.MAX_VALUE);
        return new Run(output, outside, inside);
    }

    private record Run(List<byte[]> output, PortCounters outside, PortCounters inside)
    {
    }

    /** An in-memory source that reports end of stream once drained, like a capture file. */
    private static final class FiniteSource implements PacketPort
    {
        private final InMemoryPort frames;
        private boolean endOfStream;

        FiniteSource(final InMemoryPort frames)
        {
            this.frames = frames;
        }

        @Override
        public String name()
        {
            return "source";
        }

        @Override
        public int receive(final org.inlinetls.packet.port.FrameHandler handler, final int limit)
        {
            final int count = frames.receive(handler, limit);
            endOfStream = count == 0;
            return count;
        }

        @Override
        public boolean send(final org.agrona.DirectBuffer buffer, final int offset, final int length)
        {
            return false;
        }

        @Override
        public boolean isEndOfStream()
        {
            return endOfStream;
        }

        @Override
        public void close()
        {
        }
    }
}
