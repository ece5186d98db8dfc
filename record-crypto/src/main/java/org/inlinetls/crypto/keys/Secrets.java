package org.inlinetls.crypto.keys;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Small helpers for key material held in {@code byte[]}: wiping, constant-time comparison, and a redacted
 * description for {@code toString()}.
 */
public final class Secrets
{
    /** What a key-holding object prints instead of its key material. */
    public static final String REDACTED = "<redacted>";

    private Secrets()
    {
    }

    /** Overwrites every given array with zeros; {@code null} arrays are skipped. */
    public static void zero(final byte[]... secrets)
    {
        if (secrets == null)
        {
            return;
        }
        for (final byte[] secret : secrets)
        {
            if (secret != null)
            {
                Arrays.fill(secret, (byte)0);
            }
        }
    }

    /** Compares two secrets in time that depends only on their lengths. */
    public static boolean constantTimeEquals(final byte[] a, final byte[] b)
    {
        return MessageDigest.isEqual(a, b);
    }

    /** A description of a secret that reveals only its length, for {@code toString()} and diagnostics. */
    public static String describe(final byte[] secret)
    {
        return secret == null ? "null" : REDACTED + "[" + secret.length + "]";
    }

    /** A copy of {@code length} bytes of {@code source} from {@code offset}. */
    static byte[] slice(final byte[] source, final int offset, final int length)
    {
        return Arrays.copyOfRange(source, offset, offset + length);
    }

    static byte[] concat(final byte[]... parts)
    {
        int length = 0;
        for (final byte[] part : parts)
        {
            length += part.length;
        }
        final byte[] out = new byte[length];
        int offset = 0;
        for (final byte[] part : parts)
        {
            System.arraycopy(part, 0, out, offset, part.length);
            offset += part.length;
        }
        return out;
    }
}
