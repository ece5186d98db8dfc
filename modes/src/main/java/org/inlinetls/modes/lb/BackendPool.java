package org.inlinetls.modes.lb;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.util.List;

import org.agrona.DirectBuffer;

/**
 * The backends of one load-balanced service as one data-path thread sees them: picks the backend of each new flow
 * and counts the flows open to each.
 * <p>
 * {@link #pick(long)}, {@link #onFlowOpened(int)} and {@link #onFlowClosed(int)} belong to one data-path thread:
 * they allocate nothing and take no lock. Health comes from a {@link BackendHealth} written by the health checker's
 * thread; several pools (one per worker thread) may share one. Connection counts are per pool, so with several
 * workers {@link BalancingAlgorithm#LEAST_CONNECTIONS} balances each worker's share of the flows.
 * <p>
 * When {@link #pick(long)} returns {@link #NONE} (no backend is up) the caller resets the flow: a RST to the
 * client's SYN, counted, never a silent drop that would leave the client retrying into nothing.
 * <p>
 * Usage on a client's SYN: {@code id = pool.pickPreferring(persisted, clientKey)}, where {@code persisted} comes
 * from a {@link SourcePersistenceTable} or {@link CookieScanner} (or is {@link #NONE}); then, once the flow exists,
 * {@link #onFlowOpened(int)} and record {@link BackendHealth#stamp(int)}; at its end {@link #onFlowClosed(int)}.
 */
public final class BackendPool
{
    /** No backend: none is up, or a lookup found nothing. */
    public static final int NONE = -1;

    private final List<Backend> backends;
    private final BalancingAlgorithm algorithm;
    private final BackendHealth health;
    private final int[] ipv4Addresses;
    private final int[] ports;

    final int[] weights;
    final int[] currentWeights;
    final int[] openFlows;
    final long[] seeds;
    final boolean uniformWeights;
    int cursor;

    public BackendPool(final List<Backend> backends, final BalancingAlgorithm algorithm, final BackendHealth health)
    {
        if (backends.isEmpty())
        {
            throw new IllegalArgumentException("a pool needs at least one backend");
        }
        if (health.backendCount() != backends.size())
        {
            throw new IllegalArgumentException("health of " + health.backendCount() + " backends for a pool of " +
                backends.size());
        }
        this.backends = List.copyOf(backends);
        this.algorithm = algorithm;
        this.health = health;
        final int count = backends.size();
        ipv4Addresses = new int[count];
        ports = new int[count];
        weights = new int[count];
        currentWeights = new int[count];
        openFlows = new int[count];
        seeds = new long[count];
        boolean uniform = true;
        for (int id = 0; id < count; id++)
        {
            final Backend backend = backends.get(id);
            final InetSocketAddress address = backend.address();
            final byte[] ip = address.getAddress().getAddress();
            ipv4Addresses[id] = address.getAddress() instanceof Inet4Address ?
                (ip[0] & 0xFF) << 24 | (ip[1] & 0xFF) << 16 | (ip[2] & 0xFF) << 8 | (ip[3] & 0xFF) : 0;
            ports[id] = address.getPort();
            weights[id] = backend.weight();
            uniform &= backend.weight() == backends.get(0).weight();
            seeds[id] = seedOf(ip, address.getPort());
        }
        uniformWeights = uniform;
    }

    public int backendCount()
    {
        return weights.length;
    }

    public BalancingAlgorithm algorithm()
    {
        return algorithm;
    }

    public BackendHealth health()
    {
        return health;
    }

    /** The configured backend {@code id} (control path: logs, metrics). */
    public Backend backend(final int id)
    {
        return backends.get(id);
    }

    /** The backend's IPv4 address as an int in network order, 0 for an IPv6 backend. */
    public int ipv4Address(final int id)
    {
        return ipv4Addresses[id];
    }

    /** The backend's plain-HTTP port. */
    public int port(final int id)
    {
        return ports[id];
    }

    public boolean isUp(final int id)
    {
        return health.isUp(id);
    }

    /** Flows this pool counts as open to backend {@code id}. */
    public int openFlows(final int id)
    {
        return openFlows[id];
    }

    /**
     * The backend of a new flow by the pool's algorithm.
     *
     * @param clientKey the client's address as {@link #clientKey(int)} or {@link #clientKey(DirectBuffer, int)}
     *                  makes it; only {@link BalancingAlgorithm#SOURCE_HASH} reads it.
     * @return the backend id, or {@link #NONE} when no backend is up (reset the flow).
     */
    public int pick(final long clientKey)
    {
        return algorithm.pick(this, clientKey);
    }

    /** {@code preferredId} when it is a backend that is up (persistence), otherwise {@link #pick(long)}. */
    public int pickPreferring(final int preferredId, final long clientKey)
    {
        if (preferredId >= 0 && preferredId < weights.length && health.isUp(preferredId))
        {
            return preferredId;
        }
        return pick(clientKey);
    }

    /** A flow to backend {@code id} now exists. */
    public void onFlowOpened(final int id)
    {
        openFlows[id]++;
    }

    /** A flow to backend {@code id} ended (closed, reset or expired); each opened flow closes exactly once. */
    public void onFlowClosed(final int id)
    {
        if (openFlows[id] > 0)
        {
            openFlows[id]--;
        }
    }

    /** The key of an IPv4 client address (an int in network order). */
    public static long clientKey(final int ipv4Address)
    {
        return ipv4Address & 0xFFFF_FFFFL;
    }

    /** The key of an IPv6 client address: its 16 bytes at {@code offset}, folded. */
    public static long clientKey(final DirectBuffer buffer, final int offset)
    {
        final long high = buffer.getLong(offset, ByteOrder.BIG_ENDIAN);
        final long low = buffer.getLong(offset + 8, ByteOrder.BIG_ENDIAN);
        return mix64(high) ^ low ^ (1L << 63);
    }

    /** The finaliser of MurmurHash3 (64-bit): every input bit flips about half of the output bits. */
    static long mix64(final long value)
    {
        long h = value;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    private static long seedOf(final byte[] ip, final int port)
    {
        long seed = port;
        for (final byte b : ip)
        {
            seed = mix64(seed * 31 + (b & 0xFF));
        }
        return mix64(seed ^ ip.length);
    }
}
