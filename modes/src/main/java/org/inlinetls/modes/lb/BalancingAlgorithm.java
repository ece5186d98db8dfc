package org.inlinetls.modes.lb;

/**
 * How a {@link BackendPool} chooses the backend of a new flow among the backends that are up.
 * <p>
 * Each constant reads and updates the pool's selection state; all run on the pool's data-path thread, allocate
 * nothing and return {@link BackendPool#NONE} when no backend is up.
 */
public enum BalancingAlgorithm
{
    /** Each backend in turn, skipping the ones that are down; weights are ignored. */
    ROUND_ROBIN
    {
        @Override
        int pick(final BackendPool pool, final long clientKey)
        {
            final int count = pool.backendCount();
            int cursor = pool.cursor;
            for (int tries = 0; tries < count; tries++)
            {
                final int id = cursor;
                cursor = cursor + 1 == count ? 0 : cursor + 1;
                if (pool.isUp(id))
                {
                    pool.cursor = cursor;
                    return id;
                }
            }
            pool.cursor = cursor;
            return BackendPool.NONE;
        }
    },

    /**
     * Smooth weighted round robin as nginx does it: every pick adds each up backend's weight to its running score,
     * takes the highest score and subtracts the total weight from it. Over any run of {@code sum(weights)} picks
     * each backend gets exactly its weight, interleaved rather than in bursts (weights 5,1,1 give a a b a c a a).
     */
    WEIGHTED
    {
        @Override
        int pick(final BackendPool pool, final long clientKey)
        {
            final int[] current = pool.currentWeights;
            final int[] weights = pool.weights;
            int best = BackendPool.NONE;
            int total = 0;
            for (int id = 0; id < weights.length; id++)
            {
                if (!pool.isUp(id))
                {
                    continue;
                }
                current[id] += weights[id];
                total += weights[id];
                if (best == BackendPool.NONE || current[id] > current[best])
                {
                    best = id;
                }
            }
            if (best != BackendPool.NONE)
            {
                current[best] -= total;
            }
            return best;
        }
    },

    /**
     * The backend with the fewest open flows of this pool relative to its weight (connections / weight); ties go
     * round robin, so an idle pool spreads new flows evenly instead of piling them on the first backend.
     */
    LEAST_CONNECTIONS
    {
        @Override
        int pick(final BackendPool pool, final long clientKey)
        {
            final int count = pool.backendCount();
            final int[] open = pool.openFlows;
            final int[] weights = pool.weights;
            int best = BackendPool.NONE;
            int id = pool.cursor;
            for (int tries = 0; tries < count; tries++)
            {
                // open[id] / weights[id] < open[best] / weights[best], without division
                if (pool.isUp(id) && (best == BackendPool.NONE ||
                    (long)open[id] * weights[best] < (long)open[best] * weights[id]))
                {
                    best = id;
                }
                id = id + 1 == count ? 0 : id + 1;
            }
            if (best != BackendPool.NONE)
            {
                pool.cursor = best + 1 == count ? 0 : best + 1;
            }
            return best;
        }
    },

    /**
     * A hash of the client's address (weighted rendezvous hashing): each client scores every backend by a hash of
     * (client, backend address) scaled by the backend's weight and takes the highest. A client keeps its backend
     * for as long as that backend is up; when one goes down only its own clients move (each to its second-best
     * backend), and when it comes back exactly those return. Scores depend on backend addresses, not their order in
     * the file, so reordering the configuration moves nobody.
     */
    SOURCE_HASH
    {
        @Override
        int pick(final BackendPool pool, final long clientKey)
        {
            final long client = BackendPool.mix64(clientKey);
            final long[] seeds = pool.seeds;
            int best = BackendPool.NONE;
            if (pool.uniformWeights)
            {
                long bestHash = 0;
                for (int id = 0; id < seeds.length; id++)
                {
                    final long hash = BackendPool.mix64(client ^ seeds[id]);
                    if (pool.isUp(id) && (best == BackendPool.NONE || Long.compareUnsigned(hash, bestHash) > 0))
                    {
                        best = id;
                        bestHash = hash;
                    }
                }
                return best;
            }
            double bestScore = 0;
            for (int id = 0; id < seeds.length; id++)
            {
                if (!pool.isUp(id))
                {
                    continue;
                }
                // weighted rendezvous: weight / -ln(u), u uniform in (0, 1) from the hash (Schindelhauer & Schomaker)
                final double u = ((BackendPool.mix64(client ^ seeds[id]) >>> 11) + 0.5) * 0x1.0p-53;
                final double score = pool.weights[id] / -Math.log(u);
                if (best == BackendPool.NONE || score > bestScore)
                {
                    best = id;
                    bestScore = score;
                }
            }
            return best;
        }
    };

    /** The backend for a new flow from the client {@code clientKey}, or {@link BackendPool#NONE}. */
    abstract int pick(BackendPool pool, long clientKey);
}
