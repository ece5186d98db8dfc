package org.inlinetls.crypto.record;

import org.inlinetls.crypto.aead.StreamingAead;
import org.inlinetls.crypto.suite.CipherSuite;

import java.util.Arrays;

/**
 * One direction's record protection: the suite, its streaming AEAD keyed for this direction, and the per-record
 * nonce and additional data built from the record sequence number (RFC 8446 §5.2–5.3, RFC 5288 §3, RFC 7905 §2).
 */
public final class RecordProtection
{
    /** TLS 1.2 AEAD additional data: seq_num (8) + type (1) + version (2) + length (2). */
    public static final int TLS12_AAD_LENGTH = 13;
    public static final int LEGACY_VERSION_TLS12 = 0x0303;

    private final CipherSuite suite;
    private final StreamingAead aead;
    private final byte[] fixedIv = new byte[StreamingAead.NONCE_LENGTH];
    private final byte[] nonce = new byte[StreamingAead.NONCE_LENGTH];
    private final byte[] aad = new byte[TLS12_AAD_LENGTH];

    /**
     * @param key the write key of this direction (copied; the caller zeroes its copy).
     * @param iv  the fixed IV of this direction: 12 bytes, or the 4-byte salt for TLS 1.2 GCM (copied).
     */
    public RecordProtection(final CipherSuite suite, final byte[] key, final byte[] iv)
    {
        this.suite = suite;
        this.aead = suite.aead().newStream();
        rekey(key, iv);
    }

    /** Installs new keys for this direction (TLS 1.3 KeyUpdate). */
    public void rekey(final byte[] key, final byte[] iv)
    {
        if (key.length != suite.keyLength() || iv.length != suite.fixedIvLength())
        {
            throw new IllegalArgumentException("key/iv lengths " + key.length + "/" + iv.length + " do not fit " +
                suite);
        }
        aead.init(key);
        Arrays.fill(fixedIv, (byte)0);
        System.arraycopy(iv, 0, fixedIv, 0, iv.length);
    }

    public CipherSuite suite()
    {
        return suite;
    }

    public StreamingAead aead()
    {
        return aead;
    }

    /**
     * The nonce of the record with sequence number {@code seq}; the returned array is reused by the next call.
     *
     * @param explicitNonce the record's 8-byte explicit nonce (TLS 1.2 GCM only; ignored otherwise).
     */
    public byte[] nonce(final long seq, final byte[] explicitNonce, final int explicitOffset)
    {
        if (suite.explicitNonceLength() > 0)
        {
            System.arraycopy(fixedIv, 0, nonce, 0, 4);
            System.arraycopy(explicitNonce, explicitOffset, nonce, 4, 8);
        }
        else
        {
            System.arraycopy(fixedIv, 0, nonce, 0, StreamingAead.NONCE_LENGTH);
            for (int i = 0; i < 8; i++)
            {
                nonce[4 + i] ^= (byte)(seq >>> (56 - 8 * i));
            }
        }
        return nonce;
    }

    /**
     * Builds the additional data of a record into {@link #aadBuffer()}.
     *
     * @param contentType   TLS 1.2: the record's type; TLS 1.3: the outer type (23).
     * @param version       the header's legacy version.
     * @param contentLength TLS 1.2: the plaintext length; ignored for TLS 1.3.
     * @param recordLength  the header's length field (TLS 1.3 AAD is the header itself).
     * @return the length of the additional data.
     */
    public int buildAad(
        final long seq, final int contentType, final int version, final int contentLength, final int recordLength)
    {
        if (suite.isTls13())
        {
            aad[0] = (byte)contentType;
            aad[1] = (byte)(version >>> 8);
            aad[2] = (byte)version;
            aad[3] = (byte)(recordLength >>> 8);
            aad[4] = (byte)recordLength;
            return CipherSuite.RECORD_HEADER_LENGTH;
        }
        for (int i = 0; i < 8; i++)
        {
            aad[i] = (byte)(seq >>> (56 - 8 * i));
        }
        aad[8] = (byte)contentType;
        aad[9] = (byte)(version >>> 8);
        aad[10] = (byte)version;
        aad[11] = (byte)(contentLength >>> 8);
        aad[12] = (byte)contentLength;
        return TLS12_AAD_LENGTH;
    }

    /** The buffer {@link #buildAad} fills. */
    public byte[] aadBuffer()
    {
        return aad;
    }

    /** Zeroes the keys; the object is unusable afterwards. */
    public void destroy()
    {
        aead.destroy();
        Arrays.fill(fixedIv, (byte)0);
        Arrays.fill(nonce, (byte)0);
    }

    @Override
    public String toString()
    {
        return "RecordProtection{" + suite + ", keys hidden}";
    }
}
