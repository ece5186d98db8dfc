package org.inlinetls.seqdb;

/**
 * Outcome of {@link FlowEntry#appendCheckpoint}.
 */
public enum AppendResult
{
    /** The checkpoint is now the newest of the ring. */
    APPENDED,
    /** The ring holds its capacity of checkpoints: nothing was written (the caller's window should not allow it). */
    FULL,
    /** The cipher sequence is not after the newest checkpoint's (serial arithmetic): nothing was written. */
    OUT_OF_ORDER
}
