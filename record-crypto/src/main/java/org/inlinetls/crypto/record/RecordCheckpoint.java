package org.inlinetls.crypto.record;

import org.inlinetls.crypto.aead.StreamingAead;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The fixed-size byte layout of a {@link RecordDecoder} checkpoint, as the journal stores it (DESIGN §5).
 * <pre>
 *   0                   8     9     10    11    12            17    18    19    20
 *   +-------------------+-----+-----+-----+-----+-------------+-----+-----+-----+
 *   | record sequence   |phase|hdr# |nce# |tag# | header (5)  |flags|held |alert|
 *   +-------------------+-----+-----+-----+-----+-------------+-----+-----+-----+
 *   20                  28          32          36    37    38          40
 *   +-------------------+-----------+-----------+-----+-----+-----------+
 *   | explicit nonce (8)| content   | pending   |type | 0   | version   |
 *   |                   | remaining | zeros     |     |     |           |
 *   +-------------------+-----------+-----------+-----+-----+-----------+
 *   40                              56       58   59   60         64
 *   +-------------------------------+--------+----+----+----------+
 *   | tag bytes so far (16)         | length |tail|whol| 0 (4)    |
 *   +-------------------------------+--------+----+----+----------+
 *   64                                                                                                   304
 *   +----------------------------------------------------------------------------------------------------+
 *   | a record streamed (flag bit 0 clear):                                                              |
 *   |   AEAD state (48, StreamingAead) at 64, held tail (16) at 112, zeros to 304                         |
 *   | a record held whole (flag bit 0 set):                                                              |
 *   |   its ciphertext so far ("whol" bytes, at most {@value #HELD_RECORD_MAX}) at 64, zeros after it    |
 *   +----------------------------------------------------------------------------------------------------+
 *   (tail: how many of the record's last content bytes, decrypted, wait for the tag in deferred mode;
 *   whol: how many content bytes of a record held whole arrived, still encrypted)
 *   flags: bit 0 record held whole, bit 1 TLS 1.3 plaintext released, bit 2 TLS 1.3 byte kept back
 * </pre>
 * A record held whole has fed nothing to its AEAD before its last byte (the decoder decrypts it in one go when its
 * tag is complete), so its AEAD state is the one {@code begin} gives and is rebuilt from the header on restore: the
 * region the state and tail take for a streamed record carries the held ciphertext instead. That makes every boundary
 * inside a small record resumable (TLS 1.3 records of at most {@link RecordDecoder#SMALL_TLS13_RECORD_LENGTH} bytes,
 * which deferred mode holds whole, carry at most {@value #HELD_RECORD_MAX} content bytes) in
 * {@value #LENGTH} bytes, so a journal slot stays at 320 bytes and a parked flow's entry at 1 KiB.
 * <p>
 * Numbers are big-endian. It holds no key, but the AEAD state is derived from one and the held tail is plaintext:
 * keep it with the keys.
 */
public final class RecordCheckpoint
{
    /** Most content bytes of a record held whole that a checkpoint carries. */
    public static final int HELD_RECORD_MAX = RecordDecoder.SMALL_TLS13_RECORD_LENGTH - StreamingAead.TAG_LENGTH;
    public static final int SEQUENCE_OFFSET = 0;
    public static final int PHASE_OFFSET = 8;
    public static final int HEADER_COUNT_OFFSET = 9;
    public static final int NONCE_COUNT_OFFSET = 10;
    public static final int TAG_COUNT_OFFSET = 11;
    public static final int HEADER_OFFSET = 12;
    public static final int FLAGS_OFFSET = 17;
    public static final int HELD_BYTE_OFFSET = 18;
    public static final int ALERT_OFFSET = 19;
    public static final int EXPLICIT_NONCE_OFFSET = 20;
    public static final int CONTENT_REMAINING_OFFSET = 28;
    public static final int PENDING_ZEROS_OFFSET = 32;
    public static final int RECORD_TYPE_OFFSET = 36;
    public static final int RECORD_VERSION_OFFSET = 38;
    public static final int TAG_OFFSET = 40;
    public static final int RECORD_LENGTH_OFFSET = 56;
    public static final int HELD_TAIL_LENGTH_OFFSET = 58;
    public static final int HELD_RECORD_LENGTH_OFFSET = 59;
    /** Start of the region a streamed record's AEAD state and tail, or a held record's ciphertext, take. */
    public static final int VARIANT_OFFSET = 64;
    public static final int AEAD_STATE_OFFSET = VARIANT_OFFSET;
    public static final int HELD_TAIL_OFFSET = AEAD_STATE_OFFSET + StreamingAead.STATE_LENGTH;
    public static final int HELD_RECORD_OFFSET = VARIANT_OFFSET;
    public static final int LENGTH = VARIANT_OFFSET + HELD_RECORD_MAX;

    private static final int FLAG_BUFFERED = 1;
    private static final int FLAG_RELEASED = 2;
    private static final int FLAG_HELD_BYTE = 4;

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private RecordCheckpoint()
    {
    }

    /** The record sequence number a checkpoint is at. */
    public static long sequence(final byte[] checkpoint, final int offset)
    {
        return (long)LONG.get(checkpoint, offset + SEQUENCE_OFFSET);
    }

    /**
     * Writes the decoder's state; the caller adds the AEAD state of a streamed record in body or tag.
     *
     * @param heldRecord the decoder's buffer of a record held whole (its first {@code s.bufferedLength} bytes are
     *                   the record's ciphertext so far), or null when it has none.
     * @return false when the held ciphertext does not fit (then the checkpoint cannot resume: none of it is written).
     */
    static boolean write(final RecordState s, final byte[] heldRecord, final byte[] dst, final int offset)
    {
        java.util.Arrays.fill(dst, offset, offset + LENGTH, (byte)0);
        LONG.set(dst, offset + SEQUENCE_OFFSET, s.sequence);
        dst[offset + PHASE_OFFSET] = (byte)s.phase;
        dst[offset + HEADER_COUNT_OFFSET] = (byte)s.headerCount;
        dst[offset + NONCE_COUNT_OFFSET] = (byte)s.explicitCount;
        dst[offset + TAG_COUNT_OFFSET] = (byte)s.tagCount;
        System.arraycopy(s.header, 0, dst, offset + HEADER_OFFSET, 5);
        dst[offset + FLAGS_OFFSET] = (byte)((s.buffered ? FLAG_BUFFERED : 0) | (s.releasedAny ? FLAG_RELEASED : 0) |
            (s.hasHeldByte ? FLAG_HELD_BYTE : 0));
        dst[offset + HELD_BYTE_OFFSET] = s.heldByte;
        dst[offset + ALERT_OFFSET] = (byte)s.failureAlert;
        System.arraycopy(s.explicitNonce, 0, dst, offset + EXPLICIT_NONCE_OFFSET, 8);
        INT.set(dst, offset + CONTENT_REMAINING_OFFSET, s.contentRemaining);
        INT.set(dst, offset + PENDING_ZEROS_OFFSET, s.pendingZeros);
        dst[offset + RECORD_TYPE_OFFSET] = (byte)s.recordType;
        dst[offset + RECORD_VERSION_OFFSET] = (byte)(s.recordVersion >>> 8);
        dst[offset + RECORD_VERSION_OFFSET + 1] = (byte)s.recordVersion;
        System.arraycopy(s.tag, 0, dst, offset + TAG_OFFSET, 16);
        dst[offset + RECORD_LENGTH_OFFSET] = (byte)(s.recordLength >>> 8);
        dst[offset + RECORD_LENGTH_OFFSET + 1] = (byte)s.recordLength;
        if (s.heldInTail)
        {
            dst[offset + HELD_TAIL_LENGTH_OFFSET] = (byte)s.heldLength;
            System.arraycopy(s.heldTail, 0, dst, offset + HELD_TAIL_OFFSET, s.heldLength);
        }
        if (s.bufferedLength > HELD_RECORD_MAX)
        {
            return false;
        }
        if (s.bufferedLength > 0)
        {
            dst[offset + HELD_RECORD_LENGTH_OFFSET] = (byte)s.bufferedLength;
            System.arraycopy(heldRecord, 0, dst, offset + HELD_RECORD_OFFSET, s.bufferedLength);
        }
        return true;
    }

    /**
     * Reads a state written by {@link #write}; the caller copies the held ciphertext ({@code s.bufferedLength} bytes
     * at {@link #HELD_RECORD_OFFSET}) into its record buffer and restores or restarts the AEAD.
     */
    static void read(final byte[] src, final int offset, final RecordState s)
    {
        s.sequence = (long)LONG.get(src, offset + SEQUENCE_OFFSET);
        s.phase = src[offset + PHASE_OFFSET];
        s.headerCount = src[offset + HEADER_COUNT_OFFSET];
        s.explicitCount = src[offset + NONCE_COUNT_OFFSET];
        s.tagCount = src[offset + TAG_COUNT_OFFSET];
        System.arraycopy(src, offset + HEADER_OFFSET, s.header, 0, 5);
        final int flags = src[offset + FLAGS_OFFSET];
        s.buffered = (flags & FLAG_BUFFERED) != 0;
        s.releasedAny = (flags & FLAG_RELEASED) != 0;
        s.hasHeldByte = (flags & FLAG_HELD_BYTE) != 0;
        s.heldByte = src[offset + HELD_BYTE_OFFSET];
        s.failureAlert = src[offset + ALERT_OFFSET];
        System.arraycopy(src, offset + EXPLICIT_NONCE_OFFSET, s.explicitNonce, 0, 8);
        s.contentRemaining = (int)INT.get(src, offset + CONTENT_REMAINING_OFFSET);
        s.pendingZeros = (int)INT.get(src, offset + PENDING_ZEROS_OFFSET);
        s.recordType = src[offset + RECORD_TYPE_OFFSET] & 0xFF;
        s.recordVersion = ((src[offset + RECORD_VERSION_OFFSET] & 0xFF) << 8) |
            (src[offset + RECORD_VERSION_OFFSET + 1] & 0xFF);
        System.arraycopy(src, offset + TAG_OFFSET, s.tag, 0, 16);
        s.recordLength = ((src[offset + RECORD_LENGTH_OFFSET] & 0xFF) << 8) |
            (src[offset + RECORD_LENGTH_OFFSET + 1] & 0xFF);
        // lengths clamped to their regions: a damaged blob gives a wrong verdict later, never an exception here
        s.bufferedLength = Math.min(src[offset + HELD_RECORD_LENGTH_OFFSET] & 0xFF, HELD_RECORD_MAX);
        s.heldInScratch = false;
        s.heldLength = Math.min(src[offset + HELD_TAIL_LENGTH_OFFSET] & 0xFF, RecordDecoder.HELD_TAIL_MAX);
        s.heldInTail = s.heldLength > 0;
        java.util.Arrays.fill(s.heldTail, (byte)0);
        System.arraycopy(src, offset + HELD_TAIL_OFFSET, s.heldTail, 0, s.heldLength);
    }
}
