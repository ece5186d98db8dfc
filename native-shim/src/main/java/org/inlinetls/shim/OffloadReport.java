package org.inlinetls.shim;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What a {@link NetDevice#disableOffloads} or {@link NetDevice#restore} call did to each offload, so the caller
 * can log it and decide whether a refused offload is fatal (a veth, for one, cannot change some of them).
 */
public final class OffloadReport
{
    /** What happened to one offload. */
    public enum Outcome
    {
        /** It was changed to the wanted state, confirmed by reading it back. */
        CHANGED,
        /** It already was in the wanted state; nothing was written. */
        UNCHANGED,
        /** The driver cannot change it (EOPNOTSUPP, or the kernel accepted the request but kept the old state). */
        NOT_SUPPORTED,
        /** The call failed for another reason (see {@link Entry#detail()}). */
        FAILED
    }

    /**
     * One offload's result.
     *
     * @param offload the offload.
     * @param wanted  the state asked for (false = off).
     * @param before  its state before the call (null when it could not be read).
     * @param after   its state after the call (null when it could not be read).
     * @param outcome what happened.
     * @param detail  the error or explanation when not {@link Outcome#CHANGED}/{@link Outcome#UNCHANGED}, else "".
     */
    public record Entry(Offload offload, boolean wanted, Boolean before, Boolean after, Outcome outcome, String detail)
    {
        @Override
        public String toString()
        {
            return offload + "=" + outcome + (detail.isEmpty() ? "" : " (" + detail + ")");
        }
    }

    private final String ifName;
    private final List<Entry> entries;

    OffloadReport(final String ifName, final List<Entry> entries)
    {
        this.ifName = ifName;
        this.entries = List.copyOf(entries);
    }

    /**
     * @return the interface the report is about.
     */
    public String ifName()
    {
        return ifName;
    }

    /**
     * @return one entry per offload asked for, in {@link Offload} order.
     */
    public List<Entry> entries()
    {
        return Collections.unmodifiableList(entries);
    }

    /**
     * @return the offloads that did not end in the wanted state.
     */
    public Set<Offload> notApplied()
    {
        final Set<Offload> result = EnumSet.noneOf(Offload.class);
        for (final Entry e : entries)
        {
            if (e.outcome() == Outcome.NOT_SUPPORTED || e.outcome() == Outcome.FAILED)
            {
                result.add(e.offload());
            }
        }
        return result;
    }

    /**
     * @return true when every offload ended in the wanted state.
     */
    public boolean allApplied()
    {
        return notApplied().isEmpty();
    }

    @Override
    public String toString()
    {
        return ifName + ": " + entries;
    }
}
