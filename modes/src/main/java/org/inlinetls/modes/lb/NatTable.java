package org.inlinetls.modes.lb;

import java.util.Arrays;

import org.agrona.collections.Long2LongHashMap;
import org.inlinetls.seqdb.FlowKey;

/**
 * The NAT mappings of the load-balancing mode: for each client flow to a virtual address, the backend it was sent
 * to; preallocated, primitive-keyed, one data-path thread.
 * <p>
 * A mapping lives in a slot of parallel arrays and is found two ways:
 * <ul>
 *   <li>by its <em>client leg</em>, client ip:port to VIP:port (the frames the client sends), keyed by the flow id of
 *   that 4-tuple ({@link FlowKey#ipv4Id});</li>
 *   <li>by its <em>engine flow</em>, client ip:port to backend ip:VIP port: the flow as the direct engine sees it once
 *   the destination is rewritten, keyed by the engine's own flow id (same function, same seed), which is also what
 *   the engine reports when the flow ends.</li>
 * </ul>
 * Both keys are 64-bit hashes; every hit is checked against the slot's fields, so a hash collision is a refused
 * {@link #add} ({@link #CONFLICT}), never a wrong mapping. Nothing is allocated after construction: the index maps
 * are sized so they never grow.
 */
final class NatTable
{
    /** {@link #add}: every slot is in use. */
    static final int FULL = -1;
    /** {@link #add}: another mapping has the same client leg or engine flow (or a hash of one collides). */
    static final int CONFLICT = -2;
    /** No mapping. */
    static final int NONE = -1;

    private static final long MISSING = -1L;

    private final long seed;
    private final int[] clientIps;
    private final int[] clientPorts;
    private final int[] vips;
    private final int[] vipPorts;
    private final int[] backendIps;
    private final int[] serviceIndexes;
    private final int[] backendIds;
    private final int[] stamps;
    private final long[] clientLegIds;
    private final long[] engineFlowIds;
    private final long[] lastSeenNs;
    private final int[] freeSlots;
    private int freeCount;
    private final Long2LongHashMap byClientLeg;
    private final Long2LongHashMap byEngineFlow;

