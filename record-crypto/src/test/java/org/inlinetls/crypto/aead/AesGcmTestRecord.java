package org.inlinetls.crypto.aead;

import java.util.Random;

/** A random AES-GCM record and random piece lengths for the streaming tests. */
final class AesGcmTestRecord
{
    static final int MAX_LENGTH = 20_000;

    final byte[] key;
    final byte[] nonce = new byte[12];
    final byte[] aad;
    final byte[] plaintext;

    private AesGcmTestRecord(final Random random, final byte[] key)
    {
        this.key = key;
        random.nextBytes(nonce);
        aad = new byte[random.nextBoolean() ? random.nextInt(40) : (random.nextBoolean() ? 13 : 5)];
        random.nextBytes(aad);
        final int kind = random.nextInt(4);
        plaintext = new byte[0 == kind ? random.nextInt(50) : random.nextInt(MAX_LENGTH + 1)];
        random.nextBytes(plaintext);
    }

    /** A fresh seed, or the one to replay given as {@code -Daead.test.seed=...}; tests print it when they fail. */
    static long seed()
    {
        return Long.getLong("aead.test.seed", System.nanoTime());
    }

    static AesGcmTestRecord random(final Random random)
    {
        return new AesGcmTestRecord(random, randomKey(random));
    }

    static AesGcmTestRecord random(final Random random, final byte[] key)
    {
        return new AesGcmTestRecord(random, key);
    }

    static byte[] randomKey(final Random random)
    {
        final byte[] key = new byte[random.nextBoolean() ? 16 : 32];
        random.nextBytes(key);
        return key;
    }

    /** 1-byte pieces, pieces under a block, segment-sized pieces and everything left, a quarter each. */
    static int pieceLength(final Random random, final int remaining)
    {
        final int length;
        switch (random.nextInt(4))
        {
            case 0:
                length = 1;
                break;
            case 1:
                length = 1 + random.nextInt(16);
                break;
            case 2:
                length = 1 + random.nextInt(1448);
                break;
            default:
                length = remaining;
                break;
        }
        return Math.min(length, remaining);
    }

    public String toString()
    {
        return "key=" + key.length + "B aad=" + aad.length + "B plaintext=" + plaintext.length + "B";
    }
}
