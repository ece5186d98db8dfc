package org.inlinetls.crypto.aead;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * AEAD_CHACHA20_POLY1305 (RFC 8439 §2.8) as a {@link StreamingAead}: the JCE's ChaCha20 keystream with a
 * {@link Poly1305Kind} authenticator, processed piece by piece with a saveable state.
 * <p>
 * Per record, {@link #begin} takes keystream block 0 as the one-time Poly1305 key and leaves the keystream at block 1;
 * the MAC runs over AAD, zero padding to 16, ciphertext, zero padding, then the two lengths as 64-bit little-endian.
 * Piece calls allocate nothing; {@link #begin} allocates the JCE's parameter object (and with {@link Poly1305Kind#JDK}
 * the JDK's key elements); {@link #restoreState} re-derives the one-time key and re-seeks the keystream.
 * <p>
 * Checkpoint (refining {@link StreamingAead}'s layout, little-endian):
 * <pre>
 *   0            8          10        11    12                     28                        45     48
 *   +------------+----------+---------+-----+----------------------+-------------------------+------+
 *   | content    | AAD      | partial |  0  | partial block        | Poly1305 accumulator    |  0   |
 *   | bytes (8)  | length(2)| length  |     | (ciphertext, 16)     | mod 2^130-5 (17)        | (3)  |
 *   +------------+----------+---------+-----+----------------------+-------------------------+------+
 * </pre>
 * The partial block holds the last {@code content bytes % 16} bytes of ciphertext, zero-filled beyond them.
 */
public final class ChaCha20Poly1305Stream implements StreamingAead
{
    public static final int KEY_LENGTH = 32;

    static final int POSITION_OFFSET = 0;
    static final int AAD_LENGTH_OFFSET = 8;
    static final int PARTIAL_LENGTH_OFFSET = 10;
    static final int PARTIAL_OFFSET = 12;
    static final int ACCUMULATOR_OFFSET = 28;
    static final int RESERVED_OFFSET = ACCUMULATOR_OFFSET + Poly1305.ACCUMULATOR_LENGTH;

    private static final VarHandle LONG_LE =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_LE =
        MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final byte[] ZEROS = new byte[ChaChaKeystream.BLOCK_LENGTH];
    private static final int MAX_AAD_LENGTH = 0xffff;

    private final Poly1305Kind kind;
    private final Poly1305 poly1305;
    private final ChaChaKeystream keystream = new ChaChaKeystream();
    private final byte[] polyKey = new byte[ChaChaKeystream.BLOCK_LENGTH];
    private final byte[] lengths = new byte[Poly1305.BLOCK_LENGTH];
    private final byte[] tag = new byte[TAG_LENGTH];
    private long contentBytes;
    private int aadLength;
    private boolean keyed;

    /** A stream on {@link Poly1305Kind#preferred()}. */
    public ChaCha20Poly1305Stream()
    {
        this(Poly1305Kind.preferred());
    }

    /** A stream on the given Poly1305 implementation, which must be {@link Poly1305Kind#isAvailable() available}. */
    public ChaCha20Poly1305Stream(final Poly1305Kind kind)
    {
        if (!kind.isAvailable())
        {
            throw new IllegalArgumentException("Poly1305 " + kind + " unavailable: " + kind.unavailabilityCause());
        }
        this.kind = kind;
        this.poly1305 = kind.newPoly1305();
    }

    /** The Poly1305 implementation this stream runs on. */
    public Poly1305Kind poly1305Kind()
    {
        return kind;
    }

    public void init(final byte[] key)
    {
        keystream.init(key);
        keyed = true;
    }

    public void begin(
        final byte[] nonce, final int nonceOffset, final byte[] aad, final int aadOffset, final int aadLength)
    {
        if (aadLength < 0 || aadLength > MAX_AAD_LENGTH)
        {
            throw new IllegalArgumentException("AAD length " + aadLength);
        }
        startRecord(nonce, nonceOffset);
        poly1305.update(aad, aadOffset, aadLength);
        poly1305.update(ZEROS, 0, padLength(aadLength));
        this.aadLength = aadLength;
        contentBytes = 0;
    }

    public void decrypt(final byte[] src, final int srcOffset, final int length, final byte[] dst, final int dstOffset)
    {
        poly1305.update(src, srcOffset, length);
        keystream.xor(src, srcOffset, length, dst, dstOffset);
        contentBytes += length;
    }

    public void encrypt(final byte[] src, final int srcOffset, final int length, final byte[] dst, final int dstOffset)
    {
        keystream.xor(src, srcOffset, length, dst, dstOffset);
        poly1305.update(dst, dstOffset, length);
        contentBytes += length;
    }

    public void finish(final byte[] tag, final int tagOffset)
    {
        poly1305.update(ZEROS, 0, padLength(contentBytes));
        LONG_LE.set(lengths, 0, (long)aadLength);
        LONG_LE.set(lengths, 8, contentBytes);
        poly1305.update(lengths, 0, lengths.length);
        poly1305.finish(tag, tagOffset);
    }

    public boolean finishAndVerify(final byte[] expected, final int expectedOffset)
    {
        finish(tag, 0);
        int difference = 0;
        for (int i = 0; i < TAG_LENGTH; i++)
        {
            difference |= tag[i] ^ expected[expectedOffset + i];
        }
        Arrays.fill(tag, (byte)0);
        return difference == 0;
    }

    public long position()
    {
        return contentBytes;
    }

    public void saveState(final byte[] dst, final int dstOffset)
    {
        Arrays.fill(dst, dstOffset, dstOffset + STATE_LENGTH, (byte)0);
        LONG_LE.set(dst, dstOffset + POSITION_OFFSET, contentBytes);
        SHORT_LE.set(dst, dstOffset + AAD_LENGTH_OFFSET, (short)aadLength);
        final int partialLength = poly1305.saveState(
            dst, dstOffset + ACCUMULATOR_OFFSET, dst, dstOffset + PARTIAL_OFFSET);
        dst[dstOffset + PARTIAL_LENGTH_OFFSET] = (byte)partialLength;
    }

    public void restoreState(final byte[] nonce, final int nonceOffset, final byte[] state, final int stateOffset)
    {
        final long position = (long)LONG_LE.get(state, stateOffset + POSITION_OFFSET);
        final int partialLength = state[stateOffset + PARTIAL_LENGTH_OFFSET];
        if (position < 0 || position / ChaChaKeystream.BLOCK_LENGTH >= Integer.MAX_VALUE ||
            partialLength != (int)(position % Poly1305.BLOCK_LENGTH))
        {
            throw new IllegalArgumentException("not a ChaCha20-Poly1305 state");
        }

        startRecord(nonce, nonceOffset);
        poly1305.restoreState(
            state, stateOffset + ACCUMULATOR_OFFSET, state, stateOffset + PARTIAL_OFFSET, partialLength);
        aadLength = Short.toUnsignedInt((short)SHORT_LE.get(state, stateOffset + AAD_LENGTH_OFFSET));
        contentBytes = position;

        // the keystream stands at block 1 (content position 0) after the one-time key
        if (position >= ChaChaKeystream.BLOCK_LENGTH)
        {
            keystream.seek(nonce, nonceOffset, 1 + (int)(position / ChaChaKeystream.BLOCK_LENGTH));
        }
        keystream.skip((int)(position % ChaChaKeystream.BLOCK_LENGTH));
    }

    public void destroy()
    {
        keystream.destroy();
        poly1305.destroy();
        Arrays.fill(polyKey, (byte)0);
        Arrays.fill(tag, (byte)0);
        contentBytes = 0;
        aadLength = 0;
        keyed = false;
    }

    private void startRecord(final byte[] nonce, final int nonceOffset)
    {
        if (!keyed)
        {
            throw new IllegalStateException("no key");
        }
        keystream.seek(nonce, nonceOffset, 0);
        keystream.xor(ZEROS, 0, ChaChaKeystream.BLOCK_LENGTH, polyKey, 0);
        poly1305.init(polyKey, 0);
        Arrays.fill(polyKey, (byte)0);
    }

    private static int padLength(final long length)
    {
        return (int)(-length & (Poly1305.BLOCK_LENGTH - 1));
    }
}
