package org.inlinetls.crypto.aead;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import static org.inlinetls.crypto.aead.StreamingAead.STATE_LENGTH;
import static org.inlinetls.crypto.aead.StreamingAead.TAG_LENGTH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AesGcmStreamTest
{
    private static final HexFormat HEX = HexFormat.of();
    private static final String P64 =
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    private static final String A20 = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    private static final String K128 = "feffe9928665731c6d6a8f9467308308";
    private static final String IV = "cafebabefacedbaddecaf888";
    private static final String ZERO_IV = "000000000000000000000000";

    /** name, key, nonce, plaintext, AAD, ciphertext, tag (GCM spec test cases; CAVS gcmEncryptExtIV128). */
    static Stream<Arguments> nistVectors()
    {
        return Stream.of(
            Arguments.of("TC1 AES-128 empty", "00000000000000000000000000000000", ZERO_IV, "", "", "",
                "58e2fccefa7e3061367f1d57a4e7455a"),
            Arguments.of("TC2 AES-128 one block", "00000000000000000000000000000000", ZERO_IV,
                "00000000000000000000000000000000", "", "0388dace60b6a392f328c2b971b2fe78",
                "ab6e47d42cec13bdf53a67b21257bddf"),
            Arguments.of("TC3 AES-128 64 bytes", K128, IV, P64, "",
                "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" +
                "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
                "4d5c2af327cd64a62cf35abd2ba6fab4"),
            Arguments.of("TC4 AES-128 60 bytes, 20 AAD", K128, IV, P64.substring(0, 120), A20,
                "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" +
                "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
                "5bc94fbc3221a5db94fae95ae7121a47"),
            Arguments.of("CAVS AES-128 AAD only", "77be63708971c4e240d1cb79e8d77feb", "e0e00f19fed7ba0136a797f3", "",
                "7a43ec1d9c0a5a78a0b16533a6213cab", "", "209fcc8d3675ed938e9c7166709dd946"),
            Arguments.of("TC13 AES-256 empty", "00".repeat(32), ZERO_IV, "", "", "",
                "530f8afbc74536b9a963b4f1c4cb738b"),
            Arguments.of("TC14 AES-256 one block", "00".repeat(32), ZERO_IV, "00".repeat(16), "",
                "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"),
            Arguments.of("TC15 AES-256 64 bytes", K128 + K128, IV, P64, "",
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
                "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
                "b094dac5d93471bdec1a502270e3cc6c"),
            Arguments.of("TC16 AES-256 60 bytes, 20 AAD", K128 + K128, IV, P64.substring(0, 120), A20,
                "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
                "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
                "76fc6ece0f4e1768cddf8853bb2d551b"));
    }

    static Stream<Arguments> nistVectorsForEachGhash()
    {
        return nistVectors().flatMap(vector -> Arrays.stream(GhashImplementation.values())
            .map(implementation -> Arguments.of(concat(vector.get(), implementation))));
    }

    @ParameterizedTest(name = "{0} {7}")
    @MethodSource("nistVectorsForEachGhash")
    void shouldReproduceNistVectors(
        final String name,
        final String keyHex,
        final String nonceHex,
        final String plaintextHex,
        final String aadHex,
        final String ciphertextHex,
        final String tagHex,
        final GhashImplementation implementation) throws GeneralSecurityException
    {
        final byte[] key = HEX.parseHex(keyHex);
        final byte[] nonce = HEX.parseHex(nonceHex);
        final byte[] plaintext = HEX.parseHex(plaintextHex);
        final byte[] aad = HEX.parseHex(aadHex);
        final byte[] expected = HEX.parseHex(ciphertextHex + tagHex);
        assertArrayEquals(expected, jceSeal(key, nonce, aad, plaintext), name + ": vector typed wrongly");

        final AesGcmStream stream = new AesGcmStream(implementation);
        stream.init(key);
        for (int pieceLength = 1; pieceLength <= Math.max(1, plaintext.length); pieceLength += 7)
        {
            final byte[] sealed = new byte[plaintext.length + TAG_LENGTH];
            stream.begin(nonce, 0, aad, 0, aad.length);
            for (int offset = 0; offset < plaintext.length; offset += pieceLength)
            {
                stream.encrypt(plaintext, offset, Math.min(pieceLength, plaintext.length - offset), sealed, offset);
            }
            stream.finish(sealed, plaintext.length);
            assertArrayEquals(expected, sealed, name + " pieces of " + pieceLength);

            stream.begin(nonce, 0, aad, 0, aad.length);
            for (int offset = 0; offset < plaintext.length; offset += pieceLength)
            {
                stream.decrypt(sealed, offset, Math.min(pieceLength, plaintext.length - offset), sealed, offset);
            }
            assertTrue(stream.finishAndVerify(sealed, plaintext.length), name);
            assertArrayEquals(plaintext, Arrays.copyOf(sealed, plaintext.length), name);
        }
    }

    @ParameterizedTest
    @EnumSource(GhashImplementation.class)
    void shouldMatchJceOneShotForRandomRecordsInRandomPieces(final GhashImplementation implementation)
        throws GeneralSecurityException
    {
        final long seed = AesGcmTestRecord.seed();
        final Random random = new Random(seed);
        final AesGcmStream stream = new AesGcmStream(implementation);
        byte[] key = null;
        for (int round = 0; round < 300; round++)
        {
            if (null == key || random.nextInt(4) == 0)
            {
                key = AesGcmTestRecord.randomKey(random);
                stream.init(key);
            }
            final AesGcmTestRecord record = AesGcmTestRecord.random(random, key);
            final String context = "seed=" + seed + " round=" + round + " " + record;
            final byte[] expected = jceSeal(record.key, record.nonce, record.aad, record.plaintext);
            final int length = record.plaintext.length;

            final byte[] sealed = new byte[length + TAG_LENGTH];
            final boolean inPlace = random.nextBoolean();
            if (inPlace)
            {
                System.arraycopy(record.plaintext, 0, sealed, 0, length);
            }
            stream.begin(record.nonce, 0, record.aad, 0, record.aad.length);
            for (int offset = 0, piece; offset < length; offset += piece)
            {
                piece = AesGcmTestRecord.pieceLength(random, length - offset);
                stream.encrypt(inPlace ? sealed : record.plaintext, offset, piece, sealed, offset);
            }
            assertEquals(length, stream.position(), context);
            stream.finish(sealed, length);
            assertArrayEquals(expected, sealed, context + " inPlace=" + inPlace);

            final byte[] opened = new byte[length];
            stream.begin(record.nonce, 0, record.aad, 0, record.aad.length);
            for (int offset = 0, piece; offset < length; offset += piece)
            {
                piece = AesGcmTestRecord.pieceLength(random, length - offset);
                stream.decrypt(sealed, offset, piece, inPlace ? sealed : opened, offset);
            }
            assertTrue(stream.finishAndVerify(sealed, length), context);
            assertArrayEquals(record.plaintext, inPlace ? Arrays.copyOf(sealed, length) : opened, context);
        }
    }

    @ParameterizedTest
    @EnumSource(GhashImplementation.class)
    void shouldContinueFromSavedStateInAFreshInstance(final GhashImplementation implementation)
        throws GeneralSecurityException
    {
        final long seed = AesGcmTestRecord.seed();
        final Random random = new Random(seed);
        final byte[] checkpoint = new byte[STATE_LENGTH + 3];
        final byte[] resaved = new byte[STATE_LENGTH];
        for (int round = 0; round < 200; round++)
        {
            final AesGcmTestRecord record = AesGcmTestRecord.random(random);
            final String context = "seed=" + seed + " round=" + round + " " + record;
            final int length = record.plaintext.length;
            final byte[] expected = jceSeal(record.key, record.nonce, record.aad, record.plaintext);
            final boolean decrypting = random.nextBoolean();
            final byte[] input = decrypting ? Arrays.copyOf(expected, length) : record.plaintext;
            final byte[] expectedOutput = decrypting ? record.plaintext : Arrays.copyOf(expected, length);

            final AesGcmStream first = new AesGcmStream(implementation);
            first.init(record.key);
            first.begin(record.nonce, 0, record.aad, 0, record.aad.length);
            final int savePoint = random.nextInt(length + 1);
            final byte[] output = new byte[length];
            process(first, decrypting, random, input, output, 0, savePoint);
            first.saveState(checkpoint, 3);
            assertEquals(savePoint, first.position(), context);

            final AesGcmStream second = new AesGcmStream(implementation);
            second.init(record.key);
            if (random.nextBoolean())
            {
                // a record in between must not leak into the restored one
                second.begin(new byte[12], 0, new byte[5], 0, 5);
                second.encrypt(new byte[33], 0, 33, new byte[33], 0);
            }
            second.restoreState(record.nonce, 0, checkpoint, 3);
            second.saveState(resaved, 0);
            assertArrayEquals(Arrays.copyOfRange(checkpoint, 3, 3 + STATE_LENGTH), resaved, context);
            assertEquals(savePoint, second.position(), context);

            Arrays.fill(output, savePoint, length, (byte)0);
            process(second, decrypting, random, input, output, savePoint, length);
            assertArrayEquals(expectedOutput, output, context + " savePoint=" + savePoint);
            if (decrypting)
            {
                assertTrue(second.finishAndVerify(expected, length), context + " savePoint=" + savePoint);
            }
            else
            {
                final byte[] tag = new byte[TAG_LENGTH];
                second.finish(tag, 0);
                assertArrayEquals(Arrays.copyOfRange(expected, length, length + TAG_LENGTH), tag, context);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(GhashImplementation.class)
    void shouldFailVerificationForAnyFlippedBit(final GhashImplementation implementation)
        throws GeneralSecurityException
    {
        final Random random = new Random(42);
        final byte[] key = new byte[16];
        final byte[] nonce = new byte[12];
        final byte[] aad = new byte[13];
        final byte[] plaintext = new byte[37];
        random.nextBytes(key);
        random.nextBytes(nonce);
        random.nextBytes(aad);
        random.nextBytes(plaintext);
        final byte[] sealed = jceSeal(key, nonce, aad, plaintext);
        final AesGcmStream stream = new AesGcmStream(implementation);
        stream.init(key);
        assertTrue(open(stream, nonce, aad, sealed, plaintext.length));

        for (int bit = 0; bit < sealed.length * 8; bit++)
        {
            final byte[] tampered = sealed.clone();
            tampered[bit >>> 3] ^= (byte)(1 << (bit & 7));
            assertFalse(open(stream, nonce, aad, tampered, plaintext.length), "sealed bit " + bit);
        }
        for (int bit = 0; bit < aad.length * 8; bit++)
        {
            final byte[] tampered = aad.clone();
            tampered[bit >>> 3] ^= (byte)(1 << (bit & 7));
            assertFalse(open(stream, nonce, tampered, sealed, plaintext.length), "AAD bit " + bit);
        }
        assertFalse(open(stream, nonce, Arrays.copyOf(aad, 12), sealed, plaintext.length), "AAD length");
        assertTrue(open(stream, nonce, aad, sealed, plaintext.length));
    }

    @Test
    void shouldRejectMisuse()
    {
        final AesGcmStream stream = new AesGcmStream();
        final byte[] buffer = new byte[64];
        assertThrows(IllegalStateException.class, () -> stream.begin(buffer, 0, buffer, 0, 5));
        assertThrows(IllegalArgumentException.class, () -> stream.init(new byte[15]));
        stream.init(new byte[16]);
        assertThrows(IllegalStateException.class, () -> stream.decrypt(buffer, 0, 5, buffer, 0));
        stream.begin(buffer, 0, buffer, 0, 5);
        stream.decrypt(buffer, 0, 5, buffer, 0);
        final byte[] state = new byte[STATE_LENGTH];
        stream.saveState(state, 0);
        state[0]++;
        assertThrows(IllegalArgumentException.class, () -> stream.restoreState(buffer, 0, state, 0));
        stream.finish(buffer, 0);
        assertThrows(IllegalStateException.class, () -> stream.finish(buffer, 0));
        assertThrows(IllegalStateException.class, () -> stream.saveState(state, 0));
        stream.destroy();
        assertThrows(IllegalStateException.class, () -> stream.begin(buffer, 0, buffer, 0, 5));
    }

    @Test
    void shouldDecryptInPlaceWithShiftedOffsets() throws GeneralSecurityException
    {
        final Random random = new Random(7);
        final AesGcmTestRecord record = AesGcmTestRecord.random(random);
        final int length = record.plaintext.length;
        final byte[] sealed = jceSeal(record.key, record.nonce, record.aad, record.plaintext);
        final AesGcmStream stream = new AesGcmStream();
        stream.init(record.key);
        for (final int shift : new int[]{ -21, -5, 3, 40 })
        {
            final int header = 64;
            final byte[] buffer = new byte[length + 2 * header + TAG_LENGTH];
            System.arraycopy(sealed, 0, buffer, header, sealed.length);
            stream.begin(record.nonce, 0, record.aad, 0, record.aad.length);
            // shifting forward across pieces would overwrite input not read yet: callers do that in one piece
            for (int offset = 0, piece; offset < length; offset += piece)
            {
                piece = shift > 0 ? length : AesGcmTestRecord.pieceLength(random, length - offset);
                stream.decrypt(buffer, header + offset, piece, buffer, header + shift + offset);
            }
            assertArrayEquals(record.plaintext,
                Arrays.copyOfRange(buffer, header + shift, header + shift + length), "shift " + shift);
            assertTrue(stream.finishAndVerify(sealed, length), "shift " + shift);
        }
    }

    static byte[] jceSeal(final byte[] key, final byte[] nonce, final byte[] aad, final byte[] plaintext)
        throws GeneralSecurityException
    {
        final Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        cipher.updateAAD(aad);
        return cipher.doFinal(plaintext);
    }

    private static boolean open(
        final AesGcmStream stream, final byte[] nonce, final byte[] aad, final byte[] sealed, final int length)
    {
        final byte[] output = new byte[length];
        stream.begin(nonce, 0, aad, 0, aad.length);
        stream.decrypt(sealed, 0, 1, output, 0);
        stream.decrypt(sealed, 1, length - 1, output, 1);
        return stream.finishAndVerify(sealed, length);
    }

    private static void process(
        final AesGcmStream stream,
        final boolean decrypting,
        final Random random,
        final byte[] input,
        final byte[] output,
        final int from,
        final int to)
    {
        for (int offset = from, piece; offset < to; offset += piece)
        {
            piece = AesGcmTestRecord.pieceLength(random, to - offset);
            if (decrypting)
            {
                stream.decrypt(input, offset, piece, output, offset);
            }
            else
            {
                stream.encrypt(input, offset, piece, output, offset);
            }
        }
    }

    private static Object[] concat(final Object[] values, final Object last)
    {
        final Object[] result = Arrays.copyOf(values, values.length + 1);
        result[values.length] = last;
        return result;
    }
}
