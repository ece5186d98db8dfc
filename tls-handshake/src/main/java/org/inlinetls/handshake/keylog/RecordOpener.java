package org.inlinetls.handshake.keylog;

import org.inlinetls.crypto.keys.Secrets;
import org.inlinetls.crypto.suite.AeadAlgorithm;
import org.inlinetls.crypto.suite.CipherSuite;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Opens whole TLS records of one direction with the JDK's one-shot AEAD ciphers, for offline work on captures
 * (replay, tests, diagnostics) and never on the data path: TLS 1.3 (RFC 8446 §5.2, inner content type recovered)
 * and TLS 1.2 AEAD suites (RFC 5288 explicit nonce, RFC 7905 ChaCha20-Poly1305). Record sequence numbers count up
 * from the one given. CBC suites are not supported.
 */
public final class RecordOpener
{
    private static final int HEADER_LENGTH = CipherSuite.RECORD_HEADER_LENGTH;
    private static final int TAG_LENGTH = 16;

    private final CipherSuite suite;
    private final byte[] key;
    private final byte[] iv;
    private long sequence;
    private int contentType;

    /**
     * @param key   the write key of the direction (copied; {@link #destroy()} zeroes the copy).
     * @param iv    the write IV (TLS 1.3, TLS 1.2 ChaCha20) or the 4-byte salt (TLS 1.2 GCM), copied.
     */
    public RecordOpener(final CipherSuite suite, final byte[] key, final byte[] iv, final long firstSequence)
    {
        this.suite = suite;
        this.key = key.clone();
        this.iv = iv.clone();
        this.sequence = firstSequence;
    }

    /** The sequence number of the next record to open. */
    public long sequence()
    {
        return sequence;
    }

    /** The content type of the record opened last (TLS 1.3: the inner type). */
    public int contentType()
    {
        return contentType;
    }

    /**
     * Opens the record at {@code offset} (header included, whole record present) and moves to the next sequence
     * number.
     *
     * @return its plaintext content, or null when it does not authenticate (the sequence number does not move).
     */
    public byte[] open(final byte[] stream, final int offset)
    {
        final int length = ((stream[offset + 3] & 0xFF) << 8) | (stream[offset + 4] & 0xFF);
        final int bodyOffset = offset + HEADER_LENGTH;
        try
        {
            final byte[] plain;
            if (suite.isTls13())
            {
                plain = decrypt(nonce(null, 0), Arrays.copyOfRange(stream, offset, bodyOffset), stream, bodyOffset,
                    length);
                int end = plain.length;
                while (end > 0 && plain[end - 1] == 0)
                {
                    end--;
                }
                if (end == 0)
                {
                    return null;
                }
                contentType = plain[end - 1] & 0xFF;
                sequence++;
                return Arrays.copyOf(plain, end - 1);
            }
            final int explicit = suite.explicitNonceLength();
            final int plainLength = length - explicit - TAG_LENGTH;
            final byte[] aad = new byte[13];
            for (int i = 0; i < 8; i++)
            {
                aad[i] = (byte)(sequence >>> (56 - 8 * i));
            }
            aad[8] = stream[offset];
            aad[9] = stream[offset + 1];
            aad[10] = stream[offset + 2];
            aad[11] = (byte)(plainLength >>> 8);
            aad[12] = (byte)plainLength;
            plain = decrypt(nonce(stream, bodyOffset), aad, stream, bodyOffset + explicit, length - explicit);
            contentType = stream[offset] & 0xFF;
            sequence++;
            return plain;
        }
        catch (final AEADBadTagException ex)
        {
            return null;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("record cipher unavailable: " + ex.getClass().getSimpleName());
        }
    }

    private byte[] nonce(final byte[] stream, final int explicitOffset)
    {
        if (suite.explicitNonceLength() > 0)
        {
            final byte[] nonce = new byte[12];
            System.arraycopy(iv, 0, nonce, 0, iv.length);
            System.arraycopy(stream, explicitOffset, nonce, iv.length, suite.explicitNonceLength());
            return nonce;
        }
        final byte[] nonce = iv.clone();
        for (int i = 0; i < 8; i++)
        {
            nonce[nonce.length - 1 - i] ^= (byte)(sequence >>> (8 * i));
        }
        return nonce;
    }

    private byte[] decrypt(final byte[] nonce, final byte[] aad, final byte[] src, final int offset, final int length)
        throws GeneralSecurityException
    {
        final Cipher cipher;
        if (suite.aead() == AeadAlgorithm.CHACHA20_POLY1305)
        {
            cipher = Cipher.getInstance("ChaCha20-Poly1305");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
        }
        else
        {
            cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        }
        cipher.updateAAD(aad);
        return cipher.doFinal(src, offset, length);
    }

    /** Zeroes the key copies. */
    public void destroy()
    {
        Secrets.zero(key, iv);
    }

    @Override
    public String toString()
    {
        return "RecordOpener{" + suite + ", seq=" + sequence + ", keys " + Secrets.REDACTED + "}";
    }
}
