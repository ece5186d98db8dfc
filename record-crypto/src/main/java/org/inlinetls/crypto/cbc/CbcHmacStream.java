package org.inlinetls.crypto.cbc;

import javax.crypto.Cipher;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * TLS 1.2 AES-CBC + HMAC record decryption (RFC 5246 §6.2.3.2, MAC-then-encrypt) for one direction of a flow, a
 * record piece by piece as its segments arrive, with the padding and MAC checked in constant time at its end.
 * <p>
 * Decrypt per record: {@link #begin} with the record's explicit IV, any number of {@link #decrypt} calls carrying
 * an incomplete AES block (at most 15 bytes) to the next piece, then {@link #finish}. Plaintext that is certainly
 * content (everything before the last {@code macLength + 256} bytes, since the padding length is known only at the
 * end) is released at once; the rest is held back and released by {@link #finish} only if padding and MAC verify.
 * <p>
 * Why the record is kept: the MAC input starts with {@code seq || type || version || length}, and the content
 * length is only known once the last padding byte is decrypted, so no hash of the content can be computed before
 * the record ends. The decrypted record is therefore kept in a one-record buffer owned by this object
 * ({@link #MAX_CIPHERTEXT_LENGTH} bytes, allocated once) and the MAC is computed at the end, in constant time with
 * respect to the padding length (Lucky13: same compressions and memory accesses for every padding byte, see
 * {@link Hmac#macConstantTime}; padding checked over all 256 candidate bytes; MAC compared without early exit).
 * <p>
 * Checkpoints ({@link CbcCheckpoint}) hold the CBC chaining block, the carried bytes, the held-back tail and a keyed
 * running digest of the ciphertext: a restored state decrypts identically from its position, and the digest lets a
 * caller check that a re-processed (retransmitted) segment equals the original ({@link #matchesCheckpoint}). A
 * restore can also verify the MAC at the end only while this object's buffer still holds the record's beginning;
 * otherwise {@link #finish} checks the padding alone and answers {@link #REPLAYED}.
 * <p>
 * The JCE cipher (AES/CBC/NoPadding, intrinsified) is initialised once per key and never re-initialised: its CBC
 * register is set to a record's IV by decrypting the IV block itself (the output is discarded). Nothing is
 * allocated per piece or per record. Encryption is {@link CbcRecordEncryptor}'s. Not thread-safe.
 */
public final class CbcHmacStream
{
    /** Verdict: the record verified. */
    public static final int OK = -1;
    /** Verdict: the padding is well formed but the MAC could not be checked (restored without the record start). */
    public static final int REPLAYED = -2;
    /** Alert verdicts (RFC 5246 §7.2.2): wrong padding or MAC, or a length that is not whole blocks. */
    public static final int BAD_RECORD_MAC = 20;
    public static final int RECORD_OVERFLOW = 22;
    /** Alert verdict: a record too short to hold a MAC and a padding byte. */
    public static final int DECODE_ERROR = 50;

    public static final int BLOCK_LENGTH = 16;
    public static final int IV_LENGTH = 16;
    public static final int HEADER_LENGTH = 5;
    /** Padding bytes a record may carry, the padding length byte included. */
    public static final int MAX_PADDING_LENGTH = 256;
    /** Largest content of one record (RFC 5246 §6.2.1). */
    public static final int MAX_CONTENT_LENGTH = 1 << 14;
    /** Largest ciphertext after the explicit IV (RFC 5246 §6.2.3: fragment at most 2^14 + 2048). */
    public static final int MAX_CIPHERTEXT_LENGTH = (1 << 14) + 2048 - IV_LENGTH;

    static final int PHASE_IDLE = 0;
    static final int PHASE_BODY = 1;
    static final int PHASE_DONE = 2;
    static final int PHASE_FAILED = 3;

    private final CbcMacAlgorithm algorithm;
    private final int macLength;
    private final boolean segmentDigest;
    private final Hmac hmac;
    private final Hmac digest;
    private final byte[] record = new byte[MAX_CIPHERTEXT_LENGTH];
    private final byte[] carry = new byte[BLOCK_LENGTH];
    private final byte[] chaining = new byte[BLOCK_LENGTH];
    private final byte[] discard = new byte[BLOCK_LENGTH];
    private final byte[] macHeader = new byte[13];
    private final byte[] mac = new byte[32];
    private final byte[] compareScratch = new byte[CbcCheckpoint.LENGTH];
    private Cipher decryptCipher;

    private int phase = PHASE_IDLE;
    private int verdict = OK;
    private long sequence;
    private int contentType;
    private int version;
    private int ciphertextLength;
    private int consumed;
    private int decrypted;
    private int released;
    private int releaseLimit;
    private int carryCount;
    private int releasedLength;
    private int contentLength;
    private boolean verifiable;
    private long bufferSequence = -1;
    private int bufferFilled;

    /** A stream keeping the segment digest for retransmission checks. */
    public CbcHmacStream(final CbcMacAlgorithm algorithm)
    {
        this(algorithm, true);
    }

    /**
     * @param segmentDigest whether to keep the keyed running digest of the ciphertext in checkpoints (one more hash
     *                      pass over the data); without it {@link #matchesCheckpoint} compares only the chaining
     *                      block, carried bytes and position.
     */
    public CbcHmacStream(final CbcMacAlgorithm algorithm, final boolean segmentDigest)
    {
        this.algorithm = algorithm;
        this.macLength = algorithm.macLength();
        this.segmentDigest = segmentDigest;
        this.hmac = algorithm.newHmac();
        this.digest = algorithm.newHmac();
    }

    public CbcMacAlgorithm algorithm()
    {
        return algorithm;
    }

    /** Installs this direction's keys (16 or 32-byte AES key, MAC key of the MAC's length); may allocate. */
    public void init(final byte[] encKey, final byte[] macKey)
    {
        decryptCipher = CbcCiphers.keyed(Cipher.DECRYPT_MODE, encKey, macKey, algorithm);
        hmac.init(macKey, 0, macKey.length);
        digest.init(macKey, 0, macKey.length);
        phase = PHASE_IDLE;
        bufferSequence = -1;
    }

    /**
     * Starts decrypting a record.
     *
     * @param ciphertextLength the record's bytes after its 16-byte explicit IV (header length minus 16).
     * @return {@link #OK}, or the alert the record fails with: {@link #BAD_RECORD_MAC} when not whole blocks,
     *         {@link #DECODE_ERROR} when too short for a MAC and a padding byte, {@link #RECORD_OVERFLOW} when
     *         longer than allowed.
     */
    public int begin(
        final long seq,
        final int contentType,
        final int version,
        final byte[] iv,
        final int ivOffset,
        final int ciphertextLength)
    {
        final int fail;
        if (ciphertextLength > MAX_CIPHERTEXT_LENGTH)
        {
            fail = RECORD_OVERFLOW;
        }
        else if (ciphertextLength < minimumCiphertextLength(algorithm))
        {
            fail = DECODE_ERROR;
        }
        else if ((ciphertextLength & (BLOCK_LENGTH - 1)) != 0)
        {
            fail = BAD_RECORD_MAC;
        }
        else
        {
            fail = OK;
        }
        if (fail != OK)
        {
            phase = PHASE_FAILED;
            verdict = fail;
            return fail;
        }
        this.sequence = seq;
        this.contentType = contentType & 0xFF;
        this.version = version & 0xFFFF;
        this.ciphertextLength = ciphertextLength;
        this.releaseLimit = Math.max(0, ciphertextLength - macLength - MAX_PADDING_LENGTH);
        consumed = 0;
        decrypted = 0;
        released = 0;
        carryCount = 0;
        releasedLength = 0;
        contentLength = 0;
        verifiable = true;
        bufferSequence = seq;
        bufferFilled = 0;
        System.arraycopy(iv, ivOffset, chaining, 0, BLOCK_LENGTH);
        primeDecrypt();
        if (segmentDigest)
        {
            digest.reset();
            for (int i = 0; i < 8; i++)
            {
                digest.update((byte)(seq >>> (56 - 8 * i)));
            }
            digest.update(chaining, 0, BLOCK_LENGTH);
        }
        phase = PHASE_BODY;
        verdict = OK;
        return OK;
    }

    /**
     * Decrypts the next {@code length} bytes of the record's ciphertext and writes the plaintext that is now certain
     * to be content to {@code dst}.
     *
     * @param dst needs room for {@code length + 15} bytes; must not overlap {@code src}.
     * @return the bytes written to {@code dst}.
     */
    public int decrypt(final byte[] src, final int srcOffset, final int length, final byte[] dst, final int dstOffset)
    {
        if (phase != PHASE_BODY)
        {
            throw new IllegalStateException("no record in progress");
        }
        if (length < 0 || length > ciphertextLength - consumed)
        {
            throw new IllegalArgumentException("piece of " + length + " bytes overruns the record");
        }
        int position = srcOffset;
        final int end = srcOffset + length;
        if (carryCount > 0)
        {
            final int take = Math.min(BLOCK_LENGTH - carryCount, length);
            System.arraycopy(src, position, carry, carryCount, take);
            carryCount += take;
            position += take;
            if (carryCount == BLOCK_LENGTH)
            {
                decryptBlocks(carry, 0, BLOCK_LENGTH);
                carryCount = 0;
            }
        }
        final int whole = (end - position) & -BLOCK_LENGTH;
        if (whole > 0)
        {
            decryptBlocks(src, position, whole);
            position += whole;
        }
        if (position < end)
        {
            carryCount = end - position;
            System.arraycopy(src, position, carry, 0, carryCount);
        }
        consumed += length;
        final int upTo = Math.min(decrypted, releaseLimit);
        final int count = Math.max(0, upTo - released);
        if (count > 0)
        {
            System.arraycopy(record, released, dst, dstOffset, count);
            released = upTo;
        }
        releasedLength = count;
        return count;
    }

    private void decryptBlocks(final byte[] src, final int offset, final int length)
    {
        try
        {
            decryptCipher.update(src, offset, length, record, decrypted);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
        if (segmentDigest)
        {
            digest.update(src, offset, length);
        }
        System.arraycopy(src, offset + length - BLOCK_LENGTH, chaining, 0, BLOCK_LENGTH);
        decrypted += length;
        bufferFilled = decrypted;
    }

    /** Sets the decrypting cipher's CBC register to {@link #chaining}: decrypting a block leaves it there. */
    private void primeDecrypt()
    {
        try
        {
            decryptCipher.update(chaining, 0, BLOCK_LENGTH, discard, 0);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Ends the record (all its ciphertext must have been given): checks padding and MAC in constant time and, only
     * if both verify, writes the held-back content to {@code dst} ({@link #releasedLength()} bytes).
     *
     * @param dst needs room for {@code macLength + 256} bytes.
     * @return {@link #OK}, {@link #REPLAYED} (see {@link #restoreState}), or {@link #BAD_RECORD_MAC} (then nothing
     *         more is released) or {@link #RECORD_OVERFLOW} (verified content over 2^14 bytes).
     */
    public int finish(final byte[] dst, final int dstOffset)
    {
        if (phase != PHASE_BODY || consumed != ciphertextLength)
        {
            throw new IllegalStateException("record incomplete: " + consumed + " of " + ciphertextLength);
        }
        final int total = ciphertextLength;
        final int maxContent = total - macLength - 1;
        final int pad = record[total - 1] & 0xFF;
        int good = ~((maxContent - pad) >> 31);
        final int candidates = Math.min(MAX_PADDING_LENGTH, total);
        for (int i = 1; i < candidates; i++)
        {
            final int b = record[total - 1 - i] & 0xFF;
            good &= ~(Hmac.lessMask(i, pad + 1) & ~Hmac.equalMask(b, pad));
        }
        final int length = maxContent - (pad & good);
        int ok = good;
        if (verifiable)
        {
            macHeaderFor(sequence, contentType, version, length);
            hmac.macConstantTime(macHeader, macHeader.length, record, length, releaseLimit, maxContent, mac, 0);
            int diff = 0;
            for (int c = releaseLimit; c <= maxContent; c++)
            {
                int d = 0;
                for (int k = 0; k < macLength; k++)
                {
                    d |= record[c + k] ^ mac[k];
                }
                diff |= d & Hmac.equalMask(c, length);
            }
            ok &= Hmac.equalMask(diff & 0xFF, 0);
            Arrays.fill(mac, (byte)0);
        }
        if (ok == 0)
        {
            return fail(BAD_RECORD_MAC);
        }
        if (length > MAX_CONTENT_LENGTH)
        {
            return fail(RECORD_OVERFLOW);
        }
        final int count = length - released;
        System.arraycopy(record, released, dst, dstOffset, count);
        released = length;
        releasedLength = count;
        contentLength = length;
        phase = PHASE_DONE;
        verdict = verifiable ? OK : REPLAYED;
        return verdict;
    }

    private int fail(final int alert)
    {
        phase = PHASE_FAILED;
        verdict = alert;
        releasedLength = 0;
        Arrays.fill(record, releaseLimit, ciphertextLength, (byte)0);
        bufferSequence = -1;
        return alert;
    }

    /** Bytes written to {@code dst} by the last {@link #decrypt} or {@link #finish}. */
    public int releasedLength()
    {
        return releasedLength;
    }

    /** The verified record's content length (after {@link #finish} returned {@link #OK} or {@link #REPLAYED}). */
    public int contentLength()
    {
        return contentLength;
    }

    /** The record's verdict so far: {@link #OK} unless a check failed (then the alert). */
    public int verdict()
    {
        return verdict;
    }

    /** Ciphertext bytes after the IV not yet given to {@link #decrypt}. */
    public int remaining()
    {
        return phase == PHASE_BODY ? ciphertextLength - consumed : 0;
    }

    public long sequence()
    {
        return sequence;
    }

    /** Smallest ciphertext (after the IV) a record can have: whole blocks holding the MAC and a padding byte. */
    public static int minimumCiphertextLength(final CbcMacAlgorithm algorithm)
    {
        return (algorithm.macLength() + 1 + BLOCK_LENGTH - 1) & -BLOCK_LENGTH;
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

    /** Writes the state between two pieces ({@link CbcCheckpoint#LENGTH} bytes, layout there). */
    public void saveState(final byte[] dst, final int offset)
    {
        Arrays.fill(dst, offset, offset + CbcCheckpoint.LENGTH, (byte)0);
        Sha.LONG_BE.set(dst, offset + CbcCheckpoint.SEQUENCE_OFFSET, sequence);
        dst[offset + CbcCheckpoint.PHASE_OFFSET] = (byte)phase;
        dst[offset + CbcCheckpoint.CARRY_COUNT_OFFSET] = (byte)carryCount;
        dst[offset + CbcCheckpoint.CONTENT_TYPE_OFFSET] = (byte)contentType;
        dst[offset + CbcCheckpoint.VERDICT_OFFSET] = (byte)verdict;
        CbcCheckpoint.writeShort(dst, offset + CbcCheckpoint.VERSION_OFFSET, version);
        CbcCheckpoint.writeShort(dst, offset + CbcCheckpoint.CIPHERTEXT_LENGTH_OFFSET, ciphertextLength);
        CbcCheckpoint.writeShort(dst, offset + CbcCheckpoint.CONSUMED_OFFSET, consumed);
        CbcCheckpoint.writeShort(dst, offset + CbcCheckpoint.RELEASED_OFFSET, released);
        dst[offset + CbcCheckpoint.FLAGS_OFFSET] = (byte)(segmentDigest ? CbcCheckpoint.FLAG_DIGEST : 0);
        if (phase != PHASE_BODY)
        {
            return;
        }
        System.arraycopy(chaining, 0, dst, offset + CbcCheckpoint.CHAINING_OFFSET, BLOCK_LENGTH);
        System.arraycopy(carry, 0, dst, offset + CbcCheckpoint.CARRY_OFFSET, carryCount);
        if (segmentDigest)
        {
            digest.digest().saveState(dst, offset + CbcCheckpoint.DIGEST_OFFSET);
        }
        if (decrypted > releaseLimit)
        {
            System.arraycopy(record, releaseLimit, dst, offset + CbcCheckpoint.TAIL_OFFSET, decrypted - releaseLimit);
        }
    }

    /**
     * Continues from a state written by {@link #saveState} under the same keys: decryption resumes at the saved
     * position with the same output.
     *
     * @return true when {@link #finish} will verify the MAC: the state is between records, or this object's buffer
     *         still holds the beginning of the saved record (the record in progress, or the last one begun). False
     *         when it does not (a rollback into an earlier record): the record then decrypts and releases as before,
     *         but {@link #finish} checks only the padding and answers {@link #REPLAYED}; the caller must check the
     *         re-processed bytes with {@link #matchesCheckpoint} against the checkpoint taken after them.
     * @throws IllegalArgumentException when the bytes are not a checkpoint of this algorithm.
     */
    public boolean restoreState(final byte[] src, final int offset)
    {
        final int savedPhase = src[offset + CbcCheckpoint.PHASE_OFFSET];
        final int savedCarry = src[offset + CbcCheckpoint.CARRY_COUNT_OFFSET];
        final int savedLength = CbcCheckpoint.readShort(src, offset + CbcCheckpoint.CIPHERTEXT_LENGTH_OFFSET);
        final int savedConsumed = CbcCheckpoint.readShort(src, offset + CbcCheckpoint.CONSUMED_OFFSET);
        final int savedReleased = CbcCheckpoint.readShort(src, offset + CbcCheckpoint.RELEASED_OFFSET);
        final boolean savedDigest = (src[offset + CbcCheckpoint.FLAGS_OFFSET] & CbcCheckpoint.FLAG_DIGEST) != 0;
        if (savedPhase < PHASE_IDLE || savedPhase > PHASE_FAILED || savedDigest != segmentDigest)
        {
            throw new IllegalArgumentException("not a checkpoint of this stream");
        }
        if (savedPhase == PHASE_BODY && (savedLength > MAX_CIPHERTEXT_LENGTH || savedConsumed > savedLength ||
            savedCarry < 0 || savedCarry >= BLOCK_LENGTH || savedCarry > savedConsumed ||
            (savedLength & (BLOCK_LENGTH - 1)) != 0 || savedLength < minimumCiphertextLength(algorithm)))
        {
            throw new IllegalArgumentException("checkpoint lengths are inconsistent");
        }
        final long savedSequence = (long)Sha.LONG_BE.get(src, offset + CbcCheckpoint.SEQUENCE_OFFSET);
        phase = savedPhase;
        sequence = savedSequence;
        carryCount = savedCarry;
        contentType = src[offset + CbcCheckpoint.CONTENT_TYPE_OFFSET] & 0xFF;
        verdict = src[offset + CbcCheckpoint.VERDICT_OFFSET];
        version = CbcCheckpoint.readShort(src, offset + CbcCheckpoint.VERSION_OFFSET);
        ciphertextLength = savedLength;
        consumed = savedConsumed;
        decrypted = savedConsumed - savedCarry;
        releaseLimit = Math.max(0, savedLength - macLength - MAX_PADDING_LENGTH);
        releasedLength = 0;
        if (savedPhase != PHASE_BODY)
        {
            // between records: the last record's fields are kept as saved (released is its content length), so a
            // state restored here and saved again, or carried through a record's header and IV alone, gives the same
            // bytes as the original's checkpoint (the flow logic compares replayed states byte for byte)
            released = savedReleased;
            contentLength = savedPhase == PHASE_DONE ? savedReleased : 0;
            verifiable = true;
            return true;
        }
        released = Math.min(savedReleased, Math.min(decrypted, releaseLimit));
        contentLength = 0;
        verifiable = bufferSequence == savedSequence && bufferFilled >= Math.min(decrypted, releaseLimit);
        bufferSequence = verifiable ? savedSequence : -1;
        bufferFilled = decrypted;
        System.arraycopy(src, offset + CbcCheckpoint.CHAINING_OFFSET, chaining, 0, BLOCK_LENGTH);
        System.arraycopy(src, offset + CbcCheckpoint.CARRY_OFFSET, carry, 0, BLOCK_LENGTH);
        if (decrypted > releaseLimit)
        {
            System.arraycopy(src, offset + CbcCheckpoint.TAIL_OFFSET, record, releaseLimit, decrypted - releaseLimit);
        }
        if (segmentDigest)
        {
            digest.digest().restoreState(src, offset + CbcCheckpoint.DIGEST_OFFSET);
        }
        primeDecrypt();
        return verifiable;
    }

    /**
     * Whether this stream's state equals a checkpoint's in sequence, position, chaining block, carried bytes and
     * segment digest, compared in constant time: true after re-processing a retransmitted segment means its
     * ciphertext equals the original's (with the digest kept), so its plaintext is as authentic as the original's.
     */
    public boolean matchesCheckpoint(final byte[] checkpoint, final int offset)
    {
        saveState(compareScratch, 0);
        int diff = 0;
        for (int i = CbcCheckpoint.SEQUENCE_OFFSET; i < CbcCheckpoint.PHASE_OFFSET + 2; i++)
        {
            diff |= compareScratch[i] ^ checkpoint[offset + i];
        }
        for (int i = CbcCheckpoint.CIPHERTEXT_LENGTH_OFFSET; i < CbcCheckpoint.RELEASED_OFFSET; i++)
        {
            diff |= compareScratch[i] ^ checkpoint[offset + i];
        }
        for (int i = CbcCheckpoint.CHAINING_OFFSET; i < CbcCheckpoint.TAIL_OFFSET; i++)
        {
            diff |= compareScratch[i] ^ checkpoint[offset + i];
        }
        Arrays.fill(compareScratch, (byte)0);
        return diff == 0;
    }

    /** Overwrites keys and buffered plaintext; {@link #init} again before any other use. */
    public void destroy()
    {
        hmac.destroy();
        digest.destroy();
        Arrays.fill(record, (byte)0);
        Arrays.fill(carry, (byte)0);
        Arrays.fill(chaining, (byte)0);
        decryptCipher = null;
        phase = PHASE_IDLE;
        bufferSequence = -1;
    }
}
