package org.inlinetls.crypto.cbc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A SHA-1 or SHA-256 message digest (FIPS 180-4) whose whole state can be written to and read from a fixed-size
 * byte layout, which the JDK's {@code MessageDigest} cannot do.
 * <p>
 * State layout ({@link #STATE_LENGTH} bytes, big-endian):
 * <pre>
 *   0              8                                 40                                104
 *   +--------------+---------------------------------+----------------------------------+
 *   | bytes hashed | chaining value (20 or 32, zero  | partial block (bytes hashed % 64 |
 *   | so far       | filled to 32)                   | bytes used, rest zero)           |
 *   +--------------+---------------------------------+----------------------------------+
 * </pre>
 * Not thread-safe; nothing is allocated after construction.
 */
public abstract class Sha
{
    public static final int BLOCK_LENGTH = 64;
    public static final int COUNT_OFFSET = 0;
    public static final int CHAINING_OFFSET = 8;
    public static final int PARTIAL_OFFSET = 40;
    public static final int STATE_LENGTH = PARTIAL_OFFSET + BLOCK_LENGTH;

    static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    final int[] h;
    final byte[] partial = new byte[BLOCK_LENGTH];
    long byteCount;

    Sha(final int words)
    {
        h = new int[words];
        reset();
    }

    /** Bytes of the digest: 20 for SHA-1, 32 for SHA-256. */
    public final int digestLength()
    {
        return h.length * 4;
    }

    /** Starts a new message. */
    public final void reset()
    {
        initialChaining(h);
        byteCount = 0;
        Arrays.fill(partial, (byte)0);
    }

    public final long byteCount()
    {
        return byteCount;
    }

    public final void update(final byte b)
    {
        final int used = (int)byteCount & (BLOCK_LENGTH - 1);
        partial[used] = b;
        byteCount++;
        if (used == BLOCK_LENGTH - 1)
        {
            compress(partial, 0);
        }
    }

    public final void update(final byte[] src, final int offset, final int length)
    {
        int position = offset;
        final int end = offset + length;
        int used = (int)byteCount & (BLOCK_LENGTH - 1);
        byteCount += length;
        if (used > 0)
        {
            final int take = Math.min(BLOCK_LENGTH - used, length);
            System.arraycopy(src, position, partial, used, take);
            position += take;
            used += take;
            if (used < BLOCK_LENGTH)
            {
                return;
            }
            compress(partial, 0);
        }
        while (end - position >= BLOCK_LENGTH)
        {
            compress(src, position);
            position += BLOCK_LENGTH;
        }
        if (position < end)
        {
            System.arraycopy(src, position, partial, 0, end - position);
        }
    }

    /** Pads the message, writes its digest at {@code dstOffset} and starts a new message. */
    public final void finish(final byte[] dst, final int dstOffset)
    {
        final long bitLength = byteCount << 3;
        int used = (int)byteCount & (BLOCK_LENGTH - 1);
        partial[used++] = (byte)0x80;
        if (used > BLOCK_LENGTH - 8)
        {
            Arrays.fill(partial, used, BLOCK_LENGTH, (byte)0);
            compress(partial, 0);
            used = 0;
        }
        Arrays.fill(partial, used, BLOCK_LENGTH - 8, (byte)0);
        LONG_BE.set(partial, BLOCK_LENGTH - 8, bitLength);
        compress(partial, 0);
        for (int i = 0; i < h.length; i++)
        {
            INT_BE.set(dst, dstOffset + 4 * i, h[i]);
        }
        reset();
    }

    /** Writes the state ({@link #STATE_LENGTH} bytes). */
    public final void saveState(final byte[] dst, final int offset)
    {
        Arrays.fill(dst, offset, offset + STATE_LENGTH, (byte)0);
        LONG_BE.set(dst, offset + COUNT_OFFSET, byteCount);
        for (int i = 0; i < h.length; i++)
        {
            INT_BE.set(dst, offset + CHAINING_OFFSET + 4 * i, h[i]);
        }
        final int used = (int)byteCount & (BLOCK_LENGTH - 1);
        System.arraycopy(partial, 0, dst, offset + PARTIAL_OFFSET, used);
    }

    /** Continues the message from a state written by {@link #saveState}. */
    public final void restoreState(final byte[] src, final int offset)
    {
        byteCount = (long)LONG_BE.get(src, offset + COUNT_OFFSET);
        for (int i = 0; i < h.length; i++)
        {
            h[i] = (int)INT_BE.get(src, offset + CHAINING_OFFSET + 4 * i);
        }
        System.arraycopy(src, offset + PARTIAL_OFFSET, partial, 0, BLOCK_LENGTH);
    }

    /** Continues the message from another digest's state (same algorithm). */
    public final void copyFrom(final Sha other)
    {
        System.arraycopy(other.h, 0, h, 0, h.length);
        System.arraycopy(other.partial, 0, partial, 0, BLOCK_LENGTH);
        byteCount = other.byteCount;
    }

    /** Overwrites the state. */
    public final void destroy()
    {
        Arrays.fill(h, 0);
        Arrays.fill(partial, (byte)0);
        byteCount = 0;
    }

    abstract void initialChaining(int[] chaining);

    /** Compresses one 64-byte block into {@link #h}. */
    abstract void compress(byte[] block, int offset);
}
