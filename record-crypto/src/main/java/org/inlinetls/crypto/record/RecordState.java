package org.inlinetls.crypto.record;

/**
 * The mutable state of a {@link RecordDecoder} between segments: everything a checkpoint holds besides the AEAD's.
 */
final class RecordState
{
    long sequence;
    int phase = RecordDecoder.PHASE_HEADER;
    final byte[] header = new byte[5];
    int headerCount;
    int recordType;
    int recordVersion;
    int recordLength;
    final byte[] explicitNonce = new byte[8];
    int explicitCount;
    int contentRemaining;
    final byte[] tag = new byte[16];
    int tagCount;
    /**
     * The record is held whole before decryption (strict mode, small TLS 1.3 records, TLS 1.2 alerts and handshake
     * records): its AEAD sees nothing until the tag is complete.
     */
    boolean buffered;
    /** Ciphertext bytes of a record held whole that arrived (in the decoder's record buffer). */
    int bufferedLength;
    /** Plaintext of the record's last content piece, waiting for the tag. */
    int heldLength;
    boolean heldInScratch;
    /** Deferred mode: the record's last {@link RecordDecoder#HELD_TAIL_MAX} content bytes at most, decrypted, until the tag verifies. */
    final byte[] heldTail = new byte[RecordDecoder.HELD_TAIL_MAX];
    boolean heldInTail;
    /** TLS 1.3: some plaintext of this record was forwarded already. */
    boolean releasedAny;
    /** TLS 1.3: the last non-zero byte seen, kept back (it may be the inner content type). */
    boolean hasHeldByte;
    byte heldByte;
    /** TLS 1.3: zeros seen after the kept-back byte (content or padding: unknown until the record ends). */
    int pendingZeros;
    int failureAlert = RecordDecoder.OK;

    /** Moves on to the next record's header. */
    void nextRecord()
    {
        sequence++;
        phase = RecordDecoder.PHASE_HEADER;
        headerCount = 0;
        explicitCount = 0;
        tagCount = 0;
        contentRemaining = 0;
        buffered = false;
        bufferedLength = 0;
        heldLength = 0;
        heldInScratch = false;
        heldInTail = false;
        java.util.Arrays.fill(heldTail, (byte)0);
        releasedAny = false;
        hasHeldByte = false;
        pendingZeros = 0;
    }
}
