package org.inlinetls.crypto.record;

import org.inlinetls.crypto.aead.StreamingAead;
import org.inlinetls.crypto.suite.CipherSuite;

/**
 * Turns one plaintext segment into exactly one protected record with a given sequence number; the same input and
 * sequence number always give the same bytes, so a retransmitted segment is re-encrypted identically (DESIGN §6).
 * <p>
 * TLS 1.3 records carry the inner content type and no padding; TLS 1.2 GCM records carry the sequence number as
 * their explicit nonce. Nothing is allocated per record.
 */
public final class RecordEncoder implements SegmentEncoder
{
    /** Largest content of one record (RFC 8446 §5.1). */
    public static final int MAX_CONTENT_LENGTH = 1 << 14;

    private final RecordProtection protection;
    private final byte[] explicitNonce = new byte[8];

    public RecordEncoder(final RecordProtection protection)
    {
        this.protection = protection;
    }

    public RecordProtection protection()
    {
        return protection;
    }

    @Override
    public int recordLength(final int contentLength)
    {
        return contentLength + protection.suite().recordOverhead();
    }

    /**
     * Protects {@code length} bytes of {@code src} as one record.
     *
     * @param contentType the true content type (application data, alert, handshake).
     * @param seq         the record sequence number.
     * @param out         receives the whole record (header included) at {@code outOffset}; needs
     *                    {@link #recordLength(int)} bytes.
     * @return the number of bytes written.
     */
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
        if (length < 0 || length > MAX_CONTENT_LENGTH)
        {
            throw new IllegalArgumentException("record content must be 0.." + MAX_CONTENT_LENGTH + " bytes: " + length);
        }
        final CipherSuite suite = protection.suite();
        final boolean tls13 = suite.isTls13();
        final int explicitLength = suite.explicitNonceLength();
        final int innerLength = length + (tls13 ? 1 : 0);
        final int recordLength = explicitLength + innerLength + StreamingAead.TAG_LENGTH;
        final int outerType = tls13 ? ContentType.APPLICATION_DATA : contentType;

        out[outOffset] = (byte)outerType;
        out[outOffset + 1] = (byte)(RecordProtection.LEGACY_VERSION_TLS12 >>> 8);
        out[outOffset + 2] = (byte)RecordProtection.LEGACY_VERSION_TLS12;
        out[outOffset + 3] = (byte)(recordLength >>> 8);
        out[outOffset + 4] = (byte)recordLength;
        int position = outOffset + CipherSuite.RECORD_HEADER_LENGTH;
        if (explicitLength > 0)
        {
            for (int i = 0; i < 8; i++)
            {
                explicitNonce[i] = (byte)(seq >>> (56 - 8 * i));
            }
            System.arraycopy(explicitNonce, 0, out, position, 8);
            position += 8;
        }

        final StreamingAead aead = protection.aead();
        final int aadLength = protection.buildAad(seq, outerType, RecordProtection.LEGACY_VERSION_TLS12, length,
            recordLength);
        aead.begin(protection.nonce(seq, explicitNonce, 0), 0, protection.aadBuffer(), 0, aadLength);
        aead.encrypt(src, srcOffset, length, out, position);
        position += length;
        if (tls13)
        {
            out[position] = (byte)contentType;
            aead.encrypt(out, position, 1, out, position);
            position++;
        }
        aead.finish(out, position);
        return position + StreamingAead.TAG_LENGTH - outOffset;
    }
}
