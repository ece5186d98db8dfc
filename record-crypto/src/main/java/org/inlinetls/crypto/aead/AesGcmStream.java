package org.inlinetls.crypto.aead;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.NoSuchProviderException;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.SecretKey;
import javax.crypto.spec.IvParameterSpec;

/**
 * AES-128/256-GCM (NIST SP 800-38D, 96-bit nonces, 128-bit tags) as a {@link StreamingAead}, built from the JDK's
 * intrinsified AES-CTR and GHASH so that a record can be processed piece by piece at the speed of one-shot GCM.
 * <p>
 * The keystream comes from a JCE {@code AES/CTR/NoPadding} cipher started at inc32(J0) for each record, or at
 * inc32(J0) + p/16 with p mod 16 keystream bytes discarded when continuing from a checkpoint at content position p.
 * The JDK's counter mode increments all 128 bits, which equals inc32 here because a record never exceeds
 * {@link #MAX_CONTENT_LENGTH} (2^32 - 2 blocks). The tag mask AES_K(J0) comes from an {@code AES/ECB} cipher. Content
 * bytes that do not fill a GHASH block yet are carried in a 16-byte buffer.
 * <p>
 * Nothing is allocated per record or per piece: the counter block is handed to {@link Cipher#init} through a reused
 * {@link IvParameterSpec} whose {@code getIV()} returns it without a copy, and the key through a reused
 * {@link SecretKey} whose {@code getEncoded()} refills a scratch array (the provider zeroes it after use). In-place
 * calls ({@code dst == src}) go through a scratch buffer, because the JDK's {@code CipherCore} copies overlapping
 * input on every call.
 * <p>
 * Checkpoint layout ({@link StreamingAead#STATE_LENGTH} bytes; numbers little-endian):
 * <pre>
 *   0            8         10        11    12                  28                 44     48
 *   +------------+---------+---------+-----+-------------------+------------------+------+
 *   | content    | AAD     | partial |  0  | partial block     | GHASH Y          |  0   |
 *   | bytes (8)  | len (2) | len (1) |     | (16, zero-filled) | (16, SP 800-38D  | (4)  |
 *   |            |         |         |     |                   | block order)     |      |
 *   +------------+---------+---------+-----+-------------------+------------------+------+
 * </pre>
 * The partial block holds the last (content bytes mod 16) bytes of <em>ciphertext</em> not yet absorbed by GHASH;
 * Y already covers the padded AAD and every whole ciphertext block before it. Equal states save to equal bytes.
 */
public final class AesGcmStream implements StreamingAead
{
    /** SP 800-38D §5.2.1.1: at most 2^39 - 256 bits of plaintext. */
    public static final long MAX_CONTENT_LENGTH = (1L << 36) - 32;

    /** The checkpoint stores the AAD length in two bytes; TLS uses 5 or 13. */
    public static final int MAX_AAD_LENGTH = 0xFFFF;

    static final int CONTENT_LENGTH_OFFSET = 0;
    static final int AAD_LENGTH_OFFSET = 8;
    static final int PARTIAL_LENGTH_OFFSET = 10;
    static final int RESERVED_OFFSET = 11;
    static final int PARTIAL_BLOCK_OFFSET = 12;
    static final int GHASH_STATE_OFFSET = 28;
    static final int UNUSED_OFFSET = 44;

    private static final int BLOCK = Ghash.BLOCK_LENGTH;
    private static final int SCRATCH_LENGTH = 4096;
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG_LE =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_LE =
        MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private final GhashImplementation ghashImplementation;
    private final Ghash ghash;
    private final Cipher ctr;
    private final Cipher ecb;
    private final AesCounterBlockSpec counterSpec = new AesCounterBlockSpec();
    private final AesRawKey key = new AesRawKey();
    private final byte[] j0 = new byte[BLOCK];
    private final byte[] tagMask = new byte[BLOCK];
    private final byte[] carry = new byte[BLOCK];
    private final byte[] block = new byte[BLOCK];
    private final byte[] scratch = new byte[SCRATCH_LENGTH];

    private boolean keyed;
    private boolean inRecord;
    private int aadLength;
    private int carryLength;
    private long position;

    /** An instance using the GHASH implementation selected at start-up. */
    public AesGcmStream()
    {
        this(GhashImplementation.selected());
    }

