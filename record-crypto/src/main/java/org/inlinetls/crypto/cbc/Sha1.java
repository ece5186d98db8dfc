package org.inlinetls.crypto.cbc;

/**
 * SHA-1 (FIPS 180-4 §6.1) with saveable state, for the HMAC-SHA1 of TLS 1.2 CBC suites.
 */
public final class Sha1 extends Sha
{
    private final int[] w = new int[80];

    public Sha1()
    {
        super(5);
    }

    void initialChaining(final int[] chaining)
    {
        chaining[0] = 0x67452301;
        chaining[1] = 0xEFCDAB89;
        chaining[2] = 0x98BADCFE;
        chaining[3] = 0x10325476;
        chaining[4] = 0xC3D2E1F0;
    }

    void compress(final byte[] block, final int offset)
    {
        final int[] w = this.w;
        for (int t = 0; t < 16; t++)
        {
            w[t] = (int)INT_BE.get(block, offset + 4 * t);
        }
        for (int t = 16; t < 80; t++)
        {
            w[t] = Integer.rotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
        }
        int a = h[0];
        int b = h[1];
        int c = h[2];
        int d = h[3];
        int e = h[4];
        for (int t = 0; t < 20; t++)
        {
            final int temp = Integer.rotateLeft(a, 5) + ((b & c) | (~b & d)) + e + 0x5A827999 + w[t];
            e = d;
            d = c;
            c = Integer.rotateLeft(b, 30);
            b = a;
            a = temp;
        }
        for (int t = 20; t < 40; t++)
        {
            final int temp = Integer.rotateLeft(a, 5) + (b ^ c ^ d) + e + 0x6ED9EBA1 + w[t];
            e = d;
            d = c;
            c = Integer.rotateLeft(b, 30);
            b = a;
            a = temp;
        }
        for (int t = 40; t < 60; t++)
        {
            final int temp = Integer.rotateLeft(a, 5) + ((b & c) | (b & d) | (c & d)) + e + 0x8F1BBCDC + w[t];
            e = d;
            d = c;
            c = Integer.rotateLeft(b, 30);
            b = a;
            a = temp;
        }
        for (int t = 60; t < 80; t++)
        {
            final int temp = Integer.rotateLeft(a, 5) + (b ^ c ^ d) + e + 0xCA62C1D6 + w[t];
            e = d;
            d = c;
            c = Integer.rotateLeft(b, 30);
            b = a;
            a = temp;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
    }
}
