package org.inlinetls.crypto.record;

/**
 * What the flow logic needs of one direction's record protection, whatever the suite: one plaintext segment in,
 * exactly one record out, the same bytes for the same input and sequence number ({@link RecordEncoder} for AEAD
 * suites, {@link CbcRecordEncoder} for the legacy CBC suites).
 */
public interface SegmentEncoder
{
    /** Bytes {@link #encode} writes for {@code contentLength} bytes of content (at most, for CBC padding). */
    int recordLength(int contentLength);

    /**
     * Protects {@code length} bytes as one record with sequence number {@code seq}.
     *
     * @return the bytes written to {@code out}.
     */
    int encode(int contentType, byte[] src, int srcOffset, int length, long seq, byte[] out, int outOffset);
}
