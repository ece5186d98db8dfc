package org.inlinetls.packet.port;

/**
 * What a {@link FaultInjectingPort} does to the frames sent through it; all decisions come from one seeded stream.
 *
 * @param seed             of the random stream; the same seed and frames give the same faults.
 * @param lossPercent      chance per frame of dropping it.
 * @param duplicatePercent chance per frame of sending it twice.
 * @param reorderPercent   chance per frame of holding it back so later frames overtake it.
 * @param reorderWindow    how many later frames overtake a held frame (1 or more).
 * @param delayNs          fixed delay added to every frame (0 for none); order is kept.
 * @param maxHoldNs        a held or delayed frame goes out at the latest after this long past its due time, even
 *                         when no later frame arrives to overtake it.
 */
public record FaultProfile(
    long seed,
    double lossPercent,
    double duplicatePercent,
    double reorderPercent,
    int reorderWindow,
    long delayNs,
    long maxHoldNs)
{
    /** Default for {@link #maxHoldNs}: long enough to reorder, far below any TCP retransmission timer. */
    public static final long DEFAULT_MAX_HOLD_NS = 2_000_000L;

    public FaultProfile
    {
        checkPercent("lossPercent", lossPercent);
        checkPercent("duplicatePercent", duplicatePercent);
        checkPercent("reorderPercent", reorderPercent);
        if (reorderWindow < 1 || reorderWindow > 1024)
        {
            throw new IllegalArgumentException("reorderWindow must be 1..1024, was " + reorderWindow);
        }
        if (delayNs < 0 || maxHoldNs < 0)
        {
            throw new IllegalArgumentException("delayNs and maxHoldNs must not be negative");
        }
    }

    private static void checkPercent(final String name, final double value)
    {
        if (!(value >= 0 && value <= 100))
        {
            throw new IllegalArgumentException(name + " must be within 0..100, was " + value);
        }
    }

    /** A profile with only loss and reordering, the shape the lab uses. */
    public static FaultProfile lossAndReorder(
        final long seed, final double lossPercent, final double reorderPercent, final int reorderWindow)
    {
        return new FaultProfile(seed, lossPercent, 0, reorderPercent, reorderWindow, 0, DEFAULT_MAX_HOLD_NS);
    }

    public boolean isNoop()
    {
        return lossPercent == 0 && duplicatePercent == 0 && reorderPercent == 0 && delayNs == 0;
    }
}
