package org.inlinetls.packet.engine;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.packet.counter.CounterDescriptor;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.frame.FrameAction;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.port.FrameHandler;
import org.inlinetls.packet.port.InMemoryPort;
import org.inlinetls.packet.port.PacketPort;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BridgeAgentTest
{
    private final InMemoryPort outside = new InMemoryPort("outside", 1 << 20);
    private final InMemoryPort inside = new InMemoryPort("inside", 1 << 20);
    private final CountersManager manager = new CountersManager(
        new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)), new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
    private final PortCounters outsideCounters = new PortCounters(manager, "outside");
    private final PortCounters insideCounters = new PortCounters(manager, "inside");
    private final CachedNanoClock clock = new CachedNanoClock();

    private BridgeAgent bridge(final FrameClassifier classifier, final MalformedPolicy policy)
    {
        return new BridgeAgent(outside, inside, outsideCounters, insideCounters, classifier, policy, clock, 64);
    }

    @Test
    void shouldForwardFramesBothWaysUnchanged()
    {
        final BridgeAgent agent = bridge(FrameClassifier.BRIDGE_ALL, MalformedPolicy.defaults());
        final byte[] arp = SampleFrames.arpRequest();
        final byte[] request = SampleFrames.clientTcp(1, 500);
        final byte[] response = SampleFrames.serverTcp(2, 1460);
        outside.inject(arp);
        outside.inject(request);
        inside.inject(response);

        assertEquals(3, agent.doWork());

        final List<byte[]> toServer = drain(inside);
        final List<byte[]> toClient = drain(outside);
        assertEquals(2, toServer.size());
        assertArrayEquals(arp, toServer.get(0));
        assertArrayEquals(request, toServer.get(1));
        assertEquals(1, toClient.size());
        assertArrayEquals(response, toClient.get(0));
        assertEquals(2, outsideCounters.value(CounterDescriptor.FRAMES_IN));
        assertEquals(arp.length + request.length, outsideCounters.value(CounterDescriptor.BYTES_IN));
        assertEquals(2, insideCounters.value(CounterDescriptor.FRAMES_OUT));
        assertEquals(1, outsideCounters.value(CounterDescriptor.FRAMES_OUT));
        assertEquals(0, agent.doWork());
    }

    @Test
    void shouldCountMalformedFramesByReasonAndFollowThePolicy()
    {
        final byte[] tiny = new byte[10];
        final byte[] badIhl = SampleFrames.clientTcp(1, 10);
        badIhl[14] = 0x43;
        final byte[] fragment = SampleFrames.clientTcp(1, 10);
        fragment[20] = 0x20;

        final BridgeAgent agent = bridge(FrameClassifier.BRIDGE_ALL, MalformedPolicy.defaults());
        outside.inject(tiny);
        outside.inject(badIhl);
        outside.inject(fragment);
        agent.doWork();

        assertEquals(2, drain(inside).size());
        assertEquals(1, outsideCounters.malformed(FrameAnomaly.TRUNCATED_ETHERNET).get());
        assertEquals(1, outsideCounters.malformed(FrameAnomaly.BAD_IPV4_IHL).get());
        assertEquals(1, outsideCounters.malformed(FrameAnomaly.IPV4_FRAGMENT).get());
        assertEquals(1, outsideCounters.value(CounterDescriptor.MALFORMED_DROPPED));
        assertEquals(2, outsideCounters.value(CounterDescriptor.MALFORMED_BRIDGED));

        final BridgeAgent dropping = bridge(FrameClassifier.BRIDGE_ALL, MalformedPolicy.all(FrameAction.DROP));
        outside.inject(badIhl);
        dropping.doWork();
        assertEquals(0, drain(inside).size());
        assertEquals(2, outsideCounters.value(CounterDescriptor.MALFORMED_DROPPED));
    }

    @Test
    void shouldCountClassifierVerdictsAndSurviveAClassifierThatThrows()
    {
        final FrameClassifier classifier = (ingress, buffer, frame, nowNs) ->
        {
            if (frame.dstPort == 443)
            {
                return Verdict.CONSUMED;
            }
            if (frame.dstPort == 22)
            {
                return Verdict.DROP;
            }
            if (frame.dstPort == 666)
            {
                throw new IllegalStateException("bug in an interceptor");
            }
            return Verdict.FORWARD;
        };
        final BridgeAgent agent = bridge(classifier, MalformedPolicy.defaults());
        outside.inject(SampleFrames.tcp(SampleFrames.CLIENT_MAC, SampleFrames.SERVER_MAC, 1000, 443, 1, 10));
        outside.inject(SampleFrames.tcp(SampleFrames.CLIENT_MAC, SampleFrames.SERVER_MAC, 1000, 22, 1, 10));
        outside.inject(SampleFrames.tcp(SampleFrames.CLIENT_MAC, SampleFrames.SERVER_MAC, 1000, 666, 1, 10));
        outside.inject(SampleFrames.tcp(SampleFrames.CLIENT_MAC, SampleFrames.SERVER_MAC, 1000, 80, 1, 10));

        assertEquals(4, agent.doWork());

        assertEquals(1, drain(inside).size());
        assertEquals(1, outsideCounters.value(CounterDescriptor.INTERCEPTED));
        assertEquals(1, outsideCounters.value(CounterDescriptor.CLASSIFIER_DROPPED));
        assertEquals(1, outsideCounters.value(CounterDescriptor.ENGINE_ERRORS));
    }

    @Test
    void shouldCountFramesThePeerPortRefuses()
    {
        final InMemoryPort smallInside = new InMemoryPort("inside", 4096);
        final BridgeAgent agent = new BridgeAgent(outside, smallInside, outsideCounters, insideCounters,
            FrameClassifier.BRIDGE_ALL, MalformedPolicy.defaults(), clock, 64);
        for (int i = 0; i < 40; i++)
        {
            outside.inject(SampleFrames.clientTcp(i, 100));
        }
        agent.doWork();
        final long sent = insideCounters.value(CounterDescriptor.FRAMES_OUT);
        final long failed = insideCounters.value(CounterDescriptor.TX_FAILED);
        assertEquals(40, sent + failed);
        assertTrue(sent > 0 && failed > 0, sent + " sent, " + failed + " failed");
        assertEquals(sent, drain(smallInside).size());
    }

    @Test
    void shouldTakeNoMoreFramesThanTheOppositePortCanQueue()
    {
        final StubPort throttledInside = new StubPort(inside);
        final BridgeAgent agent = new BridgeAgent(outside, throttledInside, outsideCounters, insideCounters,
            FrameClassifier.BRIDGE_ALL, MalformedPolicy.defaults(), clock, 64);
        for (int i = 0; i < 100; i++)
        {
            outside.inject(SampleFrames.clientTcp(i, 100));
        }

        throttledInside.txRoom = 40;
        assertEquals(40 - BridgeAgent.TX_HEADROOM, agent.doWork(), "room minus the classifier's headroom");
        throttledInside.txRoom = BridgeAgent.TX_HEADROOM - 1;
        assertEquals(0, agent.doWork(), "never a negative limit");
        throttledInside.txRoom = Integer.MAX_VALUE;
        assertEquals(64, agent.doWork(), "the batch limit");
        assertEquals(12, agent.doWork());

        assertEquals(100, drain(inside).size());
        assertEquals(0, insideCounters.value(CounterDescriptor.TX_FAILED));
    }

    @Test
    void shouldCopyThePortsKernelDropsAndErrorsAboutOncePerSecond()
    {
        final StubPort stubOutside = new StubPort(outside);
        final BridgeAgent agent = new BridgeAgent(stubOutside, inside, outsideCounters, insideCounters,
            FrameClassifier.BRIDGE_ALL, MalformedPolicy.defaults(), clock, 64);
        stubOutside.kernelDrops = 5;
        stubOutside.rxErrors = 2;
        stubOutside.txErrors = 1;
        agent.doWork();
        assertEquals(5, outsideCounters.value(CounterDescriptor.KERNEL_DROPS), "the first cycle samples");
        assertEquals(2, outsideCounters.value(CounterDescriptor.RX_ERRORS));
        assertEquals(1, outsideCounters.value(CounterDescriptor.TX_ERRORS));

        stubOutside.kernelDrops = 9;
        clock.advance(600_000_000L);
        agent.doWork();
        assertEquals(5, outsideCounters.value(CounterDescriptor.KERNEL_DROPS), "not yet a second later");
        clock.advance(400_000_000L);
        agent.doWork();
        assertEquals(9, outsideCounters.value(CounterDescriptor.KERNEL_DROPS));
        assertEquals(0, insideCounters.value(CounterDescriptor.KERNEL_DROPS));
    }

    /** Delegates frames to an in-memory port and reports whatever transmit room and statistics a test sets. */
    private static final class StubPort implements PacketPort
    {
        final InMemoryPort delegate;
        int txRoom = Integer.MAX_VALUE;
        long kernelDrops;
        long rxErrors;
        long txErrors;

        StubPort(final InMemoryPort delegate)
        {
            this.delegate = delegate;
        }

        @Override
        public String name()
        {
            return delegate.name();
        }

        @Override
        public int receive(final FrameHandler handler, final int limit)
        {
            return delegate.receive(handler, limit);
        }

        @Override
        public boolean send(final DirectBuffer buffer, final int offset, final int length)
        {
            return delegate.send(buffer, offset, length);
        }

        @Override
        public int txRoom()
        {
            return txRoom;
        }

        @Override
        public long kernelDrops()
        {
            return kernelDrops;
        }

        @Override
        public long rxErrors()
        {
            return rxErrors;
        }

        @Override
        public long txErrors()
        {
            return txErrors;
        }

        @Override
        public void close()
        {
            delegate.close();
        }
    }

    private static List<byte[]> drain(final InMemoryPort port)
    {
        final List<byte[]> frames = new ArrayList<>();
        port.drainSent((buffer, offset, length, ts) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            frames.add(copy);
        }, Integer.MAX_VALUE);
        return frames;
    }

    static String hex(final byte[] bytes)
    {
        return Arrays.toString(bytes);
    }
}
