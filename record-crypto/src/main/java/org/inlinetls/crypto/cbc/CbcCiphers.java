package org.inlinetls.crypto.cbc;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;

/**
 * Key checks and the keyed JCE AES/CBC cipher shared by the decrypting stream and the encryptor.
 */
final class CbcCiphers
{
    private CbcCiphers()
    {
    }

    /**
     * Checks the key lengths for {@code algorithm} and returns an AES/CBC/NoPadding cipher keyed with {@code encKey}
     * (zero IV: callers chain their own IVs).
     *
     * @param mode {@link Cipher#ENCRYPT_MODE} or {@link Cipher#DECRYPT_MODE}.
     */
    static Cipher keyed(final int mode, final byte[] encKey, final byte[] macKey, final CbcMacAlgorithm algorithm)
    {
        if ((encKey.length != 16 && encKey.length != 32) || macKey.length != algorithm.macLength())
        {
            throw new IllegalArgumentException("key lengths " + encKey.length + "/" + macKey.length + " do not fit " +
                algorithm);
        }
        try
        {
            final Cipher cipher = Cipher.getInstance("AES/CBC/NoPadding");
            cipher.init(mode, new SecretKeySpec(encKey, "AES"),
                new IvParameterSpec(new byte[CbcHmacStream.BLOCK_LENGTH]));
            return cipher;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("AES/CBC/NoPadding unavailable", ex);
        }
    }
}