    /**
     * An instance using a given GHASH implementation (tests, benchmarks).
     *
     * @throws IllegalStateException if it is not available in this JVM.
     */
    public AesGcmStream(final GhashImplementation ghashImplementation)
    {
        if (!ghashImplementation.isAvailable())
        {
            throw new IllegalStateException(
                ghashImplementation + " unavailable: " + ghashImplementation.unavailabilityCause());
        }
        this.ghashImplementation = ghashImplementation;
        this.ghash = ghashImplementation.newGhash();
        this.ctr = sunJceCipher("AES/CTR/NoPadding");
        this.ecb = sunJceCipher("AES/ECB/NoPadding");
    }

    /** The GHASH implementation new instances use by default (the JDK's intrinsic unless it failed its checks). */
    public static GhashImplementation ghashImplementation()
    {
        return GhashImplementation.selected();
    }

    /** The GHASH implementation this instance uses. */
    public GhashImplementation ghashInUse()
    {
        return ghashImplementation;
    }

    public void init(final byte[] keyBytes)
    {
        if (keyBytes.length != 16 && keyBytes.length != 32)
        {
            throw new IllegalArgumentException("AES-GCM key must be 16 or 32 bytes: " + keyBytes.length);
        }

        key.set(keyBytes);
        try
        {
            ecb.init(Cipher.ENCRYPT_MODE, key);
            final byte[] subkeyH = new byte[BLOCK];
            ecb.doFinal(new byte[BLOCK], 0, BLOCK, subkeyH, 0);
            ghash.init(subkeyH);
            Arrays.fill(subkeyH, (byte)0);
            ctr.init(Cipher.ENCRYPT_MODE, key, counterSpec);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("AES key rejected by the provider", ex);
        }
        keyed = true;
        inRecord = false;
    }

    public void begin(
        final byte[] nonce, final int nonceOffset, final byte[] aad, final int aadOffset, final int aadLength)
    {
        checkKeyed();
        if (aadLength < 0 || aadLength > MAX_AAD_LENGTH)
        {
            throw new IllegalArgumentException("AAD length out of range: " + aadLength);
        }
        Objects.checkFromIndexSize(aadOffset, aadLength, aad.length);

        startRecord(nonce, nonceOffset, 0);
        ghash.reset();
        final int whole = aadLength & -BLOCK;
        ghash.update(aad, aadOffset, whole);
        if (whole != aadLength)
        {
            Arrays.fill(block, (byte)0);
            System.arraycopy(aad, aadOffset + whole, block, 0, aadLength - whole);
            ghash.update(block, 0, BLOCK);
        }
        this.aadLength = aadLength;
        carryLength = 0;
        position = 0;
        inRecord = true;
    }

    public void decrypt(final byte[] src, final int srcOffset, final int length, final byte[] dst, final int dstOffset)
    {
        checkPiece(src, srcOffset, length, dst, dstOffset);
        final int offset = moveIfOverlapping(src, srcOffset, length, dst, dstOffset);
        absorb(src, offset, length);
        crypt(src, offset, length, dst, dstOffset);
        position += length;
    }

    public void encrypt(final byte[] src, final int srcOffset, final int length, final byte[] dst, final int dstOffset)
    {
        checkPiece(src, srcOffset, length, dst, dstOffset);
        final int offset = moveIfOverlapping(src, srcOffset, length, dst, dstOffset);
        crypt(src, offset, length, dst, dstOffset);
        absorb(dst, dstOffset, length);
        position += length;
    }

    public void finish(final byte[] tag, final int tagOffset)
    {
        Objects.checkFromIndexSize(tagOffset, TAG_LENGTH, tag.length);
        computeTag();
        System.arraycopy(block, 0, tag, tagOffset, TAG_LENGTH);
        Arrays.fill(block, (byte)0);
    }

    public boolean finishAndVerify(final byte[] expected, final int expectedOffset)
    {
        Objects.checkFromIndexSize(expectedOffset, TAG_LENGTH, expected.length);
        computeTag();
        int difference = 0;
        for (int i = 0; i < TAG_LENGTH; i++)
        {
            difference |= block[i] ^ expected[expectedOffset + i];
        }
        Arrays.fill(block, (byte)0);
        return 0 == difference;
    }

    public long position()
    {
        return position;
    }

