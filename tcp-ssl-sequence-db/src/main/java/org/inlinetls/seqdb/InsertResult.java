package org.inlinetls.seqdb;

/**
 * Outcome of {@link FlowJournal#insert(FlowKey, long)}.
 */
public enum InsertResult
{
    /** A new entry was created. */
    INSERTED,
    /** The flow already had an entry (in either direction); it was left unchanged. */
    EXISTS,
    /** The table holds its maximum number of flows: the new flow is refused, existing ones are kept. */
    FULL,
    /** Another flow's tuple has the same 64-bit id: the new flow is refused, the existing one is kept. */
    COLLISION
}
