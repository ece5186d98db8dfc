package org.inlinetls.crypto.record;

/**
 * What the flow logic needs of one direction's record decryption, whatever the suite: feed segments in order, learn
 * the verdict, and checkpoint at segment boundaries ({@link RecordDecoder} for AEAD suites, {@link CbcRecordDecoder}
 * for the legacy CBC suites).
 */
public interface SegmentDecoder
{
    /**
     * Processes the next segment of the stream.
     *
     * @return {@link RecordDecoder#OK}, or the alert description the flow fails with.
     */
    int onSegment(byte[] src, int offset, int length, RecordListener listener);

    /** The sequence number of the record in progress (or the next one). */
    long sequence();

    boolean isFailed();

    /** The alert of the failure, or {@link RecordDecoder#OK}. */
    int failureAlert();

    /** Why it failed (fixed text, never key material), or null. */
    String failureReason();

    /** Bytes a checkpoint of this decoder takes. */
    int checkpointLength();

    /**
     * Saves the state at this segment boundary.
     *
     * @return false when the state alone cannot resume the stream here (see the implementation).
     */
    boolean saveCheckpoint(byte[] dst, int offset);

    /** Restores a state saved by {@link #saveCheckpoint} under the same keys. */
    void restoreCheckpoint(byte[] src, int offset);
}
