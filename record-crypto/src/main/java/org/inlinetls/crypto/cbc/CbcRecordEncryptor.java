package org.inlinetls.crypto.cbc;

import javax.crypto.Cipher;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * Turns one plaintext segment into exactly one TLS 1.2 AES-CBC + HMAC record (RFC 5246 §6.2.3.2): header, explicit
 * IV, then {@code content || MAC || padding} encrypted, with minimal padding (DESIGN §6).
 * <p>
 * The record's IV is {@code AES_encKey(seq || 0^64)}, the method of NIST SP 800-38A appendix C (the forward cipher
 * applied to a unique nonce under the encryption key). It is what TLS 1.1+ asks of the explicit IV: unpredictable to
 * anyone without the key (an attacker choosing plaintext cannot know the IV of a coming record, which is what BEAST
 * needed), unique per sequence number, and deterministic, so a retransmitted segment re-encrypted under its original
 * sequence number gives the same bytes. Re-using a sequence number for different plaintext would repeat an IV and
 * show where the two plaintexts first differ by block: the journal never does that. The cipher's own CBC outputs
 * {@code E(P xor C_prev)} never reach a nonce block except by a 2^-128 chance, since {@code C_prev} is unknown
 * before a record is sent and a record is encrypted in one call.
 * <p>
 * The JCE cipher (AES/CBC/NoPadding, intrinsified) is initialised once per key: its CBC register becomes the IV by
 * encrypting {@code nonce XOR register} (the register is the previous record's last ciphertext block, tracked here).
 * Nothing is allocated per record when {@code src} and {@code dst} do not overlap. Not thread-safe.
 */
public final class CbcRecordEncryptor
{
    private final CbcMacAlgorithm algorithm;
    private final int macLength;
    private final Hmac hmac;
    private final byte[] macHeader = new byte[13];
    private final byte[] encryptChaining = new byte[CbcHmacStream.BLOCK_LENGTH];
    private final byte[] encryptNonce = new byte[CbcHmacStream.BLOCK_LENGTH];
    private final byte[] encryptIv = new byte[CbcHmacStream.BLOCK_LENGTH];
    private final byte[] encryptTail = new byte[4 * CbcHmacStream.BLOCK_LENGTH];
    private Cipher encryptCipher;

    public CbcRecordEncryptor(final CbcMacAlgorithm algorithm)
    {
        this.algorithm = algorithm;
        this.macLength = algorithm.macLength();
        this.hmac = algorithm.newHmac();
    }

    public CbcMacAlgorithm algorithm()
    {
        return algorithm;
    }

    /** Installs this direction's keys (16 or 32-byte AES key, MAC key of the MAC's length); may allocate. */
    public void init(final byte[] encKey, final byte[] macKey)
    {
        encryptCipher = CbcCiphers.keyed(Cipher.ENCRYPT_MODE, encKey, macKey, algorithm);
        Arrays.fill(encryptChaining, (byte)0);
        hmac.init(macKey, 0, macKey.length);
    }

    /** Bytes {@link #encryptRecord} writes for {@code contentLength} bytes of content (header included). */
    public static int recordLength(final CbcMacAlgorithm algorithm, final int contentLength)
    {
        final int encrypted = (contentLength + algorithm.macLength() + CbcHmacStream.BLOCK_LENGTH) &
            -CbcHmacStream.BLOCK_LENGTH;
        return CbcHmacStream.HEADER_LENGTH + CbcHmacStream.IV_LENGTH + encrypted;
    }

    /**
     * Protects {@code length} bytes of content as one record: header, IV, then {@code content || MAC || padding}
     * encrypted (minimal padding). The same arguments always give the same bytes.
     *
     * @param dst needs {@link #recordLength} bytes; for no allocation, must not overlap {@code src}.
     * @return the bytes written.
     */
    public int encryptRecord(
        final long seq,
        final int contentType,
        final int version,
        final byte[] src,
        final int srcOffset,
        final int length,
        final byte[] dst,
        final int dstOffset)
    {
        if (length < 0 || length > CbcHmacStream.MAX_CONTENT_LENGTH)
        {
            throw new IllegalArgumentException("record content must be 0.." + CbcHmacStream.MAX_CONTENT_LENGTH +
                " bytes: " + length);
        }
        final int recordLength = recordLength(algorithm, length);
        if (dstOffset < 0 || dst.length - dstOffset < recordLength || srcOffset < 0 || src.length - srcOffset < length)
        {
            throw new IllegalArgumentException("buffers too short for a record of " + length + " bytes");
        }
        final int encryptedLength = recordLength - CbcHmacStream.HEADER_LENGTH - CbcHmacStream.IV_LENGTH;
        final int whole = length & -CbcHmacStream.BLOCK_LENGTH;
        final int tailContent = length - whole;
        final int padLength = encryptedLength - length - macLength - 1;

        macHeaderFor(seq, contentType, version, length);
        hmac.reset();
        hmac.update(macHeader, 0, macHeader.length);
        hmac.update(src, srcOffset, length);
        System.arraycopy(src, srcOffset + whole, encryptTail, 0, tailContent);
        hmac.doFinal(encryptTail, tailContent);
        Arrays.fill(encryptTail, tailContent + macLength, encryptedLength - whole, (byte)padLength);

        for (int i = 0; i < 8; i++)
        {
            encryptNonce[i] = (byte)(encryptChaining[i] ^ (byte)(seq >>> (56 - 8 * i)));
        }
        System.arraycopy(encryptChaining, 8, encryptNonce, 8, 8);
        final int body = dstOffset + CbcHmacStream.HEADER_LENGTH + CbcHmacStream.IV_LENGTH;
        try
        {
            // distinct arrays: the JCE copies an overlapping input
            encryptCipher.update(encryptNonce, 0, CbcHmacStream.BLOCK_LENGTH, encryptIv, 0);
            if (whole > 0)
            {
                encryptCipher.update(src, srcOffset, whole, dst, body);
            }
            encryptCipher.update(encryptTail, 0, encryptedLength - whole, dst, body + whole);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
        System.arraycopy(dst, body + encryptedLength - CbcHmacStream.BLOCK_LENGTH, encryptChaining, 0,
            CbcHmacStream.BLOCK_LENGTH);
        Arrays.fill(encryptTail, (byte)0);
        dst[dstOffset] = (byte)contentType;
        dst[dstOffset + 1] = (byte)(version >>> 8);
        dst[dstOffset + 2] = (byte)version;
        CbcCheckpoint.writeShort(dst, dstOffset + 3, CbcHmacStream.IV_LENGTH + encryptedLength);
        System.arraycopy(encryptIv, 0, dst, dstOffset + CbcHmacStream.HEADER_LENGTH, CbcHmacStream.IV_LENGTH);
        return recordLength;
    }

    private void macHeaderFor(final long seq, final int type, final int recordVersion, final int length)
    {
        for (int i = 0; i < 8; i++)
        {
            macHeader[i] = (byte)(seq >>> (56 - 8 * i));
        }
        macHeader[8] = (byte)type;
        macHeader[9] = (byte)(recordVersion >>> 8);
        macHeader[10] = (byte)recordVersion;
        macHeader[11] = (byte)(length >>> 8);
        macHeader[12] = (byte)length;
    }

    /** Overwrites the keys; {@link #init} again before any other use. */
    public void destroy()
    {
        hmac.destroy();
        Arrays.fill(encryptChaining, (byte)0);
        encryptCipher = null;
    }
}
