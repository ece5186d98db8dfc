package org.inlinetls.crypto.cbc;

/**
 * The fixed-size byte layout of a {@link CbcHmacStream} checkpoint between two pieces of a record, as the journal
 * stores it (DESIGN §5).
 * <pre>
 *   0                   8     9     10    11    12          14          16          18          20    21        24
 *   +-------------------+-----+-----+-----+-----+-----------+-----------+-----------+-----------+-----+---------+
 *   | record sequence   |phase|carry|type |vrdct| version   | cipher-   | consumed  | released  |flags| 0       |
 *   |                   |     |count|     |     |           | text len  |           |           |     |         |
 *   +-------------------+-----+-----+-----+-----+-----------+-----------+-----------+-----------+-----+---------+
 *   24                            40                            56                                          160
 *   +-----------------------------+-----------------------------+-------------------------------------------+
 *   | CBC chaining block (16):    | carried ciphertext (16,     | segment digest state (104, {@link Sha}     |
 *   | last whole ciphertext block | carry count bytes used)     | layout): keyed hash of seq, IV, ciphertext|
 *   +-----------------------------+-----------------------------+-------------------------------------------+
 *   160                                                                 448                               512
 *   +-------------------------------------------------------------------+---------------------------------+
 *   | held-back plaintext tail (288): plaintext [releaseLimit, decrypted)| reserved (0)                    |
 *   +-------------------------------------------------------------------+---------------------------------+
 *   consumed: ciphertext bytes after the IV taken so far; decrypted = consumed - carry count;
 *   releaseLimit = max(0, ciphertext length - MAC length - 256); flags: bit 0 segment digest kept.
 * </pre>
 * Numbers are big-endian; unused bytes are zero, so equal states give equal bytes. It holds no key, but the digest
 * state is keyed and the tail is plaintext: keep it with the keys.
 */
public final class CbcCheckpoint
{
    public static final int LENGTH = 512;
    public static final int SEQUENCE_OFFSET = 0;
    public static final int PHASE_OFFSET = 8;
    public static final int CARRY_COUNT_OFFSET = 9;
    public static final int CONTENT_TYPE_OFFSET = 10;
    public static final int VERDICT_OFFSET = 11;
    public static final int VERSION_OFFSET = 12;
    public static final int CIPHERTEXT_LENGTH_OFFSET = 14;
    public static final int CONSUMED_OFFSET = 16;
    public static final int RELEASED_OFFSET = 18;
    public static final int FLAGS_OFFSET = 20;
    public static final int CHAINING_OFFSET = 24;
    public static final int CARRY_OFFSET = 40;
    public static final int DIGEST_OFFSET = 56;
    public static final int TAIL_OFFSET = DIGEST_OFFSET + Sha.STATE_LENGTH;
    public static final int TAIL_LENGTH = 32 + CbcHmacStream.MAX_PADDING_LENGTH;

    static final int FLAG_DIGEST = 1;

    private CbcCheckpoint()
    {
    }

    /** The record sequence number a checkpoint is at. */
    public static long sequence(final byte[] checkpoint, final int offset)
    {
        return (long)Sha.LONG_BE.get(checkpoint, offset + SEQUENCE_OFFSET);
    }

    /** Ciphertext bytes (after the IV) of the record taken before the checkpoint. */
    public static int consumed(final byte[] checkpoint, final int offset)
    {
        return readShort(checkpoint, offset + CONSUMED_OFFSET);
    }

    static int readShort(final byte[] src, final int offset)
    {
        return ((src[offset] & 0xFF) << 8) | (src[offset + 1] & 0xFF);
    }

    static void writeShort(final byte[] dst, final int offset, final int value)
    {
        dst[offset] = (byte)(value >>> 8);
        dst[offset + 1] = (byte)value;
    }
}
