package org.inlinetls.seqdb;

import static org.inlinetls.seqdb.FlowEntryLayout.*;

/**
 * The kinds of secret a journal entry holds per direction, with where each sits in the direction block.
 */
public enum KeyMaterial
{
    /** The record cipher key (AES-128/256, ChaCha20). */
    KEY(KEY_OFFSET, KEY_MAX_LENGTH, KEY_LENGTH_OFFSET),
    /** The fixed IV / nonce salt (4 bytes for TLS 1.2 GCM, 12 for TLS 1.3 and ChaCha20). */
    IV(IV_OFFSET, IV_MAX_LENGTH, IV_LENGTH_OFFSET),
    /** The HMAC key of a legacy CBC suite. */
    MAC_KEY(MAC_KEY_OFFSET, MAC_KEY_MAX_LENGTH, MAC_KEY_LENGTH_OFFSET),
    /** The TLS 1.3 application traffic secret, from which KeyUpdate derives the next key. */
    TRAFFIC_SECRET(TRAFFIC_SECRET_OFFSET, TRAFFIC_SECRET_MAX_LENGTH, TRAFFIC_SECRET_LENGTH_OFFSET);

    private final int offset;
    private final int maxLength;
    private final int lengthOffset;

    KeyMaterial(final int offset, final int maxLength, final int lengthOffset)
    {
        this.offset = offset;
        this.maxLength = maxLength;
        this.lengthOffset = lengthOffset;
    }

    /** Offset of the bytes within a direction block. */
    public int offset()
    {
        return offset;
    }

    /** Most bytes the entry can hold of this kind. */
    public int maxLength()
    {
        return maxLength;
    }

    /** Offset of the length byte within a direction block. */
    public int lengthOffset()
    {
        return lengthOffset;
    }
}
