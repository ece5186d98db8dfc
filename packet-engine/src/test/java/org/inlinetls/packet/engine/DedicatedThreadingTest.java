package org.inlinetls.packet.engine;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.inlinetls.packet.counter.CounterDescriptor;
import org.inlinetls.packet.flyweight.EtherType;
import org.inlinetls.packet.port.FrameHandler;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dedicated threading mode end to end over in-memory ports: a flow-hash dispatcher and three bridge workers.
 */
class DedicatedThreadingTest
{
    private static final long SEED = Long.getLong("dispatch.seed", 0xD15_7A7CL);
    private static final int WORKERS = 3;
    private static final int SLOT_BYTES = 2048;

    @Test
    void shouldDeliverEveryFrameOnceInFlowOrderWhenDrivenByHand()
    {
        final DedicatedRig rig = new DedicatedRig(WORKERS, 64, SLOT_BYTES);
        final Traffic traffic = new Traffic(new Random(SEED), 80, 25, 10);
        final Ledger ledger = new Ledger(traffic);
        traffic.injectAll(rig);

        for (int cycle = 0; cycle < 10_000 && ledger.delivered < traffic.frames.size(); cycle++)
        {
            rig.dutyCycle();
            ledger.drainAll(rig);
        }

        ledger.assertComplete();
        assertNoDrops(rig);
        assertTrue(ledger.workersUsed() == WORKERS, "flows should spread over all workers");
    }

    @Test
    void shouldDeliverEveryFrameOnceInFlowOrderOnDedicatedThreads() throws Exception
    {
        final DedicatedRig rig = new DedicatedRig(WORKERS, 256, SLOT_BYTES, new SystemNanoClock());
        final Traffic traffic = new Traffic(new Random(SEED + 1), 200, 20, 20);
        final Ledger ledger = new Ledger(traffic);
        final List<AgentRunner> runners = new ArrayList<>();
        runners.add(new AgentRunner(idle(), Throwable::printStackTrace, null, rig.dispatcher));
        for (final BridgeAgent worker : rig.workers)
        {
            runners.add(new AgentRunner(idle(), Throwable::printStackTrace, null, worker));
        }
        try
        {
            for (final AgentRunner runner : runners)
            {
                AgentRunner.startOnThread(runner);
            }
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int next = 0;
            while (ledger.delivered < traffic.frames.size() && System.nanoTime() - deadlineNs < 0)
            {
                // inject in the order generated, as far as each real port's ring takes them
                while (next < traffic.frames.size() && traffic.inject(rig, next))
                {
                    next++;
                }
                if (ledger.drainAll(rig) == 0)
                {
                    Thread.onSpinWait();
                }
            }
        }
        finally
        {
            for (final AgentRunner runner : runners)
            {
                runner.close();
            }
        }
        ledger.drainAll(rig);
        ledger.assertComplete();
        assertNoDrops(rig);
    }

    @Test
    void shouldHoldFramesInThePortWhileAWorkerStallsAndLoseNone()
    {
        final int slots = 8;
        final DedicatedRig rig = new DedicatedRig(WORKERS, slots, SLOT_BYTES);
        final Traffic traffic = new Traffic(new Random(SEED + 2), 30, 10, 4);
        final Ledger ledger = new Ledger(traffic);
        traffic.injectAll(rig);
        final int stalled = 1;

        for (int cycle = 0; cycle < 1_000; cycle++)
        {
            rig.clock.advance(1_000);
            rig.dispatcher.doWork();
            for (int w = 0; w < WORKERS; w++)
            {
                if (w != stalled)
                {
                    rig.workers[w].doWork();
                }
            }
            ledger.drainAll(rig);
        }

        assertEquals(slots, rig.lanes[stalled].backlog(), "the stalled worker's lane is full");
        assertEquals(0, rig.lanes[stalled].freeSlots());
        assertTrue(ledger.delivered < traffic.frames.size(), "frames wait in the ports");
        assertTrue(rig.dispatchCounters.value(DispatchCounterDescriptor.BACK_PRESSURE) > 0);
        assertNoDrops(rig);

        for (int cycle = 0; cycle < 10_000 && ledger.delivered < traffic.frames.size(); cycle++)
        {
            rig.dutyCycle();
            ledger.drainAll(rig);
        }
        ledger.assertComplete();
        assertNoDrops(rig);
        for (final WorkerLane lane : rig.lanes)
        {
            assertEquals(slots, lane.freeSlots(), "every slot is back in the pool");
        }
    }

