package org.inlinetls.crypto.aead;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ChaCha20Poly1305StreamTest
{
    private static final long SEED = Long.getLong("test.seed", 0xc4ac4a20L);

    private static byte[] hex(final String hex)
    {
        return Poly1305Kind.hex(hex);
    }

    @ParameterizedTest
    @EnumSource(Poly1305Kind.class)
    void shouldEncryptRfc8439Section282(final Poly1305Kind kind)
    {
        final ChaCha20Poly1305Stream aead = stream(kind);
        aead.init(hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"));
        final byte[] nonce = hex("070000004041424344454647");
        final byte[] aad = hex("50515253c0c1c2c3c4c5c6c7");
        final byte[] plaintext = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for " +
            "the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
        final byte[] ciphertext = hex(
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6" +
            "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36" +
            "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
            "3ff4def08e4b7a9de576d26586cec64b6116");
        final byte[] tag = hex("1ae10b594f09e26a7e902ecbd0600691");

        final byte[] out = new byte[plaintext.length];
        final byte[] outTag = new byte[16];
        aead.begin(nonce, 0, aad, 0, aad.length);
        aead.encrypt(plaintext, 0, 50, out, 0);
        aead.encrypt(plaintext, 50, plaintext.length - 50, out, 50);
        aead.finish(outTag, 0);
        assertArrayEquals(ciphertext, out);
        assertArrayEquals(tag, outTag);

        aead.begin(nonce, 0, aad, 0, aad.length);
        aead.decrypt(out, 0, out.length, out, 0);
        assertTrue(aead.finishAndVerify(tag, 0));
        assertArrayEquals(plaintext, out);
    }

    @ParameterizedTest
    @EnumSource(Poly1305Kind.class)
    void shouldDecryptRfc8439AppendixA5(final Poly1305Kind kind)
    {
        final ChaCha20Poly1305Stream aead = stream(kind);
        aead.init(hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0"));
        final byte[] nonce = hex("000000000102030405060708");
        final byte[] aad = hex("f33388860000000000004e91");
        final byte[] ciphertext = hex(
            "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2" +
            "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf" +
            "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855" +
            "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4" +
            "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e" +
            "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a" +
            "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10" +
            "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29" +
            "a6ad5cb4022b02709b");
        final byte[] tag = hex("eead9d67890cbb22392336fea1851f38");
        final byte[] plaintext = ("Internet-Drafts are draft documents valid for a maximum of six months and may be " +
            "updated, replaced, or obsoleted by other documents at any time. It is inappropriate to use " +
            "Internet-Drafts as reference material or to cite them other than as /\u201cwork in progress./\u201d")
            .getBytes(StandardCharsets.UTF_8);
        assertEquals(265, ciphertext.length);

        final byte[] out = ciphertext.clone();
        aead.begin(nonce, 0, aad, 0, aad.length);
        for (int offset = 0; offset < out.length; offset += 7)
        {
            aead.decrypt(out, offset, Math.min(7, out.length - offset), out, offset);
        }
        assertEquals(265, aead.position());
        assertTrue(aead.finishAndVerify(tag, 0));
        assertArrayEquals(plaintext, out);
    }

    @ParameterizedTest
    @EnumSource(Poly1305Kind.class)
    void shouldMatchJceOneShotForRandomRecordsInRandomPiecesWithCheckpoints(final Poly1305Kind kind) throws Exception
    {
        final Random random = new Random(SEED);
        final ChaCha20Poly1305Stream aead = stream(kind);
        final byte[] key = new byte[32];
        final byte[] nonce = new byte[12];
        final byte[] tag = new byte[16];
        final byte[] state = new byte[StreamingAead.STATE_LENGTH];
        final Cipher jce = Cipher.getInstance("ChaCha20-Poly1305");

        for (int record = 0; record < 150; record++)
        {
            final String where = kind + " seed " + SEED + " record " + record;
            if (record % 20 == 0)
            {
                random.nextBytes(key);
                aead.init(key);
            }
            random.nextBytes(nonce);
            final byte[] aad = new byte[random.nextInt(3) == 0 ? 13 : random.nextInt(40)];
            random.nextBytes(aad);
            final int length = record < 20 ? record : random.nextInt(20001);
            final byte[] plaintext = new byte[length];
            random.nextBytes(plaintext);

            jce.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
            jce.updateAAD(aad);
            final byte[] sealed = jce.doFinal(plaintext);
            final byte[] expectedCiphertext = Arrays.copyOf(sealed, length);
            final byte[] expectedTag = Arrays.copyOfRange(sealed, length, length + 16);

            // encrypt in pieces, checkpointing at random piece boundaries and resuming in a fresh instance
            final byte[] ciphertext = encryptInPieces(aead, key, nonce, aad, plaintext, tag, state, random, kind);
            assertArrayEquals(expectedCiphertext, ciphertext, where);
            assertArrayEquals(expectedTag, tag, where);

            // decrypt in place in pieces, re-processing a piece from a checkpoint as a retransmission would
            final byte[] buffer = expectedCiphertext.clone();
            aead.begin(nonce, 0, aad, 0, aad.length);
            int offset = 0;
            while (offset < length)
            {
                final int piece = pieceLength(random, length - offset);
                if (random.nextInt(5) == 0)
                {
                    aead.saveState(state, 0);
                    final byte[] scratch = Arrays.copyOfRange(buffer, offset, offset + piece);
                    aead.decrypt(scratch, 0, piece, scratch, 0);
                    aead.restoreState(nonce, 0, state, 0);
                    assertEquals(offset, aead.position(), where);
                }
                aead.decrypt(buffer, offset, piece, buffer, offset);
                offset += piece;
            }
            assertTrue(aead.finishAndVerify(expectedTag, 0), where);
            assertArrayEquals(plaintext, buffer, where);

            // any flipped bit in AAD, ciphertext or tag fails
            final int target = random.nextInt(3);
            final byte[] badAad = aad.clone();
            final byte[] badCiphertext = expectedCiphertext.clone();
            final byte[] badTag = expectedTag.clone();
            final byte[] flipped = target == 0 && aad.length > 0 ? badAad :
                target == 1 && length > 0 ? badCiphertext : badTag;
            flipped[random.nextInt(flipped.length)] ^= (byte)(1 << random.nextInt(8));
            aead.begin(nonce, 0, badAad, 0, badAad.length);
            aead.decrypt(badCiphertext, 0, length, badCiphertext, 0);
            assertFalse(aead.finishAndVerify(badTag, 0), where + " flipped " + target);
        }
    }

    @ParameterizedTest
    @EnumSource(Poly1305Kind.class)
    void shouldAllocateNothingPerPiece(final Poly1305Kind kind)
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        final ChaCha20Poly1305Stream aead = stream(kind);
        final byte[] key = new byte[32];
        final byte[] nonce = new byte[12];
        final byte[] aad = new byte[13];
        final byte[] record = new byte[16384 + 17];
        final byte[] tag = new byte[16];
        final byte[] state = new byte[StreamingAead.STATE_LENGTH];
        new Random(SEED).nextBytes(key);
        aead.init(key);

        long pieceBytes = 0;
        long recordBytes = 0;
        long saveBytes = 0;
        final int warmup = 3000;
        final int measured = 200;
        for (int i = 0; i < warmup + measured; i++)
        {
            nonce[4] = (byte)i;
            nonce[5] = (byte)(i >> 8);
            final long recordStart = threads.getCurrentThreadAllocatedBytes();
            aead.begin(nonce, 0, aad, 0, aad.length);
            for (int offset = 0; offset < record.length; offset += 1448)
            {
                final int piece = Math.min(1448, record.length - offset);
                final long before = threads.getCurrentThreadAllocatedBytes();
                aead.decrypt(record, offset, piece, record, offset);
                final long afterPiece = threads.getCurrentThreadAllocatedBytes();
                aead.saveState(state, 0);
                final long afterSave = threads.getCurrentThreadAllocatedBytes();
                if (i >= warmup)
                {
                    pieceBytes += afterPiece - before;
                    saveBytes += afterSave - afterPiece;
                }
            }
            aead.finish(tag, 0);
            if (i >= warmup)
            {
                recordBytes += threads.getCurrentThreadAllocatedBytes() - recordStart;
            }
        }

        final long perRecord = (recordBytes - saveBytes) / measured;
        System.out.printf("%s: %d bytes over %d piece calls, %d bytes per record without saves, %d per save%n",
            kind, pieceBytes, measured * 12, perRecord, saveBytes / (measured * 12L));
        assertTrue(pieceBytes <= 64, kind + ": piece calls allocated " + pieceBytes + " bytes");
        if (kind == Poly1305Kind.JAVA)
        {
            assertTrue(saveBytes <= 64, kind + ": saveState allocated " + saveBytes + " bytes");
        }
        assertTrue(perRecord <= 1024, kind + ": " + perRecord + " bytes per record");
    }

    private static byte[] encryptInPieces(
        final ChaCha20Poly1305Stream first, final byte[] key, final byte[] nonce, final byte[] aad,
        final byte[] plaintext, final byte[] tag, final byte[] state, final Random random, final Poly1305Kind kind)
    {
        final byte[] out = new byte[plaintext.length];
        ChaCha20Poly1305Stream aead = first;
        aead.begin(nonce, 0, aad, 0, aad.length);
        int offset = 0;
        while (offset < plaintext.length)
        {
            final int piece = pieceLength(random, plaintext.length - offset);
            aead.encrypt(plaintext, offset, piece, out, offset);
            offset += piece;
            if (random.nextInt(6) == 0)
            {
                aead.saveState(state, 0);
                final ChaCha20Poly1305Stream fresh = new ChaCha20Poly1305Stream(kind);
                fresh.init(key);
                fresh.restoreState(nonce, 0, state, 0);
                final byte[] again = new byte[StreamingAead.STATE_LENGTH];
                fresh.saveState(again, 0);
                assertArrayEquals(state, again);
                aead = fresh;
            }
        }
        aead.finish(tag, 0);
        return out;
    }

    private static int pieceLength(final Random random, final int remaining)
    {
        final int choice = random.nextInt(4);
        final int length = choice == 0 ? 1 : choice == 1 ? random.nextInt(64) : random.nextInt(3000);
        return Math.min(remaining, Math.max(1, length));
    }

    private static ChaCha20Poly1305Stream stream(final Poly1305Kind kind)
    {
        assumeTrue(kind.isAvailable(), () -> kind + ": " + kind.unavailabilityCause());
        return new ChaCha20Poly1305Stream(kind);
    }
}
