package org.inlinetls.packet.tcp;

/**
 * The retransmission timeout of RFC 6298: SRTT and RTTVAR from samples (§2), a clamp to [min, max] (§2.4, §2.5) and
 * doubling on each expiry (§5.5) until the next valid sample. Karn's rule (§3) is the caller's: sample only segments
 * that were never retransmitted.
 */
final class RtoEstimator
{
    /** Clock granularity G of §2; the simulated clock is exact, a millisecond is what TSval resolves anyway. */
    private static final long GRANULARITY_NS = 1_000_000L;

    private final long minRtoNs;
    private final long maxRtoNs;
    private long srttNs;
    private long rttVarNs;
    private boolean hasSample;
    private long minRttNs;
    private long rtoNs;

    RtoEstimator(final long initialRtoNs, final long minRtoNs, final long maxRtoNs)
    {
        this.minRtoNs = minRtoNs;
        this.maxRtoNs = maxRtoNs;
        this.rtoNs = initialRtoNs;
    }

    long rtoNs()
    {
        return rtoNs;
    }

    long srttNs()
    {
        return srttNs;
    }

    /** The least RTT sampled (RACK's min_RTT, RFC 8985 §6.2), 0 before any sample. */
    long minRttNs()
    {
        return minRttNs;
    }

    void onSample(final long rttNs)
    {
        final long r = Math.max(0, rttNs);
        minRttNs = hasSample ? Math.min(minRttNs, r) : r;
        if (!hasSample)
        {
            srttNs = r;
            rttVarNs = r / 2;
            hasSample = true;
        }
        else
        {
            rttVarNs = (3 * rttVarNs + Math.abs(srttNs - r)) / 4;
            srttNs = (7 * srttNs + r) / 8;
        }
        rtoNs = clamp(srttNs + Math.max(GRANULARITY_NS, 4 * rttVarNs));
    }

    void backOff()
    {
        rtoNs = Math.min(maxRtoNs, rtoNs * 2);
    }

    private long clamp(final long ns)
    {
        return Math.max(minRtoNs, Math.min(maxRtoNs, ns));
    }
}
