package org.inlinetls.crypto.record;

/**
 * When the plaintext of a record that spans segments is released (DESIGN §6).
 */
public enum IntegrityMode
{
    /**
     * Release each segment's plaintext at once; the segment that completes a record is released only after the
     * record's tag verifies. A failed tag fails the flow (the bytes already forwarded cannot be recalled).
     */
    DEFERRED,
    /** Hold a spanning record (bounded: one record) until it authenticates. */
    STRICT
}
