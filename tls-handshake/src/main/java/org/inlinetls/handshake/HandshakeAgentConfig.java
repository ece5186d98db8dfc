package org.inlinetls.handshake;

import org.agrona.BitUtil;

import java.util.concurrent.TimeUnit;

/**
 * The bounds of one {@link HandshakeAgent}: how many workers feed it, queue sizes, concurrent handshakes and the
 * handshake deadline. Mutable until handed to the agent, which copies the values.
 */
public final class HandshakeAgentConfig
{
    public static final String DEFAULT_ROLE_NAME = "handshake";
    public static final int DEFAULT_PRODUCER_COUNT = 1;
    public static final int DEFAULT_MAX_CONCURRENT_HANDSHAKES = 1024;
    public static final long DEFAULT_HANDSHAKE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    /** 256 KiB: a 32 KiB segment fits in one command; longer offers are split. */
    public static final int DEFAULT_COMMAND_QUEUE_CAPACITY_BYTES = 256 * 1024;
    public static final int DEFAULT_RESULT_QUEUE_CAPACITY = 1024;
    public static final int DEFAULT_COMMAND_LIMIT = 16;

    private String roleName = DEFAULT_ROLE_NAME;
    private int producerCount = DEFAULT_PRODUCER_COUNT;
    private int maxConcurrentHandshakes = DEFAULT_MAX_CONCURRENT_HANDSHAKES;
    private long handshakeTimeoutNs = DEFAULT_HANDSHAKE_TIMEOUT_NS;
    private int commandQueueCapacityBytes = DEFAULT_COMMAND_QUEUE_CAPACITY_BYTES;
    private int resultQueueCapacity = DEFAULT_RESULT_QUEUE_CAPACITY;
    private int commandLimit = DEFAULT_COMMAND_LIMIT;

    /** The agent's role name: {@code handshake}, or {@code handshake-N} when there are several. */
    public String roleName()
    {
        return roleName;
    }

    public HandshakeAgentConfig roleName(final String roleName)
    {
        this.roleName = roleName;
        return this;
    }

    /** How many worker threads feed the agent: each gets its own {@link HandshakeProxy} and pair of queues. */
    public int producerCount()
    {
        return producerCount;
    }

    public HandshakeAgentConfig producerCount(final int producerCount)
    {
        this.producerCount = producerCount;
        return this;
    }

    /** New flows beyond this many handshakes in progress are refused. */
    public int maxConcurrentHandshakes()
    {
        return maxConcurrentHandshakes;
    }

    public HandshakeAgentConfig maxConcurrentHandshakes(final int maxConcurrentHandshakes)
    {
        this.maxConcurrentHandshakes = maxConcurrentHandshakes;
        return this;
    }

    /** How long a handshake may take from its first byte; an idle or slow flow is dropped at this deadline. */
    public long handshakeTimeoutNs()
    {
        return handshakeTimeoutNs;
    }

    public HandshakeAgentConfig handshakeTimeoutNs(final long handshakeTimeoutNs)
    {
        this.handshakeTimeoutNs = handshakeTimeoutNs;
        return this;
    }

    /** Bytes of each worker's command ring (a power of two); one command carries up to an eighth of it. */
    public int commandQueueCapacityBytes()
    {
        return commandQueueCapacityBytes;
    }

    public HandshakeAgentConfig commandQueueCapacityBytes(final int commandQueueCapacityBytes)
    {
        this.commandQueueCapacityBytes = commandQueueCapacityBytes;
        return this;
    }

    /** Results each worker's result queue holds (rounded up to a power of two). */
    public int resultQueueCapacity()
    {
        return resultQueueCapacity;
    }

    public HandshakeAgentConfig resultQueueCapacity(final int resultQueueCapacity)
    {
        this.resultQueueCapacity = resultQueueCapacity;
        return this;
    }

    /** Most commands taken from one worker per duty cycle (a ClientHello costs a signature: about 0.3 ms). */
    public int commandLimit()
    {
        return commandLimit;
    }

    public HandshakeAgentConfig commandLimit(final int commandLimit)
    {
        this.commandLimit = commandLimit;
        return this;
    }

    /**
     * Checks every bound.
     *
     * @throws IllegalArgumentException naming the first field out of range.
     */
    public HandshakeAgentConfig validate()
    {
        if (null == roleName || roleName.isEmpty())
        {
            throw new IllegalArgumentException("roleName must be set");
        }
        requirePositive("producerCount", producerCount);
        requirePositive("maxConcurrentHandshakes", maxConcurrentHandshakes);
        requirePositive("handshakeTimeoutNs", handshakeTimeoutNs);
        requirePositive("resultQueueCapacity", resultQueueCapacity);
        requirePositive("commandLimit", commandLimit);
        if (!BitUtil.isPowerOfTwo(commandQueueCapacityBytes) || commandQueueCapacityBytes < 1024)
        {
            throw new IllegalArgumentException(
                "commandQueueCapacityBytes must be a power of two of at least 1024: " + commandQueueCapacityBytes);
        }
        return this;
    }

    @Override
    public String toString()
    {
        return "HandshakeAgentConfig{roleName=" + roleName + ", producerCount=" + producerCount +
            ", maxConcurrentHandshakes=" + maxConcurrentHandshakes + ", handshakeTimeoutNs=" + handshakeTimeoutNs +
            ", commandQueueCapacityBytes=" + commandQueueCapacityBytes + ", resultQueueCapacity=" +
            resultQueueCapacity + ", commandLimit=" + commandLimit + "}";
    }

    private static void requirePositive(final String field, final long value)
    {
        if (value <= 0)
        {
            throw new IllegalArgumentException(field + " must be positive: " + value);
        }
    }
}
