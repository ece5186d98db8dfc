package org.inlinetls.crypto.aead;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Pure-Java Poly1305 in five 26-bit limbs (the "donna-32" arrangement with 64-bit products); allocation-free.
 */
final class JavaPoly1305 implements Poly1305
{
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long MASK26 = 0x3ffffffL;
    private static final long UINT32 = 0xffffffffL;
    private static final long HIBIT = 1L << 24;

    private long r0, r1, r2, r3, r4;
    private long s1, s2, s3, s4;
    private long h0, h1, h2, h3, h4;
    private long pad0, pad1, pad2, pad3;
    private final byte[] buffer = new byte[BLOCK_LENGTH];
    private int bufferLength;

    public void init(final byte[] key, final int keyOffset)
    {
        final long t0 = le32(key, keyOffset);
        final long t1 = le32(key, keyOffset + 4);
        final long t2 = le32(key, keyOffset + 8);
        final long t3 = le32(key, keyOffset + 12);

        // clamp (RFC 8439 §2.5) while splitting into 26-bit limbs
        r0 = t0 & 0x3ffffffL;
        r1 = ((t0 >>> 26) | (t1 << 6)) & 0x3ffff03L;
        r2 = ((t1 >>> 20) | (t2 << 12)) & 0x3ffc0ffL;
        r3 = ((t2 >>> 14) | (t3 << 18)) & 0x3f03fffL;
        r4 = (t3 >>> 8) & 0x00fffffL;
        s1 = r1 * 5;
        s2 = r2 * 5;
        s3 = r3 * 5;
        s4 = r4 * 5;

        pad0 = le32(key, keyOffset + 16);
        pad1 = le32(key, keyOffset + 20);
        pad2 = le32(key, keyOffset + 24);
        pad3 = le32(key, keyOffset + 28);

        h0 = h1 = h2 = h3 = h4 = 0;
        bufferLength = 0;
    }

    public void update(final byte[] src, final int srcOffset, final int length)
    {
        int offset = srcOffset;
        int remaining = length;
        if (bufferLength > 0)
        {
            final int n = Math.min(remaining, BLOCK_LENGTH - bufferLength);
            System.arraycopy(src, offset, buffer, bufferLength, n);
            bufferLength += n;
            offset += n;
            remaining -= n;
            if (bufferLength < BLOCK_LENGTH)
            {
                return;
            }
            blocks(buffer, 0, BLOCK_LENGTH, HIBIT);
            bufferLength = 0;
        }

        final int whole = remaining & ~(BLOCK_LENGTH - 1);
        if (whole > 0)
        {
            blocks(src, offset, whole, HIBIT);
            offset += whole;
            remaining -= whole;
        }

        if (remaining > 0)
        {
            System.arraycopy(src, offset, buffer, 0, remaining);
            bufferLength = remaining;
        }
    }

    public void finish(final byte[] tag, final int tagOffset)
    {
        if (bufferLength > 0)
        {
            buffer[bufferLength] = 1;
            Arrays.fill(buffer, bufferLength + 1, BLOCK_LENGTH, (byte)0);
            blocks(buffer, 0, BLOCK_LENGTH, 0);
            bufferLength = 0;
        }

        reduceFully();

        // h mod 2^128 as four 32-bit words, plus s
        long f0 = ((h0) | (h1 << 26)) & UINT32;
        long f1 = ((h1 >>> 6) | (h2 << 20)) & UINT32;
        long f2 = ((h2 >>> 12) | (h3 << 14)) & UINT32;
        long f3 = ((h3 >>> 18) | (h4 << 8)) & UINT32;

        f0 += pad0;
        f1 += pad1 + (f0 >>> 32);
        f2 += pad2 + (f1 >>> 32);
        f3 += pad3 + (f2 >>> 32);

        INT_LE.set(tag, tagOffset, (int)f0);
        INT_LE.set(tag, tagOffset + 4, (int)f1);
        INT_LE.set(tag, tagOffset + 8, (int)f2);
        INT_LE.set(tag, tagOffset + 12, (int)f3);
        h0 = h1 = h2 = h3 = h4 = 0;
    }

    public int saveState(final byte[] accumulator, final int accumulatorOffset, final byte[] partial,
        final int partialOffset)
    {
        reduceFully();
        INT_LE.set(accumulator, accumulatorOffset, (int)(h0 | (h1 << 26)));
        INT_LE.set(accumulator, accumulatorOffset + 4, (int)((h1 >>> 6) | (h2 << 20)));
        INT_LE.set(accumulator, accumulatorOffset + 8, (int)((h2 >>> 12) | (h3 << 14)));
        INT_LE.set(accumulator, accumulatorOffset + 12, (int)((h3 >>> 18) | (h4 << 8)));
        accumulator[accumulatorOffset + 16] = (byte)(h4 >>> 24);
        System.arraycopy(buffer, 0, partial, partialOffset, bufferLength);
        return bufferLength;
    }

