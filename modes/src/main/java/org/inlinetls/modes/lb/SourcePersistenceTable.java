package org.inlinetls.modes.lb;

import java.util.Arrays;

import org.agrona.BitUtil;

/**
 * Persistence by client address: remembers which backend each recent client was sent to, so its next flows go
 * there too, whatever the pool's algorithm.
 * <p>
 * A bounded table allocated once: open addressing over {@code capacity} slots (a power of two), each key looked for
 * in a window of {@link #PROBE_WINDOW} slots from its hash. An entry lives until its client has been silent for the
 * idle timeout; when a window is full the entry idle longest is replaced, so a flood of new clients costs old ones
 * their stickiness, never memory. One data-path thread owns it; nothing allocates or locks.
 * <p>
 * Why a table rather than deriving persistence from {@link BalancingAlgorithm#SOURCE_HASH}: the table keeps clients
 * sticky under any algorithm (round robin, least connections), and a client moved to another backend while its
 * own was down stays on the new one when the old one returns, where a pure hash would move it back and break its
 * session a second time. A remembered backend that is down is ignored ({@link BackendPool#pickPreferring}) and the
 * entry overwritten by the new choice.
 */
public final class SourcePersistenceTable
{
    /** Slots searched per key: the bound on the work of one lookup. */
    public static final int PROBE_WINDOW = 8;

    private final long[] keys;
    private final int[] backendIds;
    private final long[] lastSeenNs;
    private final int mask;
    private final long idleTimeoutNs;
    private int size;

    /**
     * @param maxClients    the most clients remembered, rounded up to a power of two (at least {@link #PROBE_WINDOW}).
     * @param idleTimeoutNs how long a client is remembered after its last new flow.
     */
    public SourcePersistenceTable(final int maxClients, final long idleTimeoutNs)
    {
        if (maxClients < 1 || maxClients > 1 << 26)
        {
            throw new IllegalArgumentException("maxClients must be within 1.." + (1 << 26) + ": " + maxClients);
        }
        if (idleTimeoutNs <= 0)
        {
            throw new IllegalArgumentException("idleTimeoutNs must be positive: " + idleTimeoutNs);
        }
        final int capacity = BitUtil.findNextPositivePowerOfTwo(Math.max(maxClients, PROBE_WINDOW));
        keys = new long[capacity];
        backendIds = new int[capacity];
        lastSeenNs = new long[capacity];
        Arrays.fill(backendIds, BackendPool.NONE);
        mask = capacity - 1;
        this.idleTimeoutNs = idleTimeoutNs;
    }

    public int capacity()
    {
        return keys.length;
    }

    /** Entries held, counting ones that have expired but were not yet replaced. */
    public int size()
    {
        return size;
    }

    /**
     * The backend remembered for the client, or {@link BackendPool#NONE} when it is unknown or was idle too long.
     * Does not refresh the entry: {@link #remember} does, once the flow is placed.
     */
    public int lookup(final long clientKey, final long nowNs)
    {
        final int start = slotOf(clientKey);
        for (int i = 0; i < PROBE_WINDOW; i++)
        {
            final int slot = (start + i) & mask;
            if (backendIds[slot] != BackendPool.NONE && keys[slot] == clientKey)
            {
                return nowNs - lastSeenNs[slot] - idleTimeoutNs < 0 ? backendIds[slot] : BackendPool.NONE;
            }
        }
        return BackendPool.NONE;
    }

    /** Records (or refreshes) that the client's new flow went to {@code backendId}. */
    public void remember(final long clientKey, final int backendId, final long nowNs)
    {
        final int start = slotOf(clientKey);
        int victim = -1;
        for (int i = 0; i < PROBE_WINDOW; i++)
        {
            final int slot = (start + i) & mask;
            if (backendIds[slot] == BackendPool.NONE)
            {
                if (victim < 0 || backendIds[victim] != BackendPool.NONE)
                {
                    victim = slot;
                }
                continue;
            }
            if (keys[slot] == clientKey)
            {
                backendIds[slot] = backendId;
                lastSeenNs[slot] = nowNs;
                return;
            }
            if (victim < 0 || (backendIds[victim] != BackendPool.NONE && lastSeenNs[slot] - lastSeenNs[victim] < 0))
            {
                victim = slot;
            }
        }
        if (backendIds[victim] == BackendPool.NONE)
        {
            size++;
        }
        keys[victim] = clientKey;
        backendIds[victim] = backendId;
        lastSeenNs[victim] = nowNs;
    }

    /** Forgets every client sent to {@code backendId} (e.g. the backend was removed by a reload). */
    public void forgetBackend(final int backendId)
    {
        for (int slot = 0; slot < backendIds.length; slot++)
        {
            if (backendIds[slot] == backendId)
            {
                backendIds[slot] = BackendPool.NONE;
                size--;
            }
        }
    }

    private int slotOf(final long clientKey)
    {
        return (int)BackendPool.mix64(clientKey) & mask;
    }
}
