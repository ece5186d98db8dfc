package org.inlinetls.packet.flyweight;

import org.agrona.DirectBuffer;

/**
 * Flyweight over the 5-byte TLS record header (RFC 8446 §5.1, RFC 5246 §6.2).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Content Type  |  Legacy Record Version (0x0303) |    Length   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   Length      |  fragment (Length bytes) ...
 *  +-+-+-+-+-+-+-+-+
 * </pre>
 * A header may straddle TCP segments: callers that read it from a segment check that 5 bytes are present.
 */
public final class TlsRecordFlyweight extends AbstractFlyweight
{
    public static final int CONTENT_TYPE_OFFSET = 0;
    public static final int LEGACY_VERSION_OFFSET = 1;
    public static final int LENGTH_OFFSET = 3;
    public static final int HEADER_LENGTH = 5;

    /** TLSPlaintext.length limit, 2^14, RFC 8446 §5.1. */
    public static final int MAX_PLAINTEXT_LENGTH = 1 << 14;
    /** TLSCiphertext.length limit in TLS 1.3, 2^14 + 256, RFC 8446 §5.2. */
    public static final int MAX_TLS13_CIPHERTEXT_LENGTH = (1 << 14) + 256;
    /** TLSCompressed.length limit in TLS 1.2, 2^14 + 1024, RFC 5246 §6.2.2. */
    public static final int MAX_TLS12_COMPRESSED_LENGTH = (1 << 14) + 1024;
    /** TLSCiphertext.length limit in TLS 1.2, 2^14 + 2048, RFC 5246 §6.2.3. */
    public static final int MAX_TLS12_CIPHERTEXT_LENGTH = (1 << 14) + 2048;

    /** legacy_record_version of a TLS 1.0 ClientHello record, RFC 8446 §5.1. */
    public static final int VERSION_TLS10 = 0x0301;
    /** TLS 1.2 and the legacy_record_version of every other TLS 1.3 record. */
    public static final int VERSION_TLS12 = 0x0303;

    /** Wraps a record header at {@code offset}. */
    public TlsRecordFlyweight wrap(final DirectBuffer buffer, final int offset)
    {
        wrapBuffer(buffer, offset, HEADER_LENGTH);
        return this;
    }

    public int contentType()
    {
        return uint8(CONTENT_TYPE_OFFSET);
    }

    public TlsRecordFlyweight contentType(final int value)
    {
        putUint8(CONTENT_TYPE_OFFSET, value);
        return this;
    }

    public int legacyVersion()
    {
        return uint16(LEGACY_VERSION_OFFSET);
    }

    public TlsRecordFlyweight legacyVersion(final int value)
    {
        putUint16(LEGACY_VERSION_OFFSET, value);
        return this;
    }

    /** Length of the fragment that follows the header. */
    public int recordLength()
    {
        return uint16(LENGTH_OFFSET);
    }

    public TlsRecordFlyweight recordLength(final int value)
    {
        putUint16(LENGTH_OFFSET, value);
        return this;
    }

    /** Header plus fragment. */
    public int totalLength()
    {
        return HEADER_LENGTH + recordLength();
    }

    /**
     * True when the header could start a record: a known content type, major version 3 and a length of at most
     * {@code maxRecordLength} (for example {@link #MAX_TLS13_CIPHERTEXT_LENGTH}).
     */
    public boolean isPlausible(final int maxRecordLength)
    {
        return ContentType.isKnown(contentType()) && (legacyVersion() >>> 8) == 3 &&
            recordLength() <= maxRecordLength;
    }
}
