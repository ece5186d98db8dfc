package org.inlinetls.handshake;

import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.agrona.concurrent.status.AtomicCounter;
import org.jctools.queues.SpscArrayQueue;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.function.Supplier;

import static java.lang.System.Logger.Level.WARNING;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.ABORTED;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.ACTIVE;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.COMPLETED;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.ERRORS;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.EXPIRED;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.FAILED;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.REFUSED_CAPACITY;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.REFUSED_OVERLOAD;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.RETURNED;
import static org.inlinetls.handshake.HandshakeCounterDescriptor.STARTED;

/**
 * Runs the TLS handshakes of flows in handshake on their own thread, apart from the data path (DESIGN §7): owns one
 * {@link HandshakeEngine} per flow, fed by the workers through their {@link HandshakeProxy}, and sends each flow's
 * output, keys or failure back to the worker that started it.
 * <p>
 * Each worker has a single-producer command ring (Agrona) and a single-consumer result queue (JCTools). When a
 * worker leaves its results undrained, they wait in a backlog here and the agent stops taking that worker's commands
 * until the backlog is gone, so the backlog stays bounded and the worker's offers fail fast instead. Everything is
 * bounded: concurrent handshakes, the time a handshake may take, both queues.
 * <p>
 * Runs on a dedicated {@code AgentRunner}, inside a {@code CompositeAgent}, or by a caller invoking
 * {@link #doWork()}; the clock is read once per duty cycle. An error on one command is counted, logged
 * (rate-limited) and fails only that flow.
 */
public final class HandshakeAgent implements Agent
{
    private static final System.Logger LOG = System.getLogger(HandshakeAgent.class.getName());
    private static final long ERROR_LOG_INTERVAL_NS = 1_000_000_000L;

    private final String roleName;
    private final Supplier<HandshakeEngine> engineFactory;
    private final HandshakeAgentCounters counters;
    private final NanoClock clock;
    private final int maxConcurrentHandshakes;
    private final long handshakeTimeoutNs;
    private final int commandLimit;
    private final OneToOneRingBuffer[] commandRings;
    private final SpscArrayQueue<HandshakeResult>[] resultQueues;
    private final ArrayDeque<HandshakeResult>[] backlogs;
    private final HandshakeProxy[] proxies;
    private final Long2ObjectHashMap<Flow> flows = new Long2ObjectHashMap<>();
    private final ControlledMessageHandler commandHandler = this::onCommand;
    private final byte[] scratch;
    private final AtomicCounter active;
    private Flow oldest;
    private Flow newest;
    private int producer;
    private int firstProducer;
    private long nowNs;
    private long nextErrorLogNs;
    private long suppressedErrors;

