package org.inlinetls.crypto.cbc;

/**
 * SHA-256 (FIPS 180-4 §6.2) with saveable state, for the HMAC-SHA256 of TLS 1.2 CBC suites.
 */
public final class Sha256 extends Sha
{
    private static final int[] K = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
    };

    private final int[] w = new int[64];

    public Sha256()
    {
        super(8);
    }

    void initialChaining(final int[] chaining)
    {
        chaining[0] = 0x6a09e667;
        chaining[1] = 0xbb67ae85;
        chaining[2] = 0x3c6ef372;
        chaining[3] = 0xa54ff53a;
        chaining[4] = 0x510e527f;
        chaining[5] = 0x9b05688c;
        chaining[6] = 0x1f83d9ab;
        chaining[7] = 0x5be0cd19;
    }

    void compress(final byte[] block, final int offset)
    {
        final int[] w = this.w;
        for (int t = 0; t < 16; t++)
        {
            w[t] = (int)INT_BE.get(block, offset + 4 * t);
        }
        for (int t = 16; t < 64; t++)
        {
            final int x = w[t - 15];
            final int y = w[t - 2];
            final int s0 = Integer.rotateRight(x, 7) ^ Integer.rotateRight(x, 18) ^ (x >>> 3);
            final int s1 = Integer.rotateRight(y, 17) ^ Integer.rotateRight(y, 19) ^ (y >>> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        int a = h[0];
        int b = h[1];
        int c = h[2];
        int d = h[3];
        int e = h[4];
        int f = h[5];
        int g = h[6];
        int hh = h[7];
        for (int t = 0; t < 64; t++)
        {
            final int s1 = Integer.rotateRight(e, 6) ^ Integer.rotateRight(e, 11) ^ Integer.rotateRight(e, 25);
            final int ch = (e & f) ^ (~e & g);
            final int t1 = hh + s1 + ch + K[t] + w[t];
            final int s0 = Integer.rotateRight(a, 2) ^ Integer.rotateRight(a, 13) ^ Integer.rotateRight(a, 22);
            final int maj = (a & b) ^ (a & c) ^ (b & c);
            final int t2 = s0 + maj;
            hh = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
        h[5] += f;
        h[6] += g;
        h[7] += hh;
    }
}
