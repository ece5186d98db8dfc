package org.inlinetls.modes.direct;

import org.agrona.collections.Long2LongHashMap;

/**
 * Flows that closed cleanly moments ago, with the last sequence numbers of both legs: the engine's TIME-WAIT.
 * <p>
 * A flow leaves the engine and the journal a short linger after both FINs were acknowledged, but the ACK of a FIN
 * can be lost on its way to the end that sent it: that end (a server in LAST-ACK, with a retransmission timeout
 * grown by earlier losses) resends its FIN seconds later. Without a record of the flow the engine would take the FIN
 * for a segment of no connection and answer with a RST, so the server would end in a reset instead of a close. With
 * one, the FIN gets the flow's last ACK, translated into that leg's sequence space, as the peer in TIME-WAIT would
 * answer it (RFC 9293 §3.10.7.4).
 * <p>
 * A fixed-capacity ring of primitive slots in closing order, indexed by flow id: nothing is allocated after
 * construction. When the ring is full the oldest record is dropped early (its late segments get a RST, as without
 * the table). Records expire after {@code keepNs}; a SYN of the same four-tuple starts a new flow and removes the
 * record. One owning thread, the engine's.
 */
final class ClosedFlows
{
    private static final long NO_SLOT = -1;
    private static final long FREE = 0;

    private final long keepNs;
    private final Long2LongHashMap slotById;
    private final long[] ids;
    private final long[] expiresNs;
    private final int[] seqToServer;
    private final int[] ackToServer;
    private final int[] windowToServer;
    private final int[] tsvalToServer;
    private final int[] seqToClient;
    private final int[] ackToClient;
    private final int[] windowToClient;
    private final int[] tsvalToClient;
    private final boolean[] timestamps;
    private int oldest;
    private int count;

    /**
     * @param capacity records held at most (the oldest goes first).
     * @param keepNs   how long a record answers late segments.
     */
    ClosedFlows(final int capacity, final long keepNs)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        this.keepNs = keepNs;
        this.slotById = new Long2LongHashMap(capacity * 2, 0.65f, NO_SLOT);
        this.ids = new long[capacity];
        this.expiresNs = new long[capacity];
        this.seqToServer = new int[capacity];
        this.ackToServer = new int[capacity];
        this.windowToServer = new int[capacity];
        this.tsvalToServer = new int[capacity];
        this.seqToClient = new int[capacity];
        this.ackToClient = new int[capacity];
        this.windowToClient = new int[capacity];
        this.tsvalToClient = new int[capacity];
        this.timestamps = new boolean[capacity];
    }

    /**
     * Records a flow that closed cleanly. {@code id} must not be {@link #FREE} (flow ids are hashes: a zero id is
     * simply not recorded).
     *
     * @param windowToServer the window field to put in ACKs to the server (already scaled).
     * @param windowToClient the window field to put in ACKs to the client (already scaled).
     */
    void add(final long id, final int seqToServer, final int ackToServer, final int windowToServer,
        final int tsvalToServer, final int seqToClient, final int ackToClient, final int windowToClient,
        final int tsvalToClient, final boolean timestamps, final long nowNs)
    {
        if (id == FREE)
        {
            return;
        }
        remove(id);
        if (count == ids.length)
        {
            dropOldest();
        }
        final int slot = (oldest + count) % ids.length;
        ids[slot] = id;
        expiresNs[slot] = nowNs + keepNs;
        this.seqToServer[slot] = seqToServer;
        this.ackToServer[slot] = ackToServer;
        this.windowToServer[slot] = windowToServer;
        this.tsvalToServer[slot] = tsvalToServer;
        this.seqToClient[slot] = seqToClient;
        this.ackToClient[slot] = ackToClient;
        this.windowToClient[slot] = windowToClient;
        this.tsvalToClient[slot] = tsvalToClient;
        this.timestamps[slot] = timestamps;
        slotById.put(id, slot);
        count++;
    }

    /** @return the record's slot, or -1 when there is none (or it expired: then it is dropped). */
    int find(final long id, final long nowNs)
    {
        final long slot = slotById.get(id);
        if (slot == NO_SLOT)
        {
            return -1;
        }
        final int at = (int)slot;
        if (nowNs - expiresNs[at] >= 0)
        {
            remove(id);
            return -1;
        }
        return at;
    }

    /** Forgets a flow's record (a SYN opens the four-tuple again, or a RST ended it). */
    void remove(final long id)
    {
        final long slot = slotById.remove(id);
        if (slot != NO_SLOT)
        {
            ids[(int)slot] = FREE; // the ring skips it when it comes to it
        }
    }

    /** Drops the records whose time is over; called from the engine's sweep. */
    void expire(final long nowNs)
    {
        while (count > 0 && (ids[oldest] == FREE || nowNs - expiresNs[oldest] >= 0))
        {
            dropOldest();
        }
    }

    /** Records held (freed slots not yet passed by the ring included). */
    int size()
    {
        return slotById.size();
    }

    int seqToServer(final int slot)
    {
        return seqToServer[slot];
    }

    int ackToServer(final int slot)
    {
        return ackToServer[slot];
    }

    int windowToServer(final int slot)
    {
        return windowToServer[slot];
    }

    int tsvalToServer(final int slot)
    {
        return tsvalToServer[slot];
    }

    int seqToClient(final int slot)
    {
        return seqToClient[slot];
    }

    int ackToClient(final int slot)
    {
        return ackToClient[slot];
    }

    int windowToClient(final int slot)
    {
        return windowToClient[slot];
    }

    int tsvalToClient(final int slot)
    {
        return tsvalToClient[slot];
    }

    boolean timestamps(final int slot)
    {
        return timestamps[slot];
    }

    private void dropOldest()
    {
        final long id = ids[oldest];
        if (id != FREE)
        {
            slotById.remove(id);
            ids[oldest] = FREE;
        }
        oldest = (oldest + 1) % ids.length;
        count--;
    }
}
