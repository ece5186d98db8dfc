package org.inlinetls.packet.engine;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.AtomicCounter;
import org.inlinetls.packet.counter.CounterDescriptor;
import org.inlinetls.packet.counter.LatencyHistogram;
import org.inlinetls.packet.counter.PortCounters;
import org.inlinetls.packet.frame.FrameAction;
import org.inlinetls.packet.frame.FrameAnomaly;
import org.inlinetls.packet.frame.FrameParser;
import org.inlinetls.packet.frame.ParsedFrame;
import org.inlinetls.packet.port.FrameHandler;
import org.inlinetls.packet.port.PacketPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves frames both ways between the outside and inside ports: parse, classify, forward.
 * <p>
 * Frames that fail to parse follow the {@link MalformedPolicy}; well-formed frames go to the {@link FrameClassifier}
 * (the interception hook). Nothing escapes a duty cycle: an exception while handling a frame is counted as an engine
 * error, logged (rate-limited) and the frame dropped. No allocation per frame.
 * <p>
 * Back-pressure: per cycle it takes from a port no more frames than the opposite port's {@link PacketPort#txRoom()}
 * minus {@link #TX_HEADROOM} (kept for frames the classifier injects), so a congested transmit side leaves frames in
 * the receive ring (where the kernel counts its drops) rather than refusing frames already read. The ports' kernel
 * drops and receive/transmit errors are copied into the counters about once per {@link #PORT_STATISTICS_INTERVAL_NS}
 * of the engine's clock.
 * <p>
 * Latency (when given a {@link LatencyHistogram}): each frame's processing time is recorded per frame, not as a
 * batch average. It runs from the end of the previous frame of the same receive call (or from the start of the
 * call for its first frame) to the frame's verdict, so it covers the port handing the frame over, parsing,
 * classifying (the engine's decrypt, encrypt and rewrite) and queueing the output for transmit; the transmit flush
 * at the end of the cycle (one system call per port) is not in it. One clock read per frame and one more per duty
 * cycle (the outside port's batch starts at the cycle's own read); none without a histogram.
 */
public final class BridgeAgent implements Agent
{
    private static final Logger LOG = LoggerFactory.getLogger(BridgeAgent.class);
    private static final long LOG_INTERVAL_NS = 1_000_000_000L;
    /** Transmit slots left free for frames the classifier injects (handshake flights, ACKs, alerts) in a cycle. */
    public static final int TX_HEADROOM = 16;
    /** Interval between two copies of the ports' own statistics into the counters. */
    public static final long PORT_STATISTICS_INTERVAL_NS = 1_000_000_000L;

    private final PacketPort outside;
    private final PacketPort inside;
    private final PortCounters outsideCounters;
    private final PortCounters insideCounters;
    private final FrameClassifier classifier;
    private final MalformedPolicy malformedPolicy;
    private final NanoClock clock;
    private final int batchLimit;
    private final FrameParser parser = new FrameParser();
    private final ParsedFrame frame = new ParsedFrame();
    private final RateLimitedLog errorLog = new RateLimitedLog(LOG, LOG_INTERVAL_NS);
    private final FrameHandler fromOutside = this::onOutsideFrame;
    private final FrameHandler fromInside = this::onInsideFrame;
    private final LatencyHistogram latency;
    private long nowNs;
    private long frameStartNs;
    private long portStatisticsDeadlineNs;

    /**
     * @param batchLimit most frames taken from one port per duty cycle.
     */
    public BridgeAgent(
        final PacketPort outside,
        final PacketPort inside,
        final PortCounters outsideCounters,
        final PortCounters insideCounters,
        final FrameClassifier classifier,
        final MalformedPolicy malformedPolicy,
        final NanoClock clock,
        final int batchLimit)
    {
        this(outside, inside, outsideCounters, insideCounters, classifier, malformedPolicy, clock, batchLimit, null);
    }

    /**
     * @param batchLimit most frames taken from one port per duty cycle.
     * @param latency    where each frame's processing time is recorded, or null for no timing.
     */
    public BridgeAgent(
        final PacketPort outside,
        final PacketPort inside,
        final PortCounters outsideCounters,
        final PortCounters insideCounters,
        final FrameClassifier classifier,
        final MalformedPolicy malformedPolicy,
        final NanoClock clock,
        final int batchLimit,
        final LatencyHistogram latency)
    {
        this.outside = outside;
        this.inside = inside;
        this.outsideCounters = outsideCounters;
        this.insideCounters = insideCounters;
        this.classifier = classifier;
        this.malformedPolicy = malformedPolicy;
        this.clock = clock;
        this.batchLimit = batchLimit;
        this.latency = latency;
        this.portStatisticsDeadlineNs = clock.nanoTime(); // the first cycle samples
    }

    @Override
    public int doWork()
    {
        nowNs = clock.nanoTime();
        frameStartNs = nowNs;
        int workCount = 0;
        workCount += outside.receive(fromOutside, receiveLimit(inside));
        if (null != latency)
        {
            frameStartNs = clock.nanoTime();
        }
        workCount += inside.receive(fromInside, receiveLimit(outside));
        workCount += classifier.onTick(nowNs);
        workCount += outside.flush(nowNs);
        workCount += inside.flush(nowNs);
        samplePortStatistics(nowNs);
        return workCount;
    }

    /**
     * @return frames to take this cycle from the port opposite {@code egress}: at most the batch limit, and never
     *         more than {@code egress} can queue with {@link #TX_HEADROOM} to spare.
     */
    private int receiveLimit(final PacketPort egress)
    {
        final int room = egress.txRoom() - TX_HEADROOM;
        return room <= 0 ? 0 : Math.min(batchLimit, room);
    }

    private void samplePortStatistics(final long nowNs)
    {
        if (nowNs - portStatisticsDeadlineNs >= 0)
        {
            portStatisticsDeadlineNs = nowNs + PORT_STATISTICS_INTERVAL_NS;
            copyPortStatistics(outside, outsideCounters);
            copyPortStatistics(inside, insideCounters);
        }
    }

    private static void copyPortStatistics(final PacketPort port, final PortCounters counters)
    {
        counters.get(CounterDescriptor.KERNEL_DROPS).setRelease(port.kernelDrops());
        counters.get(CounterDescriptor.RX_ERRORS).setRelease(port.rxErrors());
        counters.get(CounterDescriptor.TX_ERRORS).setRelease(port.txErrors());
    }

    @Override
    public void onClose()
    {
        final long closeNs = clock.nanoTime();
        outside.flush(closeNs);
        inside.flush(closeNs);
        copyPortStatistics(outside, outsideCounters);
        copyPortStatistics(inside, insideCounters);
    }

    @Override
    public String roleName()
    {
        return "bridge";
    }

    private void onOutsideFrame(final DirectBuffer buffer, final int offset, final int length, final long tsNs)
    {
        onFrame(Side.OUTSIDE, outsideCounters, inside, insideCounters, buffer, offset, length);
    }

    private void onInsideFrame(final DirectBuffer buffer, final int offset, final int length, final long tsNs)
    {
        onFrame(Side.INSIDE, insideCounters, outside, outsideCounters, buffer, offset, length);
    }

    private void onFrame(
        final Side ingress,
        final PortCounters in,
        final PacketPort egress,
        final PortCounters out,
        final DirectBuffer buffer,
        final int offset,
        final int length)
    {
        processFrame(ingress, in, egress, out, buffer, offset, length);
        if (null != latency)
        {
            final long endNs = clock.nanoTime();
            latency.record(endNs - frameStartNs);
            frameStartNs = endNs;
        }
    }

    private void processFrame(
        final Side ingress,
        final PortCounters in,
        final PacketPort egress,
        final PortCounters out,
        final DirectBuffer buffer,
        final int offset,
        final int length)
    {
        in.get(CounterDescriptor.FRAMES_IN).incrementRelease();
        in.get(CounterDescriptor.BYTES_IN).getAndAddRelease(length);
        try
        {
            final FrameAnomaly anomaly = parser.parse(buffer, offset, length, frame);
            if (anomaly != FrameAnomaly.NONE)
            {
                onMalformed(anomaly, in, egress, out, buffer, offset, length);
                return;
            }
            final Verdict verdict = classifier.classify(ingress, buffer, frame, nowNs);
            switch (verdict)
            {
                case FORWARD:
                    forward(egress, out, buffer, offset, length);
                    break;
                case CONSUMED:
                    in.get(CounterDescriptor.INTERCEPTED).incrementRelease();
                    break;
                default:
                    in.get(CounterDescriptor.CLASSIFIER_DROPPED).incrementRelease();
                    break;
            }
        }
        catch (final Throwable ex)
        {
            in.get(CounterDescriptor.ENGINE_ERRORS).incrementRelease();
            errorLog.warn(nowNs, "frame dropped after engine error", ex);
        }
    }

    private void onMalformed(
        final FrameAnomaly anomaly,
        final PortCounters in,
        final PacketPort egress,
        final PortCounters out,
        final DirectBuffer buffer,
        final int offset,
        final int length)
    {
        final AtomicCounter byReason = in.malformed(anomaly);
        byReason.incrementRelease();
        if (malformedPolicy.actionFor(anomaly) == FrameAction.DROP)
        {
            in.get(CounterDescriptor.MALFORMED_DROPPED).incrementRelease();
            return;
        }
        in.get(CounterDescriptor.MALFORMED_BRIDGED).incrementRelease();
        forward(egress, out, buffer, offset, length);
    }

    private static void forward(
        final PacketPort egress, final PortCounters out, final DirectBuffer buffer, final int offset, final int length)
    {
        if (egress.send(buffer, offset, length))
        {
            out.get(CounterDescriptor.FRAMES_OUT).incrementRelease();
            out.get(CounterDescriptor.BYTES_OUT).getAndAddRelease(length);
        }
        else
        {
            out.get(CounterDescriptor.TX_FAILED).incrementRelease();
        }
    }
}
