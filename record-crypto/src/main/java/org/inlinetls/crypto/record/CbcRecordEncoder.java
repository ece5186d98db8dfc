package org.inlinetls.crypto.record;

import org.inlinetls.crypto.cbc.CbcRecordEncryptor;
import org.inlinetls.crypto.cbc.CbcSuite;

/**
 * One TLS 1.2 AES-CBC record per plaintext segment (legacy suites): explicit IV derived from the sequence number,
 * so a retransmitted segment is re-encrypted to the same bytes.
 */
public final class CbcRecordEncoder implements SegmentEncoder
{
    private final CbcSuite suite;
    private final CbcRecordEncryptor encryptor;

    public CbcRecordEncoder(final CbcSuite suite, final byte[] encKey, final byte[] macKey)
    {
        this.suite = suite;
        this.encryptor = new CbcRecordEncryptor(suite.mac());
        this.encryptor.init(encKey, macKey);
    }

    @Override
    public int recordLength(final int contentLength)
    {
        return CbcRecordEncryptor.recordLength(suite.mac(), contentLength);
    }

    @Override
    public int encode(
        final int contentType,
        final byte[] src,
        final int srcOffset,
        final int length,
        final long seq,
        final byte[] out,
        final int outOffset)
    {
        return encryptor.encryptRecord(seq, contentType, RecordProtection.LEGACY_VERSION_TLS12, src, srcOffset, length,
            out, outOffset);
    }

    /** Overwrites the keys. */
    public void destroy()
    {
        encryptor.destroy();
    }
}