    @Test
    void shouldDropFramesLargerThanASlotWithAReason()
    {
        final DedicatedRig rig = new DedicatedRig(WORKERS, 16, 256);
        final FlowFrames.Tuple tuple = new FlowFrames.Tuple(
            FlowFrames.TCP, FlowFrames.ipv4(10, 0, 0, 1), 40000, FlowFrames.ipv4(10, 0, 0, 2), 443);
        rig.outside.inject(FlowFrames.frame(tuple, 0, 100, 1));
        rig.outside.inject(FlowFrames.frame(tuple, 0, 300, 2));
        rig.outside.inject(FlowFrames.frame(tuple, 0, 100, 3));

        rig.dutyCycle();

        final List<Long> markers = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++)
        {
            rig.drain(w, Side.INSIDE, (buffer, offset, length, ts) ->
                markers.add(buffer.getLong(offset + length - Long.BYTES, ByteOrder.BIG_ENDIAN)));
        }
        assertEquals(List.of(1L, 3L), markers);
        assertEquals(1, rig.dispatchCounters.value(DispatchCounterDescriptor.DROPPED_TOO_LARGE));
        assertEquals(2, rig.dispatchCounters.value(DispatchCounterDescriptor.FRAMES_DISPATCHED));
    }

    @Test
    void shouldReturnTheSlotWhenTheHandlerThrows()
    {
        final DedicatedRig rig = new DedicatedRig(1, 4, SLOT_BYTES);
        rig.outside.inject(SampleFrames.clientTcp(1, 10));
        rig.dispatcher.doWork();
        assertEquals(3, rig.lanes[0].freeSlots());

        final FrameHandler throwing = (buffer, offset, length, ts) ->
        {
            throw new IllegalStateException("handler failed");
        };
        final WorkerQueuePort view = rig.views[0][Side.OUTSIDE.ordinal()];
        assertThrows(IllegalStateException.class, () -> view.receive(throwing, 10));
        assertEquals(4, rig.lanes[0].freeSlots());
        assertEquals(0, view.receive(throwing, 10));
    }

    @Test
    void shouldDispatchAndBridgeWithoutAllocatingInSteadyState()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "allocation counting not supported by this JVM");
        final DedicatedRig rig = new DedicatedRig(WORKERS, 64, SLOT_BYTES);
        final Random random = new Random(SEED + 3);
        final UnsafeBuffer[] frames = new UnsafeBuffer[48];
        for (int i = 0; i < frames.length; i++)
        {
            final FlowFrames.Tuple tuple = FlowHashTest.randomTuple(random);
            frames[i] = new UnsafeBuffer(FlowFrames.frame(i % 2 == 0 ? tuple : tuple.reversed(), i % 3, 200, i));
        }
        final UnsafeBuffer arp = new UnsafeBuffer(SampleFrames.arpRequest());
        final FrameHandler discard = (buffer, offset, length, ts) -> { };

        runSteadyState(rig, frames, arp, discard);
        long fewest = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            runSteadyState(rig, frames, arp, discard);
            fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
        }

        assertTrue(fewest < 256, fewest + " bytes allocated for 20,000 frames");
        assertNoDrops(rig);
    }

    private static void runSteadyState(final DedicatedRig rig, final UnsafeBuffer[] frames, final UnsafeBuffer arp,
        final FrameHandler discard)
    {
        for (int i = 0; i < 20_000; i++)
        {
            final UnsafeBuffer frame = (i & 255) == 0 ? arp : frames[i % frames.length];
            rig.rx((i & 1) == 0 ? Side.OUTSIDE : Side.INSIDE).inject(frame, 0, frame.capacity(), 0);
            rig.dutyCycle();
            for (int w = 0; w < WORKERS; w++)
            {
                rig.drain(w, Side.OUTSIDE, discard);
                rig.drain(w, Side.INSIDE, discard);
            }
        }
    }

    private static void assertNoDrops(final DedicatedRig rig)
    {
        assertEquals(0, rig.dispatchCounters.value(DispatchCounterDescriptor.DROPPED_NO_SLOT));
        assertEquals(0, rig.dispatchCounters.value(DispatchCounterDescriptor.DROPPED_TOO_LARGE));
        assertEquals(0, rig.dispatchCounters.value(DispatchCounterDescriptor.DISPATCH_ERRORS));
        for (int w = 0; w < rig.workers.length; w++)
        {
            for (final Side side : Side.values())
            {
                assertEquals(0, rig.counters[w][side.ordinal()].value(CounterDescriptor.TX_FAILED));
                assertEquals(0, rig.counters[w][side.ordinal()].value(CounterDescriptor.ENGINE_ERRORS));
            }
        }
    }

    private static BackoffIdleStrategy idle()
    {
        return new BackoffIdleStrategy(1, 10, 1_000, 100_000);
    }

    /** Interleaved frames of many flows in both directions, plus ARP; each frame's marker is flow, direction, seq. */
    private static final class Traffic
    {
        final List<byte[]> frames = new ArrayList<>();
        final List<Side> ingress = new ArrayList<>();
        final int arpFrames;

        Traffic(final Random random, final int flowCount, final int framesPerDirection, final int arpCount)
        {
            final FlowFrames.Tuple[] tuples = new FlowFrames.Tuple[flowCount];
            final int[][] nextSeq = new int[flowCount][2];
            final int[] vlanTags = new int[flowCount];
            for (int f = 0; f < flowCount; f++)
            {
                tuples[f] = FlowHashTest.randomTuple(random);
                vlanTags[f] = random.nextInt(3);
            }
            final int total = flowCount * framesPerDirection * 2;
            int arpLeft = arpCount;
            for (int emitted = 0; emitted < total; )
            {
                if (arpLeft > 0 && random.nextInt(total / arpCount + 1) == 0)
                {
                    frames.add(SampleFrames.arpRequest());
                    ingress.add(Side.OUTSIDE);
                    arpLeft--;
                    continue;
                }
                final int flow = random.nextInt(flowCount);
                final int direction = random.nextInt(2);
                if (nextSeq[flow][direction] == framesPerDirection)
                {
                    continue;
                }
                final int seq = nextSeq[flow][direction]++;
                final FlowFrames.Tuple tuple = direction == 0 ? tuples[flow] : tuples[flow].reversed();
                frames.add(FlowFrames.frame(tuple, vlanTags[flow], random.nextInt(1400), marker(flow, direction, seq)));
                ingress.add(direction == 0 ? Side.OUTSIDE : Side.INSIDE);
                emitted++;
            }
            while (arpLeft-- > 0)
            {
                frames.add(SampleFrames.arpRequest());
                ingress.add(Side.OUTSIDE);
            }
            arpFrames = arpCount;
        }

        static long marker(final int flow, final int direction, final int seq)
        {
            return ((long)flow << 32) | ((long)direction << 31) | seq;
        }

        boolean inject(final DedicatedRig rig, final int index)
        {
            return rig.rx(ingress.get(index)).inject(frames.get(index));
        }

        void injectAll(final DedicatedRig rig)
        {
            for (int i = 0; i < frames.size(); i++)
            {
                assertTrue(inject(rig, i), "port ring too small for the test traffic");
            }
        }
    }

    /** Checks each delivered frame: once only, on the right egress, in flow order, one worker per flow. */
    private static final class Ledger
    {
        final Traffic traffic;
        final Set<Long> seen = new HashSet<>();
        final Map<Long, Integer> nextSeq = new HashMap<>();
        final Map<Integer, Integer> workerOfFlow = new HashMap<>();
        int delivered;
        int arpDelivered;

        Ledger(final Traffic traffic)
        {
            this.traffic = traffic;
        }

        int drainAll(final DedicatedRig rig)
        {
            int drained = 0;
            for (int w = 0; w < rig.workers.length; w++)
            {
                for (final Side egress : Side.values())
                {
                    final int worker = w;
                    drained += rig.drain(w, egress,
                        (buffer, offset, length, ts) -> onDelivered(worker, egress, buffer, offset, length));
                }
            }
            return drained;
        }

        void onDelivered(final int worker, final Side egress, final DirectBuffer buffer, final int offset,
            final int length)
        {
            delivered++;
            if ((buffer.getShort(offset + 12, ByteOrder.BIG_ENDIAN) & 0xFFFF) == EtherType.ARP)
            {
                assertEquals(Side.INSIDE, egress, "ARP from outside leaves inside");
                assertEquals(0, worker, "frames without a flow key run on worker 0");
                arpDelivered++;
                return;
            }
            final long marker = buffer.getLong(offset + length - Long.BYTES, ByteOrder.BIG_ENDIAN);
            final int flow = (int)(marker >>> 32);
            final int direction = (int)(marker >>> 31) & 1;
            final int seq = (int)(marker & 0x7FFF_FFFF);
            assertTrue(seen.add(marker), "delivered twice: flow " + flow + " dir " + direction + " seq " + seq);
            assertEquals(direction == 0 ? Side.INSIDE : Side.OUTSIDE, egress, "egress of flow " + flow);
            final long key = marker >>> 31;
            final int expected = nextSeq.getOrDefault(key, 0);
            assertEquals(expected, seq, "order of flow " + flow + " dir " + direction + ", seed " + SEED);
            nextSeq.put(key, seq + 1);
            final Integer previous = workerOfFlow.putIfAbsent(flow, worker);
            assertTrue(previous == null || previous == worker, "flow " + flow + " ran on two workers");
        }

        int workersUsed()
        {
            return new HashSet<>(workerOfFlow.values()).size();
        }

        void assertComplete()
        {
            assertEquals(traffic.frames.size(), delivered, "frames delivered, seed " + SEED);
            assertEquals(traffic.arpFrames, arpDelivered);
            assertEquals(traffic.frames.size() - traffic.arpFrames, seen.size());
        }
    }
}