    public void restoreState(final byte[] accumulator, final int accumulatorOffset, final byte[] partial,
        final int partialOffset, final int partialLength)
    {
        final long t0 = le32(accumulator, accumulatorOffset);
        final long t1 = le32(accumulator, accumulatorOffset + 4);
        final long t2 = le32(accumulator, accumulatorOffset + 8);
        final long t3 = le32(accumulator, accumulatorOffset + 12);
        final long t4 = accumulator[accumulatorOffset + 16] & 3;
        h0 = t0 & MASK26;
        h1 = ((t0 >>> 26) | (t1 << 6)) & MASK26;
        h2 = ((t1 >>> 20) | (t2 << 12)) & MASK26;
        h3 = ((t2 >>> 14) | (t3 << 18)) & MASK26;
        h4 = (t3 >>> 8) | (t4 << 24);
        System.arraycopy(partial, partialOffset, buffer, 0, partialLength);
        bufferLength = partialLength;
    }

    public void destroy()
    {
        r0 = r1 = r2 = r3 = r4 = s1 = s2 = s3 = s4 = 0;
        h0 = h1 = h2 = h3 = h4 = 0;
        pad0 = pad1 = pad2 = pad3 = 0;
        Arrays.fill(buffer, (byte)0);
        bufferLength = 0;
    }

    public String name()
    {
        return "java";
    }

    private void blocks(final byte[] m, final int offset, final int length, final long hibit)
    {
        final long r0 = this.r0, r1 = this.r1, r2 = this.r2, r3 = this.r3, r4 = this.r4;
        final long s1 = this.s1, s2 = this.s2, s3 = this.s3, s4 = this.s4;
        long h0 = this.h0, h1 = this.h1, h2 = this.h2, h3 = this.h3, h4 = this.h4;

        final int end = offset + length;
        for (int i = offset; i < end; i += BLOCK_LENGTH)
        {
            final long t0 = le32(m, i);
            final long t1 = le32(m, i + 4);
            final long t2 = le32(m, i + 8);
            final long t3 = le32(m, i + 12);

            h0 += t0 & MASK26;
            h1 += ((t0 >>> 26) | (t1 << 6)) & MASK26;
            h2 += ((t1 >>> 20) | (t2 << 12)) & MASK26;
            h3 += ((t2 >>> 14) | (t3 << 18)) & MASK26;
            h4 += (t3 >>> 8) | hibit;

            final long d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1;
            long d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2;
            long d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3;
            long d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4;
            long d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;

            long c = d0 >>> 26;
            h0 = d0 & MASK26;
            d1 += c;
            c = d1 >>> 26;
            h1 = d1 & MASK26;
            d2 += c;
            c = d2 >>> 26;
            h2 = d2 & MASK26;
            d3 += c;
            c = d3 >>> 26;
            h3 = d3 & MASK26;
            d4 += c;
            c = d4 >>> 26;
            h4 = d4 & MASK26;
            h0 += c * 5;
            c = h0 >>> 26;
            h0 &= MASK26;
            h1 += c;
        }

        this.h0 = h0;
        this.h1 = h1;
        this.h2 = h2;
        this.h3 = h3;
        this.h4 = h4;
    }

    /** Carries fully and reduces h into [0, 2^130 - 5) in constant time. */
    private void reduceFully()
    {
        carry();
        carry(); // the first pass can leave h1 at 2^26; the second cannot

        long c;

        // g = h + 5 - 2^130; keep g when it is non-negative
        long g0 = h0 + 5;
        c = g0 >>> 26;
        g0 &= MASK26;
        long g1 = h1 + c;
        c = g1 >>> 26;
        g1 &= MASK26;
        long g2 = h2 + c;
        c = g2 >>> 26;
        g2 &= MASK26;
        long g3 = h3 + c;
        c = g3 >>> 26;
        g3 &= MASK26;
        final long g4 = h4 + c - (1L << 26);

        final long useG = ~(g4 >> 63); // all ones when g4 >= 0
        h0 = (h0 & ~useG) | (g0 & useG);
        h1 = (h1 & ~useG) | (g1 & useG);
        h2 = (h2 & ~useG) | (g2 & useG);
        h3 = (h3 & ~useG) | (g3 & useG);
        h4 = (h4 & ~useG) | (g4 & useG);
    }

    private void carry()
    {
        long c = h0 >>> 26;
        h0 &= MASK26;
        h1 += c;
        c = h1 >>> 26;
        h1 &= MASK26;
        h2 += c;
        c = h2 >>> 26;
        h2 &= MASK26;
        h3 += c;
        c = h3 >>> 26;
        h3 &= MASK26;
        h4 += c;
        c = h4 >>> 26;
        h4 &= MASK26;
        h0 += c * 5;
    }

    private static long le32(final byte[] src, final int offset)
    {
        return (int)INT_LE.get(src, offset) & UINT32;
    }
}
