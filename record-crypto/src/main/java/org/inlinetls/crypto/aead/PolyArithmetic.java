package org.inlinetls.crypto.aead;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * 130-bit arithmetic that {@link JdkPoly1305} needs to move its accumulator through the JDK object's own operations.
 */
final class PolyArithmetic
{
    private static final VarHandle LONG_LE =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long P0 = 0xfffffffffffffffbL; // p = 2^130 - 5 = 3 : ~0 : P0

    // restoring h (the accumulator's bits 128 and 129) adds four blocks summing to q (2^128 - 1) - e; see restoreBlock
    private static final int[] RESTORE_WHOLE_BLOCKS = { 3, 4, 1, 2 };
    private static final int[] RESTORE_FIRST_BLOCK_DEFICIT = { 7, 6, 4, 3 };

    private PolyArithmetic()
    {
    }

    /**
     * Finds h in v = 2^128 h + l (v reduced modulo p) from l and from w = 4 (v + 2^128 + 2^127) mod p, both as their
     * low 128 bits, little-endian: w = 4l + 2^129 + 5h + 5 less p when that reaches p (2^130 = 5 mod p), and the four
     * candidates differ in their low bits.
     */
    static int highBits(final byte[] low, final byte[] scaled)
    {
        final long l0 = (long)LONG_LE.get(low, 0);
        final long l1 = (long)LONG_LE.get(low, 8);
        final long w0 = (long)LONG_LE.get(scaled, 0);
        final long w1 = (long)LONG_LE.get(scaled, 8);

        final long x0 = l0 << 2;
        final long x1 = (l1 << 2) | (l0 >>> 62);
        final long x2 = (l1 >>> 62) + 2;

        int h = 0;
        for (int candidate = 0; candidate < 4; candidate++)
        {
            final long c = 5L * candidate + 5;
            final long y0 = x0 + c;
            final long carry0 = Long.compareUnsigned(y0, x0) < 0 ? 1 : 0;
            final long y1 = x1 + carry0;
            final long y2 = x2 + (carry0 & (y1 == 0 ? 1 : 0));

            final boolean wraps = y2 > 3 || (y2 == 3 && y1 == -1L && Long.compareUnsigned(y0, P0) >= 0);
            final long add = wraps ? 5 : 0;
            final long z0 = y0 + add;
            final long z1 = y1 + (Long.compareUnsigned(z0, y0) < 0 ? 1 : 0);

            final long differs = (z0 ^ w0) | (z1 ^ w1);
            final int match = (int)(((differs | -differs) >>> 63) ^ 1); // 1 when equal
            h |= candidate & -match;
        }
        return h;
    }

    /**
     * Writes the i-th (0..3) of the four blocks that, processed with r = 1 after a block equal to l (which leaves
     * l + 2^128), bring the accumulator to 2^128 h + l. Each block b adds b + 2^128, so four add S + 2^130 = S + 5
     * (mod p); S must be (h - 1) 2^128 - 5 mod p, which is q (2^128 - 1) - e with the q and e tabled above: q blocks
     * of all ones, the first of them short by e, then zero blocks.
     */
    static void restoreBlock(final int h, final int i, final byte[] block)
    {
        final int wholeBlocks = RESTORE_WHOLE_BLOCKS[h];
        Arrays.fill(block, i < wholeBlocks ? (byte)0xff : 0);
        if (i == 0)
        {
            block[0] = (byte)(0xff - RESTORE_FIRST_BLOCK_DEFICIT[h]);
        }
    }
}