    /**
     * @param capacity the most mappings at once (flows in flight through all virtual addresses).
     * @param seed     the journal's flow-id seed, so engine flow ids here equal the engine's.
     */
    NatTable(final int capacity, final long seed)
    {
        if (capacity < 1 || capacity > 1 << 24)
        {
            throw new IllegalArgumentException("capacity must be within 1.." + (1 << 24) + ": " + capacity);
        }
        this.seed = seed;
        clientIps = new int[capacity];
        clientPorts = new int[capacity];
        vips = new int[capacity];
        vipPorts = new int[capacity];
        backendIps = new int[capacity];
        serviceIndexes = new int[capacity];
        backendIds = new int[capacity];
        stamps = new int[capacity];
        clientLegIds = new long[capacity];
        engineFlowIds = new long[capacity];
        lastSeenNs = new long[capacity];
        Arrays.fill(serviceIndexes, NONE);
        freeSlots = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            freeSlots[i] = capacity - 1 - i;
        }
        freeCount = capacity;
        // twice the capacity at load factor 0.5: the maps never reach their resize threshold
        byClientLeg = new Long2LongHashMap(2 * capacity, 0.5f, MISSING);
        byEngineFlow = new Long2LongHashMap(2 * capacity, 0.5f, MISSING);
    }

    int capacity()
    {
        return clientIps.length;
    }

    int size()
    {
        return clientIps.length - freeCount;
    }

    /** The id the direct engine gives the flow client ip:port to backend ip:port. */
    long engineFlowId(final int clientIp, final int clientPort, final int backendIp, final int port)
    {
        return FlowKey.ipv4Id(seed, clientIp, clientPort, backendIp, port);
    }

    /**
     * Records a mapping.
     *
     * @return its slot, {@link #FULL} or {@link #CONFLICT}.
     */
    int add(final int clientIp, final int clientPort, final int vip, final int vipPort, final int serviceIndex,
        final int backendId, final int backendIp, final int stamp, final long nowNs)
    {
        if (0 == freeCount)
        {
            return FULL;
        }
        final long clientLeg = FlowKey.ipv4Id(seed, clientIp, clientPort, vip, vipPort);
        final long engineFlow = engineFlowId(clientIp, clientPort, backendIp, vipPort);
        if (byClientLeg.containsKey(clientLeg) || byEngineFlow.containsKey(engineFlow))
        {
            return CONFLICT;
        }
        final int slot = freeSlots[--freeCount];
        clientIps[slot] = clientIp;
        clientPorts[slot] = clientPort;
        vips[slot] = vip;
        vipPorts[slot] = vipPort;
        backendIps[slot] = backendIp;
        serviceIndexes[slot] = serviceIndex;
        backendIds[slot] = backendId;
        stamps[slot] = stamp;
        clientLegIds[slot] = clientLeg;
        engineFlowIds[slot] = engineFlow;
        lastSeenNs[slot] = nowNs;
        byClientLeg.put(clientLeg, slot);
        byEngineFlow.put(engineFlow, slot);
        return slot;
    }

    /** The mapping of a frame the client sent to a virtual address, or {@link #NONE}. */
    int findByClientLeg(final int clientIp, final int clientPort, final int vip, final int vipPort)
    {
        final long found = byClientLeg.get(FlowKey.ipv4Id(seed, clientIp, clientPort, vip, vipPort));
        if (MISSING == found)
        {
            return NONE;
        }
        final int slot = (int)found;
        return clientIps[slot] == clientIp && clientPorts[slot] == clientPort && vips[slot] == vip &&
            vipPorts[slot] == vipPort ? slot : NONE;
    }

    /** The mapping of a frame the engine sends the client from backend ip:port, or {@link #NONE}. */
    int findByEngineFlow(final int clientIp, final int clientPort, final int backendIp, final int port)
    {
        final long found = byEngineFlow.get(engineFlowId(clientIp, clientPort, backendIp, port));
        if (MISSING == found)
        {
            return NONE;
        }
        final int slot = (int)found;
        return clientIps[slot] == clientIp && clientPorts[slot] == clientPort && backendIps[slot] == backendIp &&
            vipPorts[slot] == port ? slot : NONE;
    }

    /** The mapping of the engine flow with this id (the engine told that it ended), or {@link #NONE}. */
    int findByEngineFlowId(final long engineFlowId)
    {
        final long found = byEngineFlow.get(engineFlowId);
        return MISSING == found ? NONE : (int)found;
    }

    /** Forgets a mapping; its slot is free again. */
    void remove(final int slot)
    {
        if (serviceIndexes[slot] == NONE)
        {
            return;
        }
        byClientLeg.remove(clientLegIds[slot]);
        byEngineFlow.remove(engineFlowIds[slot]);
        serviceIndexes[slot] = NONE;
        freeSlots[freeCount++] = slot;
    }

    boolean isUsed(final int slot)
    {
        return serviceIndexes[slot] != NONE;
    }

    void touch(final int slot, final long nowNs)
    {
        lastSeenNs[slot] = nowNs;
    }

    long lastSeenNs(final int slot)
    {
        return lastSeenNs[slot];
    }

    int serviceIndex(final int slot)
    {
        return serviceIndexes[slot];
    }

    int backendId(final int slot)
    {
        return backendIds[slot];
    }

    int backendIp(final int slot)
    {
        return backendIps[slot];
    }

    int vip(final int slot)
    {
        return vips[slot];
    }

    int vipPort(final int slot)
    {
        return vipPorts[slot];
    }

    int clientIp(final int slot)
    {
        return clientIps[slot];
    }

    int clientPort(final int slot)
    {
        return clientPorts[slot];
    }

    /** The backend's health stamp when the flow opened ({@link BackendHealth#isCurrent}). */
    int stamp(final int slot)
    {
        return stamps[slot];
    }

    long engineFlowId(final int slot)
    {
        return engineFlowIds[slot];
    }
}