    public void saveState(final byte[] dst, final int dstOffset)
    {
        checkInRecord();
        Objects.checkFromIndexSize(dstOffset, STATE_LENGTH, dst.length);
        LONG_LE.set(dst, dstOffset + CONTENT_LENGTH_OFFSET, position);
        SHORT_LE.set(dst, dstOffset + AAD_LENGTH_OFFSET, (short)aadLength);
        dst[dstOffset + PARTIAL_LENGTH_OFFSET] = (byte)carryLength;
        dst[dstOffset + RESERVED_OFFSET] = 0;
        System.arraycopy(carry, 0, dst, dstOffset + PARTIAL_BLOCK_OFFSET, carryLength);
        Arrays.fill(dst, dstOffset + PARTIAL_BLOCK_OFFSET + carryLength, dstOffset + GHASH_STATE_OFFSET, (byte)0);
        ghash.getState(dst, dstOffset + GHASH_STATE_OFFSET);
        Arrays.fill(dst, dstOffset + UNUSED_OFFSET, dstOffset + STATE_LENGTH, (byte)0);
    }

    public void restoreState(final byte[] nonce, final int nonceOffset, final byte[] state, final int stateOffset)
    {
        checkKeyed();
        Objects.checkFromIndexSize(stateOffset, STATE_LENGTH, state.length);
        final long savedPosition = (long)LONG_LE.get(state, stateOffset + CONTENT_LENGTH_OFFSET);
        final int savedCarryLength = state[stateOffset + PARTIAL_LENGTH_OFFSET] & 0xFF;
        if (savedPosition < 0 || savedPosition > MAX_CONTENT_LENGTH ||
            savedCarryLength != (int)(savedPosition & (BLOCK - 1)) || 0 != state[stateOffset + RESERVED_OFFSET])
        {
            throw new IllegalArgumentException("not an AES-GCM checkpoint: position=" + savedPosition +
                " partial=" + savedCarryLength + " reserved=" + state[stateOffset + RESERVED_OFFSET]);
        }

        startRecord(nonce, nonceOffset, savedPosition);
        ghash.setState(state, stateOffset + GHASH_STATE_OFFSET);
        System.arraycopy(state, stateOffset + PARTIAL_BLOCK_OFFSET, carry, 0, savedCarryLength);
        aadLength = (short)SHORT_LE.get(state, stateOffset + AAD_LENGTH_OFFSET) & 0xFFFF;
        carryLength = savedCarryLength;
        position = savedPosition;
        inRecord = true;
    }

    public void destroy()
    {
        if (keyed)
        {
            // overwrite the key schedules the provider keeps (AESCrypt re-expands only for a different key)
            final byte[] zeroKey = new byte[key.length()];
            key.set(zeroKey);
            try
            {
                ecb.init(Cipher.ENCRYPT_MODE, key);
                ctr.init(Cipher.ENCRYPT_MODE, key, counterSpec);
            }
            catch (final GeneralSecurityException ignore)
            {
                // best effort only
            }
        }
        key.wipe();
        ghash.destroy();
        Arrays.fill(j0, (byte)0);
        Arrays.fill(tagMask, (byte)0);
        Arrays.fill(carry, (byte)0);
        Arrays.fill(block, (byte)0);
        Arrays.fill(scratch, (byte)0);
        keyed = false;
        inRecord = false;
        position = 0;
        carryLength = 0;
    }

