package org.inlinetls.crypto.cbc;

import java.util.Arrays;

/**
 * HMAC (RFC 2104) over a {@link Sha} with the keyed inner and outer states precomputed, plus the Lucky13-safe MAC of
 * a message whose length is secret (RFC 5246 §6.2.3.2 records whose padding length is not yet trusted).
 * <p>
 * Not thread-safe; nothing is allocated after {@link #init}.
 */
public final class Hmac
{
    private final Sha sha;
    private final int[] innerChaining;
    private final int[] outerChaining;
    private final int[] selected;
    private final byte[] block = new byte[Sha.BLOCK_LENGTH];
    private final byte[] lengthBytes = new byte[8];
    private final byte[] innerDigest = new byte[32];

    public Hmac(final Sha sha)
    {
        this.sha = sha;
        this.innerChaining = new int[sha.h.length];
        this.outerChaining = new int[sha.h.length];
        this.selected = new int[sha.h.length];
    }

    /** Bytes of the MAC (the digest length). */
    public int macLength()
    {
        return sha.digestLength();
    }

    /** The digest that carries the message in progress, so its state can be saved and restored. */
    public Sha digest()
    {
        return sha;
    }

    /** Installs a key and starts a message; may allocate. */
    public void init(final byte[] key, final int offset, final int length)
    {
        final byte[] k = new byte[Sha.BLOCK_LENGTH];
        if (length > Sha.BLOCK_LENGTH)
        {
            sha.reset();
            sha.update(key, offset, length);
            sha.finish(k, 0);
        }
        else
        {
            System.arraycopy(key, offset, k, 0, length);
        }
        keyedChaining(k, (byte)0x36, innerChaining);
        keyedChaining(k, (byte)0x5c, outerChaining);
        Arrays.fill(k, (byte)0);
        reset();
    }

    private void keyedChaining(final byte[] key, final byte pad, final int[] chaining)
    {
        for (int i = 0; i < Sha.BLOCK_LENGTH; i++)
        {
            block[i] = (byte)(key[i] ^ pad);
        }
        sha.reset();
        sha.update(block, 0, Sha.BLOCK_LENGTH);
        System.arraycopy(sha.h, 0, chaining, 0, chaining.length);
        Arrays.fill(block, (byte)0);
    }

    /** Starts a new message under the installed key. */
    public void reset()
    {
        sha.initialChaining(sha.h);
        System.arraycopy(innerChaining, 0, sha.h, 0, innerChaining.length);
        sha.byteCount = Sha.BLOCK_LENGTH;
    }

    public void update(final byte[] src, final int offset, final int length)
    {
        sha.update(src, offset, length);
    }

    public void update(final byte b)
    {
        sha.update(b);
    }

    /** Writes the MAC of the message and starts a new one. */
    public void doFinal(final byte[] dst, final int dstOffset)
    {
        final int length = sha.digestLength();
        sha.finish(innerDigest, 0);
        outer(dst, dstOffset, length);
    }

    private void outer(final byte[] dst, final int dstOffset, final int length)
    {
        System.arraycopy(outerChaining, 0, sha.h, 0, outerChaining.length);
        sha.byteCount = Sha.BLOCK_LENGTH;
        sha.update(innerDigest, 0, length);
        sha.finish(dst, dstOffset);
        reset();
    }

    /**
     * The MAC of {@code header[0..headerLength) || data[0..secretLength)}, computed with the same sequence of
     * compressions and memory accesses for every {@code secretLength} in {@code [minLength, maxLength]}: blocks that
     * hold only data for every candidate length are hashed directly; the remaining blocks (at most
     * {@code (maxLength - minLength + 9) / 64 + 2}) are built byte by byte with masks, all of them are compressed, and
     * the chaining value after the block holding the true length field is selected with masks (the method of
     * OpenSSL's {@code ssl3_cbc_digest_record}). Starts a new message afterwards.
     *
     * @param data holds at least {@code maxLength} bytes from index 0.
     */
    public void macConstantTime(
        final byte[] header,
        final int headerLength,
        final byte[] data,
        final int secretLength,
        final int minLength,
        final int maxLength,
        final byte[] dst,
        final int dstOffset)
    {
        reset();
        final int n = headerLength + secretLength;
        final int firstMasked = (headerLength + minLength) / Sha.BLOCK_LENGTH;
        final int blocks = (headerLength + maxLength + 8) / Sha.BLOCK_LENGTH + 1;
        final int lastIndex = (n + 8) / Sha.BLOCK_LENGTH;
        final long bitLength = (Sha.BLOCK_LENGTH + (long)n) << 3;
        for (int i = 0; i < 8; i++)
        {
            lengthBytes[i] = (byte)(bitLength >>> (56 - 8 * i));
        }
        for (int i = 0; i < firstMasked; i++)
        {
            for (int j = 0; j < Sha.BLOCK_LENGTH; j++)
            {
                final int q = i * Sha.BLOCK_LENGTH + j;
                block[j] = q < headerLength ? header[q] : data[q - headerLength];
            }
            sha.compress(block, 0);
        }
        Arrays.fill(selected, 0);
        for (int i = firstMasked; i < blocks; i++)
        {
            final int isLast = equalMask(i, lastIndex);
            for (int j = 0; j < Sha.BLOCK_LENGTH; j++)
            {
                final int q = i * Sha.BLOCK_LENGTH + j;
                final int available = q < headerLength ? header[q] :
                    (q - headerLength < maxLength ? data[q - headerLength] : 0);
                int b = (available & lessMask(q, n)) | (0x80 & equalMask(q, n));
                if (j >= Sha.BLOCK_LENGTH - 8)
                {
                    b |= lengthBytes[j - (Sha.BLOCK_LENGTH - 8)] & isLast;
                }
                block[j] = (byte)b;
            }
            sha.compress(block, 0);
            for (int w = 0; w < selected.length; w++)
            {
                selected[w] |= sha.h[w] & isLast;
            }
        }
        for (int w = 0; w < selected.length; w++)
        {
            Sha.INT_BE.set(innerDigest, 4 * w, selected[w]);
        }
        Arrays.fill(block, (byte)0);
        outer(dst, dstOffset, sha.digestLength());
    }

    /** Overwrites the key material. */
    public void destroy()
    {
        Arrays.fill(innerChaining, 0);
        Arrays.fill(outerChaining, 0);
        Arrays.fill(selected, 0);
        Arrays.fill(innerDigest, (byte)0);
        sha.destroy();
    }

    /** All ones when {@code a < b}, else 0; for {@code |a - b| < 2^31}. */
    static int lessMask(final int a, final int b)
    {
        return (a - b) >> 31;
    }

    /** All ones when {@code a == b}, else 0. */
    static int equalMask(final int a, final int b)
    {
        final int x = a ^ b;
        return ~((x | -x) >> 31);
    }
}
