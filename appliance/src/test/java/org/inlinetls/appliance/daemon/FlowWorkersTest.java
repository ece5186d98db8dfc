package org.inlinetls.appliance.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.appliance.config.ConfigLoader;
import org.inlinetls.packet.engine.MalformedPolicy;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.port.FaultInjectingPort;
import org.inlinetls.packet.port.InMemoryPort;
import org.junit.jupiter.api.Test;

/**
 * The several-worker layout over in-memory ports, driven by hand: every frame crosses exactly one worker, the
 * per-side totals are the workers' sums, and fault injection wraps each worker's transmit port with its own seed.
 */
class FlowWorkersTest
{
    private static final int WORKERS = 3;
    private static final int FRAMES = 600;
    private static final int FLOWS = 50;

    private final CachedNanoClock clock = new CachedNanoClock();
    private final CountersManager manager = new CountersManager(
        new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 20)), new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 18)));
    private final InMemoryPort outside = new InMemoryPort("outside", 1 << 22);
    private final InMemoryPort inside = new InMemoryPort("inside", 1 << 22);
    private final InMemoryPort[][] tx = new InMemoryPort[WORKERS][2];

    @Test
    void shouldCarryEveryFrameThroughOneWorkerAndSumTheTotals() throws Exception
    {
        final FlowWorkers workers = newWorkers("");
        for (int i = 0; i < FRAMES; i++)
        {
            final UnsafeBuffer frame = UdpFrames.udpFrame(i, i % FLOWS, false);
            assertTrue(outside.inject(frame, 0, frame.capacity(), 0));
            final UnsafeBuffer reply = UdpFrames.udpFrame(FRAMES + i, i % FLOWS, true);
            assertTrue(inside.inject(reply, 0, reply.capacity(), 0));
        }
        final Agent totals = workers.totalsAgent(clock);
        for (int cycle = 0; cycle < 1_000; cycle++)
        {
            clock.advance(1_000_000);
            for (final Agent agent : workers.agents())
            {
                agent.doWork();
            }
        }
        clock.advance(200_000_000);
        assertEquals(1, totals.doWork());

        final Set<Integer> towardInside = drain(Side.INSIDE);
        final Set<Integer> towardOutside = drain(Side.OUTSIDE);
        assertEquals(FRAMES, towardInside.size());
        assertEquals(FRAMES, towardOutside.size());
        final Map<String, Long> counters = counters();
        assertEquals((long)FRAMES, counters.get("outside frames_in"), counters.toString());
        assertEquals((long)FRAMES, counters.get("inside frames_out"), counters.toString());
        long perWorker = 0;
        for (int w = 0; w < WORKERS; w++)
        {
            final long frames = counters.get("w" + w + " outside frames_in");
            assertTrue(frames > 0, "worker " + w + " idle: " + counters);
            perWorker += frames;
        }
        assertEquals(FRAMES, perWorker);
        assertEquals(2L * FRAMES, counters.get("dispatcher frames_dispatched"));

        workers.recordFinalCounters();
        assertEquals((long)FRAMES, counters().get("inside frames_in"));
        workers.close();
    }

    @Test
    void shouldWrapEachWorkersTransmitPortInFaultsWithItsOwnSeed() throws Exception
    {
        final FlowWorkers workers = newWorkers(
            "faults:\n  inside: {seed: 7, lossPercent: 1.0}\n");
        final Set<Long> seeds = new HashSet<>();
        for (int w = 0; w < WORKERS; w++)
        {
            assertSame(tx[w][Side.OUTSIDE.ordinal()], workers.txPort(w, Side.OUTSIDE), "no faults toward outside");
            final FaultInjectingPort faults = (FaultInjectingPort)workers.txPort(w, Side.INSIDE);
            seeds.add(faults.profile().seed());
            assertEquals(1.0, faults.profile().lossPercent());
        }
        assertEquals(WORKERS, seeds.size());
        assertTrue(seeds.contains(7L), "worker 0 keeps the configured seed");
        assertNotEquals(null, workers.dispatchCounters);
        workers.close();
    }

    private FlowWorkers newWorkers(final String extra) throws Exception
    {
        final ApplianceConfig config = ConfigLoader.parse(Path.of("test.yaml"),
            "interfaces: {outside: a0, inside: b0}\nthreading: {mode: dedicated, workers: " + WORKERS + "}\n" + extra);
        return new FlowWorkers(config, outside, inside, manager, clock, (worker, side) ->
        {
            final InMemoryPort port = new InMemoryPort("w" + worker + " " + side.label() + " tx", 1 << 20);
            tx[worker][side.ordinal()] = port;
            return port;
        }, MalformedPolicy.defaults());
    }

    /** Frame numbers every worker sent on one side; each number must come from one worker only. */
    private Set<Integer> drain(final Side egress)
    {
        final Set<Integer> numbers = new HashSet<>();
        for (int w = 0; w < WORKERS; w++)
        {
            tx[w][egress.ordinal()].drainSent((buffer, offset, length, ts) ->
                assertTrue(numbers.add(buffer.getInt(offset + UdpFrames.PAYLOAD + 4, ByteOrder.BIG_ENDIAN))),
                Integer.MAX_VALUE);
        }
        return numbers;
    }

    private Map<String, Long> counters()
    {
        final Map<String, Long> values = new HashMap<>();
        manager.forEach((value, id, label) -> values.put(label, value));
        return values;
    }
}
