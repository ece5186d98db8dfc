package org.inlinetls.appliance.daemon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.appliance.config.ApplianceConfig;
import org.inlinetls.packet.counter.CounterDescriptor;
import org.inlinetls.packet.counter.LatencyHistogram;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.engine.BridgeAgent;
import org.inlinetls.packet.engine.DispatchCounterDescriptor;
import org.inlinetls.packet.engine.DispatchCounters;
import org.inlinetls.packet.engine.FlowDispatcherAgent;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.MalformedPolicy;
import org.inlinetls.packet.engine.Side;
import org.inlinetls.packet.engine.TxPortFactory;
import org.inlinetls.packet.engine.WorkerLane;
import org.inlinetls.packet.engine.WorkerQueuePort;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.port.FaultInjectingPort;
import org.inlinetls.packet.port.FaultProfile;
import org.inlinetls.packet.port.PacketPort;
import org.inlinetls.packet.port.TransmitRingPort;
import org.inlinetls.shim.PacketSocket;

/**
 * The dedicated layout with several workers: a {@link FlowDispatcherAgent} owning the two real ports' receive side,
 * and N unchanged {@link BridgeAgent}s over {@link WorkerQueuePort} views, each transmitting through its own
 * transmit-only socket per side (wrapped in a fault injector with a per-worker seed when the config has faults).
 * <p>
 * Counters: {@code wN outside ...} per worker and side, {@code dispatcher ...}, and per-side totals under the plain
 * {@code outside ...} / {@code inside ...} labels, summed from the workers' by {@link #totalsAgent} (on the
 * conductor's thread) and once more after the agents stopped, when the real ports' receive errors and kernel drops
 * are added (the ports belong to the dispatcher's thread until then). Each worker times its frames into a latency
 * histogram of its own ({@code latency worker-N ...}).
 */
final class FlowWorkers implements AutoCloseable
{
    /** Frames in flight to one worker: 2 MiB of slots, about 1 ms of a 10 Gbit/s burst. */
    static final int SLOTS_PER_WORKER = 1024;
    /** Largest frame a worker can carry: one ring TX slot. */
    static final int SLOT_BYTES = PacketSocket.TX_SLOT_BYTES;
    /** Frames a worker's transmit socket queues between flushes, per side. */
    static final int TX_SLOTS = 256;
    /** Distinct fault streams per worker from one configured seed (the 64-bit golden ratio). */
    static final long FAULT_SEED_STRIDE = 0x9E37_79B9_7F4A_7C15L;
    private static final long TOTALS_INTERVAL_NS = 100_000_000L;

    final FlowDispatcherAgent dispatcher;
    final BridgeAgent[] workers;
    final DispatchCounters dispatchCounters;
    private final PacketPort outside;
    private final PacketPort inside;
    private final WorkerQueuePort[][] views;
    private final PortCounters[][] counters;
    private final PortCounters[] totals = new PortCounters[2];

    /**
     * @param outside the real outside port, read and flushed by the dispatcher only.
     * @param inside  the real inside port, read and flushed by the dispatcher only.
     * @param txPorts each worker's raw transmit port per side (faults are added here).
     */
    FlowWorkers(
        final ApplianceConfig config,
        final PacketPort outside,
        final PacketPort inside,
        final CountersManager manager,
        final NanoClock clock,
        final TxPortFactory txPorts,
        final MalformedPolicy malformedPolicy)
    {
        final int workerCount = config.threading().workers();
        final int batchFrames = config.io().batchFrames();
        this.outside = outside;
        this.inside = inside;
        final WorkerLane[] lanes = WorkerLane.newLanes(workerCount, SLOTS_PER_WORKER, SLOT_BYTES);
        views = new WorkerQueuePort[workerCount][2];
        counters = new PortCounters[workerCount][2];
        workers = new BridgeAgent[workerCount];
        for (final Side side : Side.values())
        {
            totals[side.ordinal()] = new PortCounters(manager, side.label());
        }
        dispatchCounters = new DispatchCounters(manager, "dispatcher");
        dispatcher = new FlowDispatcherAgent(outside, inside, lanes, dispatchCounters, clock, batchFrames);
        try
        {
            for (int i = 0; i < workerCount; i++)
            {
                for (final Side side : Side.values())
                {
                    final PacketPort tx = withFaults(config, i, side, txPorts.newTxPort(i, side));
                    views[i][side.ordinal()] = new WorkerQueuePort(lanes[i], side, tx);
                    counters[i][side.ordinal()] = new PortCounters(manager, "w" + i + " " + side.label());
                }
                workers[i] = new BridgeAgent(
                    views[i][Side.OUTSIDE.ordinal()], views[i][Side.INSIDE.ordinal()],
                    counters[i][Side.OUTSIDE.ordinal()], counters[i][Side.INSIDE.ordinal()],
                    FrameClassifier.BRIDGE_ALL, malformedPolicy, clock, batchFrames,
                    new LatencyHistogram(manager, "worker-" + i));
            }
        }
        catch (final RuntimeException | Error ex)
        {
            close();
            throw ex;
        }
    }

