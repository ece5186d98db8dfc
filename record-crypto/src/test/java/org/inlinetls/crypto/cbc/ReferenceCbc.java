package org.inlinetls.crypto.cbc;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

/**
 * An independent RFC 5246 GenericBlockCipher built by hand from JCE AES/CBC/NoPadding and javax.crypto.Mac, plus a
 * driver feeding a record to a {@link CbcHmacStream} in random pieces.
 */
final class ReferenceCbc
{
    static final int TYPE = 23;
    static final int VERSION = 0x0303;

    private ReferenceCbc()
    {
    }

    static String jceMac(final CbcMacAlgorithm algorithm)
    {
        return algorithm == CbcMacAlgorithm.HMAC_SHA1 ? "HmacSHA1" : "HmacSHA256";
    }

    static byte[] mac(final CbcMacAlgorithm algorithm, final byte[] macKey, final long seq, final int type,
        final int version, final byte[] content, final int length) throws Exception
    {
        final Mac mac = Mac.getInstance(jceMac(algorithm));
        mac.init(new SecretKeySpec(macKey, "Hmac"));
        mac.update(ByteBuffer.allocate(13).putLong(seq).put((byte)type).putShort((short)version)
            .putShort((short)length).array());
        mac.update(content, 0, length);
        return mac.doFinal();
    }

    /** IV || AES-CBC(plaintext) under the key. */
    static byte[] encryptRaw(final byte[] encKey, final byte[] iv, final byte[] plaintext) throws Exception
    {
        final Cipher cipher = Cipher.getInstance("AES/CBC/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(encKey, "AES"), new IvParameterSpec(iv));
        final byte[] out = Arrays.copyOf(iv, 16 + plaintext.length);
        cipher.doFinal(plaintext, 0, plaintext.length, out, 16);
        return out;
    }

    /** content || MAC || padLength + 1 bytes of padLength. */
    static byte[] plaintext(final CbcMacAlgorithm algorithm, final byte[] macKey, final long seq,
        final byte[] content, final int padLength) throws Exception
    {
        final byte[] mac = mac(algorithm, macKey, seq, TYPE, VERSION, content, content.length);
        final byte[] out = new byte[content.length + mac.length + padLength + 1];
        System.arraycopy(content, 0, out, 0, content.length);
        System.arraycopy(mac, 0, out, content.length, mac.length);
        Arrays.fill(out, content.length + mac.length, out.length, (byte)padLength);
        return out;
    }

    /** A random valid padding length for this content: the minimal one plus a random number of blocks. */
    static int randomPadLength(final Random random, final int contentLength, final int macLength)
    {
        final int minimal = 15 - ((contentLength + macLength) & 15);
        final int extraBlocks = random.nextInt(4) == 0 ? random.nextInt((255 - minimal) / 16 + 1) : 0;
        return minimal + 16 * extraBlocks;
    }

    /** What a stream released for one record, and its verdict. */
    static final class Outcome
    {
        final ByteArrayOutputStream released = new ByteArrayOutputStream();
        int releasedBeforeFinish;
        int verdict;
        int[] boundaries;
        byte[][] checkpoints;
        int[] releasedAt;
    }

    /** Feeds IV || ciphertext to the stream in random pieces (1-byte pieces when {@code tiny}). */
    static Outcome decrypt(final CbcHmacStream stream, final long seq, final byte[] record, final Random random,
        final boolean tiny)
    {
        final Outcome outcome = new Outcome();
        outcome.verdict = stream.begin(seq, TYPE, VERSION, record, 0, record.length - 16);
        if (outcome.verdict != CbcHmacStream.OK)
        {
            return outcome;
        }
        final int[] boundaries = new int[record.length];
        final byte[][] checkpoints = new byte[record.length][];
        final int[] releasedAt = new int[record.length];
        int count = 0;
        final byte[] dst = new byte[record.length + 16];
        int position = 16;
        while (position < record.length)
        {
            boundaries[count] = position;
            releasedAt[count] = outcome.released.size();
            checkpoints[count] = new byte[CbcCheckpoint.LENGTH];
            stream.saveState(checkpoints[count++], 0);
            final int take = tiny ? 1 : Math.min(record.length - position, 1 + random.nextInt(random.nextBoolean() ?
                40 : 1500));
            final int n = stream.decrypt(record, position, take, dst, 0);
            outcome.released.write(dst, 0, n);
            position += take;
        }
        outcome.boundaries = Arrays.copyOf(boundaries, count);
        outcome.checkpoints = Arrays.copyOf(checkpoints, count);
        outcome.releasedAt = Arrays.copyOf(releasedAt, count);
        outcome.releasedBeforeFinish = outcome.released.size();
        outcome.verdict = stream.finish(dst, 0);
        outcome.released.write(dst, 0, stream.releasedLength());
        return outcome;
    }
}
