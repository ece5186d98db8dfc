package org.inlinetls.crypto.aead;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The ChaCha20 keystream (RFC 8439 §2.4) from the JCE {@code ChaCha20} cipher, positioned at any block of any nonce.
 * <p>
 * The JCE cipher refuses an init with the key and nonce of its previous init (JDK 17 in both modes, JDK 25 when
 * encrypting). XOR with the keystream is the same both ways, so the cipher is always initialised to decrypt, and
 * where the JDK refuses that too, an init with a different nonce goes in between. Each seek allocates the JCE's
 * parameter object; producing keystream allocates nothing.
 */
final class ChaChaKeystream
{
    static final int KEY_LENGTH = 32;
    static final int BLOCK_LENGTH = 64;

    /** Whether this JDK refuses a decrypt-mode re-init with the same key and nonce (JDK 17 does, JDK 25 does not). */
    static final boolean SAME_NONCE_REINIT_REFUSED = probeSameNonceRefusal();

    private final Cipher cipher;
    private final byte[] nonce = new byte[StreamingAead.NONCE_LENGTH];
    private final byte[] otherNonce = new byte[StreamingAead.NONCE_LENGTH];
    private final byte[] discard = new byte[BLOCK_LENGTH];
    private SecretKeySpec key;
    private boolean seeked;

    ChaChaKeystream()
    {
        try
        {
            cipher = Cipher.getInstance("ChaCha20");
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("JCE ChaCha20 unavailable", ex);
        }
    }

    void init(final byte[] keyBytes)
    {
        if (keyBytes.length != KEY_LENGTH)
        {
            throw new IllegalArgumentException("ChaCha20 key length " + keyBytes.length);
        }
        key = new SecretKeySpec(keyBytes, "ChaCha20");
        seeked = false;
    }

    /** Positions the keystream at the start of block {@code blockCounter} of the given nonce. */
    void seek(final byte[] nonceBytes, final int nonceOffset, final int blockCounter)
    {
        try
        {
            if (seeked && SAME_NONCE_REINIT_REFUSED &&
                Arrays.equals(nonce, 0, nonce.length, nonceBytes, nonceOffset, nonceOffset + nonce.length))
            {
                System.arraycopy(nonce, 0, otherNonce, 0, nonce.length);
                otherNonce[0] ^= 1;
                cipher.init(Cipher.DECRYPT_MODE, key, new ChaCha20ParameterSpec(otherNonce, 0));
            }
            System.arraycopy(nonceBytes, nonceOffset, nonce, 0, nonce.length);
            cipher.init(Cipher.DECRYPT_MODE, key, new ChaCha20ParameterSpec(nonce, blockCounter));
            seeked = true;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("ChaCha20 init", ex);
        }
    }

    /** XORs the next {@code length} keystream bytes into {@code src} and writes the result to {@code dst}. */
    void xor(final byte[] src, final int srcOffset, final int length, final byte[] dst, final int dstOffset)
    {
        if (length == 0)
        {
            return;
        }
        try
        {
            cipher.update(src, srcOffset, length, dst, dstOffset);
        }
        catch (final ShortBufferException ex)
        {
            throw new IndexOutOfBoundsException(ex.getMessage());
        }
    }

    /** Advances the keystream by {@code length} bytes. */
    void skip(final int length)
    {
        int remaining = length;
        while (remaining > 0)
        {
            final int n = Math.min(remaining, BLOCK_LENGTH);
            xor(discard, 0, n, discard, 0);
            remaining -= n;
        }
    }

    void destroy()
    {
        // SecretKeySpec cannot be wiped (JDK 17); drop it and let the cipher forget the key with a dummy one
        key = null;
        seeked = false;
        Arrays.fill(nonce, (byte)0);
        Arrays.fill(discard, (byte)0);
        try
        {
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(new byte[KEY_LENGTH], "ChaCha20"),
                new ChaCha20ParameterSpec(new byte[StreamingAead.NONCE_LENGTH], 0));
        }
        catch (final GeneralSecurityException ignore)
        {
            // the cipher keeps the old key until its next init; nothing else can be done
        }
    }

    private static boolean probeSameNonceRefusal()
    {
        try
        {
            final Cipher probe = Cipher.getInstance("ChaCha20");
            final SecretKeySpec probeKey = new SecretKeySpec(new byte[KEY_LENGTH], "ChaCha20");
            final byte[] probeNonce = new byte[StreamingAead.NONCE_LENGTH];
            probe.init(Cipher.DECRYPT_MODE, probeKey, new ChaCha20ParameterSpec(probeNonce, 1));
            try
            {
                probe.init(Cipher.DECRYPT_MODE, probeKey, new ChaCha20ParameterSpec(probeNonce, 2));
                return false;
            }
            catch (final InvalidKeyException refused)
            {
                return true;
            }
        }
        catch (final GeneralSecurityException ex)
        {
            return true;
        }
    }
}