    /**
     * @param config        bounds; validated and copied.
     * @param engineFactory makes the engine of each new flow (normally {@code () -> new HandshakeEngine(tls)}).
     * @param counters      written by this agent (and {@code refused_overload} by the proxies).
     * @param clock         read once per duty cycle.
     */
    @SuppressWarnings("unchecked")
    public HandshakeAgent(
        final HandshakeAgentConfig config,
        final Supplier<HandshakeEngine> engineFactory,
        final HandshakeAgentCounters counters,
        final NanoClock clock)
    {
        config.validate();
        this.roleName = config.roleName();
        this.engineFactory = engineFactory;
        this.counters = counters;
        this.clock = clock;
        this.maxConcurrentHandshakes = config.maxConcurrentHandshakes();
        this.handshakeTimeoutNs = config.handshakeTimeoutNs();
        this.commandLimit = config.commandLimit();
        this.active = counters.get(ACTIVE);

        final int producers = config.producerCount();
        commandRings = new OneToOneRingBuffer[producers];
        resultQueues = new SpscArrayQueue[producers];
        backlogs = new ArrayDeque[producers];
        proxies = new HandshakeProxy[producers];
        for (int i = 0; i < producers; i++)
        {
            final int length = config.commandQueueCapacityBytes() + RingBufferDescriptor.TRAILER_LENGTH;
            commandRings[i] = new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(length)));
            resultQueues[i] = new SpscArrayQueue<>(Math.max(4, config.resultQueueCapacity()));
            backlogs[i] = new ArrayDeque<>();
            proxies[i] = new HandshakeProxy(commandRings[i], resultQueues[i], counters.get(REFUSED_OVERLOAD));
        }
        scratch = new byte[commandRings[0].maxMsgLength()];
        nowNs = clock.nanoTime();
        nextErrorLogNs = nowNs;
    }

    /**
     * The proxy of one producer (worker) thread; hand each to exactly one thread before the agent starts.
     *
     * @param producerIndex from 0 to {@link HandshakeAgentConfig#producerCount()} - 1.
     */
    public HandshakeProxy proxy(final int producerIndex)
    {
        return proxies[producerIndex];
    }

    public HandshakeAgentCounters counters()
    {
        return counters;
    }

    /** Handshakes in progress; read on the agent's thread (others read {@link HandshakeCounterDescriptor#ACTIVE}). */
    public int activeHandshakes()
    {
        return flows.size();
    }

    @Override
    public int doWork()
    {
        nowNs = clock.nanoTime();
        int workCount = 0;
        workCount += flushBacklogs();
        workCount += drainCommands();
        workCount += expireHandshakes();
        return workCount;
    }

    /** Drops every handshake in progress (nothing more is sent) and wipes keys never delivered. */
    @Override
    public void onClose()
    {
        flows.values().forEach((flow) -> flow.engine.release());
        flows.clear();
        oldest = null;
        newest = null;
        active.setRelease(0);
        for (final ArrayDeque<HandshakeResult> backlog : backlogs)
        {
            for (final HandshakeResult result : backlog)
            {
                if (null != result.keys)
                {
                    result.keys.destroy();
                }
            }
            backlog.clear();
        }
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    private int flushBacklogs()
    {
        int workCount = 0;
        for (int i = 0; i < backlogs.length; i++)
        {
            final ArrayDeque<HandshakeResult> backlog = backlogs[i];
            HandshakeResult result;
            while (null != (result = backlog.peekFirst()) && resultQueues[i].offer(result))
            {
                backlog.pollFirst();
                workCount++;
            }
        }
        return workCount;
    }

    private int drainCommands()
    {
        // rotate the first worker served so one busy worker cannot starve the others of handshake time
        int workCount = 0;
        final int producers = commandRings.length;
        for (int n = 0; n < producers; n++)
        {
            producer = (firstProducer + n) % producers;
            if (backlogs[producer].isEmpty())
            {
                workCount += commandRings[producer].controlledRead(commandHandler, commandLimit);
            }
        }
        firstProducer = (firstProducer + 1) % producers;
        return workCount;
    }

    private int expireHandshakes()
    {
        int workCount = 0;
        while (null != oldest && oldest.deadlineNs - nowNs < 0)
        {
            final Flow flow = oldest;
            remove(flow);
            flow.engine.release();
            counters.get(EXPIRED).incrementRelease();
            emit(flow.producer, HandshakeResult.failed(
                flow.flowId, HandshakeFailureReason.EXPIRED, HandshakeEngine.NO_ALERT, HandshakeResult.NO_BYTES));
            workCount++;
        }
        return workCount;
    }

    private ControlledMessageHandler.Action onCommand(
        final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (!backlogs[producer].isEmpty())
        {
            return ControlledMessageHandler.Action.ABORT;
        }
        final long flowId = buffer.getLong(index + HandshakeCommand.FLOW_ID_OFFSET);
        final int bytesLength = length - HandshakeCommand.BYTES_OFFSET;
        try
        {
            switch (msgTypeId)
            {
                case HandshakeCommand.START:
                    buffer.getBytes(index + HandshakeCommand.BYTES_OFFSET, scratch, 0, bytesLength);
                    onStart(flowId, bytesLength);
                    break;
                case HandshakeCommand.CLIENT_BYTES:
                    buffer.getBytes(index + HandshakeCommand.BYTES_OFFSET, scratch, 0, bytesLength);
                    onClientBytes(flowId, bytesLength);
                    break;
                case HandshakeCommand.ABORT:
                    onAbort(flowId);
                    break;
                default:
                    onError(flowId, "unknown command type " + msgTypeId, null);
                    break;
            }
        }
        catch (final Throwable ex)
        {
            onError(flowId, "handshake command failed", ex);
            final Flow flow = flows.get(flowId);
            if (null != flow)
            {
                endFailed(flow, HandshakeFailureReason.INTERNAL_ERROR, HandshakeEngine.NO_ALERT,
                    HandshakeResult.NO_BYTES);
            }
            else if (HandshakeCommand.START == msgTypeId)
            {
                // the engine could not be made: the worker must still hear that its flow will not be served
                counters.get(FAILED).incrementRelease();
                emit(producer, HandshakeResult.failed(
                    flowId, HandshakeFailureReason.INTERNAL_ERROR, HandshakeEngine.NO_ALERT, HandshakeResult.NO_BYTES));
            }
        }
        return ControlledMessageHandler.Action.CONTINUE;
    }

    private void onStart(final long flowId, final int length)
    {
        if (flows.containsKey(flowId))
        {
            onError(flowId, "start of a flow already in handshake", null);
            return;
        }
        if (flows.size() >= maxConcurrentHandshakes)
        {
            counters.get(REFUSED_CAPACITY).incrementRelease();
            emit(producer, HandshakeResult.failed(
                flowId, HandshakeFailureReason.CAPACITY, HandshakeEngine.NO_ALERT, HandshakeResult.NO_BYTES));
            return;
        }
        final Flow flow = new Flow(flowId, producer, engineFactory.get(), nowNs + handshakeTimeoutNs);
        add(flow);
        counters.get(STARTED).incrementRelease();
        onFlowBytes(flow, length);
    }

    private void onClientBytes(final long flowId, final int length)
    {
        final Flow flow = flows.get(flowId);
        if (null == flow)
        {
            // completed (these are the record layer's), or failed, aborted, expired: the worker knows which
            counters.get(RETURNED).incrementRelease();
            emit(producer, HandshakeResult.returned(flowId, Arrays.copyOf(scratch, length)));
            return;
        }
        onFlowBytes(flow, length);
    }

    private void onAbort(final long flowId)
    {
        final Flow flow = flows.get(flowId);
        if (null != flow)
        {
            remove(flow);
            flow.engine.release();
            counters.get(ABORTED).incrementRelease();
        }
    }

    private void onFlowBytes(final Flow flow, final int length)
    {
        final HandshakeEngine engine = flow.engine;
        final int consumed = engine.offer(scratch, 0, length);
        flow.clientHandshakeBytes += consumed;
        if (engine.isComplete())
        {
            // TLS 1.2: BC's ChangeCipherSpec and Finished come out after the completion
            emitOutput(flow);
            final NegotiatedKeys keys = engine.takeKeys();
            remove(flow);
            engine.release();
            counters.get(COMPLETED).incrementRelease();
            emit(flow.producer, HandshakeResult.complete(flow.flowId, keys, flow.clientHandshakeBytes));
            if (consumed < length)
            {
                counters.get(RETURNED).incrementRelease();
                final byte[] trailing = Arrays.copyOfRange(scratch, consumed, length);
                emit(flow.producer, HandshakeResult.returned(flow.flowId, trailing));
            }
        }
        else if (engine.isFailed())
        {
            final boolean peerAlert = engine.alert() == HandshakeEngine.NO_ALERT &&
                engine.peerAlert() != HandshakeEngine.NO_ALERT;
            endFailed(flow,
                peerAlert ? HandshakeFailureReason.PEER_ALERT : HandshakeFailureReason.PROTOCOL_ERROR,
                peerAlert ? engine.peerAlert() : engine.alert(),
                readOutput(engine));
        }
        else
        {
            emitOutput(flow);
        }
    }

    private void endFailed(
        final Flow flow, final HandshakeFailureReason reason, final int alertDescription, final byte[] bytes)
    {
        remove(flow);
        flow.engine.release();
        counters.get(FAILED).incrementRelease();
        emit(flow.producer, HandshakeResult.failed(flow.flowId, reason, alertDescription, bytes));
    }

    private void emitOutput(final Flow flow)
    {
        final byte[] output = readOutput(flow.engine);
        if (output.length > 0)
        {
            emit(flow.producer, HandshakeResult.output(flow.flowId, output));
        }
    }

    private static byte[] readOutput(final HandshakeEngine engine)
    {
        final int pending = engine.pendingOutput();
        if (0 == pending)
        {
            return HandshakeResult.NO_BYTES;
        }
        final byte[] output = new byte[pending];
        final int read = engine.readOutput(output, 0, pending);
        return read == pending ? output : Arrays.copyOf(output, read);
    }

    private void emit(final int producerIndex, final HandshakeResult result)
    {
        final ArrayDeque<HandshakeResult> backlog = backlogs[producerIndex];
        if (!backlog.isEmpty() || !resultQueues[producerIndex].offer(result))
        {
            backlog.addLast(result);
        }
    }

    private void onError(final long flowId, final String message, final Throwable ex)
    {
        counters.get(ERRORS).incrementRelease();
        if (nowNs - nextErrorLogNs >= 0)
        {
            LOG.log(WARNING, roleName + ": " + message + " (flow " + flowId + ", " + suppressedErrors +
                " similar errors not logged)", ex);
            suppressedErrors = 0;
            nextErrorLogNs = nowNs + ERROR_LOG_INTERVAL_NS;
        }
        else
        {
            suppressedErrors++;
        }
    }

    /** Appends to the deadline list: every deadline is its start plus the same timeout, so start order is enough. */
    private void add(final Flow flow)
    {
        flows.put(flow.flowId, flow);
        flow.previous = newest;
        if (null == newest)
        {
            oldest = flow;
        }
        else
        {
            newest.next = flow;
        }
        newest = flow;
        active.setRelease(flows.size());
    }

    private void remove(final Flow flow)
    {
        flows.remove(flow.flowId);
        if (null == flow.previous)
        {
            oldest = flow.next;
        }
        else
        {
            flow.previous.next = flow.next;
        }
        if (null == flow.next)
        {
            newest = flow.previous;
        }
        else
        {
            flow.next.previous = flow.previous;
        }
        flow.previous = null;
        flow.next = null;
        active.setRelease(flows.size());
    }

    /** One flow in handshake, linked in deadline order. */
    private static final class Flow
    {
        final long flowId;
        final int producer;
        final HandshakeEngine engine;
        final long deadlineNs;
        long clientHandshakeBytes;
        Flow previous;
        Flow next;

        Flow(final long flowId, final int producer, final HandshakeEngine engine, final long deadlineNs)
        {
            this.flowId = flowId;
            this.producer = producer;
            this.engine = engine;
            this.deadlineNs = deadlineNs;
        }
    }
}