    /** Each worker's transmit-only AF_PACKET socket on the side's interface, opened in the caller's namespace. */
    static TxPortFactory ringTxPorts(final ApplianceConfig config)
    {
        return (worker, side) ->
        {
            final String ifName = side == Side.OUTSIDE ? config.outside() : config.inside();
            try
            {
                return TransmitRingPort.open(ifName, "w" + worker + " " + side.label() + " tx", TX_SLOTS, false);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("opening worker " + worker + "'s transmit socket on " + ifName +
                    ": " + ex.getMessage(), ex);
            }
        };
    }

    private static PacketPort withFaults(
        final ApplianceConfig config, final int worker, final Side egress, final PacketPort tx)
    {
        final FaultProfile profile = config.faults().get(egress);
        if (profile == null || profile.isNoop())
        {
            return tx;
        }
        final FaultProfile seeded = new FaultProfile(profile.seed() + worker * FAULT_SEED_STRIDE,
            profile.lossPercent(), profile.duplicatePercent(), profile.reorderPercent(), profile.reorderWindow(),
            profile.delayNs(), profile.maxHoldNs());
        return new FaultInjectingPort(tx, seeded, EngineWiring.FAULT_SLOTS, EngineWiring.FAULT_SLOT_BYTES);
    }

    /** The port worker {@code worker} transmits through on {@code side} (a fault injector when configured). */
    PacketPort txPort(final int worker, final Side side)
    {
        return views[worker][side.ordinal()].txPort();
    }

    /** Counter labels this layout allocates, for sizing the counters file. */
    static int counterCount(final int workerCount)
    {
        final int perSide = CounterDescriptor.values().length + FrameAnomaly.values().length;
        return 2 * (workerCount + 1) * perSide + DispatchCounterDescriptor.values().length +
            workerCount * LatencyHistogram.COUNTERS + 8;
    }

    /** Sums the workers' counters into the per-side totals every 100 ms; for the conductor's thread. */
    Agent totalsAgent(final NanoClock clock)
    {
        return new Agent()
        {
            private long nextNs = clock.nanoTime();

            @Override
            public int doWork()
            {
                final long nowNs = clock.nanoTime();
                if (nowNs - nextNs < 0)
                {
                    return 0;
                }
                nextNs = nowNs + TOTALS_INTERVAL_NS;
                sumTotals();
                return 1;
            }

            @Override
            public String roleName()
            {
                return "counter-totals";
            }
        };
    }

    /** After the agents stopped: fault counts per worker, final totals, and the real ports' receive-side figures. */
    void recordFinalCounters()
    {
        for (int i = 0; i < views.length; i++)
        {
            for (final Side side : Side.values())
            {
                final WorkerQueuePort view = views[i][side.ordinal()];
                if (view != null && view.txPort() instanceof FaultInjectingPort)
                {
                    final FaultInjectingPort faults = (FaultInjectingPort)view.txPort();
                    final PortCounters c = counters[i][side.ordinal()];
                    c.get(CounterDescriptor.FAULT_LOST).setRelease(faults.framesLost());
                    c.get(CounterDescriptor.FAULT_REORDERED).setRelease(faults.framesReordered());
                    c.get(CounterDescriptor.FAULT_DUPLICATED).setRelease(faults.framesDuplicated());
                }
            }
        }
        sumTotals();
        for (final Side side : Side.values())
        {
            final PacketPort port = side == Side.OUTSIDE ? outside : inside;
            totals[side.ordinal()].get(CounterDescriptor.RX_ERRORS).setRelease(port.rxErrors());
            totals[side.ordinal()].get(CounterDescriptor.KERNEL_DROPS).setRelease(port.kernelDrops());
        }
    }

    private void sumTotals()
    {
        for (final Side side : Side.values())
        {
            final PortCounters total = totals[side.ordinal()];
            for (final CounterDescriptor descriptor : CounterDescriptor.values())
            {
                if (descriptor == CounterDescriptor.RX_ERRORS || descriptor == CounterDescriptor.KERNEL_DROPS)
                {
                    continue; // the real ports' figures, not the workers' (whose views never fail to receive)
                }
                long sum = 0;
                for (final PortCounters[] worker : counters)
                {
                    sum += worker[side.ordinal()] == null ? 0 : worker[side.ordinal()].get(descriptor).get();
                }
                total.get(descriptor).setRelease(sum);
            }
            for (final FrameAnomaly anomaly : FrameAnomaly.values())
            {
                if (anomaly == FrameAnomaly.NONE)
                {
                    continue;
                }
                long sum = 0;
                for (final PortCounters[] worker : counters)
                {
                    sum += worker[side.ordinal()] == null ? 0 : worker[side.ordinal()].malformed(anomaly).get();
                }
                final AtomicCounter counter = total.malformed(anomaly);
                counter.setRelease(sum);
            }
        }
    }

    /** The agents for dedicated threads: the dispatcher first, then the workers in order. */
    List<Agent> agents()
    {
        final List<Agent> agents = new ArrayList<>();
        agents.add(dispatcher);
        agents.addAll(List.of(workers));
        return agents;
    }

    /** Closes the workers' transmit ports (the real ports belong to the daemon). */
    @Override
    public void close()
    {
        for (final WorkerQueuePort[] worker : views)
        {
            for (final WorkerQueuePort view : worker)
            {
                CloseHelper.quietClose(view);
            }
        }
    }
}
