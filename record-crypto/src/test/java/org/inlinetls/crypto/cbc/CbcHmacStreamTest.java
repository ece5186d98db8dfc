package org.inlinetls.crypto.cbc;

import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CbcHmacStreamTest
{
    private static final long SEED = Long.getLong("test.seed", System.nanoTime());

    private final Random random = new Random(SEED);

    private byte[] randomBytes(final int length)
    {
        final byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    private static int releaseLimit(final CbcMacAlgorithm algorithm, final int ciphertextLength)
    {
        return Math.max(0, ciphertextLength - algorithm.macLength() - CbcHmacStream.MAX_PADDING_LENGTH);
    }

    @Test
    void shouldDecryptHandBuiltRecordsIdenticallyInAnySegmentation() throws Exception
    {
        for (final CbcSuite suite : CbcSuite.values())
        {
            final CbcMacAlgorithm algorithm = suite.mac();
            final byte[] encKey = randomBytes(suite.encKeyLength());
            final byte[] macKey = randomBytes(suite.macKeyLength());
            final CbcHmacStream stream = new CbcHmacStream(algorithm);
            stream.init(encKey, macKey);
            for (int trial = 0; trial < 60; trial++)
            {
                final int length = trial == 0 ? CbcHmacStream.MAX_CONTENT_LENGTH :
                    random.nextInt(trial < 30 ? 400 : 5000);
                final byte[] content = randomBytes(length);
                final long seq = random.nextLong();
                final int pad = ReferenceCbc.randomPadLength(random, length, algorithm.macLength());
                final byte[] record = ReferenceCbc.encryptRaw(encKey, randomBytes(16),
                    ReferenceCbc.plaintext(algorithm, macKey, seq, content, pad));
                final boolean tiny = trial % 10 == 3;
                final ReferenceCbc.Outcome outcome = ReferenceCbc.decrypt(stream, seq, record, random, tiny);
                assertEquals(CbcHmacStream.OK, outcome.verdict, "seed " + SEED);
                assertArrayEquals(content, outcome.released.toByteArray(), "seed " + SEED);
                assertEquals(length, stream.contentLength());
                assertEquals(Math.min(length, releaseLimit(algorithm, record.length - 16)),
                    outcome.releasedBeforeFinish);
            }
        }
    }

    @Test
    void shouldEncryptRecordsTheReferenceDecryptsAndRepeatThemExactly() throws Exception
    {
        for (final CbcSuite suite : CbcSuite.values())
        {
            final CbcMacAlgorithm algorithm = suite.mac();
            final byte[] encKey = randomBytes(suite.encKeyLength());
            final byte[] macKey = randomBytes(suite.macKeyLength());
            final CbcRecordEncryptor encryptor = new CbcRecordEncryptor(algorithm);
            encryptor.init(encKey, macKey);
            final CbcRecordEncryptor other = new CbcRecordEncryptor(algorithm);
            other.init(encKey, macKey);
            final CbcHmacStream stream = new CbcHmacStream(algorithm);
            stream.init(encKey, macKey);
            final Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(encKey, "AES"));
            for (int trial = 0; trial < 80; trial++)
            {
                final int length = trial == 0 ? CbcHmacStream.MAX_CONTENT_LENGTH : random.nextInt(3000);
                final byte[] content = randomBytes(length);
                final long seq = trial;
                final byte[] out = new byte[CbcRecordEncryptor.recordLength(algorithm, length) + 3];
                final int n = encryptor.encryptRecord(seq, ReferenceCbc.TYPE, ReferenceCbc.VERSION, content, 0, length,
                    out, 3);
                assertEquals(out.length - 3, n);
                final byte[] record = Arrays.copyOfRange(out, 8, 3 + n);
                assertEquals(ReferenceCbc.TYPE, out[3]);
                assertEquals(n - 5, ((out[6] & 0xFF) << 8) | (out[7] & 0xFF));
                final byte[] nonce = new byte[16];
                for (int i = 0; i < 8; i++)
                {
                    nonce[i] = (byte)(seq >>> (56 - 8 * i));
                }
                assertArrayEquals(ecb.doFinal(nonce), Arrays.copyOf(record, 16), "IV is AES_K(seq || 0)");

                final Cipher cbc = Cipher.getInstance("AES/CBC/NoPadding");
                cbc.init(Cipher.DECRYPT_MODE, new SecretKeySpec(encKey, "AES"), new IvParameterSpec(record, 0, 16));
                final byte[] plain = cbc.doFinal(record, 16, record.length - 16);
                final int pad = plain[plain.length - 1] & 0xFF;
                assertEquals(15 - ((length + algorithm.macLength()) & 15), pad, "minimal padding");
                assertArrayEquals(content, Arrays.copyOf(plain, length));
                assertArrayEquals(ReferenceCbc.mac(algorithm, macKey, seq, ReferenceCbc.TYPE, ReferenceCbc.VERSION,
                    content, length), Arrays.copyOfRange(plain, length, length + algorithm.macLength()));

                final byte[] again = new byte[n];
                other.encryptRecord(seq, ReferenceCbc.TYPE, ReferenceCbc.VERSION, content, 0, length, again, 0);
                assertArrayEquals(Arrays.copyOfRange(out, 3, 3 + n), again, "same input and seq, same bytes");

                final ReferenceCbc.Outcome outcome = ReferenceCbc.decrypt(stream, seq, record, random, false);
                assertEquals(CbcHmacStream.OK, outcome.verdict);
                assertArrayEquals(content, outcome.released.toByteArray());
            }
        }
    }

    @Test
    void shouldResumeFromCheckpointsWithIdenticalOutput() throws Exception
    {
        for (final CbcMacAlgorithm algorithm : CbcMacAlgorithm.values())
        {
            final byte[] encKey = randomBytes(16);
            final byte[] macKey = randomBytes(algorithm.macLength());
            final CbcHmacStream stream = new CbcHmacStream(algorithm);
            stream.init(encKey, macKey);
            final CbcHmacStream fresh = new CbcHmacStream(algorithm);
            fresh.init(encKey, macKey);
            for (int trial = 0; trial < 40; trial++)
            {
                final byte[] content = randomBytes(random.nextInt(4000));
                final long seq = random.nextInt(1000);
                final int pad = ReferenceCbc.randomPadLength(random, content.length, algorithm.macLength());
                final byte[] record = ReferenceCbc.encryptRaw(encKey, randomBytes(16),
                    ReferenceCbc.plaintext(algorithm, macKey, seq, content, pad));
                final ReferenceCbc.Outcome outcome = ReferenceCbc.decrypt(stream, seq, record, random, trial % 8 == 0);
                assertEquals(CbcHmacStream.OK, outcome.verdict);
                final int index = random.nextInt(outcome.boundaries.length);

                assertTrue(stream.restoreState(outcome.checkpoints[index], 0), "same record still buffered");
                assertResumes(stream, outcome, index, record, content, CbcHmacStream.OK);

                assertFalse(fresh.restoreState(outcome.checkpoints[index], 0), "record start not buffered");
                assertResumes(fresh, outcome, index, record, content, CbcHmacStream.REPLAYED);
            }
        }
    }

    private void assertResumes(final CbcHmacStream stream, final ReferenceCbc.Outcome outcome, final int index,
        final byte[] record, final byte[] content, final int expectedVerdict)
    {
        final ByteArrayOutputStream released = new ByteArrayOutputStream();
        released.write(content, 0, outcome.releasedAt[index]);
        final byte[] dst = new byte[record.length];
        for (int i = index; i < outcome.boundaries.length; i++)
        {
            assertTrue(stream.matchesCheckpoint(outcome.checkpoints[i], 0), "seed " + SEED);
            final int end = i + 1 < outcome.boundaries.length ? outcome.boundaries[i + 1] : record.length;
            final int n = stream.decrypt(record, outcome.boundaries[i], end - outcome.boundaries[i], dst, 0);
            released.write(dst, 0, n);
        }
        assertEquals(expectedVerdict, stream.finish(dst, 0), "seed " + SEED);
        released.write(dst, 0, stream.releasedLength());
        assertArrayEquals(content, released.toByteArray(), "seed " + SEED);
    }

    @Test
    void shouldNotMatchCheckpointAfterAlteredRetransmission() throws Exception
    {
        final CbcMacAlgorithm algorithm = CbcMacAlgorithm.HMAC_SHA256;
        final byte[] encKey = randomBytes(32);
        final byte[] macKey = randomBytes(32);
        final CbcHmacStream stream = new CbcHmacStream(algorithm);
        stream.init(encKey, macKey);
        final byte[] record = ReferenceCbc.encryptRaw(encKey, randomBytes(16),
            ReferenceCbc.plaintext(algorithm, macKey, 7, randomBytes(1000), 7));
        final byte[] before = new byte[CbcCheckpoint.LENGTH];
        final byte[] after = new byte[CbcCheckpoint.LENGTH];
        final byte[] dst = new byte[2000];
        stream.begin(7, ReferenceCbc.TYPE, ReferenceCbc.VERSION, record, 0, record.length - 16);
        stream.decrypt(record, 16, 100, dst, 0);
        stream.saveState(before, 0);
        stream.decrypt(record, 116, 333, dst, 0);
        stream.saveState(after, 0);
        for (int i = 0; i < 333; i++)
        {
            record[116 + i] ^= 1;
            stream.restoreState(before, 0);
            stream.decrypt(record, 116, 333, dst, 0);
            assertFalse(stream.matchesCheckpoint(after, 0), "byte " + i);
            record[116 + i] ^= 1;
        }
        stream.restoreState(before, 0);
        stream.decrypt(record, 116, 333, dst, 0);
        assertTrue(stream.matchesCheckpoint(after, 0));
    }

    @Test
    void shouldDetectEveryFlippedByteAndNeverReleaseTheTail() throws Exception
    {
        for (final CbcMacAlgorithm algorithm : CbcMacAlgorithm.values())
        {
            final byte[] encKey = randomBytes(16);
            final byte[] macKey = randomBytes(algorithm.macLength());
            final CbcHmacStream stream = new CbcHmacStream(algorithm);
            stream.init(encKey, macKey);
            for (final int length : new int[]{0, 1, 40, 300, 700})
            {
                final byte[] content = randomBytes(length);
                final int pad = ReferenceCbc.randomPadLength(random, length, algorithm.macLength());
                final byte[] record = ReferenceCbc.encryptRaw(encKey, randomBytes(16),
                    ReferenceCbc.plaintext(algorithm, macKey, 5, content, pad));
                final int limit = Math.min(length, releaseLimit(algorithm, record.length - 16));
                for (int position = 0; position < record.length; position++)
                {
                    final byte flip = (byte)(1 << random.nextInt(8));
                    record[position] ^= flip;
                    final ReferenceCbc.Outcome outcome = ReferenceCbc.decrypt(stream, 5, record, random, false);
                    record[position] ^= flip;
                    assertEquals(CbcHmacStream.BAD_RECORD_MAC, outcome.verdict, "seed " + SEED + " at " + position);
                    assertEquals(limit, outcome.released.size(), "only certain content left before the end");
                }
            }
        }
    }

    @Test
    void shouldRejectEveryBadPadding() throws Exception
    {
        for (final CbcMacAlgorithm algorithm : CbcMacAlgorithm.values())
        {
            final int macLength = algorithm.macLength();
            final byte[] encKey = randomBytes(16);
            final byte[] macKey = randomBytes(macLength);
            final CbcHmacStream stream = new CbcHmacStream(algorithm);
            stream.init(encKey, macKey);
            for (int trial = 0; trial < 200; trial++)
            {
                final int length = random.nextInt(600);
                final byte[] content = randomBytes(length);
                final int pad = ReferenceCbc.randomPadLength(random, length, macLength);
                final byte[] plain = ReferenceCbc.plaintext(algorithm, macKey, 9, content, pad);
                switch (trial % 3)
                {
                    case 0:
                        if (pad == 0)
                        {
                            plain[plain.length - 1] = 1;
                        }
                        else
                        {
                            plain[plain.length - 2 - random.nextInt(pad)] ^= (byte)(1 + random.nextInt(255));
                        }
                        break;
                    case 1:
                        if (plain.length - macLength <= 255)
                        {
                            plain[plain.length - 1] = (byte)(plain.length - macLength +
                                random.nextInt(256 - (plain.length - macLength)));
                        }
                        else
                        {
                            // no pad value above 255 exists: 0 then claims a shorter padding than was written
                            plain[plain.length - 1] = (byte)(pad == 255 ? 0 : pad + 1 + random.nextInt(255 - pad));
                        }
                        break;
                    default:
                        plain[plain.length - 1] = (byte)((pad + 16) & 0xFF);
                        break;
                }
                final byte[] record = ReferenceCbc.encryptRaw(encKey, randomBytes(16), plain);
                final ReferenceCbc.Outcome outcome = ReferenceCbc.decrypt(stream, 9, record, random, false);
                assertEquals(CbcHmacStream.BAD_RECORD_MAC, outcome.verdict, "seed " + SEED + " trial " + trial);
                assertEquals(Math.min(length, releaseLimit(algorithm, record.length - 16)), outcome.released.size());
            }
        }
    }

    @Test
    void shouldGiveVerdictsForImpossibleLengths()
    {
        final CbcHmacStream sha1 = new CbcHmacStream(CbcMacAlgorithm.HMAC_SHA1);
        sha1.init(randomBytes(16), randomBytes(20));
        final CbcHmacStream sha256 = new CbcHmacStream(CbcMacAlgorithm.HMAC_SHA256);
        sha256.init(randomBytes(16), randomBytes(32));
        final byte[] iv = randomBytes(16);
        assertEquals(CbcHmacStream.DECODE_ERROR, sha1.begin(1, 23, 0x0303, iv, 0, 16));
        assertEquals(CbcHmacStream.DECODE_ERROR, sha1.begin(1, 23, 0x0303, iv, 0, 0));
        assertEquals(CbcHmacStream.DECODE_ERROR, sha1.begin(1, 23, 0x0303, iv, 0, -5));
        assertEquals(CbcHmacStream.OK, sha1.begin(1, 23, 0x0303, iv, 0, 32));
        assertEquals(CbcHmacStream.DECODE_ERROR, sha256.begin(1, 23, 0x0303, iv, 0, 32));
        assertEquals(CbcHmacStream.OK, sha256.begin(1, 23, 0x0303, iv, 0, 48));
        assertEquals(CbcHmacStream.BAD_RECORD_MAC, sha1.begin(1, 23, 0x0303, iv, 0, 33));
        assertEquals(CbcHmacStream.BAD_RECORD_MAC, sha256.begin(1, 23, 0x0303, iv, 0, 1000));
        assertEquals(CbcHmacStream.RECORD_OVERFLOW, sha1.begin(1, 23, 0x0303, iv, 0, (1 << 14) + 2048));
        assertEquals(CbcHmacStream.OK, sha1.begin(1, 23, 0x0303, iv, 0, (1 << 14) + 2032));
        assertEquals(CbcHmacStream.MAX_CIPHERTEXT_LENGTH, sha1.remaining());
    }

    @Test
    void shouldAnswerBadRecordMacForGarbageWithoutThrowing()
    {
        for (final CbcMacAlgorithm algorithm : CbcMacAlgorithm.values())
        {
            final CbcHmacStream stream = new CbcHmacStream(algorithm);
            stream.init(randomBytes(32), randomBytes(algorithm.macLength()));
            for (int trial = 0; trial < 300; trial++)
            {
                final int blocks = CbcHmacStream.minimumCiphertextLength(algorithm) / 16 + random.nextInt(trial < 200 ?
                    20 : 1100);
                final byte[] record = randomBytes(16 + 16 * blocks);
                if (trial % 4 == 0)
                {
                    Arrays.fill(record, Math.max(16, record.length - 1 - random.nextInt(300)), record.length,
                        (byte)random.nextInt());
                }
                final ReferenceCbc.Outcome outcome = ReferenceCbc.decrypt(stream, trial, record, random, false);
                assertEquals(CbcHmacStream.BAD_RECORD_MAC, outcome.verdict, "seed " + SEED);
            }
        }
    }
}
