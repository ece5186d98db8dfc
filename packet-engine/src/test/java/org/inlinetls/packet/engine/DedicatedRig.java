package org.inlinetls.packet.engine;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.port.FrameHandler;
import org.inlinetls.packet.port.InMemoryPort;

import java.nio.ByteBuffer;

/**
 * The dedicated threading mode assembled over in-memory ports, as the daemon would over rings: one dispatcher, N
 * workers each an unchanged {@link BridgeAgent} over its two {@link WorkerQueuePort}s, each with its own in-memory
 * transmit ports. {@link #dutyCycle()} drives every agent once on the calling thread.
 */
final class DedicatedRig
{
    static final int RING_BYTES = 1 << 22;
    static final int BATCH_LIMIT = 32;

    final CachedNanoClock clock = new CachedNanoClock();
    final CountersManager manager = new CountersManager(
        new UnsafeBuffer(ByteBuffer.allocateDirect(1024 * 512)),
        new UnsafeBuffer(ByteBuffer.allocateDirect(1024 * 128)));
    final InMemoryPort outside = new InMemoryPort("outside", RING_BYTES);
    final InMemoryPort inside = new InMemoryPort("inside", RING_BYTES);
    final WorkerLane[] lanes;
    final DispatchCounters dispatchCounters = new DispatchCounters(manager, "dispatcher");
    final FlowDispatcherAgent dispatcher;
    /** [worker][side ordinal]: what each worker transmitted on each side. */
    final InMemoryPort[][] tx;
    final WorkerQueuePort[][] views;
    final PortCounters[][] counters;
    final BridgeAgent[] workers;

    DedicatedRig(final int workerCount, final int slotsPerWorker, final int slotCapacityBytes)
    {
        this(workerCount, slotsPerWorker, slotCapacityBytes, null);
    }

    /** @param sharedClock the workers' and dispatcher's clock, or null for the rig's hand-advanced one. */
    DedicatedRig(final int workerCount, final int slotsPerWorker, final int slotCapacityBytes,
        final NanoClock sharedClock)
    {
        final NanoClock agentClock = sharedClock != null ? sharedClock : clock;
        lanes = WorkerLane.newLanes(workerCount, slotsPerWorker, slotCapacityBytes);
        dispatcher = new FlowDispatcherAgent(outside, inside, lanes, dispatchCounters, agentClock, BATCH_LIMIT);
        tx = new InMemoryPort[workerCount][2];
        final TxPortFactory txPorts = (worker, side) ->
        {
            final InMemoryPort port = new InMemoryPort("worker-" + worker + "-tx-" + side.label(), RING_BYTES);
            tx[worker][side.ordinal()] = port;
            return port;
        };
        views = new WorkerQueuePort[workerCount][2];
        counters = new PortCounters[workerCount][2];
        workers = new BridgeAgent[workerCount];
        for (int i = 0; i < workerCount; i++)
        {
            for (final Side side : Side.values())
            {
                views[i][side.ordinal()] = WorkerQueuePort.open(lanes[i], side, txPorts);
                counters[i][side.ordinal()] = new PortCounters(manager, "worker-" + i + " " + side.label());
            }
            workers[i] = new BridgeAgent(
                views[i][Side.OUTSIDE.ordinal()], views[i][Side.INSIDE.ordinal()],
                counters[i][Side.OUTSIDE.ordinal()], counters[i][Side.INSIDE.ordinal()],
                FrameClassifier.BRIDGE_ALL, MalformedPolicy.defaults(), agentClock, BATCH_LIMIT);
        }
    }

    InMemoryPort rx(final Side side)
    {
        return side == Side.OUTSIDE ? outside : inside;
    }

    int dutyCycle()
    {
        clock.advance(1_000);
        int work = dispatcher.doWork();
        for (final BridgeAgent worker : workers)
        {
            work += worker.doWork();
        }
        return work;
    }

    /** Reads what worker {@code worker} transmitted on {@code egress}. */
    int drain(final int worker, final Side egress, final FrameHandler handler)
    {
        return tx[worker][egress.ordinal()].drainSent(handler, Integer.MAX_VALUE);
    }
}
