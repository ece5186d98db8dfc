package org.inlinetls.crypto.aead;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Pure-Java {@link Ghash} with Shoup's 8-bit tables (4 KiB per key), the fallback when the JDK's intrinsic cannot be
 * reached.
 * <p>
 * A block is held as two big-endian longs (high = bytes 0..7). Multiplying by x^8 shifts right by one byte; the byte
 * shifted out is folded back in through {@link #REDUCTION}. The per-key table holds b·H for every byte value b
 * placed in byte 0, so X·H is evaluated by Horner's rule from byte 15 down to byte 0. Table lookups are
 * data-dependent, which is why the intrinsic is preferred.
 */
final class JavaGhash implements Ghash
{
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final long R = 0xE100000000000000L;
    private static final long[] REDUCTION = reductionTable();

    private final long[] tableHigh = new long[256];
    private final long[] tableLow = new long[256];
    private long stateHigh;
    private long stateLow;

    public void init(final byte[] subkeyH)
    {
        if (subkeyH.length != BLOCK_LENGTH)
        {
            throw new IllegalArgumentException("H must be 16 bytes: " + subkeyH.length);
        }

        long high = (long)LONG_BE.get(subkeyH, 0);
        long low = (long)LONG_BE.get(subkeyH, 8);
        tableHigh[0] = 0;
        tableLow[0] = 0;
        for (int bit = 0x80; bit != 0; bit >>>= 1)
        {
            tableHigh[bit] = high;
            tableLow[bit] = low;
            final long mask = -(low & 1);
            low = (low >>> 1) | (high << 63);
            high = (high >>> 1) ^ (R & mask);
        }

        for (int i = 2; i < 256; i <<= 1)
        {
            for (int j = 1; j < i; j++)
            {
                tableHigh[i + j] = tableHigh[i] ^ tableHigh[j];
                tableLow[i + j] = tableLow[i] ^ tableLow[j];
            }
        }
        reset();
    }

    public void update(final byte[] src, final int srcOffset, final int lengthBytes)
    {
        if ((lengthBytes & (BLOCK_LENGTH - 1)) != 0)
        {
            throw new IllegalArgumentException("not whole blocks: " + lengthBytes);
        }

        final long[] tHigh = tableHigh;
        final long[] tLow = tableLow;
        long high = stateHigh;
        long low = stateLow;
        for (int offset = srcOffset, end = srcOffset + lengthBytes; offset < end; offset += BLOCK_LENGTH)
        {
            final long xHigh = high ^ (long)LONG_BE.get(src, offset);
            final long xLow = low ^ (long)LONG_BE.get(src, offset + 8);

            int b = (int)xLow & 0xFF;
            long zHigh = tHigh[b];
            long zLow = tLow[b];
            for (int shift = 8; shift < 64; shift += 8)
            {
                b = (int)(xLow >>> shift) & 0xFF;
                final int out = (int)zLow & 0xFF;
                zLow = (zLow >>> 8) | (zHigh << 56);
                zHigh = (zHigh >>> 8) ^ REDUCTION[out] ^ tHigh[b];
                zLow ^= tLow[b];
            }
            for (int shift = 0; shift < 64; shift += 8)
            {
                b = (int)(xHigh >>> shift) & 0xFF;
                final int out = (int)zLow & 0xFF;
                zLow = (zLow >>> 8) | (zHigh << 56);
                zHigh = (zHigh >>> 8) ^ REDUCTION[out] ^ tHigh[b];
                zLow ^= tLow[b];
            }
            high = zHigh;
            low = zLow;
        }
        stateHigh = high;
        stateLow = low;
    }

    public void reset()
    {
        stateHigh = 0;
        stateLow = 0;
    }

    public void getState(final byte[] dst, final int dstOffset)
    {
        LONG_BE.set(dst, dstOffset, stateHigh);
        LONG_BE.set(dst, dstOffset + 8, stateLow);
    }

    public void setState(final byte[] src, final int srcOffset)
    {
        stateHigh = (long)LONG_BE.get(src, srcOffset);
        stateLow = (long)LONG_BE.get(src, srcOffset + 8);
    }

    public void digest(final byte[] dst, final int dstOffset)
    {
        getState(dst, dstOffset);
        reset();
    }

    public void destroy()
    {
        Arrays.fill(tableHigh, 0);
        Arrays.fill(tableLow, 0);
        reset();
    }

    /** REDUCTION[r]: what the byte r shifted out of bit positions 120..127 adds to the high long. */
    private static long[] reductionTable()
    {
        final long[] table = new long[256];
        for (int r = 0; r < 256; r++)
        {
            long high = 0;
            long low = r;
            for (int i = 0; i < 8; i++)
            {
                final long mask = -(low & 1);
                low = (low >>> 1) | (high << 63);
                high = (high >>> 1) ^ (R & mask);
            }
            table[r] = high;
        }
        return table;
    }
}
