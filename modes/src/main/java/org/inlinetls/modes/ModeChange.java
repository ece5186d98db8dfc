package org.inlinetls.modes;

/**
 * A configuration change of the modes on one bridge, prepared off the data path (a reload on the conductor: tables
 * built, pools and health set up) and applied in one step on the data-path thread by {@link #apply(long)}, between two
 * frames, so no frame ever sees one mode changed and another not yet. Implementations are immutable once offered.
 */
@FunctionalInterface
public interface ModeChange
{
    /**
     * Applies the change to the engines (data-path thread, control-path cost: allocation is fine, it is once per
     * reload).
     *
     * @param nowNs the data path's clock.
     */
    void apply(long nowNs);
}
