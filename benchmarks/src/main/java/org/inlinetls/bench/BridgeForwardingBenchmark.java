package org.inlinetls.bench;

import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.engine.BridgeAgent;
import org.inlinetls.packet.engine.FrameClassifier;
import org.inlinetls.packet.engine.MalformedPolicy;
import org.inlinetls.packet.port.FrameHandler;
import org.inlinetls.packet.port.InMemoryPort;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Frames per second one core forwards through the bridge agent (parse, classify, count, send) between in-memory
 * ports, in batches of {@value #BATCH}; run with {@code -prof gc} to check the 0 B/op steady state.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dchronicle.analytics.disable=true"})
public class BridgeForwardingBenchmark
{
    static final int BATCH = 32;

    @Param({"64", "1514"})
    public int frameBytes;

    private InMemoryPort outside;
    private InMemoryPort inside;
    private BridgeAgent agent;
    private UnsafeBuffer frame;
    private final FrameHandler discard = (buffer, offset, length, ts) -> { };

    @Setup(Level.Trial)
    public void setUp()
    {
        outside = new InMemoryPort("outside", 1 << 20);
        inside = new InMemoryPort("inside", 1 << 20);
        final CountersManager manager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 512)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 128)));
        agent = new BridgeAgent(outside, inside, new PortCounters(manager, "outside"),
            new PortCounters(manager, "inside"), FrameClassifier.BRIDGE_ALL, MalformedPolicy.defaults(),
            new CachedNanoClock(), BATCH);
        frame = new UnsafeBuffer(BenchFrames.tcpFrame(frameBytes));
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int forwardBatch()
    {
        for (int i = 0; i < BATCH; i++)
        {
            outside.inject(frame, 0, frame.capacity(), 0);
        }
        final int work = agent.doWork();
        inside.drainSent(discard, BATCH);
        return work;
    }
}
