package org.inlinetls.crypto.record;

import org.inlinetls.crypto.suite.AeadAlgorithm;
import org.inlinetls.crypto.suite.CipherSuite;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Records built independently here with the JDK's one-shot AEADs (RFC 8446 §5.2, RFC 5288, RFC 7905) must equal
 * the encoder's bytes and decode through the decoder.
 */
class RecordJceCrossCheckTest
{
    @ParameterizedTest
    @EnumSource(CipherSuite.class)
    void shouldMatchRecordsBuiltWithTheJdkOneShotAead(final CipherSuite suite) throws Exception
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final byte[] key = new byte[suite.keyLength()];
        final byte[] iv = new byte[suite.fixedIvLength()];
        random.nextBytes(key);
        random.nextBytes(iv);
        final RecordEncoder encoder = new RecordEncoder(new RecordProtection(suite, key, iv));
        final RecordDecoder decoder = new RecordDecoder(new RecordProtection(suite, key, iv), IntegrityMode.DEFERRED,
            new byte[RecordDecoder.SCRATCH_LENGTH]).sequence(0);
        final RecordStreams.Recorder recorder = new RecordStreams.Recorder();
        final byte[] out = new byte[RecordEncoder.MAX_CONTENT_LENGTH + 64];
        for (long seq = 0; seq < 20; seq++)
        {
            final byte[] content = new byte[seq == 0 ? 0 : random.nextInt(seq < 10 ? 200 : 16384)];
            random.nextBytes(content);
            final byte[] expected = independentRecord(suite, key, iv, seq, content);
            final int length = encoder.encode(ContentType.APPLICATION_DATA, content, 0, content.length, seq, out, 0);
            final byte[] ours = new byte[length];
            System.arraycopy(out, 0, ours, 0, length);
            assertArrayEquals(expected, ours, suite + " seq " + seq + " seed " + seed);

            final int before = recorder.plain.size();
            assertEquals(RecordDecoder.OK, decoder.onSegment(expected, 0, expected.length, recorder));
            final byte[] plain = recorder.plain.toByteArray();
            final byte[] decoded = new byte[plain.length - before];
            System.arraycopy(plain, before, decoded, 0, decoded.length);
            assertArrayEquals(content, decoded, suite + " seq " + seq + " seed " + seed);
        }
    }

    private static byte[] independentRecord(
        final CipherSuite suite, final byte[] key, final byte[] iv, final long seq, final byte[] content)
        throws Exception
    {
        final boolean tls13 = suite.isTls13();
        final byte[] inner = tls13 ? append(content, (byte)ContentType.APPLICATION_DATA) : content;
        final int explicit = suite.explicitNonceLength();
        final int recordLength = explicit + inner.length + 16;
        final byte[] nonce = new byte[12];
        if (explicit > 0)
        {
            System.arraycopy(iv, 0, nonce, 0, 4);
            ByteBuffer.wrap(nonce, 4, 8).putLong(seq);
        }
        else
        {
            System.arraycopy(iv, 0, nonce, 0, 12);
            final byte[] seqBytes = ByteBuffer.allocate(8).putLong(seq).array();
            for (int i = 0; i < 8; i++)
            {
                nonce[4 + i] ^= seqBytes[i];
            }
        }
        final byte[] header = {23, 3, 3, (byte)(recordLength >>> 8), (byte)recordLength};
        final byte[] aad = tls13 ? header : ByteBuffer.allocate(13).putLong(seq).put((byte)23).put((byte)3)
            .put((byte)3).putShort((short)content.length).array();
        final Cipher cipher;
        if (suite.aead() == AeadAlgorithm.CHACHA20_POLY1305)
        {
            cipher = Cipher.getInstance("ChaCha20-Poly1305");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
        }
        else
        {
            cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        }
        cipher.updateAAD(aad);
        final byte[] sealed = cipher.doFinal(inner);
        final ByteBuffer record = ByteBuffer.allocate(5 + recordLength).put(header);
        if (explicit > 0)
        {
            record.putLong(seq);
        }
        return record.put(sealed).array();
    }

    private static byte[] append(final byte[] content, final byte last)
    {
        final byte[] inner = new byte[content.length + 1];
        System.arraycopy(content, 0, inner, 0, content.length);
        inner[content.length] = last;
        return inner;
    }
}