    /** Sets J0 and the tag mask, and positions the keystream at content byte {@code contentPosition}. */
    private void startRecord(final byte[] nonce, final int nonceOffset, final long contentPosition)
    {
        Objects.checkFromIndexSize(nonceOffset, NONCE_LENGTH, nonce.length);
        System.arraycopy(nonce, nonceOffset, j0, 0, NONCE_LENGTH);
        INT_BE.set(j0, NONCE_LENGTH, 1);

        final byte[] counter = counterSpec.counterBlock;
        System.arraycopy(j0, 0, counter, 0, NONCE_LENGTH);
        INT_BE.set(counter, NONCE_LENGTH, 2 + (int)(contentPosition >>> 4));
        final int skip = (int)(contentPosition & (BLOCK - 1));
        try
        {
            ecb.update(j0, 0, BLOCK, tagMask, 0);
            ctr.init(Cipher.ENCRYPT_MODE, key, counterSpec);
            if (skip > 0)
            {
                ctr.update(scratch, 0, skip, block, 0);
            }
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** GHASH over ciphertext: completes the carried block first, then whole blocks in place, then carries the rest. */
    private void absorb(final byte[] ciphertext, final int offset, final int length)
    {
        int index = offset;
        int remaining = length;
        if (carryLength > 0)
        {
            final int take = Math.min(BLOCK - carryLength, remaining);
            System.arraycopy(ciphertext, index, carry, carryLength, take);
            carryLength += take;
            index += take;
            remaining -= take;
            if (BLOCK == carryLength)
            {
                ghash.update(carry, 0, BLOCK);
                carryLength = 0;
            }
        }

        final int whole = remaining & -BLOCK;
        ghash.update(ciphertext, index, whole);
        final int tail = remaining - whole;
        if (tail > 0)
        {
            System.arraycopy(ciphertext, index + whole, carry, 0, tail);
            carryLength = tail;
        }
    }

    private void crypt(final byte[] src, final int srcOffset, final int length, final byte[] dst, final int dstOffset)
    {
        try
        {
            if (src != dst)
            {
                ctr.update(src, srcOffset, length, dst, dstOffset);
            }
            else
            {
                for (int done = 0; done < length; )
                {
                    final int chunk = Math.min(SCRATCH_LENGTH, length - done);
                    ctr.update(src, srcOffset + done, chunk, scratch, 0);
                    System.arraycopy(scratch, 0, dst, dstOffset + done, chunk);
                    done += chunk;
                }
            }
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * In-place calls with shifted offsets become in-place calls at {@code dstOffset}: the ciphertext is moved first
     * (a memmove), which keeps GHASH reading ciphertext and the scratch path reading bytes not yet overwritten.
     */
    private static int moveIfOverlapping(
        final byte[] src, final int srcOffset, final int length, final byte[] dst, final int dstOffset)
    {
        if (src == dst && srcOffset != dstOffset)
        {
            System.arraycopy(src, srcOffset, dst, dstOffset, length);
            return dstOffset;
        }
        return srcOffset;
    }

    private void computeTag()
    {
        checkInRecord();
        if (carryLength > 0)
        {
            Arrays.fill(carry, carryLength, BLOCK, (byte)0);
            ghash.update(carry, 0, BLOCK);
        }
        LONG_BE.set(block, 0, (long)aadLength << 3);
        LONG_BE.set(block, 8, position << 3);
        ghash.update(block, 0, BLOCK);
        ghash.digest(block, 0);
        for (int i = 0; i < BLOCK; i++)
        {
            block[i] ^= tagMask[i];
        }
        Arrays.fill(carry, (byte)0);
        carryLength = 0;
        inRecord = false;
    }

    private void checkPiece(
        final byte[] src, final int srcOffset, final int length, final byte[] dst, final int dstOffset)
    {
        checkInRecord();
        Objects.checkFromIndexSize(srcOffset, length, src.length);
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        if (length > MAX_CONTENT_LENGTH - position)
        {
            throw new IllegalArgumentException("record content exceeds the GCM limit: " + (position + length));
        }
    }

    private void checkKeyed()
    {
        if (!keyed)
        {
            throw new IllegalStateException("no key: call init(key)");
        }
    }

    private void checkInRecord()
    {
        if (!inRecord)
        {
            throw new IllegalStateException("no record in progress: call begin or restoreState");
        }
    }

    private static Cipher sunJceCipher(final String transformation)
    {
        try
        {
            try
            {
                return Cipher.getInstance(transformation, "SunJCE");
            }
            catch (final NoSuchProviderException ex)
            {
                return Cipher.getInstance(transformation);
            }
        }
        catch (final NoSuchAlgorithmException | NoSuchPaddingException ex)
        {
            throw new IllegalStateException(transformation + " unavailable", ex);
        }
    }

    /** Hands a mutable counter block to {@link Cipher#init} without the copy {@link IvParameterSpec} makes. */
    private static final class AesCounterBlockSpec extends IvParameterSpec
    {
        final byte[] counterBlock = new byte[BLOCK];

        AesCounterBlockSpec()
        {
            super(new byte[BLOCK]);
        }

        public byte[] getIV()
        {
            // providers copy it into their own counter during init; it only changes right before the next init
            return counterBlock;
        }
    }

    /** A raw AES key whose encoding is refilled into one scratch array (the provider zeroes it after init). */
    private static final class AesRawKey implements SecretKey
    {
        private static final long serialVersionUID = 1L;

        private transient byte[] keyBytes = new byte[0];
        private transient byte[] encoded = new byte[0];

        void set(final byte[] bytes)
        {
            wipe();
            keyBytes = bytes.clone();
            encoded = new byte[bytes.length];
        }

        int length()
        {
            return keyBytes.length;
        }

        void wipe()
        {
            Arrays.fill(keyBytes, (byte)0);
            Arrays.fill(encoded, (byte)0);
        }

        public String getAlgorithm()
        {
            return "AES";
        }

        public String getFormat()
        {
            return "RAW";
        }

        public byte[] getEncoded()
        {
            System.arraycopy(keyBytes, 0, encoded, 0, keyBytes.length);
            return encoded;
        }
    }
}
